//! Per-thread bookkeeping of the frames a tiered executor is running: the
//! gas a frame burns itself (its total minus what its callees used), and
//! which codes the current transaction has interpreted (to count tier
//! switches inside a transaction).
//!
//! Frames nest by recursion on one thread (`Evm` calls back into the
//! executor for nested calls), so a stack per thread follows them without
//! any lock.

use crate::table::Key;
use std::cell::RefCell;

/// Codes remembered per transaction for switch counting; a transaction
/// running more distinct codes than this counts switches of the first ones.
const TRACKED_PER_TRANSACTION: usize = 64;

#[derive(Default)]
struct FrameStack {
    /// Per running frame: gas used by the frames it called.
    callee_gas: Vec<u64>,
    /// Codes interpreted since the current transaction began.
    interpreted: Vec<Key>,
}

thread_local! {
    static FRAMES: RefCell<FrameStack> = RefCell::new(FrameStack::default());
}

/// A frame at `depth` begins. A depth-0 frame begins a transaction, which
/// also resets whatever an earlier transaction left (after a panic, say).
pub(crate) fn enter(depth: usize) {
    FRAMES.with(|f| {
        let mut f = f.borrow_mut();
        if depth == 0 {
            f.callee_gas.clear();
            f.interpreted.clear();
        }
        f.callee_gas.push(0);
    });
}

/// The frame begun last ended having used `used` gas (its callees'
/// included). Returns the gas it used itself and charges `used` to its
/// caller's callees.
pub(crate) fn leave(used: u64) -> u64 {
    FRAMES.with(|f| {
        let mut f = f.borrow_mut();
        let callees = f.callee_gas.pop().unwrap_or(0);
        if let Some(caller) = f.callee_gas.last_mut() {
            *caller = caller.saturating_add(used);
        }
        used.saturating_sub(callees)
    })
}

/// Remembers that the current transaction interpreted `key`.
pub(crate) fn note_interpreted(key: Key) {
    FRAMES.with(|f| {
        let mut f = f.borrow_mut();
        if f.interpreted.len() < TRACKED_PER_TRANSACTION && !f.interpreted.contains(&key) {
            f.interpreted.push(key);
        }
    });
}

/// Whether the current transaction interpreted `key` before.
pub(crate) fn was_interpreted(key: &Key) -> bool {
    FRAMES.with(|f| f.borrow().interpreted.contains(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cevm_runtime::{SpecId, B256};

    #[test]
    fn self_gas_excludes_callees() {
        enter(0);
        enter(1);
        enter(2);
        assert_eq!(leave(100), 100); // depth 2 used 100
        assert_eq!(leave(250), 150); // depth 1: 250 with its callee's 100
        enter(1);
        assert_eq!(leave(50), 50);
        assert_eq!(leave(1000), 700); // 1000 - 250 - 50
    }

    #[test]
    fn interpreted_codes_are_forgotten_at_the_next_transaction() {
        let key = (B256::repeat_byte(1), SpecId::Prague);
        enter(0);
        note_interpreted(key);
        assert!(was_interpreted(&key));
        leave(0);
        enter(0);
        assert!(!was_interpreted(&key));
        leave(0);
    }
}
