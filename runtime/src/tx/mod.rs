//! Transactions: types, validation, intrinsic gas, blob fees, EIP-7702
//! authorizations and execution on top of [`crate::evm`].
//!
//! Supported: legacy transactions from Frontier, EIP-2930 (access list)
//! from Berlin, EIP-1559 from London, EIP-4844 (blob) from Cancun and
//! EIP-7702 (set-code) from Prague, each under its fork's rules.

pub mod authorization;
pub mod blob;
pub mod error;
pub mod execute;
pub mod intrinsic;
pub mod types;
pub mod validate;

pub use authorization::recover_authority;
pub use blob::{fake_exponential, BlobSchedule};
pub use error::{InvalidTransaction, TxError};
pub use execute::{transact, TxOutcome};
pub use intrinsic::{floor_gas, intrinsic_gas};
pub use types::{AccessListItem, Authorization, Transaction, TxKind, TxType};
pub use validate::{first_fork_of, is_delegation, validate, SenderAccount, ValidTransaction};
