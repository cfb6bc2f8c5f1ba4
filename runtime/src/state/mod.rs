//! The in-memory world state with a journal.
//!
//! A [`State`] holds every account; during a transaction it also keeps the
//! per-transaction sets (warm accounts and slots, original storage values,
//! transient storage, logs, accounts created, scheduled for destruction and
//! touched) and a journal of every change, so that [`State::revert`] undoes a
//! failed frame completely.
//!
//! Use: set accounts up with [`State::insert_account`], then per transaction
//! [`State::begin_transaction`], run frames (the `Evm` takes checkpoints),
//! [`State::finish_transaction`] and [`State::take_logs`].
//!
//! The state is a cache over a [`Database`]: [`State::new`] has nothing
//! behind it (the accounts inserted are the world), [`State::with_database`]
//! asks the database for every account, slot and block hash it does not
//! know yet (see [`crate::database`]) and records what transactions change
//! for the database's owner ([`State::take_changes`]).

mod account;
mod backing;
mod changes;
mod journal;
mod keys;

pub use account::Account;
pub use changes::{AccountChange, SlotChange, StateChanges};
pub use journal::Checkpoint;
pub use keys::Storage;

use crate::database::{Database, EmptyDatabase};
use crate::host::{SStoreResult, SelfDestructResult, StateLoad};
use alloy_primitives::map::{Entry, HashMap};
use alloy_primitives::{Address, Bytes, Log, B256, KECCAK256_EMPTY, U256};
use backing::Backing;
use journal::JournalEntry;
use keys::{Accounts, Addresses, SlotKey, Slots};

/// A transfer the sender cannot afford.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insufficient balance: {address} has {balance}, needs {value}")]
pub struct InsufficientBalance {
    /// The sender.
    pub address: Address,
    /// Its balance.
    pub balance: U256,
    /// The value it tried to send.
    pub value: U256,
}

/// The world state and the bookkeeping of the running transaction.
#[derive(Clone, Debug)]
pub struct State<DB = EmptyDatabase> {
    accounts: Accounts<Account>,
    /// The database behind the accounts and what the cache knows of it.
    backing: Backing<DB>,
    /// Block hashes set by hand or read from the database.
    block_hashes: HashMap<u64, B256>,
    /// What transactions changed since [`State::take_changes`] (recorded
    /// only over a database).
    changes: StateChanges,
    journal: Vec<JournalEntry>,
    logs: Vec<Log>,
    /// Storage slots met in this transaction: warm or not, their value at
    /// its start and their present value. Writes go here only (a warm SLOAD
    /// or SSTORE is one look-up) and reach the accounts' storage when the
    /// transaction ends (see [`State::write_back_slots`]).
    slots: Slots<TxSlot>,
    warm_accounts: Addresses,
    transient: Slots<U256>,
    created: Addresses,
    destructed: Addresses,
    touched: Addresses,
}

/// What the transaction knows about one storage slot.
#[derive(Clone, Copy, Debug)]
struct TxSlot {
    /// The value at the start of the transaction (EIP-2200's "original"),
    /// which the account's storage holds until the transaction ends.
    original: U256,
    /// The value now.
    present: U256,
    /// Whether the slot was accessed (EIP-2929).
    warm: bool,
}

/// Entries the per-transaction sets are given room for when a transaction
/// starts, so that a fresh state does not grow them step by step (a node
/// reusing one state keeps their capacity anyway).
const TX_SET_CAPACITY: usize = 16;

impl Default for State {
    fn default() -> Self {
        State::with_backing(Backing::default())
    }
}

impl State {
    /// An empty in-memory state: nothing behind it.
    pub fn new() -> Self {
        State::default()
    }
}

impl<DB: Database> State<DB> {
    /// An empty cache over `database`.
    pub fn with_database(database: DB) -> Self {
        State::with_backing(Backing::over(database))
    }

    fn with_backing(backing: Backing<DB>) -> Self {
        State {
            accounts: Accounts::default(),
            backing,
            block_hashes: HashMap::default(),
            changes: StateChanges::default(),
            journal: Vec::new(),
            logs: Vec::new(),
            slots: Slots::default(),
            warm_accounts: Addresses::default(),
            transient: Slots::default(),
            created: Addresses::default(),
            destructed: Addresses::default(),
            touched: Addresses::default(),
        }
    }

    // ---- setup and inspection (not journaled) ----

    /// Inserts or replaces an account outside any transaction bookkeeping
    /// (test and fixture setup; over a database, it hides the database's
    /// account and storage).
    pub fn insert_account(&mut self, address: Address, account: Account) {
        self.forget_slots(&address);
        if self.backing.active {
            self.backing.replaced(address);
        }
        self.accounts.insert(address, account);
    }

    /// Removes an account outright, not journaled (e.g. an empty coinbase).
    pub fn remove_account(&mut self, address: &Address) -> Option<Account> {
        self.forget_slots(address);
        if self.backing.active {
            self.backing.deleted(*address);
        }
        self.accounts.remove(address)
    }

    /// Drops the transaction's copies of `address`'s slots, whose storage is
    /// replaced behind the journal's back (nothing to do between transactions).
    fn forget_slots(&mut self, address: &Address) {
        if !self.slots.is_empty() {
            self.slots.retain(|slot, _| slot.address != *address);
        }
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: &Address) -> Option<&Account> {
        self.accounts.get(address)
    }

    /// Every account, in no particular order (for the state root).
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &Account)> {
        self.accounts.iter()
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether there are no accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Whether the account exists.
    pub fn exists(&self, address: &Address) -> bool {
        self.accounts.contains_key(address)
    }

    /// Whether the account is missing or empty (EIP-161): not "alive".
    pub fn is_empty_or_missing(&self, address: &Address) -> bool {
        self.accounts.get(address).is_none_or(Account::is_empty)
    }

    /// Balance (zero for a missing account).
    pub fn balance(&self, address: &Address) -> U256 {
        self.accounts.get(address).map_or(U256::ZERO, |a| a.balance)
    }

    /// Nonce (zero for a missing account).
    pub fn nonce(&self, address: &Address) -> u64 {
        self.accounts.get(address).map_or(0, |a| a.nonce)
    }

    /// Code (empty for a missing account).
    pub fn code(&self, address: &Address) -> Bytes {
        self.accounts
            .get(address)
            .map_or_else(Bytes::new, |a| a.code.clone())
    }

    /// Code hash (the empty-code hash for a missing account).
    pub fn code_hash(&self, address: &Address) -> B256 {
        self.accounts
            .get(address)
            .map_or(KECCAK256_EMPTY, |a| a.code_hash)
    }

    /// A storage value (zero if unset), with this transaction's writes.
    pub fn storage(&self, address: &Address, key: U256) -> U256 {
        match self.slots.get(&SlotKey::new(*address, key)) {
            Some(slot) => slot.present,
            None => self.stored(address, key),
        }
    }

    /// A storage value as the account holds it: as of the last transaction
    /// boundary.
    fn stored(&self, address: &Address, key: U256) -> U256 {
        self.accounts
            .get(address)
            .and_then(|a| a.storage.get(&key).copied())
            .unwrap_or(U256::ZERO)
    }

    /// The storage value at the start of the transaction (zero for an
    /// account created in it).
    pub fn original_storage(&self, address: &Address, key: U256) -> U256 {
        if self.created.contains(address) {
            return U256::ZERO;
        }
        match self.slots.get(&SlotKey::new(*address, key)) {
            Some(slot) => slot.original,
            None => self.stored(address, key),
        }
    }

    /// Whether the account has any non-zero storage, with this
    /// transaction's writes (a scan of them: for the rare collision check,
    /// not for a hot path).
    pub fn has_storage(&self, address: &Address) -> bool {
        let written = |key: &U256| self.slots.get(&SlotKey::new(*address, *key));
        let stored_left = self.accounts.get(address).is_some_and(|a| {
            a.storage
                .keys()
                .any(|key| written(key).is_none_or(|slot| !slot.present.is_zero()))
        });
        stored_left
            || self
                .slots
                .iter()
                .any(|(slot, record)| slot.address == *address && !record.present.is_zero())
    }

    /// Whether the account was created in this transaction (EIP-6780).
    pub fn is_created_in_tx(&self, address: &Address) -> bool {
        self.created.contains(address)
    }

    /// Whether the account is scheduled for deletion at the end of the transaction.
    pub fn is_destructed(&self, address: &Address) -> bool {
        self.destructed.contains(address)
    }

    /// Whether the account was touched in this transaction (EIP-161).
    pub fn is_touched(&self, address: &Address) -> bool {
        self.touched.contains(address)
    }

    /// Whether the account is warm (EIP-2929).
    pub fn is_warm(&self, address: &Address) -> bool {
        self.warm_accounts.contains(address)
    }

    /// Whether the storage slot is warm (EIP-2929).
    pub fn is_slot_warm(&self, address: &Address, key: U256) -> bool {
        self.slots
            .get(&SlotKey::new(*address, key))
            .is_some_and(|slot| slot.warm)
    }

    /// Logs emitted so far in this transaction (by frames not reverted).
    pub fn logs(&self) -> &[Log] {
        &self.logs
    }

    /// Takes the transaction's logs, leaving none.
    pub fn take_logs(&mut self) -> Vec<Log> {
        std::mem::take(&mut self.logs)
    }

    // ---- transaction boundaries ----

    /// Starts a transaction: clears the journal, logs, warm sets, original
    /// storage values, transient storage and the created/destructed/touched sets.
    pub fn begin_transaction(&mut self) {
        // Frames run without a transaction around them (`Evm::run_call`)
        // leave their writes behind; they are kept.
        self.write_back_slots();
        self.backing.keep_loaded();
        self.clear_transaction_sets();
        self.journal.reserve(TX_SET_CAPACITY);
        self.warm_accounts.reserve(TX_SET_CAPACITY);
        self.touched.reserve(TX_SET_CAPACITY);
    }

    /// Clears the journal, logs and the per-transaction sets.
    fn clear_transaction_sets(&mut self) {
        self.journal.clear();
        self.logs.clear();
        self.warm_accounts.clear();
        self.transient.clear();
        self.created.clear();
        self.destructed.clear();
        self.touched.clear();
    }

    /// Ends a transaction: deletes the accounts SELFDESTRUCT scheduled
    /// (EIP-6780), then the touched accounts that are empty (EIP-161), and
    /// drops the journal (its changes are final). Logs stay until taken.
    pub fn finish_transaction(&mut self) {
        let changed = if self.backing.active {
            self.changed_in_transaction()
        } else {
            Vec::new()
        };
        self.write_back_slots();
        for address in self.destructed.drain() {
            self.accounts.remove(&address);
            if self.backing.active {
                self.backing.deleted(address);
            }
        }
        for address in self.touched.drain() {
            if self.accounts.get(&address).is_some_and(Account::is_empty) {
                self.accounts.remove(&address);
                if self.backing.active {
                    self.backing.deleted(address);
                }
            }
        }
        if self.backing.active {
            self.record_changes(changed);
            self.backing.keep_loaded();
        }
        self.journal.clear();
        self.warm_accounts.clear();
        self.transient.clear();
        self.created.clear();
    }

    /// Writes the transaction's storage writes into the accounts and
    /// forgets the slot records (their values are final: the journal of
    /// the transaction is not used after this).
    fn write_back_slots(&mut self) {
        for (slot, record) in self.slots.drain() {
            if record.present == record.original {
                continue;
            }
            let account = match self.accounts.get_mut(&slot.address) {
                Some(account) => account,
                // Code wrote the storage of an account that does not exist
                // (no real transaction does): the write makes it.
                None => self.accounts.entry(slot.address).or_default(),
            };
            put_slot(&mut account.storage, slot.key, record.present);
        }
    }

    /// Marks the current point; see [`State::revert`] and [`State::commit`].
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            journal_len: self.journal.len(),
            logs_len: self.logs.len(),
        }
    }

    /// Keeps the changes made since `checkpoint` (they can still be undone
    /// by reverting an earlier checkpoint).
    pub fn commit(&mut self, checkpoint: Checkpoint) {
        debug_assert!(checkpoint.journal_len <= self.journal.len());
    }

    /// Undoes every change made since `checkpoint`.
    pub fn revert(&mut self, checkpoint: Checkpoint) {
        while self.journal.len() > checkpoint.journal_len {
            let Some(entry) = self.journal.pop() else {
                break;
            };
            self.undo(entry);
        }
        self.logs.truncate(checkpoint.logs_len);
    }

    fn undo(&mut self, entry: JournalEntry) {
        match entry {
            JournalEntry::AccountCreated(address) => {
                self.accounts.remove(&address);
            }
            JournalEntry::BalanceChanged { address, old } => {
                if let Some(a) = self.accounts.get_mut(&address) {
                    a.balance = old;
                }
            }
            JournalEntry::NonceChanged { address, old } => {
                if let Some(a) = self.accounts.get_mut(&address) {
                    a.nonce = old;
                }
            }
            JournalEntry::CodeChanged {
                address,
                old,
                old_hash,
            } => {
                if let Some(a) = self.accounts.get_mut(&address) {
                    a.code = old;
                    a.code_hash = old_hash;
                }
            }
            JournalEntry::StorageChanged { address, key, old } => {
                if let Some(slot) = self.slots.get_mut(&SlotKey::new(address, key)) {
                    slot.present = old;
                }
            }
            JournalEntry::TransientChanged { address, key, old } => {
                put_slot(&mut self.transient, SlotKey::new(address, key), old);
            }
            JournalEntry::AccountWarmed(address) => {
                self.warm_accounts.remove(&address);
            }
            JournalEntry::SlotWarmed(address, key) => {
                // The original and present values stay: every later write to
                // the slot was undone before this entry, so they are right.
                if let Some(slot) = self.slots.get_mut(&SlotKey::new(address, key)) {
                    slot.warm = false;
                }
            }
            JournalEntry::MarkedCreated(address) => {
                self.created.remove(&address);
            }
            JournalEntry::MarkedDestructed(address) => {
                self.destructed.remove(&address);
            }
            JournalEntry::Touched(address) => {
                self.touched.remove(&address);
            }
        }
    }

    // ---- journaled changes ----

    /// The account at `address`, created (journaled) if missing.
    fn account_mut(&mut self, address: Address) -> &mut Account {
        self.account_to_change(address, true)
            .unwrap_or_else(|| unreachable!("a missing account is created"))
    }

    /// The account at `address`, or if it is missing, a new one (journaled)
    /// when `create` holds and `None` otherwise. One hash look-up either way.
    fn account_to_change(&mut self, address: Address, create: bool) -> Option<&mut Account> {
        self.load_account(address);
        match self.accounts.entry(address) {
            Entry::Occupied(entry) => Some(entry.into_mut()),
            Entry::Vacant(_) if !create => None,
            Entry::Vacant(entry) => {
                self.journal.push(JournalEntry::AccountCreated(address));
                Some(entry.insert(Account::default()))
            }
        }
    }

    /// Warms an account; returns whether it was cold.
    pub fn warm_account(&mut self, address: Address) -> bool {
        let was_cold = self.warm_accounts.insert(address);
        if was_cold {
            self.journal.push(JournalEntry::AccountWarmed(address));
            self.load_account(address);
        }
        was_cold
    }

    /// Warms a storage slot; returns whether it was cold.
    pub fn warm_slot(&mut self, address: Address, key: U256) -> bool {
        self.load_slot(address, key).is_cold
    }

    /// SLOAD as a frame does it: warms the slot, returns its value and
    /// whether it was cold. A warm slot costs one look-up.
    pub fn load_slot(&mut self, address: Address, key: U256) -> StateLoad<U256> {
        let slot = self.tx_slot(address, key);
        let was_cold = !std::mem::replace(&mut slot.warm, true);
        let value = slot.present;
        if was_cold {
            self.journal.push(JournalEntry::SlotWarmed(address, key));
        }
        StateLoad::new(value, was_cold)
    }

    /// The transaction's record of a slot, made on first use from the
    /// account's storage, which holds the value the transaction started
    /// with (writes reach it only when the transaction ends).
    fn tx_slot(&mut self, address: Address, key: U256) -> &mut TxSlot {
        match self.slots.entry(SlotKey::new(address, key)) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let value = if self.backing.active {
                    self.backing.stored_slot(&mut self.accounts, address, key)
                } else {
                    self.accounts
                        .get(&address)
                        .and_then(|a| a.storage.get(&key).copied())
                        .unwrap_or(U256::ZERO)
                };
                entry.insert(TxSlot {
                    original: value,
                    present: value,
                    warm: false,
                })
            }
        }
    }

    /// Marks an account touched (EIP-161: removed at the end of the
    /// transaction if it is then empty).
    pub fn touch(&mut self, address: Address) {
        if self.touched.insert(address) {
            self.load_account(address);
            self.journal.push(JournalEntry::Touched(address));
        }
    }

    /// Sets a balance, creating the account if needed.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.change_balance(address, |_| balance);
    }

    /// Replaces the balance `b` by `change(b)` (zero for a missing account,
    /// which is created unless the new balance is zero). One hash look-up.
    fn change_balance(&mut self, address: Address, change: impl FnOnce(U256) -> U256) {
        self.load_account(address);
        let (old, new) = match self.accounts.entry(address) {
            Entry::Occupied(entry) => {
                let account = entry.into_mut();
                let old = account.balance;
                // The new balance from the register it is computed in, not
                // read back from the account: a 16-byte load of the limbs
                // just stored 8 bytes at a time waits for the stores.
                let new = change(old);
                account.balance = new;
                (old, new)
            }
            Entry::Vacant(entry) => {
                let new = change(U256::ZERO);
                if !new.is_zero() {
                    entry.insert(Account::with_balance(new));
                    self.journal.push(JournalEntry::AccountCreated(address));
                }
                return;
            }
        };
        if old != new {
            self.journal
                .push(JournalEntry::BalanceChanged { address, old });
        }
    }

    /// Adds to a balance (saturating at 2^256 - 1, which no real supply reaches).
    pub fn add_balance(&mut self, address: Address, value: U256) {
        self.change_balance(address, |balance| balance.saturating_add(value));
    }

    /// Subtracts from a balance, failing if it is too small.
    pub fn sub_balance(
        &mut self,
        address: Address,
        value: U256,
    ) -> Result<(), InsufficientBalance> {
        if value.is_zero() {
            return Ok(());
        }
        self.load_account(address);
        let account = self.accounts.get_mut(&address);
        let balance = account.as_ref().map_or(U256::ZERO, |a| a.balance);
        match (account, balance.checked_sub(value)) {
            (Some(account), Some(new)) => {
                account.balance = new;
                self.journal.push(JournalEntry::BalanceChanged {
                    address,
                    old: balance,
                });
                Ok(())
            }
            _ => Err(InsufficientBalance {
                address,
                balance,
                value,
            }),
        }
    }

    /// Moves `value` from `from` to `to` (nothing happens for zero).
    pub fn transfer(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
    ) -> Result<(), InsufficientBalance> {
        if value.is_zero() {
            return Ok(());
        }
        self.sub_balance(from, value)?;
        self.add_balance(to, value);
        Ok(())
    }

    /// Sets a nonce, creating the account if needed.
    pub fn set_nonce(&mut self, address: Address, nonce: u64) {
        let Some(account) = self.account_to_change(address, nonce != 0) else {
            return;
        };
        let old = account.nonce;
        if old != nonce {
            account.nonce = nonce;
            self.journal
                .push(JournalEntry::NonceChanged { address, old });
        }
    }

    /// Increments a nonce; returns the previous one, or `None` (and changes
    /// nothing) if it is already at its maximum.
    pub fn increment_nonce(&mut self, address: Address) -> Option<u64> {
        let account = self.account_mut(address);
        let old = account.nonce;
        account.nonce = old.checked_add(1)?;
        self.journal
            .push(JournalEntry::NonceChanged { address, old });
        Some(old)
    }

    /// Sets code, creating the account if needed.
    pub fn set_code(&mut self, address: Address, code: Bytes) {
        let account = self.account_mut(address);
        let old = std::mem::take(&mut account.code);
        let old_hash = account.code_hash;
        account.set_code(code);
        self.journal.push(JournalEntry::CodeChanged {
            address,
            old,
            old_hash,
        });
    }

    /// Writes a storage slot and reports original, present and new values
    /// (the slot is not warmed here).
    pub fn sstore(&mut self, address: Address, key: U256, value: U256) -> SStoreResult {
        self.write_slot(address, key, value, false).data
    }

    /// SSTORE as a frame does it: warms the slot (reporting whether it was
    /// cold) and writes it. A warm slot costs one look-up here and the
    /// write to the account's storage.
    pub fn store_slot(
        &mut self,
        address: Address,
        key: U256,
        value: U256,
    ) -> StateLoad<SStoreResult> {
        self.write_slot(address, key, value, true)
    }

    fn write_slot(
        &mut self,
        address: Address,
        key: U256,
        value: U256,
        warm: bool,
    ) -> StateLoad<SStoreResult> {
        let slot = self.tx_slot(address, key);
        let was_cold = warm && !std::mem::replace(&mut slot.warm, true);
        let (original, present) = (slot.original, slot.present);
        slot.present = value;
        if was_cold {
            self.journal.push(JournalEntry::SlotWarmed(address, key));
        }
        if present != value {
            self.journal.push(JournalEntry::StorageChanged {
                address,
                key,
                old: present,
            });
        }
        let original = if self.created.contains(&address) {
            U256::ZERO
        } else {
            original
        };
        StateLoad::new(
            SStoreResult {
                original,
                present,
                new: value,
            },
            was_cold,
        )
    }

    /// Reads transient storage (EIP-1153).
    pub fn tload(&self, address: &Address, key: U256) -> U256 {
        self.transient
            .get(&SlotKey::new(*address, key))
            .copied()
            .unwrap_or(U256::ZERO)
    }

    /// Writes transient storage (EIP-1153).
    pub fn tstore(&mut self, address: Address, key: U256, value: U256) {
        let old = self.tload(&address, key);
        if old != value {
            put_slot(&mut self.transient, SlotKey::new(address, key), value);
            self.journal
                .push(JournalEntry::TransientChanged { address, key, old });
        }
    }

    /// Appends a log.
    pub fn log(&mut self, log: Log) {
        self.logs.push(log);
    }

    /// Marks an account as created in this transaction (EIP-6780).
    pub fn mark_created(&mut self, address: Address) {
        if self.created.insert(address) {
            self.journal.push(JournalEntry::MarkedCreated(address));
        }
    }

    /// SELFDESTRUCT of `address` in favour of `beneficiary`: the balance
    /// moves to the beneficiary and the account is scheduled for deletion at
    /// the end of the transaction, its balance burnt even when it names
    /// itself. With `eip6780` (Cancun on) only an account created in this
    /// transaction is deleted (and burns its balance); any other one just
    /// gives its balance away. The beneficiary is neither warmed nor touched
    /// here (touching depends on the fork: the `Evm` does it).
    pub fn selfdestruct(
        &mut self,
        address: Address,
        beneficiary: Address,
        eip6780: bool,
    ) -> SelfDestructResult {
        let balance = self.balance(&address);
        let result = SelfDestructResult {
            had_value: !balance.is_zero(),
            target_exists: self.exists(&beneficiary),
            target_is_empty: self.is_empty_or_missing(&beneficiary),
            previously_destroyed: self.destructed.contains(&address),
        };
        if address != beneficiary {
            // Cannot fail: the whole balance is moved.
            let _ = self.transfer(address, beneficiary, balance);
        }
        if !eip6780 || self.created.contains(&address) {
            self.set_balance(address, U256::ZERO);
            if self.destructed.insert(address) {
                self.journal.push(JournalEntry::MarkedDestructed(address));
            }
        }
        result
    }

    /// Creates `address` as an empty account if it does not exist
    /// (journaled). Before Spurious Dragon every account a transaction
    /// touches is created so, and stays even if empty (no EIP-161).
    pub fn create_account(&mut self, address: Address) {
        self.account_mut(address);
    }
}

/// Writes `value` at `key`, removing the key for zero.
fn put_slot<K: std::hash::Hash + Eq, S: std::hash::BuildHasher>(
    map: &mut alloy_primitives::map::HashMap<K, U256, S>,
    key: K,
    value: U256,
) {
    if value.is_zero() {
        map.remove(&key);
    } else {
        map.insert(key, value);
    }
}

#[cfg(test)]
mod tests;
