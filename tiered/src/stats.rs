//! What a tiered executor did: frame, compile, cache and queue counts.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of a [`crate::TieredExecutor`] since it was created (shared by
/// its clones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TieredStats {
    /// Frames run by the interpreter.
    pub interpreted_frames: u64,
    /// Frames run as native code.
    pub native_frames: u64,
    /// Native frames of a code that was interpreted earlier in the same
    /// transaction: the tier switched while the transaction ran.
    pub mid_transaction_switches: u64,
    /// Codes queued for compilation (or for loading from the cache).
    pub queued: u64,
    /// Codes refused by a queue full of higher-priority work, or displaced
    /// from it by such work (each is queued again later).
    pub queue_full: u64,
    /// Compilations run (JIT, or library builds for the cache).
    pub compiles: u64,
    /// Compilations run on a thread executing frames (by design none).
    pub compiles_blocking: u64,
    /// Nanoseconds the compiler threads spent compiling (and linking).
    pub compile_ns: u64,
    /// Compilations that failed or were refused (over a budget); those
    /// codes stay on the interpreter.
    pub compile_failures: u64,
    /// Libraries loaded from the persistent cache.
    pub cache_loads: u64,
    /// Nanoseconds spent reading, checking and loading cache entries
    /// (on the executing thread for codes met for the first time).
    pub cache_load_ns: u64,
    /// Libraries written to the persistent cache.
    pub cache_stores: u64,
    /// Cache entries found corrupt, truncated or foreign: ignored (never
    /// loaded) and rebuilt.
    pub cache_rejected: u64,
    /// Compiled codes dropped from memory to stay within the bounds.
    pub evictions: u64,
}

/// The live counters behind [`TieredStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub interpreted_frames: AtomicU64,
    pub native_frames: AtomicU64,
    pub mid_transaction_switches: AtomicU64,
    pub queued: AtomicU64,
    pub queue_full: AtomicU64,
    pub compiles: AtomicU64,
    pub compiles_blocking: AtomicU64,
    pub compile_ns: AtomicU64,
    pub compile_failures: AtomicU64,
    pub cache_loads: AtomicU64,
    pub cache_load_ns: AtomicU64,
    pub cache_stores: AtomicU64,
    pub cache_rejected: AtomicU64,
    pub evictions: AtomicU64,
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> TieredStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TieredStats {
            interpreted_frames: get(&self.interpreted_frames),
            native_frames: get(&self.native_frames),
            mid_transaction_switches: get(&self.mid_transaction_switches),
            queued: get(&self.queued),
            queue_full: get(&self.queue_full),
            compiles: get(&self.compiles),
            compiles_blocking: get(&self.compiles_blocking),
            compile_ns: get(&self.compile_ns),
            compile_failures: get(&self.compile_failures),
            cache_loads: get(&self.cache_loads),
            cache_load_ns: get(&self.cache_load_ns),
            cache_stores: get(&self.cache_stores),
            cache_rejected: get(&self.cache_rejected),
            evictions: get(&self.evictions),
        }
    }
}
