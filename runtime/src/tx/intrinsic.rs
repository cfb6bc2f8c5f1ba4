//! Intrinsic gas and the EIP-7623 calldata floor.

use super::types::{AccessListItem, Transaction};
use crate::spec::SpecId;

/// Base cost of every transaction.
pub const TX_BASE: u64 = 21_000;
/// Extra cost of a creation transaction (EIP-2, from Homestead).
pub const TX_CREATE: u64 = 32_000;
/// Per zero byte of call data.
pub const TX_DATA_ZERO: u64 = 4;
/// Per non-zero byte of call data (EIP-2028, from Istanbul).
pub const TX_DATA_NON_ZERO: u64 = 16;
/// Per non-zero byte of call data before Istanbul.
pub const TX_DATA_NON_ZERO_FRONTIER: u64 = 68;
/// Per access-list address (EIP-2930).
pub const ACCESS_LIST_ADDRESS: u64 = 2_400;
/// Per access-list storage key (EIP-2930).
pub const ACCESS_LIST_STORAGE_KEY: u64 = 1_900;
/// Per init-code word (EIP-3860, from Shanghai).
pub const INITCODE_WORD: u64 = 2;
/// Per authorization tuple (EIP-7702 `PER_EMPTY_ACCOUNT_COST`).
pub const PER_EMPTY_ACCOUNT_COST: u64 = 25_000;
/// Refunded per authorization whose authority already exists (EIP-7702 `PER_AUTH_BASE_COST`).
pub const PER_AUTH_BASE_COST: u64 = 12_500;
/// Gas per calldata token in the EIP-7623 floor.
pub const TOTAL_COST_FLOOR_PER_TOKEN: u64 = 10;
/// The EIP-7825 transaction gas limit cap (Osaka).
pub const TX_GAS_LIMIT_CAP: u64 = 1 << 24;

/// EIP-7623 calldata tokens: one per zero byte, four per non-zero byte.
pub fn calldata_tokens(data: &[u8]) -> u64 {
    let zeros = data.iter().filter(|b| **b == 0).count() as u64;
    let non_zeros = data.len() as u64 - zeros;
    zeros + non_zeros * 4
}

/// Gas of the access list.
pub fn access_list_gas(list: &[AccessListItem]) -> u64 {
    list.iter().fold(0u64, |acc, item| {
        acc.saturating_add(ACCESS_LIST_ADDRESS)
            .saturating_add(ACCESS_LIST_STORAGE_KEY.saturating_mul(item.storage_keys.len() as u64))
    })
}

/// Gas charged before execution starts under `spec`: base, call data
/// (68 per non-zero byte before Istanbul, 16 from it on), creation (from
/// Homestead) and init-code words (from Shanghai), access list and
/// authorizations (their transaction types exist only from Berlin and
/// Prague on).
pub fn intrinsic_gas(tx: &Transaction, spec: SpecId) -> u64 {
    let zeros = tx.data.iter().filter(|b| **b == 0).count() as u64;
    let non_zeros = tx.data.len() as u64 - zeros;
    let non_zero_cost = if spec >= SpecId::Istanbul {
        TX_DATA_NON_ZERO
    } else {
        TX_DATA_NON_ZERO_FRONTIER
    };
    let mut gas = TX_BASE + zeros * TX_DATA_ZERO + non_zeros * non_zero_cost;
    if tx.is_create() {
        if spec >= SpecId::Homestead {
            gas = gas.saturating_add(TX_CREATE);
        }
        if spec >= SpecId::Shanghai {
            let words = (tx.data.len() as u64).div_ceil(32);
            gas = gas.saturating_add(words * INITCODE_WORD);
        }
    }
    gas = gas.saturating_add(access_list_gas(&tx.access_list));
    gas.saturating_add(PER_EMPTY_ACCOUNT_COST.saturating_mul(tx.authorization_list.len() as u64))
}

/// The EIP-7623 floor (Prague and later): the least gas a transaction pays
/// for its call data; zero before Prague.
pub fn floor_gas(tx: &Transaction, spec: SpecId) -> u64 {
    if spec < SpecId::Prague {
        return 0;
    }
    TX_BASE.saturating_add(TOTAL_COST_FLOOR_PER_TOKEN.saturating_mul(calldata_tokens(&tx.data)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tx::{Authorization, TxKind};
    use alloy_primitives::{Address, Bytes, B256};

    fn tx(kind: TxKind, data: &[u8]) -> Transaction {
        let mut tx = Transaction::legacy(Address::ZERO, kind, 1_000_000);
        tx.data = Bytes::copy_from_slice(data);
        tx
    }

    #[test]
    fn call_and_create_intrinsic_gas() {
        let to = TxKind::Call(Address::repeat_byte(1));
        assert_eq!(intrinsic_gas(&tx(to, &[]), SpecId::Cancun), 21_000);
        assert_eq!(
            intrinsic_gas(&tx(to, &[0, 0, 1]), SpecId::Cancun),
            21_000 + 8 + 16
        );
        // 33 bytes of init code: 2 words.
        let init = [1u8; 33];
        let create = tx(TxKind::Create, &init);
        assert_eq!(
            intrinsic_gas(&create, SpecId::Cancun),
            53_000 + 33 * 16 + 2 * 2
        );
        // No init-code words before Shanghai, 68 per non-zero byte before
        // Istanbul, no creation cost in Frontier.
        assert_eq!(intrinsic_gas(&create, SpecId::Paris), 53_000 + 33 * 16);
        assert_eq!(intrinsic_gas(&create, SpecId::Homestead), 53_000 + 33 * 68);
        assert_eq!(intrinsic_gas(&create, SpecId::Frontier), 21_000 + 33 * 68);
    }

    #[test]
    fn access_list_and_authorizations() {
        let mut t = tx(TxKind::Call(Address::ZERO), &[]);
        t.access_list = vec![
            AccessListItem {
                address: Address::ZERO,
                storage_keys: vec![B256::ZERO, B256::ZERO],
            },
            AccessListItem::default(),
        ];
        t.authorization_list = vec![Authorization::default(); 3];
        assert_eq!(
            intrinsic_gas(&t, SpecId::Prague),
            21_000 + 2 * 2400 + 2 * 1900 + 3 * 25_000
        );
    }

    #[test]
    fn calldata_floor() {
        let t = tx(TxKind::Call(Address::ZERO), &[0, 5, 0, 0]);
        assert_eq!(calldata_tokens(&t.data), 3 + 4);
        assert_eq!(floor_gas(&t, SpecId::Cancun), 0);
        assert_eq!(floor_gas(&t, SpecId::Prague), 21_000 + 70);
    }
}
