//! The interface between a frame and everything outside it.
//!
//! Both backends (interpreter and compiled code) reach state, block data and
//! nested frames only through [`Host`]; gas for what they learn (cold/warm,
//! SSTORE transitions) is computed by the caller from what the host reports.

use crate::env::Env;
use crate::message::{CallInputs, CreateInputs};
use crate::result::FrameResult;
use alloy_primitives::{Address, Bytes, Log, B256, U256};

/// A value loaded from state together with whether the access was cold (EIP-2929).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateLoad<T> {
    /// The value.
    pub data: T,
    /// Whether this was the transaction's first access to it (from Berlin
    /// on the EIP-2929 cold surcharge applies; see [`crate::gas`]).
    pub is_cold: bool,
}

impl<T> StateLoad<T> {
    /// Wraps a value.
    pub fn new(data: T, is_cold: bool) -> Self {
        StateLoad { data, is_cold }
    }
}

/// The values an SSTORE's gas and refund depend on (EIP-2200/EIP-3529).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SStoreResult {
    /// Value at the start of the transaction.
    pub original: U256,
    /// Value before this SSTORE.
    pub present: U256,
    /// Value written.
    pub new: U256,
}

/// What the CALL family needs to know about its target before charging gas
/// (which fork charges what for it is decided in [`crate::gas`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountLoad {
    /// Whether the target was cold.
    pub is_cold: bool,
    /// Whether the target is in the state at all (empty or not): before
    /// Spurious Dragon a call to a missing account pays the new-account cost.
    pub exists: bool,
    /// Whether the target is empty in the EIP-161 sense (no code, zero nonce and balance)
    /// or does not exist: from Spurious Dragon a value transfer to it pays the new-account cost.
    pub is_empty: bool,
    /// For an EIP-7702 delegated account, the delegate's address access was cold
    /// (`Some(true)`) or warm (`Some(false)`); `None` when there is no delegation.
    pub delegation_is_cold: Option<bool>,
}

/// What SELFDESTRUCT's gas and refund depend on, as it was before the
/// balance moved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SelfDestructResult {
    /// The destructing account had a non-zero balance.
    pub had_value: bool,
    /// The beneficiary is in the state at all (empty or not).
    pub target_exists: bool,
    /// The beneficiary is missing or empty (EIP-161).
    pub target_is_empty: bool,
    /// The account was already scheduled for destruction in this transaction.
    pub previously_destroyed: bool,
}

/// Everything outside the executing frame: accounts, storage, block data,
/// logs and nested frames.
pub trait Host {
    /// The environment (fork, block and transaction fields).
    fn env(&self) -> &Env;

    /// BALANCE / SELFBALANCE.
    fn balance(&mut self, address: Address) -> StateLoad<U256>;

    /// The account's code as stored (an EIP-7702 delegation designator is not followed).
    fn code(&mut self, address: Address) -> StateLoad<Bytes>;

    /// EXTCODEHASH: zero for an account that does not exist or is empty.
    fn code_hash(&mut self, address: Address) -> StateLoad<B256>;

    /// SLOAD.
    fn sload(&mut self, address: Address, key: U256) -> StateLoad<U256>;

    /// SSTORE: writes and reports the values the gas rule needs.
    fn sstore(&mut self, address: Address, key: U256, value: U256) -> StateLoad<SStoreResult>;

    /// TLOAD (EIP-1153).
    fn tload(&mut self, address: Address, key: U256) -> U256;

    /// TSTORE (EIP-1153).
    fn tstore(&mut self, address: Address, key: U256, value: U256);

    /// BLOCKHASH: zero outside the 256 most recent blocks.
    fn block_hash(&mut self, number: U256) -> B256;

    /// LOG0..LOG4.
    fn log(&mut self, log: Log);

    /// SELFDESTRUCT of `address` in favour of `target`: moves the balance and
    /// schedules the account for deletion (from Cancun only an account
    /// created in the same transaction, EIP-6780).
    fn selfdestruct(&mut self, address: Address, target: Address) -> StateLoad<SelfDestructResult>;

    /// Warms `address` and reports what the CALL family's gas depends on.
    fn load_account_for_call(&mut self, address: Address) -> AccountLoad;

    /// The CALL or CREATE instruction running has charged its cost and
    /// leaves the calling frame `gas_left`; its nested frame starts next.
    /// The cost is what geth's traces report: a CALL's includes the gas it
    /// forwards, a CREATE's does not. Tracers use it to report the
    /// instruction's whole cost before the nested frame's steps; the
    /// default does nothing.
    fn nested_frame_starts(&mut self, gas_left: u64) {
        let _ = gas_left;
    }

    /// Runs a nested message call (value transfer, checkpoint, precompile or code).
    fn call(&mut self, inputs: &CallInputs) -> FrameResult;

    /// Runs a nested create; on success the new address is returned with the result.
    fn create(&mut self, inputs: CreateInputs) -> (FrameResult, Option<Address>);
}
