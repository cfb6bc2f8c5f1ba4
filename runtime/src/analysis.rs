//! Code analysis both backends need: which bytes are valid jump destinations.

use crate::cache::{BoundedCache, DEFAULT_CACHE_ENTRIES};
use crate::executor::Bytecode;
use crate::opcode::op;
use alloy_primitives::B256;
use std::sync::{Arc, Mutex};

/// Valid JUMPDEST positions of a bytecode (JUMPDEST bytes that are not PUSH data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JumpTable {
    bits: Vec<u64>,
    len: usize,
}

impl JumpTable {
    /// Scans `code` once, skipping PUSH immediates.
    pub fn analyze(code: &[u8]) -> Self {
        let mut bits = vec![0u64; code.len().div_ceil(64)];
        let mut pc = 0;
        while pc < code.len() {
            let b = code[pc];
            if b == op::JUMPDEST {
                bits[pc / 64] |= 1 << (pc % 64);
                pc += 1;
            } else if (op::PUSH1..=op::PUSH32).contains(&b) {
                pc += 1 + (b - op::PUSH1 + 1) as usize;
            } else {
                pc += 1;
            }
        }
        JumpTable {
            bits,
            len: code.len(),
        }
    }

    /// Whether `pc` is a valid jump destination.
    #[inline]
    pub fn is_valid(&self, pc: usize) -> bool {
        pc < self.len && self.bits[pc / 64] & (1 << (pc % 64)) != 0
    }

    /// Valid destinations in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len).filter(|&pc| self.is_valid(pc))
    }
}

/// Jump tables by code hash, the key compiled code is cached under too: a
/// contract called again (in the same transaction or a later one) is not
/// analysed again. Bounded like the compile caches; safe to share between
/// threads (the lock is held for the look-up only).
#[derive(Debug)]
pub struct JumpTableCache {
    tables: Mutex<BoundedCache<B256, Arc<JumpTable>>>,
}

impl Default for JumpTableCache {
    fn default() -> Self {
        JumpTableCache {
            tables: Mutex::new(BoundedCache::new(DEFAULT_CACHE_ENTRIES)),
        }
    }
}

impl JumpTableCache {
    /// The jump table of `code`, analysed on first use.
    pub fn get(&self, code: &Bytecode) -> Arc<JumpTable> {
        let cached = self.lock().get(&code.hash);
        cached.unwrap_or_else(|| {
            // Analysed outside the lock; should two threads race, both
            // tables are the same and the first one stays.
            let table = Arc::new(JumpTable::analyze(&code.bytes));
            self.lock().insert(code.hash, table)
        })
    }

    /// Number of cached tables.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no table is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BoundedCache<B256, Arc<JumpTable>>> {
        // A panic elsewhere cannot leave a half-inserted table behind.
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_data_is_not_a_destination() {
        // PUSH2 0x5b5b JUMPDEST PUSH1 (truncated)
        let t = JumpTable::analyze(&[0x61, 0x5b, 0x5b, 0x5b, 0x60]);
        assert!(!t.is_valid(1) && !t.is_valid(2));
        assert!(t.is_valid(3));
        assert!(!t.is_valid(4) && !t.is_valid(1000));
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn cache_analyses_each_code_once() {
        let cache = JumpTableCache::default();
        let a = Bytecode::new(vec![0x5b, 0x00].into());
        let b = Bytecode::new(vec![0x00, 0x5b].into());
        let first = cache.get(&a);
        assert!(Arc::ptr_eq(&first, &cache.get(&a)));
        assert!(first.is_valid(0) && !first.is_valid(1));
        assert!(cache.get(&b).is_valid(1));
        assert_eq!(cache.len(), 2);
    }
}
