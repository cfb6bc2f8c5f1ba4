//! What transactions changed, for the owner of the [`crate::Database`] to
//! write back: the accounts' new balance, nonce and code (or their
//! deletion) and the storage slots written, accumulated over transactions
//! until [`super::State::take_changes`].

use super::State;
use crate::database::{AccountInfo, Database};
use alloy_primitives::map::{AddressMap, Entry, U256Map};
use alloy_primitives::{Address, U256};

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
fn merge(earlier: &mut AccountChange, later: AccountChange) {
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

/// An account one transaction changed: whether it was created in it, and
/// the slots it wrote (before the end-of-transaction deletions).
pub(super) struct Changed {
    address: Address,
    created: bool,
    slots: Vec<(U256, SlotChange)>,
}

impl<DB: Database> State<DB> {
    /// The accounts the transaction changed (from its journal, before the
    /// end-of-transaction deletions), with their storage writes.
    pub(super) fn changed_in_transaction(&self) -> Vec<Changed> {
        let mut changed: AddressMap<(bool, Vec<(U256, SlotChange)>)> = AddressMap::default();
        for entry in &self.journal {
            if let Some(address) = entry.changed_account() {
                changed.entry(address).or_default();
            }
        }
        for address in &self.created {
            changed.entry(*address).or_default().0 = true;
        }
        for address in self.destructed.iter().chain(&self.touched) {
            changed.entry(*address).or_default();
        }
        for (slot, record) in &self.slots {
            if record.present != record.original {
                changed.entry(slot.address).or_default().1.push((
                    slot.key,
                    SlotChange {
                        original: record.original,
                        present: record.present,
                    },
                ));
            }
        }
        changed
            .into_iter()
            .map(|(address, (created, slots))| Changed {
                address,
                created,
                slots,
            })
            .collect()
    }

    /// Adds the transaction's changes (after its deletions) to those
    /// [`State::take_changes`] returns.
    pub(super) fn record_changes(&mut self, changed: Vec<Changed>) {
        for Changed {
            address,
            created,
            slots,
        } in changed
        {
            let info = self.accounts.get(&address).map(|account| AccountInfo {
                balance: account.balance,
                nonce: account.nonce,
                code_hash: account.code_hash,
                code: Some(account.code.clone()),
            });
            let change = AccountChange {
                storage_reset: created || info.is_none(),
                storage: if info.is_some() {
                    slots.into_iter().collect()
                } else {
                    Default::default()
                },
                info,
            };
            match self.changes.entry(address) {
                Entry::Occupied(mut entry) => merge(entry.get_mut(), change),
                Entry::Vacant(entry) => {
                    entry.insert(change);
                }
            }
        }
    }
}
