//! From bytecode to a callable native function.
//!
//! Each contract gets its own `JITModule`: the module owns the code memory,
//! and [`CompiledContract`] frees it when dropped. The target ISA is built
//! once per [`Compiler`] and shared by its modules.

use crate::analysis::Analysis;
use crate::context::EntryFn;
use crate::lower::Lowering;
use crate::passes::plan::Plan;
use crate::shims::Shim;
use cevm_runtime::SpecId;
use cranelift_codegen::ir::{types, AbiParam, Signature, UserFuncName};
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

/// Functions with more blocks than this are compiled without Cranelift's
/// e-graph optimisations, whose cost grows quadratically with the depth of
/// the dominator tree (long chains of JUMPDEST blocks): compile time stays
/// roughly linear in code size for adversarial code.
pub const OPTIMIZE_MAX_BLOCKS: usize = 2048;

/// Compiles bytecode for one fork.
pub struct Compiler {
    spec: SpecId,
    /// Optimising target, for ordinary functions.
    isa: OwnedTargetIsa,
    /// Non-optimising target, for functions above [`OPTIMIZE_MAX_BLOCKS`].
    isa_fast: OwnedTargetIsa,
}

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("spec", &self.spec)
            .field("isa", &self.isa.name())
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
            isa: host_isa("speed", true)?,
            isa_fast: host_isa("none", true)?,
        })
    }

    /// A compiler for `spec` targeting the host machine.
    pub fn new(spec: SpecId) -> Result<Self, CompileError> {
        Ok(Compiler {
            spec,
            isa: host_isa("speed", false)?,
            isa_fast: host_isa("none", false)?,
        })
    }

    /// The fork this compiler targets.
    pub fn spec(&self) -> SpecId {
        self.spec
    }

    /// The target for `analysis`: optimising unless the function is huge.
    pub(crate) fn isa_for(&self, analysis: &Analysis<'_>) -> &OwnedTargetIsa {
        if analysis.blocks.len() > OPTIMIZE_MAX_BLOCKS || analysis.instructions.len() > 8192 {
            &self.isa_fast
        } else {
            &self.isa
        }
    }

    /// The optimising target (for data-only objects).
    pub(crate) fn isa_for_data(&self) -> &OwnedTargetIsa {
        &self.isa
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
        let isa = self.isa_for(&analysis);
        let builder = JITBuilder::with_isa(isa.clone(), default_libcall_names());
        let mut module = JITModule::new(builder);
        let (func_id, artifacts) = define_contract(
            &mut module,
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
pub(crate) fn define_contract<M: Module>(
    module: &mut M,
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

    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, func_id.as_u32());
    let mut fb_ctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fb_ctx);
        let shim_sigs = Shim::ALL
            .iter()
            .map(|s| b.import_signature(s.kind().signature(call_conv, ptr)))
            .collect();
        let plan = Plan::new(analysis);
        Lowering::new(b, &plan, shim_sigs).lower_all(module.target_config());
    }
    let mut artifacts = Artifacts::default();
    if request.clif {
        artifacts.clif = Some(ctx.func.display().to_string());
    }
    ctx.set_disasm(request.asm);
    module
        .define_function(func_id, &mut ctx)
        .map_err(|e| CompileError::Codegen(format!("{e:?}")))?;
    if request.asm {
        if let Some(compiled) = ctx.compiled_code() {
            artifacts.asm = compiled.vcode.clone();
            artifacts.code = Some(compiled.code_buffer().to_vec());
        }
    }
    module.clear_context(&mut ctx);
    Ok((func_id, artifacts))
}

/// A Cranelift target for the host with the given `opt_level`, emitting
/// position-independent code if `pic`. The IR verifier runs in debug builds
/// of this crate only.
fn host_isa(opt_level: &str, pic: bool) -> Result<OwnedTargetIsa, CompileError> {
    let mut flags = settings::builder();
    flags.set("opt_level", opt_level)?;
    // The non-optimising target serves huge functions, where the
    // backtracking register allocator's cost grows much faster than the
    // code: the single-pass allocator keeps their compile time linear.
    if opt_level == "none" {
        flags.set("regalloc_algorithm", "single_pass")?;
    }
    flags.set("use_colocated_libcalls", "false")?;
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
    let isa_builder =
        cranelift_native::builder().map_err(|e| CompileError::UnsupportedHost(e.to_string()))?;
    isa_builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| CompileError::Codegen(e.to_string()))
}
