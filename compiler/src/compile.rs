//! From bytecode to a callable native function.
//!
//! Each contract gets its own `JITModule`: the module owns the code memory,
//! and [`CompiledContract`] frees it when dropped. The target ISA is built
//! once per [`Compiler`] and shared by its modules.

use crate::analysis::Analysis;
use crate::context::EntryFn;
use crate::lower::{chunk_signature, DispatchTable, Lowering, TableRef};
use crate::passes::chunks::ChunkLimits;
use crate::passes::plan::Plan;
use crate::shims::Shim;
use cevm_runtime::SpecId;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, Signature, UserFuncName};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};
use std::sync::Mutex;

/// Why code could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The host machine is not supported by Cranelift.
    #[error("unsupported host: {0}")]
    UnsupportedHost(String),
    /// Cranelift rejected a setting.
    #[error("invalid code generator setting: {0}")]
    Settings(#[from] settings::SetError),
    /// Cranelift failed to generate or link code.
    #[error("code generation failed: {0}")]
    Codegen(String),
}

impl From<cranelift_module::ModuleError> for CompileError {
    fn from(e: cranelift_module::ModuleError) -> Self {
        CompileError::Codegen(format!("{e:?}"))
    }
}

/// Extra output of a compilation, for inspection (`cevm compile --emit`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Artifacts {
    /// The Cranelift IR before optimisation, if requested.
    pub clif: Option<String>,
    /// The machine code as Cranelift's disassembly (VCode listing), if requested.
    pub asm: Option<String>,
    /// The raw machine code bytes, if disassembly was requested.
    pub code: Option<Vec<u8>>,
}

/// What to keep besides the native code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArtifactRequest {
    /// Keep the IR text.
    pub clif: bool,
    /// Keep the disassembly.
    pub asm: bool,
}

/// Compiles bytecode for one fork.
pub struct Compiler {
    spec: SpecId,
    /// The code generator's targets.
    isas: Isas,
    /// How large the functions a contract is cut into grow.
    chunk_limits: ChunkLimits,
}

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("spec", &self.spec)
            .field("isa", &self.isas.optimising.name())
            .finish()
    }
}

/// A compiled contract: a native function plus the module owning its code.
pub struct CompiledContract {
    entry: EntryFn,
    /// Owns the code memory; freed in `Drop`. Behind a mutex only so that
    /// the contract can be shared between threads (the module itself is
    /// never used again after finalisation).
    module: Mutex<Option<JITModule>>,
    spec: SpecId,
    code_len: usize,
}

impl std::fmt::Debug for CompiledContract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledContract")
            .field("spec", &self.spec)
            .field("code_len", &self.code_len)
            .finish()
    }
}

impl CompiledContract {
    /// The native entry point.
    pub fn entry(&self) -> EntryFn {
        self.entry
    }

    /// The fork the code was compiled for.
    pub fn spec(&self) -> SpecId {
        self.spec
    }
}

impl Drop for CompiledContract {
    fn drop(&mut self) {
        let module = match self.module.get_mut() {
            Ok(m) => m.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(module) = module {
            // SAFETY: the entry pointer dies with `self`; nobody can be
            // running the code since running needs a borrow of `self`.
            unsafe { module.free_memory() };
        }
    }
}

impl Compiler {
    /// A compiler for `spec` emitting position-independent code (for
    /// shared libraries).
    pub(crate) fn new_pic(spec: SpecId) -> Result<Self, CompileError> {
        Ok(Compiler {
            spec,
            isas: Isas::host(true)?,
            chunk_limits: ChunkLimits::default(),
        })
    }

    /// A compiler for `spec` targeting the host machine.
    pub fn new(spec: SpecId) -> Result<Self, CompileError> {
        Ok(Compiler {
            spec,
            isas: Isas::host(false)?,
            chunk_limits: ChunkLimits::default(),
        })
    }

    /// The fork this compiler targets.
    pub fn spec(&self) -> SpecId {
        self.spec
    }

    /// The same compiler cutting contracts into chunks of at most about
    /// `limits` (tests use tiny chunks to exercise every chunk boundary).
    pub fn with_chunk_limits(mut self, limits: ChunkLimits) -> Self {
        self.chunk_limits = limits;
        self
    }

    /// How large the chunks of a contract grow.
    pub(crate) fn chunk_limits(&self) -> ChunkLimits {
        self.chunk_limits
    }

    /// The code generator's targets.
    pub(crate) fn isas(&self) -> &Isas {
        &self.isas
    }

    /// Compiles `code`.
    pub fn compile(&self, code: &[u8]) -> Result<CompiledContract, CompileError> {
        self.compile_with(code, ArtifactRequest::default())
            .map(|(c, _)| c)
    }

    /// Compiles `code`, keeping the requested artifacts.
    pub fn compile_with(
        &self,
        code: &[u8],
        request: ArtifactRequest,
    ) -> Result<(CompiledContract, Artifacts), CompileError> {
        let analysis = Analysis::new(code, self.spec);
        let builder = JITBuilder::with_isa(self.isas.optimising.clone(), default_libcall_names());
        let mut module = JITModule::new(builder);
        let (func_id, artifacts) = define_contract(
            &mut module,
            &self.isas,
            self.chunk_limits,
            &analysis,
            "evm_contract",
            Linkage::Export,
            request,
        )?;
        module.finalize_definitions()?;
        let raw = module.get_finalized_function(func_id);
        // SAFETY: the function was built with exactly `EntryFn`'s signature.
        let entry: EntryFn = unsafe { std::mem::transmute::<*const u8, EntryFn>(raw) };
        Ok((
            CompiledContract {
                entry,
                module: Mutex::new(Some(module)),
                spec: self.spec,
                code_len: code.len(),
            },
            artifacts,
        ))
    }
}

/// Declares `name` with the contract signature in `module` and defines it
/// as the lowering of `analysis`: the one code path of JIT and AOT.
///
/// The contract becomes an entry function of that name (the platform's
/// calling convention, `(ctx, stack) -> exit code`) calling the function of
/// the chunk holding block 0; chunks (see [`crate::passes::chunks`]) are
/// local functions that tail-call each other. The chunks are compiled in
/// parallel (code generation is the expensive part), then defined in order.
pub(crate) fn define_contract<M: Module>(
    module: &mut M,
    isas: &Isas,
    limits: ChunkLimits,
    analysis: &Analysis<'_>,
    name: &str,
    linkage: Linkage,
    request: ArtifactRequest,
) -> Result<(FuncId, Artifacts), CompileError> {
    let ptr = module.target_config().pointer_type();
    let call_conv = module.target_config().default_call_conv;
    let mut sig: Signature = module.make_signature();
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(ptr));
    sig.returns.push(AbiParam::new(types::I32));
    let func_id = module.declare_function(name, linkage, &sig)?;

    let plan = Plan::with_limits(analysis, limits);
    let chunk_sig = chunk_signature(ptr);
    let mut chunk_ids: Vec<FuncId> = Vec::with_capacity(plan.chunks.chunks.len());
    for i in 0..plan.chunks.chunks.len() {
        chunk_ids.push(module.declare_function(
            &format!("{name}$chunk{i}"),
            Linkage::Local,
            &chunk_sig,
        )?);
    }
    // Computed jumps look their target up in the dispatch table.
    let table = match DispatchTable::new(&plan) {
        Some(t) => {
            let id = module.declare_anonymous_data(false, false)?;
            let mut data = cranelift_module::DataDescription::new();
            data.set_align(t.layout.element_bytes());
            data.define(t.bytes.into_boxed_slice());
            module.define_data(id, &data)?;
            Some((id, t.layout))
        }
        None => None,
    };

    // The functions: every chunk, then the entry. Their IR
    // is built in order on this thread (it needs the module) and compiled
    // on worker threads as it comes, so that only a few functions' IR and
    // code generator state are in memory at once (a contract of many
    // chunks held all of them, over 100 MiB for the largest).
    let functions = chunk_ids.len() + 1;
    let mut fb_ctx = FunctionBuilderContext::new();
    let mut clif = Vec::new();
    let mut build = |module: &mut M, i: usize| -> Job {
        let mut ctx = module.make_context();
        let job = if i < chunk_ids.len() {
            let id = chunk_ids[i];
            ctx.func.signature = chunk_sig.clone();
            ctx.func.name = UserFuncName::user(0, id.as_u32());
            {
                let mut b = FunctionBuilder::new(&mut ctx.func, &mut fb_ctx);
                let shim_sigs = Shim::ALL
                    .iter()
                    .map(|s| b.import_signature(s.kind().signature(call_conv, ptr)))
                    .collect();
                let refs = chunk_ids
                    .iter()
                    .map(|&c| module.declare_func_in_func(c, b.func))
                    .collect();
                let dispatch = table.map(|(id, layout)| TableRef {
                    data: module.declare_data_in_func(id, b.func),
                    layout,
                });
                Lowering::new(b, &plan, i, refs, dispatch, shim_sigs)
                    .lower_all(module.target_config());
            }
            let insts = ctx.func.dfg.num_insts();
            let quick = (!plan.chunk_on_cycle(i) && insts > QUICK_STRAIGHT_ABOVE_INSTS)
                || insts > QUICK_ABOVE_INSTS;
            let pinned = quick || insts > limits.pin_above_insts;
            if !pinned {
                unpin(&mut ctx.func);
            }
            Job {
                id,
                ctx,
                quick,
                pinned,
            }
        } else {
            ctx.func.signature = sig.clone();
            ctx.func.name = UserFuncName::user(0, func_id.as_u32());
            emit_entry(module, &mut ctx, &mut fb_ctx, &plan, &chunk_ids);
            // The entry sets the pinned register for the chunks.
            Job {
                id: func_id,
                ctx,
                quick: false,
                pinned: true,
            }
        };
        if request.clif {
            clif.push(job.ctx.func.display().to_string());
        }
        job
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let compiled: Vec<Compiled> = if chunk_ids.len() < 2 || threads < 2 {
        (0..functions)
            .map(|i| compile_job(isas, build(module, i), request.asm))
            .collect::<Result<_, _>>()?
    } else {
        compile_pipelined(isas, threads, functions, request.asm, |i| build(module, i))?
    };

    let mut artifacts = Artifacts::default();
    if request.clif {
        artifacts.clif = Some(clif.join("\n"));
    }
    let mut asm = String::new();
    let mut code = Vec::new();
    for c in compiled {
        module
            .define_function_bytes(c.id, c.alignment, &c.bytes, &c.relocs)
            .map_err(|e| CompileError::Codegen(format!("{e:?}")))?;
        if let Some(text) = c.asm {
            asm.push_str(&text);
            code.extend_from_slice(&c.bytes);
        }
    }
    if request.asm {
        artifacts.asm = Some(asm);
        artifacts.code = Some(code);
    }
    Ok((func_id, artifacts))
}

/// Builds the contract's entry function in `ctx`: gas from the context,
/// height 0, a call into block 0's chunk.
fn emit_entry<M: Module>(
    module: &mut M,
    ctx: &mut cranelift_codegen::Context,
    fb_ctx: &mut FunctionBuilderContext,
    plan: &Plan<'_, '_>,
    chunk_ids: &[FuncId],
) {
    let mut b = FunctionBuilder::new(&mut ctx.func, fb_ctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    let (c, s) = (b.block_params(block)[0], b.block_params(block)[1]);
    let gas = b.ins().load(
        types::I64,
        cranelift_codegen::ir::MemFlagsData::trusted(),
        c,
        crate::context::offsets::GAS,
    );
    let zero = b.ins().iconst(types::I64, 0);
    let (first, which) = match plan.chunks.of_block.first().copied().flatten() {
        Some(chunk) => (
            chunk,
            plan.chunks.entry_index(0).expect("block 0 is an entry") as i64,
        ),
        None => (0, 0),
    };
    let which = b.ins().iconst(types::I32, which);
    let rc = if chunk_ids.is_empty() {
        b.ins()
            .iconst(types::I32, crate::context::exit::STOP as i64)
    } else {
        // The stack base lives in the pinned register while native code
        // runs (see `host_isa`); the caller's value of it is restored
        // before returning, as its calling convention needs.
        let saved = b.ins().get_pinned_reg(types::I64);
        b.ins().set_pinned_reg(s);
        let f = module.declare_func_in_func(chunk_ids[first], b.func);
        let call = b.ins().call(f, &[c, s, gas, zero, which]);
        let rc = b.inst_results(call)[0];
        b.ins().set_pinned_reg(saved);
        rc
    };
    b.ins().return_(&[rc]);
    b.finalize(module.target_config());
}

/// One compiled function: machine code, alignment, relocations and, if
/// requested, its disassembly.
struct Compiled {
    id: FuncId,
    alignment: u64,
    bytes: Vec<u8>,
    relocs: Vec<cranelift_module::ModuleReloc>,
    asm: Option<String>,
}

/// One function to compile.
struct Job {
    id: FuncId,
    ctx: cranelift_codegen::Context,
    /// Compile with [`Isas::quick`].
    quick: bool,
    /// Compile with the stack base in the pinned register
    /// ([`Isas::pinned`], or [`Isas::quick`] which always pins it).
    pinned: bool,
}

/// Turns every read of the pinned register in a chunk function into its
/// stack-base parameter, for a function compiled without a pinned
/// register (the lowering reads the base from the pinned register; the
/// optimiser folds the `iadd_imm x, 0` left here away).
fn unpin(func: &mut cranelift_codegen::ir::Function) {
    use cranelift_codegen::ir::Opcode;
    let Some(entry) = func.layout.entry_block() else {
        return;
    };
    let stack = func.dfg.block_params(entry)[1];
    let reads: Vec<_> = func
        .layout
        .blocks()
        .flat_map(|b| func.layout.block_insts(b))
        .filter(|&i| func.dfg.insts[i].opcode() == Opcode::GetPinnedReg)
        .collect();
    for inst in reads {
        func.replace(inst).iadd_imm_s(stack, 0);
    }
}

/// Above this many IR instructions a chunk function is compiled with
/// [`Isas::quick`] even if it has a loop: the backtracking register
/// allocator's time grows faster than the function (a 43,000-instruction
/// chunk took 300 ms, a 25,000-instruction one 70 ms).
pub(crate) const QUICK_ABOVE_INSTS: usize = 32_000;

/// Above this many IR instructions a chunk function no block of which can
/// run twice in a frame is compiled with [`Isas::quick`]; below, with the
/// backtracking allocator like code on a cycle. Code that runs once per
/// frame still runs in every frame of a contract called over and over,
/// and the single-pass allocator spills nearly every value: a deep call
/// chain's 490-instruction function ran twice the instructions and kept a
/// 560-byte native frame per call depth (320 bytes after). For a function
/// this small the backtracking allocator costs a fraction of a
/// millisecond more.
const QUICK_STRAIGHT_ABOVE_INSTS: usize = 2_000;

/// Compiles one function and drops its IR and code generator state.
fn compile_job(isas: &Isas, job: Job, asm: bool) -> Result<Compiled, CompileError> {
    let Job {
        id,
        mut ctx,
        quick,
        pinned,
    } = job;
    ctx.set_disasm(asm);
    let mut plane = cranelift_codegen::control::ControlPlane::default();
    let isa = if quick {
        &isas.quick
    } else if pinned {
        &isas.pinned
    } else {
        &isas.optimising
    };
    ctx.compile(&**isa, &mut plane)
        .map_err(|e| CompileError::Codegen(format!("{:?}", e.inner)))?;
    let res = ctx.compiled_code().expect("compiled just now");
    Ok(Compiled {
        id,
        alignment: res.buffer.alignment as u64,
        bytes: res.code_buffer().to_vec(),
        relocs: res
            .buffer
            .relocs()
            .iter()
            .map(|r| cranelift_module::ModuleReloc::from_mach_reloc(r, &ctx.func, id))
            .collect(),
        asm: asm.then(|| res.vcode.clone().unwrap_or_default()),
    })
}

/// Compiles the `functions` jobs `build` makes (in order, on this thread)
/// on `threads` worker threads, handing each job over as soon as a worker
/// is free: building overlaps compiling, and at most one job waits built.
/// Returns the results in job order.
fn compile_pipelined(
    isas: &Isas,
    threads: usize,
    functions: usize,
    asm: bool,
    mut build: impl FnMut(usize) -> Job,
) -> Result<Vec<Compiled>, CompileError> {
    use std::sync::{mpsc, Arc};
    type Done = (usize, Result<Compiled, CompileError>);
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Job)>(0);
        // Only the workers hold the receiver: if they all die, sending fails
        // instead of blocking.
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let mut workers = Vec::new();
        for _ in 0..threads.min(functions) {
            let (rx, tx) = (Arc::clone(&job_rx), done_tx.clone());
            workers.push(scope.spawn(move || loop {
                let next = match rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((i, job)) = next else { return };
                if tx.send((i, compile_job(isas, job, asm))).is_err() {
                    return;
                }
            }));
        }
        drop((job_rx, done_tx));
        for i in 0..functions {
            if job_tx.send((i, build(i))).is_err() {
                break;
            }
        }
        drop(job_tx);
        let mut out: Vec<Option<Compiled>> = (0..functions).map(|_| None).collect();
        for (i, result) in done_rx {
            out[i] = Some(result?);
        }
        // Joined here, a worker's panic is an error rather than a panic.
        let panicked = workers.into_iter().any(|w| w.join().is_err());
        if panicked {
            return Err(CompileError::Codegen("the code generator panicked".into()));
        }
        out.into_iter()
            .map(|c| c.ok_or_else(|| CompileError::Codegen("the code generator panicked".into())))
            .collect()
    })
}

/// The two code generators a contract's functions are compiled with. Both
/// run Cranelift's optimiser; they differ in the register allocator.
pub(crate) struct Isas {
    /// Backtracking register allocation: for code that can run many times
    /// in a frame (functions with a loop).
    pub optimising: OwnedTargetIsa,
    /// Backtracking allocation with the EVM stack's base in the pinned
    /// register: for large functions (see [`ChunkLimits::pin_above_insts`]).
    pub pinned: OwnedTargetIsa,
    /// Single-pass register allocation, several times faster to compile
    /// and slower to run: for large functions each instruction of which
    /// runs at most once per frame (no loop), where compile time is what
    /// counts (see [`QUICK_STRAIGHT_ABOVE_INSTS`]).
    pub quick: OwnedTargetIsa,
}

impl Isas {
    /// The host's targets, emitting position-independent code if `pic`.
    fn host(pic: bool) -> Result<Self, CompileError> {
        Ok(Isas {
            optimising: host_isa(pic, "backtracking", false)?,
            pinned: host_isa(pic, "backtracking", true)?,
            quick: host_isa(pic, "single_pass", true)?,
        })
    }
}

/// The optimising Cranelift target for the host, emitting
/// position-independent code if `pic`, with the register allocator
/// `regalloc`. The IR verifier runs in debug builds of this crate only.
fn host_isa(pic: bool, regalloc: &str, pinned: bool) -> Result<OwnedTargetIsa, CompileError> {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed")?;
    flags.set("use_colocated_libcalls", "false")?;
    // Chunks tail-call each other; Cranelift's tail calls need frame
    // pointers (which also let profilers walk through compiled code).
    flags.set("preserve_frame_pointers", "true")?;
    flags.set("is_pic", if pic { "true" } else { "false" })?;
    // Frames of large functions may exceed a page: probe them so they cannot
    // skip a guard page.
    flags.set("enable_probestack", "true")?;
    flags.set("probestack_strategy", "inline")?;
    flags.set(
        "enable_verifier",
        if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        },
    )?;
    flags.set("regalloc_algorithm", regalloc)?;
    // The EVM stack's base address is in every stack access of every
    // block; as an ordinary value it is live across the whole function and
    // every runtime call, and in large functions the allocator spills it
    // and reloads it before each use. Pinned (r15 on x64), it costs no
    // reloads. The entry function sets it (and restores the caller's);
    // functions compiled without a pinned register save and restore r15
    // like any callee-saved register, so the base survives them.
    flags.set("enable_pinned_reg", if pinned { "true" } else { "false" })?;
    let isa_builder =
        cranelift_native::builder().map_err(|e| CompileError::UnsupportedHost(e.to_string()))?;
    isa_builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| CompileError::Codegen(e.to_string()))
}
