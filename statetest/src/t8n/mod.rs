//! The state transition tool (`cevm t8n`), after geth's `evm t8n`: a
//! pre-state, a block environment and transactions in; the post-state and
//! the block's result (roots, receipts, rejected transactions, gas) out.
//!
//! The block runs as Cancun, Prague and Osaka define it, including their
//! system calls when the contracts' code is in the pre-state: the EIP-4788
//! beacon root (with `parentBeaconBlockRoot`) and the EIP-2935 history
//! (with the parent's hash in `blockHashes`) before the transactions, and
//! the Prague requests (EIP-6110 deposits from the deposit contract's logs,
//! EIP-7002 withdrawals, EIP-7251 consolidations) after them and the
//! withdrawals.

mod block;
pub mod input;
mod output;
pub mod sign;

pub use block::{transition, T8nConfig, T8nOutput};
pub use input::{Alloc, T8nEnv, T8nTx};

/// Why a transition cannot run (each maps to one of geth's exit codes).
#[derive(Debug, thiserror::Error)]
pub enum T8nError {
    /// The fork or the environment does not allow the block (geth's 3).
    #[error("{0}")]
    Config(String),
    /// An input is well-formed JSON but holds a value cevm cannot take
    /// (geth's 10).
    #[error("{0}")]
    Input(String),
}

impl T8nError {
    /// geth's exit code for the error.
    pub fn exit_code(&self) -> u8 {
        match self {
            T8nError::Config(_) => 3,
            T8nError::Input(_) => 10,
        }
    }
}
