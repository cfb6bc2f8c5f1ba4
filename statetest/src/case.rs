//! Turning a test's JSON into the runtime's environment and transaction for
//! one fork and one index combination.

use crate::model::{TestAccount, TestCase, TestEnv, TxNumber};
use alloy_primitives::{Bytes, B256, U256};
use cevm_runtime::tx::{AccessListItem, Authorization, BlobSchedule, Transaction, TxKind, TxType};
use cevm_runtime::{BlockEnv, Env, SpecId, TxEnv};

/// Why a case cannot be built from its JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// An index points past the end of its list.
    #[error("index {index} out of range for `{field}` ({len} entries)")]
    IndexOutOfRange {
        /// The list.
        field: &'static str,
        /// The index.
        index: usize,
        /// The list's length.
        len: usize,
    },
    /// A number does not fit the field's range.
    #[error("`{field}` = {value} is out of range")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value.
        value: U256,
    },
    /// A transaction number in the `0x:bigint` notation: the transaction
    /// cannot be encoded, so it is invalid (not a malformed test).
    #[error("`{field}` = 0x:bigint {text} cannot be encoded in a transaction")]
    Unencodable {
        /// The field.
        field: &'static str,
        /// The number as written after the marker.
        text: String,
    },
}

impl CaseError {
    /// Whether the error makes the transaction invalid (to be reported as
    /// rejected) rather than the test malformed.
    pub fn is_invalid_transaction(&self) -> bool {
        matches!(self, CaseError::Unencodable { .. })
    }
}

/// The value of a transaction number; the `0x:bigint` notation is an
/// invalid transaction.
fn number(n: &TxNumber, field: &'static str) -> Result<U256, CaseError> {
    match n {
        TxNumber::Value(v) => Ok(*v),
        TxNumber::BigInt(text) => Err(CaseError::Unencodable {
            field,
            text: text.clone(),
        }),
    }
}

/// An optional transaction number, zero when absent.
fn number_or_zero(n: &Option<TxNumber>, field: &'static str) -> Result<U256, CaseError> {
    n.as_ref().map_or(Ok(U256::ZERO), |n| number(n, field))
}

fn pick<'a, T>(list: &'a [T], index: usize, field: &'static str) -> Result<&'a T, CaseError> {
    list.get(index).ok_or(CaseError::IndexOutOfRange {
        field,
        index,
        len: list.len(),
    })
}

fn to_u64(value: U256, field: &'static str) -> Result<u64, CaseError> {
    u64::try_from(value).map_err(|_| CaseError::OutOfRange { field, value })
}

/// A nonce of 2^64 or more is as invalid as 2^64 - 1 (EIP-2681), and a gas
/// limit that large exceeds every block gas limit: saturating keeps those
/// transactions representable so that validation rejects them.
fn saturate_u64(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// The blob parameters in force: the test's `config.blobSchedule` entry for
/// the fork if present, else the fork's mainnet schedule.
pub fn blob_schedule(case: &TestCase, spec: SpecId) -> BlobSchedule {
    let given = case
        .config
        .as_ref()
        .and_then(|c| c.blob_schedule.as_ref())
        .and_then(|s| {
            s.iter()
                .find(|(name, _)| name.parse::<SpecId>() == Ok(spec))
        })
        .map(|(_, s)| s);
    match given {
        Some(s) => BlobSchedule {
            target: saturate_u64(s.target),
            max: saturate_u64(s.max),
            update_fraction: saturate_u64(s.base_fee_update_fraction),
        },
        None => BlobSchedule::for_spec(spec),
    }
}

/// The block environment under `spec`; the blob base fee follows `schedule`.
pub fn block_env(env: &TestEnv, schedule: &BlobSchedule) -> Result<BlockEnv, CaseError> {
    let excess_blob_gas = env
        .current_excess_blob_gas
        .map(|v| to_u64(v, "currentExcessBlobGas"))
        .transpose()?;
    let difficulty = env.current_difficulty.unwrap_or_default();
    Ok(BlockEnv {
        number: env.current_number,
        coinbase: env.current_coinbase,
        timestamp: env.current_timestamp,
        gas_limit: env.current_gas_limit,
        basefee: env.current_base_fee.unwrap_or_default(),
        prevrandao: env.current_random.unwrap_or_else(|| B256::from(difficulty)),
        difficulty,
        blob_base_fee: schedule.blob_base_fee(excess_blob_gas.unwrap_or(0)),
        excess_blob_gas,
    })
}

/// The transaction of the index combination (`data`, `gas`, `value`).
pub fn transaction(
    case: &TestCase,
    data: usize,
    gas: usize,
    value: usize,
) -> Result<Transaction, CaseError> {
    let t = &case.transaction;
    let input: &Bytes = pick(&t.data, data, "data")?;
    let gas_limit = saturate_u64(number(pick(&t.gas_limit, gas, "gasLimit")?, "gasLimit")?);
    let value = number(pick(&t.value, value, "value")?, "value")?;
    let access_list = match &t.access_lists {
        Some(lists) => pick(lists, data, "accessLists")?
            .iter()
            .flatten()
            .map(|item| AccessListItem {
                address: item.address,
                storage_keys: item.storage_keys.clone(),
            })
            .collect(),
        None => Vec::new(),
    };
    let authorization_list: Vec<Authorization> = t
        .authorization_list
        .iter()
        .flatten()
        .map(|a| Authorization {
            chain_id: a.chain_id,
            address: a.address,
            nonce: a.nonce,
            y_parity: a.y_parity.or(a.v).unwrap_or_default(),
            r: a.r,
            s: a.s,
        })
        .collect();
    let tx_type = if t.authorization_list.is_some() {
        TxType::SetCode
    } else if t.blob_versioned_hashes.is_some() {
        TxType::Blob
    } else if t.max_fee_per_gas.is_some() {
        TxType::DynamicFee
    } else if t.access_lists.is_some() {
        TxType::AccessList
    } else {
        TxType::Legacy
    };
    let (max_fee, priority) = match tx_type {
        TxType::Legacy | TxType::AccessList => {
            let price = number_or_zero(&t.gas_price, "gasPrice")?;
            (price, price)
        }
        _ => (
            number_or_zero(&t.max_fee_per_gas, "maxFeePerGas")?,
            number_or_zero(&t.max_priority_fee_per_gas, "maxPriorityFeePerGas")?,
        ),
    };
    Ok(Transaction {
        tx_type,
        caller: t.sender,
        kind: t.to.map_or(TxKind::Create, TxKind::Call),
        nonce: saturate_u64(number(&t.nonce, "nonce")?),
        gas_limit,
        value,
        data: input.clone(),
        max_fee_per_gas: max_fee,
        max_priority_fee_per_gas: priority,
        access_list,
        max_fee_per_blob_gas: number_or_zero(&t.max_fee_per_blob_gas, "maxFeePerBlobGas")?,
        blob_hashes: t.blob_versioned_hashes.clone().unwrap_or_default(),
        authorization_list,
    })
}

/// The full environment for `tx` under `spec`.
pub fn env(case: &TestCase, spec: SpecId, tx: &Transaction) -> Result<Env, CaseError> {
    let schedule = blob_schedule(case, spec);
    let block = block_env(&case.env, &schedule)?;
    let chain_id = match case.config.as_ref().and_then(|c| c.chainid) {
        Some(id) => to_u64(id, "chainid")?,
        None => 1,
    };
    let gas_price = tx.effective_gas_price(block.basefee);
    Ok(Env {
        spec,
        chain_id,
        tx: TxEnv {
            origin: tx.caller,
            gas_price,
            blob_hashes: tx.blob_hashes.clone(),
        },
        block,
    })
}

/// An account's nonce as a `u64` (the pre-state's nonces always fit).
pub fn account_nonce(account: &TestAccount) -> Result<u64, CaseError> {
    to_u64(account.nonce, "nonce")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TestFile;

    fn case(tx_fields: &str, config: &str) -> TestCase {
        let text = format!(
            r#"{{"t": {{
              "env": {{"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
                      "currentGasLimit": "0x1000000", "currentNumber": "0x01",
                      "currentTimestamp": "0x03e8", "currentBaseFee": "0x07",
                      "currentExcessBlobGas": "0x0e0000"}},
              "pre": {{}},
              "transaction": {{"nonce": "0x01", "gasLimit": ["0x5208"], "to": "",
                              "value": ["0x00"], "data": ["0x"],
                              "sender": "0x1000000000000000000000000000000000000000"
                              {tx_fields}}},
              "post": {{}}
              {config}
            }}}}"#
        );
        let mut file: TestFile = serde_json::from_str(&text).unwrap();
        file.remove("t").unwrap()
    }

    #[test]
    fn transaction_type_follows_the_fields() {
        let ty = |fields: &str| transaction(&case(fields, ""), 0, 0, 0).unwrap().tx_type;
        assert_eq!(ty(r#", "gasPrice": "0x0a""#), TxType::Legacy);
        assert_eq!(
            ty(r#", "gasPrice": "0x0a", "accessLists": [[]]"#),
            TxType::AccessList
        );
        assert_eq!(
            ty(r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01""#),
            TxType::DynamicFee
        );
        assert_eq!(
            ty(
                r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01", "maxFeePerBlobGas": "0x01", "blobVersionedHashes": []"#
            ),
            TxType::Blob
        );
        assert_eq!(
            ty(
                r#", "maxFeePerGas": "0x0a", "maxPriorityFeePerGas": "0x01", "authorizationList": []"#
            ),
            TxType::SetCode
        );
        let tx = transaction(&case(r#", "gasPrice": "0x0a""#, ""), 0, 0, 0).unwrap();
        assert_eq!(tx.kind, TxKind::Create);
        assert_eq!(tx.nonce, 1);
        assert_eq!(tx.max_priority_fee_per_gas, U256::from(10));
    }

    #[test]
    fn blob_schedule_comes_from_the_config_when_given() {
        let plain = case(r#", "gasPrice": "0x0a""#, "");
        assert_eq!(blob_schedule(&plain, SpecId::Prague), BlobSchedule::PRAGUE);
        let configured = case(
            r#", "gasPrice": "0x0a""#,
            r#", "config": {"chainid": "0x05", "blobSchedule": {"Osaka": {"target": "0x01", "max": "0x02", "baseFeeUpdateFraction": "0x10"}}}"#,
        );
        let osaka = blob_schedule(&configured, SpecId::Osaka);
        assert_eq!((osaka.target, osaka.max, osaka.update_fraction), (1, 2, 16));
        assert_eq!(
            blob_schedule(&configured, SpecId::Cancun),
            BlobSchedule::CANCUN
        );
        let tx = transaction(&configured, 0, 0, 0).unwrap();
        let env = env(&configured, SpecId::Osaka, &tx).unwrap();
        assert_eq!(env.chain_id, 5);
        // 0xe0000 excess blob gas with fraction 16 saturates the fee.
        assert!(env.block.blob_base_fee > U256::from(u64::MAX));
        assert!(transaction(&configured, 1, 0, 0).is_err());
    }

    #[test]
    fn bigint_numbers_make_the_transaction_invalid() {
        let big = case(r#", "gasPrice": "0x:bigint 0x000a""#, "");
        let err = transaction(&big, 0, 0, 0).unwrap_err();
        assert!(err.is_invalid_transaction(), "{err}");
        assert!(err.to_string().contains("gasPrice"));
        let plain = transaction(&case(r#", "gasPrice": "0x0a""#, ""), 1, 0, 0).unwrap_err();
        assert!(!plain.is_invalid_transaction());
    }
}
