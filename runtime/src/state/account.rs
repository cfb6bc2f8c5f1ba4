//! One account of the world state.

use super::Storage;
use alloy_primitives::{keccak256, Bytes, B256, KECCAK256_EMPTY, U256};

/// An account: balance, nonce, code (with its hash) and storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code (an EIP-7702 delegation designator for a delegated EOA).
    pub code: Bytes,
    /// keccak256 of `code`.
    pub code_hash: B256,
    /// Storage; only non-zero values are kept, so a missing key reads as
    /// zero. During a transaction this is the storage it started with:
    /// writes reach it when the transaction ends ([`super::State::storage`]
    /// sees them at once).
    pub storage: Storage,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            balance: U256::ZERO,
            nonce: 0,
            code: Bytes::new(),
            code_hash: KECCAK256_EMPTY,
            storage: Storage::default(),
        }
    }
}

impl Account {
    /// An account with `balance` and nothing else.
    pub fn with_balance(balance: U256) -> Self {
        Account {
            balance,
            ..Account::default()
        }
    }

    /// Replaces the code, recomputing the hash.
    pub fn set_code(&mut self, code: Bytes) {
        self.code_hash = if code.is_empty() {
            KECCAK256_EMPTY
        } else {
            keccak256(&code)
        };
        self.code = code;
    }

    /// Builder form of [`Account::set_code`].
    pub fn with_code(mut self, code: Bytes) -> Self {
        self.set_code(code);
        self
    }

    /// Builder: sets the nonce.
    pub fn with_nonce(mut self, nonce: u64) -> Self {
        self.nonce = nonce;
        self
    }

    /// Builder: sets a storage slot (zero values are not stored).
    pub fn with_storage(mut self, key: U256, value: U256) -> Self {
        if value.is_zero() {
            self.storage.remove(&key);
        } else {
            self.storage.insert(key, value);
        }
        self
    }

    /// Empty in the EIP-161 sense: no code, zero nonce, zero balance.
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && self.balance.is_zero() && self.code.is_empty()
    }

    /// Whether the account has code or a nonce (a CREATE to it collides).
    pub fn has_code_or_nonce(&self) -> bool {
        self.nonce != 0 || !self.code.is_empty()
    }
}
