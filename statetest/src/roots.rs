//! The state root and the logs hash the fixtures are checked against.

use alloy_primitives::{keccak256, Address, Log, B256, U256};
use alloy_trie::root::{state_root_unhashed, storage_root_unhashed};
use alloy_trie::TrieAccount;

/// What the state root needs of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RootAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// keccak of the code.
    pub code_hash: B256,
    /// Storage slots; zero values are ignored (they are not in the trie).
    pub storage: Vec<(U256, U256)>,
}

impl From<&cevm_runtime::Account> for RootAccount {
    fn from(account: &cevm_runtime::Account) -> Self {
        RootAccount {
            nonce: account.nonce,
            balance: account.balance,
            code_hash: account.code_hash,
            storage: account.storage.iter().map(|(k, v)| (*k, *v)).collect(),
        }
    }
}

/// Root of a storage trie: `keccak(slot) -> rlp(value)` over the non-zero slots.
pub fn storage_root(slots: impl IntoIterator<Item = (U256, U256)>) -> B256 {
    storage_root_unhashed(
        slots
            .into_iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(k, v)| (B256::from(k), v)),
    )
}

/// Root of the state trie: `keccak(address) -> rlp([nonce, balance, storage_root, code_hash])`.
pub fn state_root(accounts: impl IntoIterator<Item = (Address, RootAccount)>) -> B256 {
    state_root_unhashed(accounts.into_iter().map(|(address, account)| {
        let trie = TrieAccount {
            nonce: account.nonce,
            balance: account.balance,
            storage_root: storage_root(account.storage),
            code_hash: account.code_hash,
        };
        (address, trie)
    }))
}

/// keccak of the RLP list of logs `[address, [topics], data]`.
pub fn logs_hash(logs: &[Log]) -> B256 {
    let mut out = Vec::new();
    alloy_rlp::encode_list(logs, &mut out);
    keccak256(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{b256, Bytes, LogData};

    #[test]
    fn empty_roots() {
        // The root of an empty trie and the hash of an empty RLP list.
        let empty_trie = b256!("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
        assert_eq!(state_root(Vec::new()), empty_trie);
        assert_eq!(storage_root([(U256::from(1), U256::ZERO)]), empty_trie);
        assert_eq!(
            logs_hash(&[]),
            b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")
        );
    }

    #[test]
    fn zero_slots_do_not_change_the_root() {
        let a = storage_root([(U256::from(1), U256::from(5))]);
        let b = storage_root([(U256::from(1), U256::from(5)), (U256::from(2), U256::ZERO)]);
        assert_eq!(a, b);
        assert_ne!(a, storage_root([(U256::from(1), U256::from(6))]));
    }

    #[test]
    fn logs_hash_depends_on_every_field() {
        let log = |byte: u8, data: &'static [u8]| Log {
            address: Address::repeat_byte(byte),
            data: LogData::new_unchecked(vec![B256::repeat_byte(byte)], Bytes::from_static(data)),
        };
        let base = logs_hash(&[log(1, b"a")]);
        assert_ne!(base, logs_hash(&[log(2, b"a")]));
        assert_ne!(base, logs_hash(&[log(1, b"b")]));
        assert_ne!(base, logs_hash(&[log(1, b"a"), log(1, b"a")]));
    }
}
