//! The t8n input files, as geth's `evm t8n` reads them: the pre-state
//! (`alloc`), the block environment (`env`) and the transactions (`txs`).

use crate::model::{TestAccount, TestEnv};
use alloy_primitives::{Address, Bytes, B256, U256};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The pre-state: accounts by address (a state test's `pre`).
pub type Alloc = BTreeMap<Address, TestAccount>;

/// The block environment: a state test's (whose `blockHashes` and
/// `previousHash` feed BLOCKHASH and EIP-2935) and the parent's values the
/// base fee and excess blob gas follow from when not given.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct T8nEnv {
    /// Coinbase, gas limit, number, timestamp, difficulty or randomness,
    /// base fee, excess blob gas and block hashes.
    #[serde(flatten)]
    pub block: TestEnv,
    /// The parent's base fee.
    #[serde(default)]
    pub parent_base_fee: Option<U256>,
    /// The parent's gas used.
    #[serde(default)]
    pub parent_gas_used: Option<U256>,
    /// The parent's gas limit.
    #[serde(default)]
    pub parent_gas_limit: Option<U256>,
    /// The parent's excess blob gas.
    #[serde(default)]
    pub parent_excess_blob_gas: Option<U256>,
    /// The parent's blob gas used.
    #[serde(default)]
    pub parent_blob_gas_used: Option<U256>,
    /// The parent's beacon block root (EIP-4788).
    #[serde(default)]
    pub parent_beacon_block_root: Option<B256>,
    /// Withdrawals (from Shanghai).
    #[serde(default)]
    pub withdrawals: Option<Vec<Withdrawal>>,
}

/// A withdrawal: `amount` Gwei to `address`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    /// Index.
    pub index: U256,
    /// Validator index.
    pub validator_index: U256,
    /// Recipient.
    pub address: Address,
    /// Amount in Gwei.
    pub amount: U256,
}

/// A transaction, signed (`v`, `r`, `s`) or to be signed (`secretKey`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct T8nTx {
    /// EIP-2718 type (legacy without it).
    #[serde(default, rename = "type")]
    pub tx_type: Option<U256>,
    /// Chain id (typed transactions).
    #[serde(default)]
    pub chain_id: Option<U256>,
    /// Nonce.
    #[serde(default)]
    pub nonce: U256,
    /// Gas price (legacy and EIP-2930).
    #[serde(default)]
    pub gas_price: Option<U256>,
    /// EIP-1559 tip cap.
    #[serde(default)]
    pub max_priority_fee_per_gas: Option<U256>,
    /// EIP-1559 fee cap.
    #[serde(default)]
    pub max_fee_per_gas: Option<U256>,
    /// EIP-4844 blob fee cap.
    #[serde(default)]
    pub max_fee_per_blob_gas: Option<U256>,
    /// Gas limit.
    #[serde(alias = "gasLimit")]
    pub gas: U256,
    /// Recipient; none for a creation.
    #[serde(default, deserialize_with = "empty_address")]
    pub to: Option<Address>,
    /// Value.
    #[serde(default)]
    pub value: U256,
    /// Call data or init code.
    #[serde(default, alias = "data")]
    pub input: Bytes,
    /// EIP-2930 access list.
    #[serde(default)]
    pub access_list: Vec<AccessListEntry>,
    /// EIP-4844 blob hashes.
    #[serde(default)]
    pub blob_versioned_hashes: Vec<B256>,
    /// EIP-7702 authorizations.
    #[serde(default)]
    pub authorization_list: Vec<AuthorizationEntry>,
    /// Signature: `v` (legacy, possibly with EIP-155 chain id) ...
    #[serde(default)]
    pub v: Option<U256>,
    /// ... or `yParity` (typed) ...
    #[serde(default)]
    pub y_parity: Option<U256>,
    /// ... and `r`, `s`.
    #[serde(default)]
    pub r: Option<U256>,
    /// See `r`.
    #[serde(default)]
    pub s: Option<U256>,
    /// Key to sign with instead.
    #[serde(default)]
    pub secret_key: Option<B256>,
    /// For a legacy transaction signed here: with the EIP-155 chain id
    /// (default) or without.
    #[serde(default = "yes")]
    pub protected: bool,
}

fn yes() -> bool {
    true
}

/// An access-list entry.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessListEntry {
    /// Address.
    pub address: Address,
    /// Storage keys.
    #[serde(default)]
    pub storage_keys: Vec<B256>,
}

/// An EIP-7702 authorization tuple.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationEntry {
    /// Chain id (zero: any).
    pub chain_id: U256,
    /// Delegate.
    pub address: Address,
    /// Authority's nonce.
    pub nonce: U256,
    /// Signature parity (`v` accepted too).
    #[serde(alias = "v")]
    pub y_parity: U256,
    /// Signature `r`.
    pub r: U256,
    /// Signature `s`.
    pub s: U256,
}

/// `to` as an address, or none when absent, null or empty.
fn empty_address<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Address>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("") | Some("0x") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
    }
}
