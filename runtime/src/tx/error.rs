//! Why a transaction is rejected before it executes.

use alloy_primitives::{Address, U256};

/// A transaction that is not valid in its block: it is not executed and
/// changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTransaction {
    /// The transaction type is not active in this fork.
    #[error("transaction type {0} is not active in this fork")]
    TypeNotSupported(u8),
    /// The transaction nonce differs from the sender's.
    #[error("nonce mismatch: transaction has {tx}, sender has {state}")]
    NonceMismatch {
        /// The transaction's nonce.
        tx: u64,
        /// The sender's nonce.
        state: u64,
    },
    /// The sender's nonce is 2^64 - 1 and cannot be incremented (EIP-2681).
    #[error("sender nonce is at its maximum")]
    NonceOverflow,
    /// The sender has code that is not an EIP-7702 delegation (EIP-3607).
    #[error("sender {0} is not an externally owned account")]
    SenderNotEoa(Address),
    /// The sender cannot pay `gas_limit * max fee + value (+ blob fees)`.
    #[error("insufficient funds: balance {balance}, needed {needed}")]
    InsufficientFunds {
        /// The sender's balance.
        balance: U256,
        /// The most the transaction can cost.
        needed: U256,
    },
    /// `gas_limit * price` or the total cost overflows 256 bits.
    #[error("transaction cost overflows")]
    CostOverflow,
    /// The gas limit does not cover the intrinsic gas.
    #[error("intrinsic gas too low: limit {limit}, needed {needed}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        limit: u64,
        /// Intrinsic gas.
        needed: u64,
    },
    /// The gas limit is below the EIP-7623 calldata floor.
    #[error("gas limit {limit} below the calldata floor {floor}")]
    GasBelowFloor {
        /// The transaction's gas limit.
        limit: u64,
        /// The floor gas cost.
        floor: u64,
    },
    /// The gas limit exceeds the block gas limit.
    #[error("gas limit {limit} exceeds the block gas limit {block}")]
    GasAllowanceExceeded {
        /// The transaction's gas limit.
        limit: u64,
        /// The block's gas limit.
        block: U256,
    },
    /// The gas limit exceeds the EIP-7825 per-transaction cap.
    #[error("gas limit {limit} exceeds the transaction cap {cap}")]
    GasLimitAboveCap {
        /// The transaction's gas limit.
        limit: u64,
        /// The cap.
        cap: u64,
    },
    /// The max fee per gas (or gas price) is below the block base fee.
    #[error("max fee per gas {max_fee} below base fee {base_fee}")]
    FeeBelowBaseFee {
        /// The transaction's max fee (or gas price).
        max_fee: U256,
        /// The block's base fee.
        base_fee: U256,
    },
    /// The priority fee is larger than the max fee.
    #[error("priority fee {priority} above max fee {max_fee}")]
    PriorityAboveMaxFee {
        /// Max priority fee per gas.
        priority: U256,
        /// Max fee per gas.
        max_fee: U256,
    },
    /// Init code longer than the EIP-3860 limit.
    #[error("init code of {0} bytes exceeds the limit")]
    InitcodeTooLarge(usize),
    /// A blob transaction without blobs.
    #[error("blob transaction has no blobs")]
    NoBlobs,
    /// More blobs than the fork allows in one transaction.
    #[error("{count} blobs exceed the maximum of {max}")]
    TooManyBlobs {
        /// Blobs in the transaction.
        count: usize,
        /// The limit.
        max: u64,
    },
    /// A versioned hash that does not start with the KZG version byte 0x01.
    #[error("blob versioned hash {0} has the wrong version")]
    InvalidBlobVersion(usize),
    /// The max fee per blob gas is below the blob base fee.
    #[error("max fee per blob gas {max_fee} below blob base fee {blob_base_fee}")]
    BlobFeeTooLow {
        /// The transaction's max fee per blob gas.
        max_fee: U256,
        /// The block's blob base fee.
        blob_base_fee: U256,
    },
    /// A blob (type 3) or set-code (type 4) transaction without a recipient.
    #[error("type {0} transaction cannot create a contract")]
    CreateNotAllowed(u8),
    /// A set-code transaction with an empty authorization list.
    #[error("set-code transaction has an empty authorization list")]
    EmptyAuthorizationList,
}

/// Why [`crate::tx::transact`] did not execute a transaction, or gave it
/// up: either way the state is as it was before.
#[derive(Clone, Debug, thiserror::Error)]
pub enum TxError {
    /// The transaction is not valid in its block.
    #[error(transparent)]
    Invalid(#[from] InvalidTransaction),
    /// A query to the state's database failed.
    #[error(transparent)]
    Database(#[from] crate::database::DatabaseError),
}

impl TxError {
    /// The validity error, if that is what this is.
    pub fn as_invalid(&self) -> Option<&InvalidTransaction> {
        match self {
            TxError::Invalid(invalid) => Some(invalid),
            TxError::Database(_) => None,
        }
    }
}
