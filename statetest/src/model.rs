//! The execution-spec-tests state-test JSON format.
//!
//! A file maps test names to [`TestCase`]s. Hex fields are parsed by serde
//! (a malformed value makes the whole file an error); numeric ranges that
//! serde cannot check (a `u64` field given as a larger number) are checked
//! when a case is built, in [`crate::case`]. The transaction's numbers may
//! use the `0x:bigint 0x...` notation of some suites ([`TxNumber`]).

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// One state-test file: test name to test.
pub type TestFile = BTreeMap<String, TestCase>;

/// One state test: a pre-state, a transaction template and the expected
/// results per fork.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    /// The block the transaction runs in.
    pub env: TestEnv,
    /// Accounts before the transaction.
    pub pre: BTreeMap<Address, TestAccount>,
    /// The transaction, with indexed alternatives for data, gas and value.
    pub transaction: TestTransaction,
    /// Fork name to expected results, one per index combination.
    pub post: BTreeMap<String, Vec<PostEntry>>,
    /// Chain configuration (chain id, blob schedule).
    #[serde(default)]
    pub config: Option<TestConfig>,
}

/// The block environment.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestEnv {
    /// COINBASE.
    pub current_coinbase: Address,
    /// Block gas limit.
    pub current_gas_limit: U256,
    /// Block number.
    pub current_number: U256,
    /// Block timestamp.
    pub current_timestamp: U256,
    /// Difficulty (pre-Merge).
    #[serde(default)]
    pub current_difficulty: Option<U256>,
    /// PREVRANDAO.
    #[serde(default)]
    pub current_random: Option<B256>,
    /// Base fee per gas.
    #[serde(default)]
    pub current_base_fee: Option<U256>,
    /// Excess blob gas.
    #[serde(default)]
    pub current_excess_blob_gas: Option<U256>,
    /// The hash of the block before (older suites), for BLOCKHASH.
    #[serde(default)]
    pub previous_hash: Option<B256>,
    /// Hashes of earlier blocks by number (as in `t8n` environments), for
    /// BLOCKHASH.
    #[serde(default)]
    pub block_hashes: BTreeMap<U256, B256>,
}

impl TestEnv {
    /// Every block hash the environment gives, by number.
    pub fn known_block_hashes(&self) -> Vec<(u64, B256)> {
        let previous = self.previous_hash.and_then(|hash| {
            let number = u64::try_from(self.current_number).ok()?;
            Some((number.checked_sub(1)?, hash))
        });
        self.block_hashes
            .iter()
            .filter_map(|(number, hash)| Some((u64::try_from(*number).ok()?, *hash)))
            .chain(previous)
            .collect()
    }
}

/// An account of the pre- or post-state (also a t8n alloc's; every field
/// may be left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct TestAccount {
    /// Balance.
    #[serde(default)]
    pub balance: U256,
    /// Nonce.
    #[serde(default, skip_serializing_if = "U256::is_zero")]
    pub nonce: U256,
    /// Code.
    #[serde(default, skip_serializing_if = "no_code")]
    pub code: Bytes,
    /// Storage slots.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage: BTreeMap<U256, U256>,
}

fn no_code(code: &Bytes) -> bool {
    code.is_empty()
}

/// The transaction template.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestTransaction {
    /// Nonce.
    pub nonce: TxNumber,
    /// Gas price (legacy and type 1).
    #[serde(default)]
    pub gas_price: Option<TxNumber>,
    /// Max priority fee (types 2-4).
    #[serde(default)]
    pub max_priority_fee_per_gas: Option<TxNumber>,
    /// Max fee (types 2-4).
    #[serde(default)]
    pub max_fee_per_gas: Option<TxNumber>,
    /// Gas limit alternatives.
    pub gas_limit: Vec<TxNumber>,
    /// Recipient; empty for a creation.
    #[serde(deserialize_with = "deserialize_to")]
    pub to: Option<Address>,
    /// Value alternatives.
    pub value: Vec<TxNumber>,
    /// Data alternatives.
    pub data: Vec<Bytes>,
    /// Access lists, one per data alternative (types 1-4).
    #[serde(default)]
    pub access_lists: Option<Vec<Option<Vec<TestAccessListItem>>>>,
    /// Max fee per blob gas (type 3).
    #[serde(default)]
    pub max_fee_per_blob_gas: Option<TxNumber>,
    /// Blob versioned hashes (type 3).
    #[serde(default)]
    pub blob_versioned_hashes: Option<Vec<B256>>,
    /// Authorization list (type 4).
    #[serde(default)]
    pub authorization_list: Option<Vec<TestAuthorization>>,
    /// The sender.
    pub sender: Address,
}

/// An access-list entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestAccessListItem {
    /// Address.
    pub address: Address,
    /// Storage keys.
    pub storage_keys: Vec<B256>,
}

/// An EIP-7702 authorization tuple.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestAuthorization {
    /// Chain id.
    pub chain_id: U256,
    /// Delegate address.
    pub address: Address,
    /// Authority nonce.
    pub nonce: U256,
    /// Recovery bit (`yParity`; older fixtures only have `v`).
    #[serde(default)]
    pub y_parity: Option<U256>,
    /// Legacy name of the recovery bit.
    #[serde(default)]
    pub v: Option<U256>,
    /// Signature r.
    pub r: U256,
    /// Signature s.
    pub s: U256,
}

/// Which alternatives of the template a post entry uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Indexes {
    /// Index into `data` (and `accessLists`).
    pub data: usize,
    /// Index into `gasLimit`.
    pub gas: usize,
    /// Index into `value`.
    pub value: usize,
}

/// The expected result of one index combination under one fork.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostEntry {
    /// State root after the transaction.
    pub hash: B256,
    /// keccak of the RLP list of logs.
    pub logs: B256,
    /// The alternatives used.
    pub indexes: Indexes,
    /// Set when the transaction must be rejected.
    #[serde(default)]
    pub expect_exception: Option<String>,
    /// The full post-state (used to explain a state-root mismatch).
    #[serde(default)]
    pub state: Option<BTreeMap<Address, TestAccount>>,
}

/// Chain configuration.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestConfig {
    /// Chain id.
    #[serde(default)]
    pub chainid: Option<U256>,
    /// Fork name to blob parameters.
    #[serde(default)]
    pub blob_schedule: Option<BTreeMap<String, TestBlobSchedule>>,
}

/// The blob parameters of one fork.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestBlobSchedule {
    /// Target blobs per block.
    pub target: U256,
    /// Max blobs per block.
    pub max: U256,
    /// Blob base fee update fraction.
    pub base_fee_update_fraction: U256,
}

/// A number of the transaction template: a value, or a number written in
/// the `0x:bigint 0x...` notation, which some fixture suites use for a
/// value the transaction's encoding cannot carry (wider than 256 bits, or
/// with leading zero bytes that RLP forbids). A transaction with such a
/// number is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxNumber {
    /// An ordinary number.
    Value(U256),
    /// The `0x:bigint` notation; the text after the marker.
    BigInt(String),
}

/// The marker of the big-integer notation.
const BIGINT_MARKER: &str = "0x:bigint";

impl TxNumber {
    /// The value, or `None` for a number in the big-integer notation.
    pub fn value(&self) -> Option<U256> {
        match self {
            TxNumber::Value(v) => Some(*v),
            TxNumber::BigInt(_) => None,
        }
    }
}

impl From<U256> for TxNumber {
    fn from(value: U256) -> Self {
        TxNumber::Value(value)
    }
}

impl PartialEq<U256> for TxNumber {
    fn eq(&self, other: &U256) -> bool {
        self.value() == Some(*other)
    }
}

impl<'de> Deserialize<'de> for TxNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.trim().strip_prefix(BIGINT_MARKER) {
            Some(rest) => Ok(TxNumber::BigInt(rest.trim().to_string())),
            None => text
                .trim()
                .parse::<U256>()
                .map(TxNumber::Value)
                .map_err(|e| serde::de::Error::custom(format!("`{text}`: {e}"))),
        }
    }
}

/// `to` is an address, or an empty string (or null) for a creation.
fn deserialize_to<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Address>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") | Some("0x") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
      "t": {
        "env": {"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
                "currentGasLimit": "0x07270e00", "currentNumber": "0x01",
                "currentTimestamp": "0x03e8", "currentDifficulty": "0x00",
                "currentBaseFee": "0x07", "currentExcessBlobGas": "0x00"},
        "pre": {"0x1000000000000000000000000000000000000000":
                  {"nonce": "0x01", "balance": "0x0de0b6b3a7640000", "code": "0x6001",
                   "storage": {"0x01": "0x02"}}},
        "transaction": {"nonce": "0x00", "gasPrice": "0x0a", "gasLimit": ["0x5208"],
                        "to": "", "value": ["0x00"], "data": ["0x", "0x00ff"],
                        "sender": "0x1000000000000000000000000000000000000000",
                        "secretKey": "0x45"},
        "post": {"Cancun": [{"hash": "0x0000000000000000000000000000000000000000000000000000000000000001",
                             "logs": "0x0000000000000000000000000000000000000000000000000000000000000002",
                             "indexes": {"data": 1, "gas": 0, "value": 0},
                             "expectException": "TransactionException.INTRINSIC_GAS_TOO_LOW",
                             "txbytes": "0x"}]},
        "config": {"chainid": "0x01",
                   "blobSchedule": {"Cancun": {"target": "0x03", "max": "0x06",
                                               "baseFeeUpdateFraction": "0x32f0ed"}}}
      }
    }"#;

    #[test]
    fn parses_a_minimal_file() {
        let file: TestFile = serde_json::from_str(MINIMAL).unwrap();
        let case = &file["t"];
        assert_eq!(case.transaction.to, None);
        assert_eq!(case.transaction.data[1].as_ref(), &[0x00, 0xff]);
        let acc = case.pre.values().next().unwrap();
        assert_eq!(acc.storage[&U256::from(1)], U256::from(2));
        let post = &case.post["Cancun"][0];
        assert_eq!(post.indexes.data, 1);
        assert!(post.expect_exception.is_some());
        let schedule = case
            .config
            .as_ref()
            .unwrap()
            .blob_schedule
            .as_ref()
            .unwrap();
        assert_eq!(
            schedule["Cancun"].base_fee_update_fraction,
            U256::from(3_338_477)
        );
    }

    #[test]
    fn reads_the_bigint_notation() {
        let big = MINIMAL.replace(
            r#""value": ["0x00"]"#,
            r#""value": ["0x00", "0x:bigint 0x010000000000000000000000000000000000000000000000000000000000000000"]"#,
        );
        let file: TestFile = serde_json::from_str(&big).unwrap();
        let value = &file["t"].transaction.value;
        assert_eq!(value[0], U256::ZERO);
        assert_eq!(
            value[1],
            TxNumber::BigInt(
                "0x010000000000000000000000000000000000000000000000000000000000000000".into()
            )
        );
        assert_eq!(value[1].value(), None);
        let bad = MINIMAL.replace(r#""gasPrice": "0x0a""#, r#""gasPrice": "0xzz""#);
        assert!(serde_json::from_str::<TestFile>(&bad).is_err());
    }

    #[test]
    fn bad_hex_is_an_error() {
        let bad = MINIMAL.replace("\"0x6001\"", "\"0x60zz\"");
        assert!(serde_json::from_str::<TestFile>(&bad).is_err());
        let bad = MINIMAL.replace("\"to\": \"\"", "\"to\": \"0x12\"");
        assert!(serde_json::from_str::<TestFile>(&bad).is_err());
    }
}
