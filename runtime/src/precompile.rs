//! The hook through which message calls reach precompiled contracts.

use alloy_primitives::{Address, Bytes};

/// The result of running a precompile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrecompileOutcome {
    /// The precompile ran: `gas_used` is charged, `output` returned.
    Success {
        /// Gas charged.
        gas_used: u64,
        /// Return data.
        output: Bytes,
    },
    /// Not enough gas, or the input was rejected: the call fails and consumes all its gas.
    Failure,
}

/// A set of precompiled contracts for one fork.
pub trait PrecompileSet {
    /// Whether `address` is a precompile in this set.
    fn contains(&self, address: &Address) -> bool;

    /// Every precompile address (warm from the start of each transaction, EIP-2929).
    fn addresses(&self) -> Vec<Address>;

    /// Runs the precompile at `address`; `None` if there is none.
    fn run(&self, address: &Address, input: &[u8], gas_limit: u64) -> Option<PrecompileOutcome>;
}

/// The empty set: no address is a precompile.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPrecompiles;

impl PrecompileSet for NoPrecompiles {
    fn contains(&self, _: &Address) -> bool {
        false
    }

    fn addresses(&self) -> Vec<Address> {
        Vec::new()
    }

    fn run(&self, _: &Address, _: &[u8], _: u64) -> Option<PrecompileOutcome> {
        None
    }
}
