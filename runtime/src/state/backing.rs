//! The state as a cache over a [`Database`]: what it has asked the database
//! and what it learnt, so each account and slot is asked for once.
//!
//! The accounts map of [`super::State`] holds every account known to exist;
//! this adds the addresses known *not* to exist (the database said so, or
//! the account was deleted since) and, for accounts whose storage lives in
//! the database, which slots were read from it: a slot missing from such
//! an account's storage map is zero only once it was read.
//!
//! Without a database (`active` false: [`super::State::new`]) none of this
//! is consulted; the in-memory state pays one predictable branch on its
//! cold paths.

use super::keys::{Accounts, Addresses, SlotKey};
use super::{Account, Checkpoint, State, StateChanges};
use crate::database::{Database, DatabaseError};
use alloy_primitives::map::HashSet;
use alloy_primitives::{Address, B256, KECCAK256_EMPTY, U256};

/// The database and what the cache knows about its contents.
#[derive(Clone, Debug, Default)]
pub(super) struct Backing<DB> {
    pub database: DB,
    /// Whether the database is consulted at all.
    pub active: bool,
    /// Addresses known not to exist.
    absent: Addresses,
    /// Accounts whose storage lives (partly) in the database: loaded from
    /// it and not deleted or replaced since.
    db_storage: Addresses,
    /// Slots of those accounts read from the database.
    read_slots: HashSet<SlotKey>,
    /// What the running transaction brought into the cache, undone if it
    /// aborts so that a failed transaction leaves the cache as it found it.
    loaded: Vec<Loaded>,
    /// The first query that failed since the last transaction boundary.
    pub error: Option<DatabaseError>,
}

/// One thing a transaction learnt from the database.
#[derive(Clone, Copy, Debug)]
enum Loaded {
    Account(Address),
    Absent(Address),
    Slot(SlotKey),
}

impl<DB: Database> Backing<DB> {
    /// A cache over `database`.
    pub fn over(database: DB) -> Self {
        Backing {
            database,
            active: true,
            absent: Addresses::default(),
            db_storage: Addresses::default(),
            read_slots: HashSet::default(),
            loaded: Vec::new(),
            error: None,
        }
    }

    /// Brings `address` into `accounts` if the database has it and the
    /// cache does not know it yet. After a failure nothing more is asked.
    pub fn load(&mut self, accounts: &mut Accounts<Account>, address: Address) {
        if accounts.contains_key(&address) || self.absent.contains(&address) || self.error.is_some()
        {
            return;
        }
        match self.fetch(address) {
            Ok(Some(account)) => {
                accounts.insert(address, account);
                self.db_storage.insert(address);
                self.loaded.push(Loaded::Account(address));
            }
            Ok(None) => {
                self.absent.insert(address);
                self.loaded.push(Loaded::Absent(address));
            }
            Err(error) => self.error = Some(error),
        }
    }

    fn fetch(&mut self, address: Address) -> Result<Option<Account>, DatabaseError> {
        let Some(info) = self.database.basic(address)? else {
            return Ok(None);
        };
        let no_code = info.code_hash == KECCAK256_EMPTY || info.code_hash == B256::ZERO;
        let code = match info.code {
            Some(code) => code,
            None if no_code => Default::default(),
            None => self.database.code_by_hash(info.code_hash)?,
        };
        let code_hash = if code.is_empty() {
            KECCAK256_EMPTY
        } else {
            info.code_hash
        };
        Ok(Some(Account {
            balance: info.balance,
            nonce: info.nonce,
            code,
            code_hash,
            storage: Default::default(),
        }))
    }

    /// The value of `key` at the start of the transaction: the account's
    /// storage map, or the database for a slot of a database account not
    /// read before (the value read is kept in the map).
    pub fn stored_slot(
        &mut self,
        accounts: &mut Accounts<Account>,
        address: Address,
        key: U256,
    ) -> U256 {
        self.load(accounts, address);
        let Some(account) = accounts.get_mut(&address) else {
            return U256::ZERO;
        };
        if let Some(value) = account.storage.get(&key) {
            return *value;
        }
        let slot = SlotKey::new(address, key);
        if self.error.is_some()
            || !self.db_storage.contains(&address)
            || self.read_slots.contains(&slot)
        {
            return U256::ZERO;
        }
        match self.database.storage(address, key) {
            Ok(value) => {
                self.read_slots.insert(slot);
                self.loaded.push(Loaded::Slot(slot));
                if !value.is_zero() {
                    account.storage.insert(key, value);
                }
                value
            }
            Err(error) => {
                self.error = Some(error);
                U256::ZERO
            }
        }
    }

    /// A block hash from the database (zero after a failure).
    pub fn block_hash(&mut self, number: u64) -> B256 {
        if self.error.is_some() {
            return B256::ZERO;
        }
        self.database.block_hash(number).unwrap_or_else(|error| {
            self.error = Some(error);
            B256::ZERO
        })
    }

    /// `address` no longer exists (deleted, or removed by hand).
    pub fn deleted(&mut self, address: Address) {
        self.absent.insert(address);
        self.db_storage.remove(&address);
    }

    /// `address` was given in full by hand: its storage is all in memory.
    pub fn replaced(&mut self, address: Address) {
        self.db_storage.remove(&address);
    }

    /// A transaction ends (or starts): what was loaded so far stays.
    pub fn keep_loaded(&mut self) {
        self.loaded.clear();
    }

    /// The transaction aborted: forgets what it loaded (after its changes
    /// were undone, so the accounts it loaded are as the database gave them).
    pub fn forget_loaded(&mut self, accounts: &mut Accounts<Account>) {
        for loaded in self.loaded.drain(..).rev() {
            match loaded {
                Loaded::Account(address) => {
                    accounts.remove(&address);
                    self.db_storage.remove(&address);
                }
                Loaded::Absent(address) => {
                    self.absent.remove(&address);
                }
                Loaded::Slot(slot) => {
                    self.read_slots.remove(&slot);
                    if let Some(account) = accounts.get_mut(&slot.address) {
                        account.storage.remove(&slot.key);
                    }
                }
            }
        }
    }
}

/// The state's side of the cache: its database, loading, block hashes,
/// the changes recorded for the database's owner and giving a transaction up.
impl<DB: Database> State<DB> {
    /// The database behind the cache.
    pub fn database(&self) -> &DB {
        &self.backing.database
    }

    /// The database behind the cache, mutable (to commit
    /// [`State::take_changes`] to it between transactions).
    pub fn database_mut(&mut self) -> &mut DB {
        &mut self.backing.database
    }

    /// What the transactions since the last call changed (over a database;
    /// the in-memory state records nothing).
    pub fn take_changes(&mut self) -> StateChanges {
        std::mem::take(&mut self.changes)
    }

    /// The first database query that failed since the last transaction
    /// boundary, taken (frames run with [`crate::Evm::run_call`] outside a
    /// transaction leave it here).
    pub fn take_database_error(&mut self) -> Option<DatabaseError> {
        self.backing.error.take()
    }

    /// Brings `address` into the cache from the database if it is not
    /// known yet (readers such as [`State::account`] see only the cache:
    /// every account a transaction reaches is warmed or changed first,
    /// which loads it).
    #[inline]
    pub fn load_account(&mut self, address: Address) {
        if self.backing.active {
            self.backing.load(&mut self.accounts, address);
        }
    }

    /// Sets the hash of block `number` (for BLOCKHASH; unknown ones are
    /// asked of the database, zero without one).
    pub fn set_block_hash(&mut self, number: u64, hash: B256) {
        self.block_hashes.insert(number, hash);
    }

    /// The hash of block `number` (no window check: see the `Evm`).
    pub fn block_hash(&mut self, number: u64) -> B256 {
        if let Some(hash) = self.block_hashes.get(&number) {
            return *hash;
        }
        if self.backing.active {
            self.backing.block_hash(number)
        } else {
            B256::ZERO
        }
    }

    /// Gives up the running transaction (a database query failed): undoes
    /// its changes and logs, drops what it loaded into the cache and clears
    /// its bookkeeping, so the state is as before
    /// [`State::begin_transaction`]. The database error, if any, is
    /// dropped: take it first ([`State::take_database_error`]).
    pub fn abort_transaction(&mut self) {
        self.revert(Checkpoint {
            journal_len: 0,
            logs_len: 0,
        });
        self.slots.clear();
        self.backing.forget_loaded(&mut self.accounts);
        self.clear_transaction_sets();
        self.backing.error = None;
    }
}
