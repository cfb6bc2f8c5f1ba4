//! Transaction validity: everything checked before a transaction executes.

use super::blob::{BlobSchedule, VERSIONED_HASH_VERSION_KZG};
use super::error::InvalidTransaction;
use super::intrinsic::{floor_gas, intrinsic_gas, TX_GAS_LIMIT_CAP};
use super::types::{Transaction, TxType};
use crate::env::Env;
use crate::evm::delegation_target;
use crate::gas;
use crate::spec::SpecId;
use alloy_primitives::U256;

/// Whether `code` is exactly an EIP-7702 delegation designator.
pub fn is_delegation(code: &[u8]) -> bool {
    delegation_target(code).is_some()
}

/// What validation needs to know about the sender.
#[derive(Clone, Copy, Debug)]
pub struct SenderAccount<'a> {
    /// Balance.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code (empty for an EOA).
    pub code: &'a [u8],
}

/// What a valid transaction will be charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidTransaction {
    /// Intrinsic gas.
    pub intrinsic_gas: u64,
    /// EIP-7623 floor (zero before Prague).
    pub floor_gas: u64,
    /// Price paid per gas.
    pub effective_gas_price: U256,
    /// Blob gas fee burnt up front (`blob_gas * blob_base_fee`).
    pub blob_fee: U256,
}

/// The first fork in which transactions of type `tx_type` are valid:
/// EIP-2930 access lists in Berlin, EIP-1559 fees in London, EIP-4844 blobs
/// in Cancun, EIP-7702 set-code in Prague.
pub fn first_fork_of(tx_type: TxType) -> SpecId {
    match tx_type {
        TxType::Legacy => SpecId::Frontier,
        TxType::AccessList => SpecId::Berlin,
        TxType::DynamicFee => SpecId::London,
        TxType::Blob => SpecId::Cancun,
        TxType::SetCode => SpecId::Prague,
    }
}

/// Checks `tx` against the block in `env`, the fork's blob `schedule` and its `sender`.
pub fn validate(
    tx: &Transaction,
    env: &Env,
    schedule: &BlobSchedule,
    sender: SenderAccount<'_>,
) -> Result<ValidTransaction, InvalidTransaction> {
    let spec = env.spec;
    let base_fee = env.base_fee();
    if spec < first_fork_of(tx.tx_type) {
        return Err(InvalidTransaction::TypeNotSupported(tx.tx_type as u8));
    }

    // Gas limit rules.
    let intrinsic = intrinsic_gas(tx, spec);
    if tx.gas_limit < intrinsic {
        return Err(InvalidTransaction::IntrinsicGasTooLow {
            limit: tx.gas_limit,
            needed: intrinsic,
        });
    }
    let floor = floor_gas(tx, spec);
    if tx.gas_limit < floor {
        return Err(InvalidTransaction::GasBelowFloor {
            limit: tx.gas_limit,
            floor,
        });
    }
    if spec >= SpecId::Osaka && tx.gas_limit > TX_GAS_LIMIT_CAP {
        return Err(InvalidTransaction::GasLimitAboveCap {
            limit: tx.gas_limit,
            cap: TX_GAS_LIMIT_CAP,
        });
    }
    if U256::from(tx.gas_limit) > env.block.gas_limit {
        return Err(InvalidTransaction::GasAllowanceExceeded {
            limit: tx.gas_limit,
            block: env.block.gas_limit,
        });
    }
    if tx.is_create() && gas::max_initcode_size(spec).is_some_and(|max| tx.data.len() > max) {
        return Err(InvalidTransaction::InitcodeTooLarge(tx.data.len()));
    }
    if tx.nonce == u64::MAX {
        return Err(InvalidTransaction::NonceOverflow);
    }

    // Fees.
    let max_fee = tx.max_fee_per_gas;
    if matches!(tx.tx_type, TxType::Legacy | TxType::AccessList) {
        if max_fee < base_fee {
            return Err(InvalidTransaction::FeeBelowBaseFee { max_fee, base_fee });
        }
    } else {
        if max_fee < tx.max_priority_fee_per_gas {
            return Err(InvalidTransaction::PriorityAboveMaxFee {
                priority: tx.max_priority_fee_per_gas,
                max_fee,
            });
        }
        if max_fee < base_fee {
            return Err(InvalidTransaction::FeeBelowBaseFee { max_fee, base_fee });
        }
    }
    let effective_gas_price = tx.effective_gas_price(base_fee);
    let mut max_cost = U256::from(tx.gas_limit)
        .checked_mul(max_fee)
        .ok_or(InvalidTransaction::CostOverflow)?;

    // Blobs.
    let mut blob_fee = U256::ZERO;
    if tx.tx_type == TxType::Blob {
        if tx.blob_hashes.is_empty() {
            return Err(InvalidTransaction::NoBlobs);
        }
        let max = schedule.max_blobs_per_tx(spec);
        if tx.blob_hashes.len() as u64 > max {
            return Err(InvalidTransaction::TooManyBlobs {
                count: tx.blob_hashes.len(),
                max,
            });
        }
        if let Some(i) = tx
            .blob_hashes
            .iter()
            .position(|h| h[0] != VERSIONED_HASH_VERSION_KZG)
        {
            return Err(InvalidTransaction::InvalidBlobVersion(i));
        }
        let blob_base_fee = env.block.blob_base_fee;
        if tx.max_fee_per_blob_gas < blob_base_fee {
            return Err(InvalidTransaction::BlobFeeTooLow {
                max_fee: tx.max_fee_per_blob_gas,
                blob_base_fee,
            });
        }
        let blob_gas = U256::from(tx.blob_gas());
        let max_blob_fee = blob_gas
            .checked_mul(tx.max_fee_per_blob_gas)
            .ok_or(InvalidTransaction::CostOverflow)?;
        max_cost = max_cost
            .checked_add(max_blob_fee)
            .ok_or(InvalidTransaction::CostOverflow)?;
        blob_fee = blob_gas.saturating_mul(blob_base_fee);
    }
    if matches!(tx.tx_type, TxType::Blob | TxType::SetCode) && tx.is_create() {
        return Err(InvalidTransaction::CreateNotAllowed(tx.tx_type as u8));
    }
    if tx.tx_type == TxType::SetCode && tx.authorization_list.is_empty() {
        return Err(InvalidTransaction::EmptyAuthorizationList);
    }

    // The sender.
    if sender.nonce != tx.nonce {
        return Err(InvalidTransaction::NonceMismatch {
            tx: tx.nonce,
            state: sender.nonce,
        });
    }
    let needed = max_cost
        .checked_add(tx.value)
        .ok_or(InvalidTransaction::CostOverflow)?;
    if sender.balance < needed {
        return Err(InvalidTransaction::InsufficientFunds {
            balance: sender.balance,
            needed,
        });
    }
    // EIP-3607 (applied to every fork): a sender with code is refused, except
    // an EIP-7702 delegation from Prague on.
    let delegated = spec >= SpecId::Prague && is_delegation(sender.code);
    if !sender.code.is_empty() && !delegated {
        return Err(InvalidTransaction::SenderNotEoa(tx.caller));
    }

    Ok(ValidTransaction {
        intrinsic_gas: intrinsic,
        floor_gas: floor,
        effective_gas_price,
        blob_fee,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm::DELEGATION_PREFIX;
    use crate::tx::{Authorization, TxKind};
    use alloy_primitives::{Address, Bytes, B256};

    fn env(spec: SpecId) -> Env {
        let mut env = Env::new(spec);
        env.block.gas_limit = U256::from(30_000_000u64);
        env.block.basefee = U256::from(10);
        env.block.blob_base_fee = U256::from(1);
        env
    }

    fn rich() -> SenderAccount<'static> {
        SenderAccount {
            balance: U256::from(10u64.pow(18)),
            nonce: 0,
            code: &[],
        }
    }

    fn call() -> Transaction {
        let mut tx = Transaction::legacy(
            Address::repeat_byte(0x11),
            TxKind::Call(Address::ZERO),
            100_000,
        );
        tx.max_fee_per_gas = U256::from(10);
        tx.max_priority_fee_per_gas = U256::from(10);
        tx
    }

    fn check(
        tx: &Transaction,
        spec: SpecId,
        sender: SenderAccount<'_>,
    ) -> Result<ValidTransaction, InvalidTransaction> {
        validate(tx, &env(spec), &BlobSchedule::for_spec(spec), sender)
    }

    #[test]
    fn valid_legacy_call() {
        let v = check(&call(), SpecId::Cancun, rich()).unwrap();
        assert_eq!(v.intrinsic_gas, 21_000);
        assert_eq!(v.effective_gas_price, U256::from(10));
        assert_eq!(v.blob_fee, U256::ZERO);
    }

    #[test]
    fn nonce_and_sender_rules() {
        let mut tx = call();
        tx.nonce = 1;
        assert_eq!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::NonceMismatch { tx: 1, state: 0 })
        );
        tx.nonce = u64::MAX;
        let sender = SenderAccount {
            nonce: u64::MAX,
            ..rich()
        };
        assert_eq!(
            check(&tx, SpecId::Cancun, sender),
            Err(InvalidTransaction::NonceOverflow)
        );
        let code = [0x60, 0x00];
        let contract = SenderAccount {
            code: &code,
            ..rich()
        };
        assert!(matches!(
            check(&call(), SpecId::Cancun, contract),
            Err(InvalidTransaction::SenderNotEoa(_))
        ));
        let mut delegation = [0u8; 23];
        delegation[..3].copy_from_slice(&DELEGATION_PREFIX);
        let delegated = SenderAccount {
            code: &delegation,
            ..rich()
        };
        assert!(check(&call(), SpecId::Prague, delegated).is_ok());
        assert!(matches!(
            check(&call(), SpecId::Cancun, delegated),
            Err(InvalidTransaction::SenderNotEoa(_))
        ));
    }

    #[test]
    fn transaction_types_per_fork() {
        let mut tx = call();
        for (tx_type, first) in [
            (TxType::AccessList, SpecId::Berlin),
            (TxType::DynamicFee, SpecId::London),
        ] {
            tx.tx_type = tx_type;
            assert_eq!(first_fork_of(tx_type), first);
            assert!(check(&tx, first, rich()).is_ok(), "{tx_type:?}");
            let before = SpecId::ALL[first as usize - 1];
            assert_eq!(
                check(&tx, before, rich()),
                Err(InvalidTransaction::TypeNotSupported(tx_type as u8))
            );
        }
        assert_eq!(first_fork_of(TxType::Blob), SpecId::Cancun);
        assert_eq!(first_fork_of(TxType::Legacy), SpecId::Frontier);
    }

    #[test]
    fn base_fee_applies_from_london() {
        // The block's base fee (10) exceeds the gas price, which only matters
        // once EIP-1559 is in force.
        let mut tx = call();
        tx.max_fee_per_gas = U256::from(1);
        tx.max_priority_fee_per_gas = U256::from(1);
        assert!(check(&tx, SpecId::Berlin, rich()).is_ok());
        assert!(matches!(
            check(&tx, SpecId::London, rich()),
            Err(InvalidTransaction::FeeBelowBaseFee { .. })
        ));
    }

    #[test]
    fn fee_and_balance_rules() {
        let mut tx = call();
        tx.max_fee_per_gas = U256::from(9);
        assert!(matches!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::FeeBelowBaseFee { .. })
        ));
        let mut tx = call();
        tx.tx_type = TxType::DynamicFee;
        tx.max_priority_fee_per_gas = U256::from(11);
        assert!(matches!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::PriorityAboveMaxFee { .. })
        ));
        // Exactly enough: gas_limit * max_fee + value.
        let mut tx = call();
        tx.value = U256::from(5);
        let exact = SenderAccount {
            balance: U256::from(100_000 * 10 + 5),
            ..rich()
        };
        assert!(check(&tx, SpecId::Cancun, exact).is_ok());
        let short = SenderAccount {
            balance: U256::from(100_000 * 10 + 4),
            ..rich()
        };
        assert!(matches!(
            check(&tx, SpecId::Cancun, short),
            Err(InvalidTransaction::InsufficientFunds { .. })
        ));
        tx.max_fee_per_gas = U256::MAX;
        assert_eq!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::CostOverflow)
        );
    }

    #[test]
    fn gas_limit_rules() {
        let mut tx = call();
        tx.gas_limit = 20_999;
        assert!(matches!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::IntrinsicGasTooLow { .. })
        ));
        // 100 non-zero bytes: intrinsic 22600, floor 21000 + 4000 = 25000.
        let mut tx = call();
        tx.data = Bytes::from(vec![1u8; 100]);
        tx.gas_limit = 24_999;
        assert!(check(&tx, SpecId::Cancun, rich()).is_ok());
        assert!(matches!(
            check(&tx, SpecId::Prague, rich()),
            Err(InvalidTransaction::GasBelowFloor { .. })
        ));
        let mut tx = call();
        tx.gas_limit = (1 << 24) + 1;
        assert!(check(&tx, SpecId::Prague, rich()).is_ok());
        assert!(matches!(
            check(&tx, SpecId::Osaka, rich()),
            Err(InvalidTransaction::GasLimitAboveCap { .. })
        ));
        tx.gas_limit = 30_000_001;
        assert!(matches!(
            check(&tx, SpecId::Prague, rich()),
            Err(InvalidTransaction::GasAllowanceExceeded { .. })
        ));
        let mut tx = call();
        tx.kind = TxKind::Create;
        tx.gas_limit = 10_000_000;
        tx.data = Bytes::from(vec![0u8; gas::MAX_INITCODE_SIZE + 1]);
        assert!(matches!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::InitcodeTooLarge(_))
        ));
        // No limit before Shanghai.
        assert!(check(&tx, SpecId::Paris, rich()).is_ok());
    }

    #[test]
    fn blob_rules() {
        let mut tx = call();
        tx.tx_type = TxType::Blob;
        tx.max_fee_per_blob_gas = U256::from(1);
        assert_eq!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::NoBlobs)
        );
        let mut hash = B256::ZERO;
        hash.0[0] = 1;
        tx.blob_hashes = vec![hash; 2];
        let v = check(&tx, SpecId::Cancun, rich()).unwrap();
        assert_eq!(v.blob_fee, U256::from(2 * 131_072));
        tx.blob_hashes[1] = B256::ZERO;
        assert_eq!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::InvalidBlobVersion(1))
        );
        tx.blob_hashes = vec![hash; 7];
        assert!(matches!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::TooManyBlobs { .. })
        ));
        assert!(check(&tx, SpecId::Prague, rich()).is_ok());
        assert!(matches!(
            check(&tx, SpecId::Osaka, rich()),
            Err(InvalidTransaction::TooManyBlobs { .. })
        ));
        tx.blob_hashes = vec![hash];
        tx.max_fee_per_blob_gas = U256::ZERO;
        assert!(matches!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::BlobFeeTooLow { .. })
        ));
        tx.max_fee_per_blob_gas = U256::from(1);
        tx.kind = TxKind::Create;
        assert_eq!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::CreateNotAllowed(3))
        );
    }

    #[test]
    fn set_code_rules() {
        let mut tx = call();
        tx.tx_type = TxType::SetCode;
        assert_eq!(
            check(&tx, SpecId::Prague, rich()),
            Err(InvalidTransaction::EmptyAuthorizationList)
        );
        tx.authorization_list = vec![Authorization::default()];
        assert_eq!(
            check(&tx, SpecId::Cancun, rich()),
            Err(InvalidTransaction::TypeNotSupported(4))
        );
        assert!(check(&tx, SpecId::Prague, rich()).is_ok());
        tx.kind = TxKind::Create;
        assert_eq!(
            check(&tx, SpecId::Prague, rich()),
            Err(InvalidTransaction::CreateNotAllowed(4))
        );
    }
}
