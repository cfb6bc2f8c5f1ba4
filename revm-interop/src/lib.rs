//! revm interop for cevm.
//!
//! - [`RevmDatabase`] serves any revm [`Database`](revm::Database) (reth's
//!   state providers, alloy's RPC-backed database, revm's `CacheDB`) as the
//!   database a cevm [`State`] caches;
//!   [`RevmDatabase::from_ref`] does the same for a
//!   [`DatabaseRef`](revm::DatabaseRef).
//! - [`to_revm_changes`] turns what cevm's transactions changed
//!   ([`State::take_changes`](cevm_runtime::State::take_changes)) into
//!   revm's state-change form, for [`DatabaseCommit::commit`](revm::DatabaseCommit::commit).
//! - [`cache_db_from_state`] copies an in-memory cevm state into a `CacheDB`.
//!
//! ```no_run
//! use cevm_revm::{to_revm_changes, RevmDatabase};
//! use cevm_runtime::State;
//! use revm::database::{CacheDB, EmptyDB};
//! use revm::DatabaseCommit;
//!
//! let mut db = CacheDB::new(EmptyDB::default());
//! let mut state = State::with_database(RevmDatabase::new(&mut db));
//! // ... run transactions on `state` (cevm_runtime::tx::transact) ...
//! let changes = to_revm_changes(state.take_changes());
//! drop(state);
//! db.commit(changes);
//! ```

use cevm_runtime::database::{AccountInfo, Database, DatabaseError};
use cevm_runtime::state::{Account, State, StateChanges};
use cevm_runtime::{Address, Bytes, B256, U256};
use revm::bytecode::Bytecode;
use revm::database::{CacheDB, EmptyDB};
use revm::database_interface::WrapDatabaseRef;
use revm::primitives::{AddressMap, KECCAK_EMPTY};
use revm::state::{Account as RevmAccount, AccountInfo as RevmAccountInfo, EvmStorageSlot};

/// A revm [`Database`](revm::Database) as a cevm [`Database`]: its errors
/// become [`DatabaseError`]s (which abort the transaction).
#[derive(Clone, Debug, Default)]
pub struct RevmDatabase<DB>(pub DB);

impl<DB: revm::Database> RevmDatabase<DB> {
    /// Wraps `db`.
    pub fn new(db: DB) -> Self {
        RevmDatabase(db)
    }

    /// The revm database back.
    pub fn into_inner(self) -> DB {
        self.0
    }
}

impl<DB: revm::DatabaseRef> RevmDatabase<WrapDatabaseRef<DB>> {
    /// Wraps a database read through shared references.
    pub fn from_ref(db: DB) -> Self {
        RevmDatabase(WrapDatabaseRef(db))
    }
}

impl<DB: revm::Database> Database for RevmDatabase<DB> {
    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DatabaseError> {
        let info = self.0.basic(address).map_err(DatabaseError::new)?;
        Ok(info.map(|info| AccountInfo {
            balance: info.balance,
            nonce: info.nonce,
            code_hash: info.code_hash,
            code: info.code.map(|code| code.original_bytes()),
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, DatabaseError> {
        let code = self.0.code_by_hash(code_hash).map_err(DatabaseError::new)?;
        Ok(code.original_bytes())
    }

    fn storage(&mut self, address: Address, key: U256) -> Result<U256, DatabaseError> {
        self.0.storage(address, key).map_err(DatabaseError::new)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DatabaseError> {
        self.0.block_hash(number).map_err(DatabaseError::new)
    }
}

/// cevm's state changes as revm's: every account touched, a deleted one
/// self-destructed (its storage and info cleared on commit), a created one
/// marked created (its old storage cleared before the new slots are written).
pub fn to_revm_changes(changes: StateChanges) -> AddressMap<RevmAccount> {
    changes
        .into_iter()
        .map(|(address, change)| {
            let account = match change.info {
                None => RevmAccount::default()
                    .with_touched_mark()
                    .with_selfdestruct_mark(),
                Some(info) => {
                    let storage = change.storage.into_iter().map(|(key, slot)| {
                        let slot = EvmStorageSlot::new_changed(
                            slot.original,
                            slot.present,
                            Default::default(),
                        );
                        (key, slot)
                    });
                    let account = RevmAccount::default()
                        .with_info(revm_info(info))
                        .with_storage(storage)
                        .with_touched_mark();
                    if change.storage_reset {
                        account.with_created_mark()
                    } else {
                        account
                    }
                }
            };
            (address, account)
        })
        .collect()
}

fn revm_info(info: AccountInfo) -> RevmAccountInfo {
    let code = info.code.unwrap_or_default();
    if code.is_empty() {
        return RevmAccountInfo {
            balance: info.balance,
            nonce: info.nonce,
            code_hash: KECCAK_EMPTY,
            code: Some(Bytecode::default()),
            ..Default::default()
        };
    }
    RevmAccountInfo {
        balance: info.balance,
        nonce: info.nonce,
        code_hash: info.code_hash,
        code: Some(Bytecode::new_raw(code)),
        ..Default::default()
    }
}

/// A `CacheDB` holding every account of the in-memory `state` (as of its
/// last transaction boundary) and its block hashes for `block_numbers`.
pub fn cache_db_from_state(
    state: &mut State,
    block_numbers: impl IntoIterator<Item = u64>,
) -> CacheDB<EmptyDB> {
    let mut db = CacheDB::new(EmptyDB::default());
    let accounts: Vec<(Address, Account)> =
        state.accounts().map(|(a, acc)| (*a, acc.clone())).collect();
    for (address, account) in accounts {
        db.insert_account_info(
            address,
            revm_info(AccountInfo {
                balance: account.balance,
                nonce: account.nonce,
                code_hash: account.code_hash,
                code: Some(account.code.clone()),
            }),
        );
        for (key, value) in &account.storage {
            // Cannot fail: the account was just inserted.
            let _ = db.insert_account_storage(address, *key, *value);
        }
    }
    for number in block_numbers {
        let hash = state.block_hash(number);
        if hash != B256::ZERO {
            db.cache.block_hashes.insert(U256::from(number), hash);
        }
    }
    db
}

pub mod check;
