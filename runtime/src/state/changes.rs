//! What transactions changed, for the owner of the [`crate::Database`] to
//! write back: the accounts' new balance, nonce and code (or their
//! deletion) and the storage slots written, accumulated over transactions
//! until [`super::State::take_changes`].

use crate::database::AccountInfo;
use alloy_primitives::map::{AddressMap, U256Map};
use alloy_primitives::U256;

/// Changed accounts by address.
pub type StateChanges = AddressMap<AccountChange>;

/// How one account changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountChange {
    /// The account now, with its code; `None` if it was deleted
    /// (SELFDESTRUCT, or empty and touched under EIP-161).
    pub info: Option<AccountInfo>,
    /// The account was created or deleted: its storage is the slots below
    /// and nothing else (clear the stored storage before writing them).
    pub storage_reset: bool,
    /// The storage slots written, with the value before the first of these
    /// transactions and the value now.
    pub storage: U256Map<SlotChange>,
}

/// A storage slot's value before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotChange {
    /// The value before the first transaction that wrote it.
    pub original: U256,
    /// The value now.
    pub present: U256,
}

/// Folds `later` (one transaction's change of an account) into `earlier`.
pub(super) fn merge(earlier: &mut AccountChange, later: AccountChange) {
    earlier.info = later.info;
    if later.storage_reset {
        earlier.storage_reset = true;
        earlier.storage = later.storage;
        return;
    }
    for (key, slot) in later.storage {
        earlier
            .storage
            .entry(key)
            .and_modify(|s| s.present = slot.present)
            .or_insert(slot);
    }
}
