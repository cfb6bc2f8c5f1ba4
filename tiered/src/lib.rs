//! cevm's tiered executor: interpret cold code, compile hot code on
//! background threads, run it natively once ready, and keep it across
//! restarts in a persistent cache.
//!
//! A node, a simulator or an indexer meets thousands of distinct contracts.
//! Compiling one costs from half a millisecond to hundreds of milliseconds,
//! while a short transaction on it runs in microseconds, so compiling every
//! code on its first call (what [`cevm_compiler::JitExecutor`] does) loses
//! to the interpreter on a realistic stream, and the interpreter alone
//! leaves the compiler's gains unused. [`TieredExecutor`] interprets first,
//! counts the gas each code burns, compiles the codes that became hot on
//! other threads and switches to native code when it is ready, so that no
//! frame ever waits for the compiler.
//!
//! - [`config`]: the threshold, threads, queue and memory bounds of a [`TieredConfig`];
//! - [`executor`]: [`TieredExecutor`] (and [`DeterministicTiers`] for tests);
//! - [`disk`]: [`DiskCache`], the persistent cache directory of AOT libraries;
//! - [`native`]: compiled code of one contract, JIT or loaded;
//! - [`stats`]: the counts in [`TieredStats`].
//!
//! This crate sits above the compiler and the interpreter (the tiered
//! executor needs both, and neither should depend on the other).

#![warn(missing_docs)]

pub mod config;
pub mod disk;
pub mod executor;
mod frames;
pub mod native;
mod pool;
pub mod stats;
mod table;

pub use config::{CacheConfig, TieredConfig, DEFAULT_CACHE_BYTES, DEFAULT_THRESHOLD_GAS};
pub use disk::DiskCache;
pub use executor::{DeterministicTiers, TieredExecutor};
pub use stats::TieredStats;
pub use table::Tier;

use cevm_runtime::{SpecId, B256};
use std::path::PathBuf;

/// Compiled code is kept per code hash and fork.
pub type CodeKey = (B256, SpecId);

/// What a [`TieredExecutor`] knows of one code (see
/// [`TieredExecutor::code_status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeStatus {
    /// Where the code runs now.
    pub tier: Tier,
    /// Gas its own frames burnt on the interpreter.
    pub interpreted_gas: u64,
}

/// Why a tiered executor could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TieredError {
    /// A bound in the configuration is unusable.
    #[error("invalid tiered configuration: {0}")]
    Config(String),
    /// The cache directory could not be created or listed.
    #[error("cache directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A compiler thread could not be started.
    #[error("starting a compiler thread: {0}")]
    Spawn(std::io::Error),
}
