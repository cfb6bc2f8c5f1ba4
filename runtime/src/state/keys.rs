//! Hash-map keys and map types of the state, chosen for cheap hashing: every
//! account, storage and warm-set access hashes one of these, several times
//! per transaction and per SLOAD/SSTORE.
//!
//! Addresses and storage keys are fixed-size byte strings, so they are
//! hashed as a few machine words (alloy's `FbBuildHasher`, foldhash
//! underneath) instead of through the generic byte-slice path with its
//! length prefix.

use alloy_primitives::map::{AddressMap, AddressSet, HashMap, U256Map};
use alloy_primitives::{Address, U256};
use std::hash::{Hash, Hasher};

/// Accounts by address.
pub(crate) type Accounts<V> = AddressMap<V>;

/// A set of addresses (warm, created, destructed, touched).
pub(crate) type Addresses = AddressSet;

/// Storage of one account: slot key to value.
pub type Storage = U256Map<U256>;

/// Per-slot data of the transaction (warmth, original value, transient
/// storage), keyed by account and slot.
pub(crate) type Slots<V> = HashMap<SlotKey, V>;

/// One storage slot of one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotKey {
    pub address: Address,
    pub key: U256,
}

impl SlotKey {
    #[inline]
    pub fn new(address: Address, key: U256) -> Self {
        SlotKey { address, key }
    }
}

impl Hash for SlotKey {
    /// Seven word writes (the key's limbs and the address as 8 + 8 + 4
    /// bytes), no length prefixes: foldhash folds each word in one multiply.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        for limb in self.key.as_limbs() {
            state.write_u64(*limb);
        }
        let a = &self.address.0 .0;
        let word = |range: std::ops::Range<usize>| {
            let mut bytes = [0u8; 8];
            bytes[..range.len()].copy_from_slice(&a[range]);
            u64::from_le_bytes(bytes)
        };
        state.write_u64(word(0..8));
        state.write_u64(word(8..16));
        state.write_u64(word(16..20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_keys_differ_by_address_and_key() {
        let mut map: Slots<u8> = Slots::default();
        let a = Address::with_last_byte(1);
        let b = Address::repeat_byte(1);
        map.insert(SlotKey::new(a, U256::from(1)), 1);
        map.insert(SlotKey::new(b, U256::from(1)), 2);
        map.insert(SlotKey::new(a, U256::MAX), 3);
        assert_eq!(map.len(), 3);
        assert_eq!(map[&SlotKey::new(a, U256::from(1))], 1);
        assert_eq!(map[&SlotKey::new(b, U256::from(1))], 2);
        assert_eq!(map.get(&SlotKey::new(b, U256::MAX)), None);
    }
}
