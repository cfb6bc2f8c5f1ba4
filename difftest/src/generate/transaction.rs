//! The transaction kind and access list of a generated scenario, drawn
//! after everything else so that the contracts, gas limit, value and call
//! data of a `(seed, index)` are the same whatever kind is chosen.

use super::operands::known_address;
use crate::entropy::Entropy;
use crate::scenario::{contract_address, BYSTANDER};
use crate::tx_kind::{authority_address, AuthorizationSpec, TxKind, AUTHORITY_KEYS};
use alloy_primitives::{Address, B256, U256};
use cevm_runtime::tx::intrinsic::{
    ACCESS_LIST_ADDRESS, ACCESS_LIST_STORAGE_KEY, PER_EMPTY_ACCOUNT_COST, TX_CREATE,
};

/// Gas per init code byte a creation is given on top of the creation cost:
/// a generous allowance for data, init code words and the EIP-7623 floor.
const CREATE_GAS_PER_BYTE: u64 = 42;

/// Chooses the transaction: mostly calls, then set-code, creation and blob
/// transactions. `contracts` is the number of generated contracts.
pub fn generate_kind<R: Entropy>(rng: &mut R, contracts: usize) -> TxKind {
    match rng.weighted(&[70, 10, 8, 12]) {
        0 => TxKind::Call,
        1 => TxKind::Create,
        2 => blob(rng),
        _ => set_code(rng, contracts),
    }
}

fn blob<R: Entropy>(rng: &mut R) -> TxKind {
    // Up to 6 is valid on every fork (and the Osaka per-transaction cap);
    // more is rejected on some forks; none is always rejected.
    let count = match rng.below(20) {
        0 => 0,
        1 | 2 => rng.range(7, 10),
        _ => rng.range(1, 6),
    } as usize;
    let bad_version = rng.chance(1, 30);
    let hashes = (0..count)
        .map(|_| {
            let mut hash = [0u8; 32];
            hash[1..].copy_from_slice(&rng.bytes(31));
            hash[0] = if bad_version { 0x02 } else { 0x01 };
            B256::new(hash)
        })
        .collect();
    // The blob base fee is 1 wei with zero excess blob gas; 0 is too low.
    let max_fee_per_blob_gas = if rng.chance(1, 25) {
        0
    } else {
        rng.range(1, 3)
    };
    TxKind::Blob {
        hashes,
        max_fee_per_blob_gas,
    }
}

fn set_code<R: Entropy>(rng: &mut R, contracts: usize) -> TxKind {
    // An empty list is invalid (rejected).
    let count = if rng.chance(1, 30) {
        0
    } else {
        rng.range(1, 3)
    };
    let mut next_nonce = [0u64; AUTHORITY_KEYS as usize];
    let authorizations: Vec<AuthorizationSpec> = (0..count)
        .map(|_| {
            let key = rng.below(u64::from(AUTHORITY_KEYS)) as u8;
            let expected = &mut next_nonce[usize::from(key)];
            // The authority's current nonce (valid: it then increases), or a
            // stale or future one (skipped).
            let nonce = match rng.below(8) {
                0 => *expected + 1,
                1 => expected.saturating_sub(1),
                _ => *expected,
            };
            if nonce == *expected {
                *expected += 1;
            }
            let chain_id = match rng.below(10) {
                0 => 0,
                1 => 5,
                _ => 1,
            };
            let delegate = match rng.below(10) {
                0..=4 => contract_address(rng.below(contracts.max(1) as u64) as usize),
                5 => Address::ZERO, // clears a delegation
                6 => authority_address(rng.below(u64::from(AUTHORITY_KEYS)) as u8),
                7 => BYSTANDER,
                _ => known_address(rng, contracts),
            };
            AuthorizationSpec {
                key,
                chain_id,
                delegate,
                nonce,
            }
        })
        .collect();
    let to = match authorizations.first() {
        Some(first) if rng.chance(3, 4) => authority_address(first.key),
        _ => contract_address(0),
    };
    TxKind::SetCode { authorizations, to }
}

/// An access list for one scenario in six: addresses of the scenario
/// (sometimes repeated) with a few storage keys.
pub fn generate_access_list<R: Entropy>(
    rng: &mut R,
    contracts: usize,
) -> Vec<(Address, Vec<B256>)> {
    if !rng.chance(1, 6) {
        return Vec::new();
    }
    (0..rng.range(1, 4))
        .map(|_| {
            let address = known_address(rng, contracts);
            let keys = (0..rng.below(4))
                .map(|_| B256::from(U256::from(rng.below(8))))
                .collect();
            (address, keys)
        })
        .collect()
}

/// Gas the transaction kind and access list add to the intrinsic cost, so
/// that the drawn gas limit still reaches execution. `init_len` is the
/// init code length of a creation.
pub fn extra_gas(kind: &TxKind, access_list: &[(Address, Vec<B256>)], init_len: usize) -> u64 {
    let list: u64 = access_list
        .iter()
        .map(|(_, keys)| ACCESS_LIST_ADDRESS + ACCESS_LIST_STORAGE_KEY * keys.len() as u64)
        .sum();
    list + match kind {
        TxKind::Create => TX_CREATE + CREATE_GAS_PER_BYTE * init_len as u64,
        TxKind::SetCode { authorizations, .. } => {
            PER_EMPTY_ACCOUNT_COST * authorizations.len() as u64
        }
        TxKind::Call | TxKind::Blob { .. } => 0,
    }
}
