//! Where the world state comes from: the [`Database`] a [`crate::State`]
//! caches.
//!
//! A `State` keeps every account, slot and block hash it has seen in
//! memory, journaled per transaction; whatever it has not seen it asks its
//! database for, once. [`State::new`](crate::State::new) has nothing behind
//! it ([`EmptyDatabase`]): the accounts inserted by hand are the whole
//! world. [`State::with_database`](crate::State::with_database) puts a
//! node's database, a snapshot or an RPC-backed fork behind the cache
//! (`cevm-revm` adapts any revm `Database` or `DatabaseRef`).
//!
//! A failing query does not stop the frame that made it (the backends have
//! no way to): the state remembers the first error, answers "missing" or
//! zero from then on, and the transaction entry points
//! ([`crate::tx::transact`], [`crate::Evm::transact_call`]) undo the whole
//! transaction and return the error.

use alloy_primitives::{Address, Bytes, B256, U256};
use std::sync::Arc;

/// What a database knows about an account; its storage is asked for slot
/// by slot with [`Database::storage`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountInfo {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// keccak256 of the code (`KECCAK256_EMPTY` for none).
    pub code_hash: B256,
    /// The code, if the database has it at hand; otherwise the state asks
    /// [`Database::code_by_hash`] for it.
    pub code: Option<Bytes>,
}

/// A database query that failed. It aborts the transaction that made it:
/// nothing of the transaction is committed and the state's cache is left
/// as it was before.
#[derive(Clone, Debug, thiserror::Error)]
#[error("state database: {cause}")]
pub struct DatabaseError {
    cause: Arc<dyn std::error::Error + Send + Sync>,
}

impl DatabaseError {
    /// Wraps the database's own error.
    pub fn new(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        DatabaseError {
            cause: Arc::new(cause),
        }
    }

    /// An error described by a message only.
    pub fn msg(message: impl Into<String>) -> Self {
        DatabaseError {
            cause: Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(
                message.into(),
            )),
        }
    }

    /// The database's own error (for downcasting). It is not reported as
    /// [`std::error::Error::source`], since the message already names it.
    pub fn cause(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.cause
    }
}

/// The world state behind a [`crate::State`]: accounts, code by hash,
/// storage slots and the hashes of recent blocks. Every query may fail;
/// see the module documentation for what a failure does.
pub trait Database {
    /// The account at `address`, or `None` if it does not exist.
    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DatabaseError>;

    /// The code whose keccak256 is `code_hash` (asked only when
    /// [`Database::basic`] gave no code for a non-empty hash).
    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, DatabaseError>;

    /// The value of storage slot `key` of `address` (zero if unset).
    fn storage(&mut self, address: Address, key: U256) -> Result<U256, DatabaseError>;

    /// The hash of block `number` (asked only for the 256 blocks before the
    /// current one; zero if unknown).
    fn block_hash(&mut self, number: u64) -> Result<B256, DatabaseError>;
}

/// A borrowed or boxed database serves as well (`State<&mut D>`,
/// `State<Box<dyn Database>>`).
macro_rules! forward_database {
    ($($pointer:ty),*) => {$(
        impl<T: Database + ?Sized> Database for $pointer {
            fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DatabaseError> {
                (**self).basic(address)
            }

            fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, DatabaseError> {
                (**self).code_by_hash(code_hash)
            }

            fn storage(&mut self, address: Address, key: U256) -> Result<U256, DatabaseError> {
                (**self).storage(address, key)
            }

            fn block_hash(&mut self, number: u64) -> Result<B256, DatabaseError> {
                (**self).block_hash(number)
            }
        }
    )*};
}

forward_database!(&mut T, Box<T>);

/// Nothing: every account is missing, every slot and block hash zero. The
/// database of the in-memory [`crate::State`], whose accounts are the ones
/// inserted by hand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmptyDatabase;

impl Database for EmptyDatabase {
    fn basic(&mut self, _address: Address) -> Result<Option<AccountInfo>, DatabaseError> {
        Ok(None)
    }

    fn code_by_hash(&mut self, _code_hash: B256) -> Result<Bytes, DatabaseError> {
        Ok(Bytes::new())
    }

    fn storage(&mut self, _address: Address, _key: U256) -> Result<U256, DatabaseError> {
        Ok(U256::ZERO)
    }

    fn block_hash(&mut self, _number: u64) -> Result<B256, DatabaseError> {
        Ok(B256::ZERO)
    }
}

/// An in-memory state serves as the database of another (a snapshot under
/// a scratch cache), read as of its last transaction boundary.
impl Database for crate::State {
    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DatabaseError> {
        Ok(self.account(&address).map(|account| AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            code_hash: account.code_hash,
            code: Some(account.code.clone()),
        }))
    }

    /// A scan of the accounts: [`Database::basic`] always gives the code.
    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, DatabaseError> {
        Ok(self
            .accounts()
            .find(|(_, account)| account.code_hash == code_hash)
            .map(|(_, account)| account.code.clone())
            .unwrap_or_default())
    }

    fn storage(&mut self, address: Address, key: U256) -> Result<U256, DatabaseError> {
        Ok(crate::State::storage(self, &address, key))
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DatabaseError> {
        Ok(crate::State::block_hash(self, number))
    }
}
