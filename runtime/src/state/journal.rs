//! The journal: one entry per state change made during a transaction, so a
//! failed frame can undo exactly what it did.

use alloy_primitives::{Address, Bytes, B256, U256};

/// A position in the journal and the log list; reverting to it undoes every
/// later change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub(crate) journal_len: usize,
    pub(crate) logs_len: usize,
}

/// One undoable change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JournalEntry {
    /// An account came into existence (remove it on revert).
    AccountCreated(Address),
    /// A balance changed from `old`.
    BalanceChanged { address: Address, old: U256 },
    /// A nonce changed from `old`.
    NonceChanged { address: Address, old: u64 },
    /// The code changed from `old` (with its hash).
    CodeChanged {
        address: Address,
        old: Bytes,
        old_hash: B256,
    },
    /// A storage slot changed from `old` (zero meaning absent).
    StorageChanged {
        address: Address,
        key: U256,
        old: U256,
    },
    /// A transient storage slot changed from `old`.
    TransientChanged {
        address: Address,
        key: U256,
        old: U256,
    },
    /// An account was warmed (EIP-2929).
    AccountWarmed(Address),
    /// A storage slot was warmed (EIP-2929).
    SlotWarmed(Address, U256),
    /// An account was marked as created in this transaction (EIP-6780).
    MarkedCreated(Address),
    /// An account was scheduled for deletion by SELFDESTRUCT.
    MarkedDestructed(Address),
    /// An account was touched (EIP-161).
    Touched(Address),
}

impl JournalEntry {
    /// The account whose balance, nonce, code or existence this entry
    /// changed (`None` for storage, warmth and the per-transaction marks).
    pub(crate) fn changed_account(&self) -> Option<Address> {
        match self {
            JournalEntry::AccountCreated(address)
            | JournalEntry::BalanceChanged { address, .. }
            | JournalEntry::NonceChanged { address, .. }
            | JournalEntry::CodeChanged { address, .. } => Some(*address),
            _ => None,
        }
    }
}
