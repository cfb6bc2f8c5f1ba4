//! [`CodeTable`]: what the tiered executor knows per (code hash, fork): the
//! gas burnt on the interpreter, where the code is in its life (counting,
//! queued, native, failed) and its native code, with the bounds on how much
//! compiled code stays in memory.

use crate::native::NativeCode;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Compiled code is per code and fork.
pub(crate) type Key = crate::CodeKey;

/// Where a code is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Tier {
    /// Interpreted; its gas is counted.
    Counting = 0,
    /// Waiting for (or in) a compiler thread.
    Queued = 1,
    /// Native code is ready.
    Native = 2,
    /// Compilation failed or was refused: interpreted for good.
    Failed = 3,
}

impl Tier {
    fn from_u8(v: u8) -> Tier {
        match v {
            1 => Tier::Queued,
            2 => Tier::Native,
            3 => Tier::Failed,
            _ => Tier::Counting,
        }
    }
}

/// One (code hash, fork).
pub(crate) struct CodeEntry {
    pub(crate) key: Key,
    /// Gas burnt by the code's own interpreted frames.
    gas: AtomicU64,
    tier: AtomicU8,
    native: OnceLock<NativeCode>,
    /// The table's clock at the last native frame (for eviction).
    last_used: AtomicU64,
    /// Bytes charged for the native code.
    native_bytes: AtomicU64,
    /// After the queue had no room for it: the gas at which to try again
    /// (so that a full queue is not scanned after every frame).
    retry_gas: AtomicU64,
}

impl CodeEntry {
    pub(crate) fn new(key: Key) -> Self {
        CodeEntry {
            key,
            gas: AtomicU64::new(0),
            tier: AtomicU8::new(Tier::Counting as u8),
            native: OnceLock::new(),
            last_used: AtomicU64::new(0),
            native_bytes: AtomicU64::new(0),
            retry_gas: AtomicU64::new(0),
        }
    }

    /// The queue had no room: counting again, to be queued once the code
    /// has burnt twice the gas it has now.
    pub(crate) fn defer(&self) {
        self.retry_gas
            .store(self.gas().saturating_mul(2), Ordering::Relaxed);
        self.set_tier(Tier::Counting);
    }

    /// Whether the code should be queued now, given `threshold`.
    pub(crate) fn due(&self, gas: u64, threshold: u64) -> bool {
        gas >= threshold
            && gas >= self.retry_gas.load(Ordering::Relaxed)
            && self.tier() == Tier::Counting
    }

    pub(crate) fn tier(&self) -> Tier {
        Tier::from_u8(self.tier.load(Ordering::Acquire))
    }

    /// Moves from `from` to `to`; false if the entry was not in `from`.
    pub(crate) fn transition(&self, from: Tier, to: Tier) -> bool {
        self.tier
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub(crate) fn set_tier(&self, tier: Tier) {
        self.tier.store(tier as u8, Ordering::Release);
    }

    /// Adds interpreted gas; returns the new total.
    pub(crate) fn add_gas(&self, gas: u64) -> u64 {
        self.gas
            .fetch_add(gas, Ordering::Relaxed)
            .saturating_add(gas)
    }

    /// Interpreted gas so far (how hot the code is).
    pub(crate) fn gas(&self) -> u64 {
        self.gas.load(Ordering::Relaxed)
    }

    /// The native code, once it is ready.
    pub(crate) fn native(&self) -> Option<&NativeCode> {
        self.native.get()
    }
}

/// The entries and the totals of their native code.
#[derive(Default)]
struct Entries {
    map: FxHashMap<Key, Arc<CodeEntry>>,
    native_count: usize,
    native_bytes: u64,
}

/// Every code the executor has seen recently.
pub(crate) struct CodeTable {
    entries: Mutex<Entries>,
    /// Advances at each native frame; orders entries for eviction.
    clock: AtomicU64,
    max_tracked: usize,
    max_native_entries: usize,
    max_native_bytes: u64,
}

/// What publishing native code did.
pub(crate) struct Published {
    /// Whether the code is now native (false: over the memory budget).
    pub accepted: bool,
    /// Native entries evicted to make room.
    pub evicted: u64,
}

impl CodeTable {
    pub(crate) fn new(
        max_tracked: usize,
        max_native_entries: usize,
        max_native_bytes: u64,
    ) -> Self {
        CodeTable {
            entries: Mutex::default(),
            clock: AtomicU64::new(0),
            max_tracked,
            max_native_entries,
            max_native_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The entry for `key`, created if new (the flag says so).
    pub(crate) fn entry(&self, key: Key) -> (Arc<CodeEntry>, bool) {
        let mut entries = self.lock();
        if let Some(e) = entries.map.get(&key) {
            return (e.clone(), false);
        }
        if entries.map.len() >= self.max_tracked {
            // Forget the counters of codes that are neither native nor
            // queued: amortised over the many insertions that refill it.
            entries
                .map
                .retain(|_, e| matches!(e.tier(), Tier::Native | Tier::Queued));
        }
        let e = Arc::new(CodeEntry::new(key));
        entries.map.insert(key, e.clone());
        (e, true)
    }

    /// The entry for `key`, if there is one.
    pub(crate) fn get(&self, key: &Key) -> Option<Arc<CodeEntry>> {
        self.lock().map.get(key).cloned()
    }

    /// Marks a native frame of `entry` (for least-recently-used eviction).
    pub(crate) fn touch(&self, entry: &CodeEntry) {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        entry.last_used.store(now, Ordering::Relaxed);
    }

    /// Installs `native` for `entry`, evicting the least recently run
    /// native codes until the bounds hold. Code larger than the whole
    /// memory budget is refused.
    pub(crate) fn publish(
        &self,
        entry: &Arc<CodeEntry>,
        native: NativeCode,
        bytes: u64,
    ) -> Published {
        if bytes > self.max_native_bytes {
            return Published {
                accepted: false,
                evicted: 0,
            };
        }
        let mut entries = self.lock();
        entry.native_bytes.store(bytes, Ordering::Relaxed);
        self.touch(entry);
        if entry.native.set(native).is_err() {
            // Already native (cannot happen: one job per entry at a time).
            return Published {
                accepted: true,
                evicted: 0,
            };
        }
        entry.set_tier(Tier::Native);
        entries.native_count += 1;
        entries.native_bytes += bytes;
        // If the key was forgotten and seen again meanwhile, the map holds
        // a newer entry; the native one replaces it (frames holding the
        // newer one finish on the interpreter).
        if let Some(old) = entries.map.insert(entry.key, entry.clone()) {
            if !Arc::ptr_eq(&old, entry) && old.tier() == Tier::Native {
                entries.native_count -= 1;
                entries.native_bytes -= old.native_bytes.load(Ordering::Relaxed);
            }
        }
        let mut evicted = 0;
        while entries.native_count > self.max_native_entries
            || entries.native_bytes > self.max_native_bytes
        {
            // The least recently run native code other than the new one.
            let victim = entries
                .map
                .values()
                .filter(|e| e.tier() == Tier::Native && !Arc::ptr_eq(e, entry))
                .min_by_key(|e| e.last_used.load(Ordering::Relaxed))
                .cloned();
            let Some(victim) = victim else { break };
            // Frames running it hold their own `Arc`; the code is freed
            // when the last of them ends.
            entries.map.remove(&victim.key);
            entries.native_count -= 1;
            entries.native_bytes -= victim.native_bytes.load(Ordering::Relaxed);
            evicted += 1;
        }
        Published {
            accepted: true,
            evicted,
        }
    }
}
