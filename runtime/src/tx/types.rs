//! Transaction types: the fields the execution rules read.

use alloy_primitives::{Address, Bytes, B256, U256};

/// The EIP-2718 transaction type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TxType {
    /// Legacy (type 0).
    Legacy = 0,
    /// EIP-2930 access-list transaction (type 1).
    AccessList = 1,
    /// EIP-1559 dynamic-fee transaction (type 2).
    DynamicFee = 2,
    /// EIP-4844 blob transaction (type 3).
    Blob = 3,
    /// EIP-7702 set-code transaction (type 4).
    SetCode = 4,
}

/// Where a transaction goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxKind {
    /// A message call to this address.
    Call(Address),
    /// A contract creation.
    Create,
}

/// One EIP-2930 access-list entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessListItem {
    /// The account to warm.
    pub address: Address,
    /// Its storage slots to warm.
    pub storage_keys: Vec<B256>,
}

/// One signed EIP-7702 authorization tuple.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authorization {
    /// Chain id the authorization is valid on (0: any chain).
    pub chain_id: U256,
    /// The address whose code the authority delegates to (zero: clear the delegation).
    pub address: Address,
    /// The authority's nonce the authorization is valid for.
    pub nonce: U256,
    /// Signature recovery bit.
    pub y_parity: U256,
    /// Signature r.
    pub r: U256,
    /// Signature s.
    pub s: U256,
}

/// A transaction with its sender already known (the state tests give it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The type.
    pub tx_type: TxType,
    /// The sender.
    pub caller: Address,
    /// Call target or creation.
    pub kind: TxKind,
    /// The sender's nonce the transaction is valid for.
    pub nonce: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Value transferred.
    pub value: U256,
    /// Call data or init code.
    pub data: Bytes,
    /// Gas price (legacy and type 1); for types 2-4 the max fee per gas.
    pub max_fee_per_gas: U256,
    /// Max priority fee per gas (types 2-4); equal to the gas price for legacy and type 1.
    pub max_priority_fee_per_gas: U256,
    /// Access list (types 1-4).
    pub access_list: Vec<AccessListItem>,
    /// Max fee per blob gas (type 3).
    pub max_fee_per_blob_gas: U256,
    /// Blob versioned hashes (type 3).
    pub blob_hashes: Vec<B256>,
    /// Authorization list (type 4).
    pub authorization_list: Vec<Authorization>,
}

impl Transaction {
    /// A legacy call or create with zero fees, for tests and tools; set the
    /// other fields as needed.
    pub fn legacy(caller: Address, kind: TxKind, gas_limit: u64) -> Self {
        Transaction {
            tx_type: TxType::Legacy,
            caller,
            kind,
            nonce: 0,
            gas_limit,
            value: U256::ZERO,
            data: Bytes::new(),
            max_fee_per_gas: U256::ZERO,
            max_priority_fee_per_gas: U256::ZERO,
            access_list: Vec::new(),
            max_fee_per_blob_gas: U256::ZERO,
            blob_hashes: Vec::new(),
            authorization_list: Vec::new(),
        }
    }

    /// Whether it creates a contract.
    pub fn is_create(&self) -> bool {
        matches!(self.kind, TxKind::Create)
    }

    /// The price per gas actually paid under `base_fee`: the gas price for
    /// legacy and type 1, `min(max_fee, base_fee + priority)` otherwise.
    /// Only meaningful once `max_fee >= base_fee` was checked.
    pub fn effective_gas_price(&self, base_fee: U256) -> U256 {
        match self.tx_type {
            TxType::Legacy | TxType::AccessList => self.max_fee_per_gas,
            _ => self
                .max_fee_per_gas
                .min(base_fee.saturating_add(self.max_priority_fee_per_gas)),
        }
    }

    /// Blob gas the transaction uses.
    pub fn blob_gas(&self) -> u64 {
        super::blob::GAS_PER_BLOB * self.blob_hashes.len() as u64
    }
}
