//! Choosing the backend that runs code.

use anyhow::{bail, Context, Result};
use cevm_runtime::Executor;
use cevm_tiered::{CacheConfig, TieredConfig, TieredExecutor, TieredStats};
use std::path::PathBuf;

/// Which backend executes code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// The reference interpreter.
    Interp,
    /// Native code compiled just in time with Cranelift (cached by code hash and fork).
    Jit,
    /// The interpreter first; code that burnt `--threshold` gas is compiled
    /// in the background and runs natively once ready (kept in `--cache-dir`).
    Tiered,
}

impl Backend {
    /// A fresh executor of this kind; the tiered one is configured by `tiered`.
    pub fn executor(self, tiered: &TieredArgs) -> Result<Box<dyn Executor + Send + Sync>> {
        Ok(match self {
            Backend::Interp => Box::new(cevm_interp::Interpreter::new()),
            Backend::Jit => Box::new(cevm_compiler::JitExecutor::new()),
            Backend::Tiered => Box::new(tiered.executor()?),
        })
    }
}

/// The options of the tiered backend.
#[derive(clap::Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct TieredArgs {
    /// With `--backend tiered`: the persistent code cache, a directory of
    /// compiled libraries kept across runs (and shareable by processes).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// With `--backend tiered`: gas a code burns on the interpreter before
    /// it is compiled in the background (default 250,000).
    #[arg(long, value_name = "GAS")]
    pub threshold: Option<u64>,
    /// With `--backend tiered`: background compiler threads (default: one
    /// fewer than the cores, at least 1, at most 4).
    #[arg(long, value_name = "N")]
    pub compile_threads: Option<usize>,
    /// With `--backend tiered`: niceness added to the compiler threads
    /// (default 10: compile with the cores the executing thread leaves).
    #[arg(long, value_name = "N")]
    pub compile_nice: Option<i32>,
}

impl TieredArgs {
    /// Refuses the tiered options with another backend.
    pub fn check_used_with(&self, tiered: bool) -> Result<()> {
        let given = self.cache_dir.is_some()
            || self.threshold.is_some()
            || self.compile_threads.is_some()
            || self.compile_nice.is_some();
        if !tiered && given {
            bail!("--cache-dir, --threshold, --compile-threads and --compile-nice need --backend tiered");
        }
        Ok(())
    }

    /// The tiered executor's configuration.
    pub fn config(&self) -> TieredConfig {
        let mut config = TieredConfig::default();
        if let Some(threshold) = self.threshold {
            config.threshold_gas = threshold;
        }
        if let Some(threads) = self.compile_threads {
            config.workers = threads;
        }
        if let Some(nice) = self.compile_nice {
            config.worker_nice = nice;
        }
        config.cache = self.cache_dir.as_ref().map(CacheConfig::new);
        config
    }

    /// A tiered executor configured by these options.
    pub fn executor(&self) -> Result<TieredExecutor> {
        TieredExecutor::new(self.config()).context("starting the tiered backend")
    }
}

/// One line about what a tiered executor did (for stderr or a summary).
pub fn describe_tiered(stats: &TieredStats) -> String {
    format!(
        "tiered: {} frames interpreted, {} native ({} switched tier inside their \
         transaction); {} compiled in the background ({:.1} ms), {} loaded from the cache \
         ({:.1} ms), {} compile failures, {} cache entries rejected",
        stats.interpreted_frames,
        stats.native_frames,
        stats.mid_transaction_switches,
        stats.compiles,
        stats.compile_ns as f64 / 1e6,
        stats.cache_loads,
        stats.cache_load_ns as f64 / 1e6,
        stats.compile_failures,
        stats.cache_rejected,
    )
}

/// An executor running code from AOT libraries kept in `dir`: code without
/// a library there is compiled into one (`<code hash>-<fork>.so`) first, so
/// a second run over the same code only loads. See
/// [`cevm_compiler::MissingCode::CompileInto`].
pub fn aot_dir_executor(dir: &std::path::Path) -> Box<dyn Executor + Send + Sync> {
    Box::new(cevm_compiler::AotExecutor::new(
        cevm_compiler::MissingCode::CompileInto(dir.to_path_buf()),
    ))
}
