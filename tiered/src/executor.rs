//! [`TieredExecutor`]: interpret first, compile hot code in the background,
//! run it natively once it is ready.

use crate::config::TieredConfig;
use crate::disk::{DiskCache, EntryError, LoadedEntry};
use crate::frames;
use crate::native::{jit_bytes_estimate, NativeCode};
use crate::pool::{on_worker_thread, Job, JobKind, Pool, Submitted};
use crate::stats::{bump, Counters, TieredStats};
use crate::table::{CodeEntry, CodeTable, Key, Tier};
use crate::{CodeStatus, TieredError};
use cevm_compiler::{AotError, Compiler};
use cevm_interp::Interpreter;
use cevm_runtime::{Bytecode, Executor, FrameResult, Host, Message, SpecId, B256};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Failure messages kept (the most recent ones).
const FAILURES_KEPT: usize = 256;

/// A runtime [`Executor`] with two tiers: the reference interpreter and
/// native code.
///
/// Per (code hash, fork) it counts the gas the code's own interpreted
/// frames burn. Past [`TieredConfig::threshold_gas`] the code is queued
/// for a background compiler thread and keeps being interpreted; frames
/// that start after its native code is ready (later frames of the same
/// transaction included) run natively. The thread executing frames never
/// compiles and never waits for a compiler: it takes a short lock to look
/// the code up, and another to queue it.
///
/// With a persistent cache ([`TieredConfig::cache`]) hot code is compiled
/// into a library in the cache directory and loaded from there. A code the
/// directory already had at start-up is loaded the first time it runs,
/// without waiting for the threshold: on the executing thread (a load is a
/// file read and a `dlopen`, not a compilation) unless
/// [`TieredConfig::background_cache_loads`] is set.
///
/// A compilation that fails, or a code over [`TieredConfig::max_code_bytes`]
/// or the memory budget, leaves the code on the interpreter and is
/// recorded in [`TieredExecutor::failures`]. Clones share everything
/// (threads, counters, compiled code); the threads stop when the last
/// clone is dropped, after the compilations they are running (queued ones
/// are dropped: see [`TieredExecutor::wait_idle`]).
#[derive(Clone)]
pub struct TieredExecutor {
    core: Arc<Core>,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for TieredExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TieredExecutor")
            .field("config", &self.core.config)
            .field("stats", &self.stats())
            .finish()
    }
}

/// What the executing threads and the compiler threads share.
struct Core {
    config: TieredConfig,
    table: CodeTable,
    interpreter: Interpreter,
    disk: Option<DiskCache>,
    compilers: Mutex<FxHashMap<SpecId, Arc<Compiler>>>,
    counters: Counters,
    failures: Mutex<VecDeque<String>>,
}

impl TieredExecutor {
    /// An executor with `config`: checks it, opens the cache directory (if
    /// any) and starts the compiler threads.
    pub fn new(config: TieredConfig) -> Result<Self, TieredError> {
        config.validate()?;
        let disk = match &config.cache {
            Some(cache) => Some(DiskCache::open(&cache.dir, cache.max_bytes)?),
            None => None,
        };
        let core = Arc::new(Core {
            table: CodeTable::new(
                config.max_tracked_codes,
                config.max_compiled_entries,
                config.max_compiled_bytes,
            ),
            interpreter: Interpreter::new(),
            disk,
            compilers: Mutex::default(),
            counters: Counters::default(),
            failures: Mutex::default(),
            config,
        });
        let worker_core = core.clone();
        let pool = Pool::start(
            core.config.workers,
            core.config.queue_capacity,
            core.config.worker_nice,
            Arc::new(move |job| worker_core.run_job(job)),
        )
        .map_err(TieredError::Spawn)?;
        Ok(TieredExecutor {
            core,
            pool: Arc::new(pool),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TieredConfig {
        &self.core.config
    }

    /// The persistent cache, if configured.
    pub fn cache(&self) -> Option<&DiskCache> {
        self.core.disk.as_ref()
    }

    /// Counts so far.
    pub fn stats(&self) -> TieredStats {
        self.core.counters.snapshot()
    }

    /// Why codes stayed on the interpreter, and cache entries that were
    /// ignored (the most recent `FAILURES_KEPT`).
    pub fn failures(&self) -> Vec<String> {
        let failures = self.core.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.iter().cloned().collect()
    }

    /// What the executor knows of `code_hash` under `spec` (`None` if it
    /// has not seen it, or forgot it to stay within its bounds).
    pub fn code_status(&self, code_hash: B256, spec: SpecId) -> Option<CodeStatus> {
        let entry = self.core.table.get(&(code_hash, spec))?;
        Some(CodeStatus {
            tier: entry.tier(),
            interpreted_gas: entry.gas(),
        })
    }

    /// Compilations and loads queued or running.
    pub fn pending(&self) -> usize {
        self.pool.pending()
    }

    /// Blocks until every queued compilation and load has finished: for a
    /// clean shutdown that keeps the work in the persistent cache, and for
    /// tests. Never called on the execution path.
    pub fn wait_idle(&self) {
        self.pool.wait_idle();
    }

    /// Loads the cache's entry for a code seen for the first time, on the
    /// executing thread: a file read, a checksum and a `dlopen`, about
    /// 0.1 ms for a small contract and 1 ms for a large one, never a
    /// compilation. An unusable entry is queued for rebuilding.
    fn load_inline(&self, entry: &Arc<CodeEntry>, code: &Bytecode) {
        let core = &self.core;
        let Some(disk) = &core.disk else { return };
        match core.timed_load(disk, &entry.key) {
            Ok(Some(loaded)) => {
                if entry.transition(Tier::Counting, Tier::Queued) {
                    bump(&core.counters.cache_loads);
                    core.publish_loaded(entry, loaded);
                }
            }
            Ok(None) => {}
            Err(e) => {
                bump(&core.counters.cache_rejected);
                core.report(e.to_string());
                self.queue(entry, code, JobKind::Rebuild);
            }
        }
    }

    /// Queues `entry` for `kind` unless it is queued, native or failed.
    fn queue(&self, entry: &Arc<CodeEntry>, code: &Bytecode, kind: JobKind) {
        if !entry.transition(Tier::Counting, Tier::Queued) {
            return;
        }
        let core = &self.core;
        if kind != JobKind::Load && code.bytes.len() > core.config.max_code_bytes {
            entry.set_tier(Tier::Failed);
            bump(&core.counters.compile_failures);
            core.report(format!(
                "{} ({} bytes): not compiled: longer than the {}-byte compile budget",
                code.hash,
                code.bytes.len(),
                core.config.max_code_bytes
            ));
            return;
        }
        bump(&core.counters.queued);
        let job = Job {
            kind,
            entry: entry.clone(),
            code: code.bytes.clone(),
        };
        match self.pool.submit(job) {
            Submitted::Queued => {}
            Submitted::Displaced | Submitted::Full => bump(&core.counters.queue_full),
        }
    }
}

impl Executor for TieredExecutor {
    fn execute(&self, code: &Bytecode, msg: &Message, host: &mut dyn Host) -> FrameResult {
        let core = &self.core;
        let spec = host.env().spec;
        let key: Key = (code.hash, spec);
        let (entry, first_sight) = core.table.entry(key);
        if first_sight && core.disk.as_ref().is_some_and(|d| d.contains(&key)) {
            if core.config.background_cache_loads {
                self.queue(&entry, code, JobKind::Load);
            } else {
                self.load_inline(&entry, code);
            }
        }
        frames::enter(msg.depth);
        if let Some(native) = entry.native() {
            core.table.touch(&entry);
            bump(&core.counters.native_frames);
            if frames::was_interpreted(&key) {
                bump(&core.counters.mid_transaction_switches);
            }
            let result = native.run(spec, code, msg, host);
            frames::leave(msg.gas_limit.saturating_sub(result.gas_left));
            return result;
        }
        let result = core.interpreter.execute(code, msg, host);
        let own_gas = frames::leave(msg.gas_limit.saturating_sub(result.gas_left));
        frames::note_interpreted(key);
        bump(&core.counters.interpreted_frames);
        let total = entry.add_gas(own_gas);
        if entry.due(total, core.config.threshold_gas) {
            self.queue(&entry, code, JobKind::Compile);
        }
        result
    }
}

impl Core {
    fn report(&self, message: String) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() == FAILURES_KEPT {
            failures.pop_front();
        }
        failures.push_back(message);
    }

    fn fail(&self, entry: &CodeEntry, message: String) {
        entry.set_tier(Tier::Failed);
        bump(&self.counters.compile_failures);
        self.report(message);
    }

    /// Loads `key`'s cache entry, counting the time in `cache_load_ns`.
    fn timed_load(&self, disk: &DiskCache, key: &Key) -> Result<Option<LoadedEntry>, EntryError> {
        let started = Instant::now();
        let loaded = disk.load(key);
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.counters.cache_load_ns.fetch_add(ns, Ordering::Relaxed);
        loaded
    }

    /// Counts a compilation about to run and returns its start time.
    fn start_compile(&self) -> Instant {
        bump(&self.counters.compiles);
        if !on_worker_thread() {
            bump(&self.counters.compiles_blocking);
        }
        Instant::now()
    }

    fn end_compile(&self, started: Instant) {
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.counters.compile_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// A compiler thread's work on one job.
    fn run_job(&self, job: Job) {
        let Job { kind, entry, code } = job;
        let key = entry.key;
        if let Some(disk) = &self.disk {
            let mut rebuild = kind != JobKind::Load;
            let found = match kind {
                JobKind::Rebuild => Ok(None),
                JobKind::Load | JobKind::Compile => self.timed_load(disk, &key),
            };
            match found {
                Ok(Some(loaded)) => {
                    bump(&self.counters.cache_loads);
                    self.publish_loaded(&entry, loaded);
                    return;
                }
                // Listed at start-up, deleted since: the code earns its
                // compilation on the interpreter like any other.
                Ok(None) => {}
                Err(e) => {
                    bump(&self.counters.cache_rejected);
                    self.report(e.to_string());
                    rebuild = true;
                }
            }
            if !rebuild {
                entry.set_tier(Tier::Counting);
                return;
            }
            let started = self.start_compile();
            let stored = disk.store(&key, &code);
            self.end_compile(started);
            match stored {
                Ok(loaded) => {
                    bump(&self.counters.cache_stores);
                    self.publish_loaded(&entry, loaded);
                    return;
                }
                Err(EntryError::Build(AotError::Compile(e))) => {
                    // The JIT shares the code generator: it would fail too.
                    self.fail(&entry, format!("{}: compile error: {e}", key.0));
                    return;
                }
                // Linking or writing failed (no C compiler, a full or
                // read-only directory): still compile, in memory.
                Err(e) => self.report(format!(
                    "{}: not written to the cache ({e}); compiled in memory",
                    key.0
                )),
            }
        }
        self.compile_in_memory(&entry, &code);
    }

    fn compiler(&self, spec: SpecId) -> Result<Arc<Compiler>, String> {
        let mut compilers = self.compilers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = compilers.get(&spec) {
            return Ok(c.clone());
        }
        let c = Arc::new(Compiler::new(spec).map_err(|e| e.to_string())?);
        compilers.insert(spec, c.clone());
        Ok(c)
    }

    fn compile_in_memory(&self, entry: &Arc<CodeEntry>, code: &[u8]) {
        let (hash, spec) = entry.key;
        let compiler = match self.compiler(spec) {
            Ok(c) => c,
            Err(e) => return self.fail(entry, format!("{hash}: no compiler for {spec}: {e}")),
        };
        let started = self.start_compile();
        // A panic in the code generator (a bug) is a failed compilation.
        let compiled =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compiler.compile(code)));
        self.end_compile(started);
        match compiled {
            Ok(Ok(contract)) => {
                let bytes = jit_bytes_estimate(code.len());
                self.publish(entry, NativeCode::Jit(Box::new(contract)), bytes);
            }
            Ok(Err(e)) => self.fail(entry, format!("{hash}: compile error: {e}")),
            Err(_) => self.fail(entry, format!("{hash}: the code generator panicked")),
        }
    }

    fn publish_loaded(&self, entry: &Arc<CodeEntry>, loaded: LoadedEntry) {
        let native = NativeCode::Library {
            library: loaded.library,
            entry: loaded.entry,
        };
        self.publish(entry, native, loaded.bytes);
    }

    fn publish(&self, entry: &Arc<CodeEntry>, native: NativeCode, bytes: u64) {
        let published = self.table.publish(entry, native, bytes);
        if !published.accepted {
            self.fail(
                entry,
                format!(
                    "{}: compiled code of {bytes} bytes exceeds the {}-byte memory budget",
                    entry.key.0, self.config.max_compiled_bytes
                ),
            );
        }
        self.counters
            .evictions
            .fetch_add(published.evicted, Ordering::Relaxed);
    }
}

/// A [`TieredExecutor`] that waits, before every frame, until no
/// compilation is queued or running: each frame runs on the tier it would
/// get with infinitely fast compilers, so tier switches (inside
/// transactions too) happen at reproducible points.
///
/// For tests and differential fuzzing only: it breaks the tiered
/// executor's promise that frames never wait for a compiler.
#[derive(Clone, Debug)]
pub struct DeterministicTiers(pub TieredExecutor);

impl Executor for DeterministicTiers {
    fn execute(&self, code: &Bytecode, msg: &Message, host: &mut dyn Host) -> FrameResult {
        self.0.wait_idle();
        self.0.execute(code, msg, host)
    }
}
