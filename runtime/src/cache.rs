//! [`BoundedCache`]: the least-recently-used map that keeps what is cached
//! per code hash (the interpreter's jump tables, the compiler's JIT
//! contracts and loaded AOT libraries) from growing without limit.

// foldhash rather than std's SipHash: every frame looks its code up here.
use alloy_primitives::map::HashMap;
use std::hash::Hash;

/// Entries a cache keeps by default. A compiled contract is a few KiB to a
/// few MiB of code, so this bounds a long-running process to a few hundred
/// MiB in the worst case while holding every contract of a block.
pub const DEFAULT_CACHE_ENTRIES: usize = 4096;

/// A map holding at most `capacity` entries; inserting into a full map
/// evicts the least recently used entry.
///
/// Values are meant to be cheap handles (`Arc`s): an evicted value stays
/// alive as long as someone (a running frame) still holds it.
#[derive(Debug)]
pub struct BoundedCache<K, V> {
    map: HashMap<K, (V, u64)>,
    capacity: usize,
    /// Use counter; an entry's stamp is the counter at its last use.
    clock: u64,
    evictions: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> BoundedCache<K, V> {
    /// An empty cache holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        BoundedCache {
            map: HashMap::default(),
            capacity: capacity.max(1),
            clock: 0,
            evictions: 0,
        }
    }

    /// The value for `key`, marking it as recently used.
    pub fn get(&mut self, key: &K) -> Option<V> {
        self.clock += 1;
        let clock = self.clock;
        self.map.get_mut(key).map(|(v, stamp)| {
            *stamp = clock;
            v.clone()
        })
    }

    /// Inserts `value` unless `key` is present; returns the value now
    /// cached for `key` (the earlier one if there was one). Evicts the least
    /// recently used entry first if the cache is full.
    pub fn insert(&mut self, key: K, value: V) -> V {
        self.clock += 1;
        let clock = self.clock;
        if let Some((v, stamp)) = self.map.get_mut(&key) {
            *stamp = clock;
            return v.clone();
        }
        if self.map.len() >= self.capacity {
            // A linear scan: eviction happens at most once per compilation,
            // which costs far more than walking a few thousand entries.
            let oldest = self
                .map
                .iter()
                .min_by_key(|(_, (_, stamp))| *stamp)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.map.remove(&oldest);
                self.evictions += 1;
            }
        }
        self.map.insert(key, (value.clone(), clock));
        value
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The most entries the cache holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries evicted so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Default for BoundedCache<K, V> {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_ENTRIES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used_entry() {
        let mut c = BoundedCache::new(2);
        c.insert(1, "a");
        c.insert(2, "b");
        assert_eq!(c.get(&1), Some("a")); // 2 is now the oldest
        c.insert(3, "c");
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&2), None);
        assert_eq!(c.get(&1), Some("a"));
        assert_eq!(c.get(&3), Some("c"));
        assert_eq!(c.evictions(), 1);
    }

    #[test]
    fn insert_keeps_the_first_value() {
        let mut c = BoundedCache::new(4);
        assert_eq!(c.insert("k", 1), 1);
        assert_eq!(c.insert("k", 2), 1);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn capacity_is_at_least_one() {
        let mut c = BoundedCache::new(0);
        c.insert(1, 1);
        c.insert(2, 2);
        assert_eq!(c.capacity(), 1);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(&2), Some(2));
    }
}
