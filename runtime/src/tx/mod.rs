//! Transactions: types, validation, intrinsic gas, blob fees, EIP-7702
//! authorizations and execution on top of [`crate::evm`].
//!
//! Supported: legacy, EIP-2930, EIP-1559, EIP-4844 (blob) and EIP-7702
//! (set-code) transactions under Cancun, Prague and Osaka rules.

pub mod authorization;
pub mod blob;
pub mod error;
pub mod execute;
pub mod intrinsic;
pub mod types;
pub mod validate;

pub use authorization::recover_authority;
pub use blob::{fake_exponential, BlobSchedule};
pub use error::InvalidTransaction;
pub use execute::{transact, TxOutcome};
pub use intrinsic::{floor_gas, intrinsic_gas};
pub use types::{AccessListItem, Authorization, Transaction, TxKind, TxType};
pub use validate::{is_delegation, validate, SenderAccount, ValidTransaction};
