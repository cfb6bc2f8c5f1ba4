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
    /// Four word writes, no length prefixes: the key's limbs, the address
    /// folded into the first three (eight, eight and four bytes). foldhash
    /// then needs two multiplies where the seven words of key and address
    /// written apart needed four (in sequence, on every SLOAD and SSTORE).
    /// Two slots of different accounts can share the four words (and so the
    /// hash); they stay two entries, compared in full.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        let a = &self.address.0 .0;
        let word = |range: std::ops::Range<usize>| {
            let mut bytes = [0u8; 8];
            bytes[..range.len()].copy_from_slice(&a[range]);
            u64::from_le_bytes(bytes)
        };
        let [k0, k1, k2, k3] = *self.key.as_limbs();
        state.write_u64(k0 ^ word(0..8));
        state.write_u64(k1 ^ word(8..16));
        state.write_u64(k2 ^ word(16..20));
        state.write_u64(k3);
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
