//! [`JitExecutor`]: the compiled-code backend behind `cevm_runtime::Executor`.

use crate::cache::{BoundedCache, DEFAULT_CACHE_ENTRIES};
use crate::compile::{CompileError, CompiledContract, Compiler};
use crate::context::{status_of, EntryFn, JitContext};
use crate::passes::chunks::ChunkLimits;
use cevm_runtime::{
    Bytecode, Executor, Frame, FrameResult, HaltReason, Host, Message, SpecId, Stack, Status, B256,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Runs frames as native code, compiling each code on first use and caching
/// it by (code hash, fork) in a least-recently-used cache of bounded size
/// ([`DEFAULT_CACHE_ENTRIES`] unless set with [`JitExecutor::with_capacity`]).
///
/// The cache lock is held only for look-ups and insertions, never while code
/// runs, so nested frames (which re-enter `execute`) and other threads can
/// use the same executor. Each thread also remembers the contract its last
/// frame ran (per executor), so a frame running the same code as the one
/// before it (a call chain, a loop of calls into one contract) takes
/// neither the lock nor a cache look-up.
///
/// Should code ever fail to compile (a compiler bug: every input is meant to
/// compile), the frame runs on the fallback executor if one was set with
/// [`JitExecutor::with_fallback`], and halts otherwise; either way the error
/// is recorded in [`JitExecutor::failures`].
pub struct JitExecutor {
    /// Tells this executor's entries of the per-thread memo from others'.
    id: u64,
    compilers: Mutex<HashMap<SpecId, Arc<Compiler>>>,
    cache: Mutex<BoundedCache<(B256, SpecId), Arc<CompiledContract>>>,
    failures: Mutex<Vec<String>>,
    fallback: Option<Box<dyn Executor + Send + Sync>>,
    chunk_limits: ChunkLimits,
}

impl std::fmt::Debug for JitExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitExecutor")
            .field("cached", &self.cached_count())
            .finish()
    }
}

impl Default for JitExecutor {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CACHE_ENTRIES)
    }
}

impl JitExecutor {
    /// An executor with an empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// An executor whose cache keeps at most `entries` compiled contracts.
    pub fn with_capacity(entries: usize) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        JitExecutor {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            compilers: Mutex::default(),
            cache: Mutex::new(BoundedCache::new(entries)),
            failures: Mutex::default(),
            fallback: None,
            chunk_limits: ChunkLimits::default(),
        }
    }

    /// The same executor compiling with chunks of at most about `limits`
    /// (tests use tiny chunks so that every edge crosses a chunk boundary).
    pub fn with_chunk_limits(mut self, limits: ChunkLimits) -> Self {
        self.chunk_limits = limits;
        self
    }

    /// An executor that runs code it fails to compile on `fallback` (for
    /// instance the reference interpreter).
    pub fn with_fallback(fallback: Box<dyn Executor + Send + Sync>) -> Self {
        JitExecutor {
            fallback: Some(fallback),
            ..Self::default()
        }
    }

    /// Number of compiled contracts in the cache.
    pub fn cached_count(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Compilation errors met so far (each made its frame halt).
    pub fn failures(&self) -> Vec<String> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }

    fn compiler(&self, spec: SpecId) -> Result<Arc<Compiler>, CompileError> {
        let mut compilers = self.compilers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = compilers.get(&spec) {
            return Ok(c.clone());
        }
        let c = Arc::new(Compiler::new(spec)?.with_chunk_limits(self.chunk_limits));
        compilers.insert(spec, c.clone());
        Ok(c)
    }

    /// The compiled form of `code` for `spec`, compiling it if needed.
    pub fn compiled(
        &self,
        code: &Bytecode,
        spec: SpecId,
    ) -> Result<Arc<CompiledContract>, CompileError> {
        Ok(self.last_run(code, spec)?.contract.clone())
    }

    /// The thread's memo of the last contract run, made to hold `code`'s
    /// compiled form for `spec` (compiling it if needed). A frame running
    /// the code the thread's last frame ran costs one non-atomic count:
    /// cloning and dropping the `Arc` instead took two locked
    /// instructions per frame, which wait for the store buffer to drain
    /// (8 % of a 1,000-frame call chain's time).
    fn last_run(&self, code: &Bytecode, spec: SpecId) -> Result<Rc<LastRun>, CompileError> {
        let key = (code.hash, spec);
        let remembered = LAST_RUN.with(|last| match &*last.borrow() {
            Some(last) if last.executor == self.id && last.key == key => Some(last.clone()),
            _ => None,
        });
        if let Some(run) = remembered {
            return Ok(run);
        }
        let run = Rc::new(LastRun {
            executor: self.id,
            key,
            contract: self.cached_or_compiled(code, spec)?,
        });
        LAST_RUN.with(|last| *last.borrow_mut() = Some(run.clone()));
        Ok(run)
    }

    fn cached_or_compiled(
        &self,
        code: &Bytecode,
        spec: SpecId,
    ) -> Result<Arc<CompiledContract>, CompileError> {
        let key = (code.hash, spec);
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(c.clone());
        }
        // Compile without holding the lock; a racing thread may compile the
        // same code too, and the first insertion wins. A panic inside the code
        // generator (a bug) becomes an error rather than unwinding into the
        // caller, which may be native code of an enclosing frame.
        let compiler = self.compiler(spec)?;
        let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compiler.compile(&code.bytes)
        }))
        .map_err(|_| CompileError::Codegen("the code generator panicked".into()))??;
        let compiled = Arc::new(compiled);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        Ok(cache.insert(key, compiled))
    }
}

/// The contract the last frame on a thread ran, and whose executor looked
/// it up. Holding it keeps an evicted contract alive until the thread runs
/// another one (the cache's bound is on what it holds, this is one more);
/// a running frame holds its own count of the memo, so a nested frame that
/// replaces the memo does not free the code its caller runs.
struct LastRun {
    executor: u64,
    key: (B256, SpecId),
    contract: Arc<CompiledContract>,
}

thread_local! {
    static LAST_RUN: RefCell<Option<Rc<LastRun>>> = const { RefCell::new(None) };
}

/// Runs `contract` as the frame for `msg`.
pub fn run_compiled(
    contract: &CompiledContract,
    code: &Bytecode,
    msg: &Message,
    host: &mut dyn Host,
) -> FrameResult {
    // SAFETY: the contract (and so its code) outlives the call.
    unsafe { run_entry(contract.entry(), contract.spec(), code, msg, host) }
}

/// Runs the native function `entry`, compiled from `code` for `spec`, as
/// the frame for `msg`.
///
/// # Safety
/// `entry` must be a function produced by this crate's lowering of `code`
/// for `spec` with the current [`crate::aot::AOT_ABI_VERSION`], and its code
/// must stay mapped for the duration of the call.
pub unsafe fn run_entry(
    entry: EntryFn,
    spec: SpecId,
    code: &Bytecode,
    msg: &Message,
    host: &mut dyn Host,
) -> FrameResult {
    let mut frame = Frame::new(msg, code, spec);
    let mut stack = Stack::new();
    let stack_ptr = stack.as_mut_ptr();
    let (code_rc, gas_left, output) = {
        let mut ctx = JitContext::new(&mut frame, host, stack_ptr);
        // SAFETY: the context and the stack outlive the call; the function
        // was compiled with the `EntryFn` signature and never unwinds.
        let rc = unsafe { entry(&mut ctx, stack_ptr) };
        let rc = ctx.finish_memory(rc);
        let output = std::mem::take(&mut ctx.output);
        (rc, ctx.gas_left(), output)
    };
    // The frame is over: its stack is dropped unread.
    drop(stack);
    frame.gas.remaining = gas_left;
    match status_of(code_rc) {
        Some(status @ Status::Success(_)) => FrameResult {
            status,
            gas_left,
            refund: frame.gas.refunded,
            output,
        },
        Some(Status::Revert) => FrameResult {
            status: Status::Revert,
            gas_left,
            refund: 0,
            output,
        },
        Some(Status::Halt(reason)) => FrameResult::halt(reason),
        // No native function returns anything else; treat it as a failed frame.
        None => FrameResult::halt(HaltReason::OutOfGas),
    }
}

impl Executor for JitExecutor {
    fn execute(&self, code: &Bytecode, msg: &Message, host: &mut dyn Host) -> FrameResult {
        let spec = host.env().spec;
        match self.last_run(code, spec) {
            Ok(run) => run_compiled(&run.contract, code, msg, host),
            Err(e) => self.compile_failed(e, code, msg, host),
        }
    }
}

impl JitExecutor {
    /// Records that `code` failed to compile and runs the frame on the
    /// fallback executor, or halts it. Out of line: nested frames recurse
    /// through [`Executor::execute`], whose native frame a deep call
    /// chain holds once per depth.
    #[cold]
    #[inline(never)]
    fn compile_failed(
        &self,
        error: CompileError,
        code: &Bytecode,
        msg: &Message,
        host: &mut dyn Host,
    ) -> FrameResult {
        if let Ok(mut f) = self.failures.lock() {
            f.push(format!("{}: {error}", code.hash));
        }
        match &self.fallback {
            Some(fallback) => fallback.execute(code, msg, host),
            None => FrameResult::halt(HaltReason::OutOfGas),
        }
    }
}
