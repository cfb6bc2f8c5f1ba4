//! [`TieredConfig`]: when code is compiled, on how many threads, and how
//! much compiled code is kept (in memory and on disk).

use crate::TieredError;
use std::path::PathBuf;

/// Gas a code burns on the interpreter before it is compiled, by default.
///
/// 250,000 gas is about a millisecond of interpreting: a contract that
/// burnt it is likely to be called again, and the compilers take the
/// codes that burnt the most gas per byte of code first, so a low
/// threshold costs background time but never delays hot code. With a
/// persistent cache a compilation is paid once across restarts; on
/// `cevm replay`'s stream this threshold puts the codes running 80 % of
/// the transactions in the cache (1,000,000 would put 65 %).
pub const DEFAULT_THRESHOLD_GAS: u64 = 250_000;

/// Bytes the persistent cache directory holds at most by default (1 GiB).
pub const DEFAULT_CACHE_BYTES: u64 = 1 << 30;

/// Where and how much compiled code is kept across runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// The cache directory (created if missing). Several processes may
    /// share it.
    pub dir: PathBuf,
    /// Bytes the directory holds at most; past it, the least recently used
    /// libraries are deleted.
    pub max_bytes: u64,
}

impl CacheConfig {
    /// A cache in `dir` of [`DEFAULT_CACHE_BYTES`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CacheConfig {
            dir: dir.into(),
            max_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// The knobs of a [`crate::TieredExecutor`]. Every queue, pool and store is
/// bounded; [`TieredConfig::default`] suits a long-running process on a
/// machine with a few cores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TieredConfig {
    /// Gas a code must burn in its own interpreted frames (the frames it
    /// calls count for their own code) before it is queued for compilation.
    pub threshold_gas: u64,
    /// Background compiler threads.
    pub workers: usize,
    /// Codes waiting for a compiler at most. Compilers take the code with
    /// the most interpreted gas per byte of code first; when the queue is
    /// full, a new code takes the place of the waiting one lowest in that
    /// order if it ranks higher (a displaced or refused code is queued
    /// again once it has burnt twice its gas).
    pub queue_capacity: usize,
    /// Compiled codes kept in memory at most (least recently run out).
    pub max_compiled_entries: usize,
    /// Bytes of compiled code kept in memory at most (least recently run
    /// out). A loaded library counts its file size; JIT code counts an
    /// estimate ([`crate::native::jit_bytes_estimate`]).
    pub max_compiled_bytes: u64,
    /// Longer codes are never compiled (they stay on the interpreter and
    /// are reported). Compile time grows with code length, so this is the
    /// compile-time budget of one compilation.
    pub max_code_bytes: usize,
    /// Codes whose gas is counted at most. When full, the counters of codes
    /// that are not compiled or queued are forgotten (they start again).
    pub max_tracked_codes: usize,
    /// Niceness added to the compiler threads' inherited one (Linux; 0
    /// leaves it). Compiling in the background must not slow down the
    /// thread that executes transactions when cores are scarce.
    pub worker_nice: i32,
    /// The persistent cache; `None` keeps compiled code in memory only
    /// (compiled with the JIT).
    pub cache: Option<CacheConfig>,
    /// Load a code's cache entry on a compiler thread (its first frames
    /// are interpreted meanwhile) instead of on the thread that meets the
    /// code first (which then runs it natively at once, after a load of
    /// 0.1–1 ms).
    pub background_cache_loads: bool,
}

impl Default for TieredConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        TieredConfig {
            threshold_gas: DEFAULT_THRESHOLD_GAS,
            // One core stays with the executing thread.
            workers: cores.saturating_sub(1).clamp(1, 4),
            queue_capacity: 1024,
            max_compiled_entries: cevm_compiler::cache::DEFAULT_CACHE_ENTRIES,
            max_compiled_bytes: 1 << 30,
            // EIP-3860's init-code limit plus room: every deployable code.
            max_code_bytes: 64 * 1024,
            max_tracked_codes: 1 << 17,
            worker_nice: 10,
            cache: None,
            background_cache_loads: false,
        }
    }
}

impl TieredConfig {
    /// The default configuration with a persistent cache in `dir`.
    pub fn with_cache_dir(dir: impl Into<PathBuf>) -> Self {
        TieredConfig {
            cache: Some(CacheConfig::new(dir)),
            ..TieredConfig::default()
        }
    }

    /// Checks that every bound is usable.
    pub fn validate(&self) -> Result<(), TieredError> {
        let fail = |why: &str| Err(TieredError::Config(why.to_string()));
        if self.workers == 0 || self.workers > 256 {
            return fail("workers must be between 1 and 256");
        }
        if self.queue_capacity == 0 {
            return fail("queue_capacity must be at least 1");
        }
        if self.max_compiled_entries == 0 || self.max_compiled_bytes == 0 {
            return fail("the compiled-code bounds must be at least 1");
        }
        if self.max_tracked_codes <= self.max_compiled_entries {
            return fail("max_tracked_codes must exceed max_compiled_entries");
        }
        if !(0..=19).contains(&self.worker_nice) {
            return fail("worker_nice must be between 0 and 19");
        }
        if let Some(cache) = &self.cache {
            if cache.max_bytes == 0 {
                return fail("the cache directory's size bound must be at least 1 byte");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_bad_bounds_are_refused() {
        TieredConfig::default().validate().unwrap();
        for bad in [
            TieredConfig {
                workers: 0,
                ..TieredConfig::default()
            },
            TieredConfig {
                queue_capacity: 0,
                ..TieredConfig::default()
            },
            TieredConfig {
                max_tracked_codes: 10,
                max_compiled_entries: 10,
                ..TieredConfig::default()
            },
            TieredConfig {
                worker_nice: 40,
                ..TieredConfig::default()
            },
        ] {
            assert!(matches!(bad.validate(), Err(TieredError::Config(_))));
        }
    }
}
