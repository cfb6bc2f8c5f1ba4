//! `Evm`: the [`Host`] over a journaled [`State`], with message-call and
//! create semantics; code runs on a pluggable [`Executor`].
//!
//! Entry points for transaction processing and tools: [`Evm::run_call`] and
//! [`Evm::run_create`] run one top-level frame (depth 0) with no
//! transaction-level rules; [`Evm::transact_call`] also opens and closes the
//! transaction's bookkeeping on the state and returns the logs.

mod delegation;
mod frames;

pub use delegation::{delegation_designator, delegation_target, DELEGATION_LEN, DELEGATION_PREFIX};
pub use frames::{create2_address, create_address};

use crate::database::{Database, DatabaseError, EmptyDatabase};
use crate::env::Env;
use crate::executor::Executor;
use crate::host::{AccountLoad, Host, SStoreResult, SelfDestructResult, StateLoad};
use crate::message::{CallInputs, CallKind, CreateInputs};
use crate::precompile::PrecompileSet;
use crate::result::FrameResult;
use crate::spec::SpecId;
use crate::state::{Account, State};
use alloy_primitives::{Address, Bytes, Log, B256, U256};

/// Deepest frame: the transaction's frame is depth 0, so a call made at
/// depth 1024 fails.
pub const CALL_DEPTH_LIMIT: usize = 1024;

/// Stack space that must be left before a nested frame starts; below it a
/// new segment is allocated.
pub const RED_ZONE: usize = 256 * 1024;

/// Size of each stack segment allocated for nested frames.
pub const STACK_SEGMENT: usize = 8 * 1024 * 1024;

/// How many recent blocks BLOCKHASH can see.
pub const BLOCK_HASH_HISTORY: u64 = 256;

/// What [`Evm::transact_call`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// The top frame's result.
    pub result: FrameResult,
    /// Logs of the transaction (empty unless it succeeded).
    pub logs: Vec<Log>,
}

/// The host both backends run against: world state, environment, the
/// backend for nested frames and the precompiles.
pub struct Evm<'a, DB = EmptyDatabase> {
    state: &'a mut State<DB>,
    env: &'a Env,
    executor: &'a dyn Executor,
    precompiles: &'a dyn PrecompileSet,
    /// Depth of the frame currently executing.
    depth: usize,
}

impl<'a, DB: Database> Evm<'a, DB> {
    /// An Evm over `state` under `env`, running code on `executor`.
    /// BLOCKHASH reads the hashes the state has (see [`State::set_block_hash`]).
    pub fn new(
        state: &'a mut State<DB>,
        env: &'a Env,
        executor: &'a dyn Executor,
        precompiles: &'a dyn PrecompileSet,
    ) -> Self {
        Evm {
            state,
            env,
            executor,
            precompiles,
            depth: 0,
        }
    }

    /// The world state.
    pub fn state(&self) -> &State<DB> {
        self.state
    }

    /// The world state, mutable (transaction processing around the frames).
    pub fn state_mut(&mut self) -> &mut State<DB> {
        self.state
    }

    /// The environment.
    pub fn environment(&self) -> &Env {
        self.env
    }

    /// The rules in force.
    pub fn spec(&self) -> SpecId {
        self.env.spec
    }

    /// The precompiles.
    pub fn precompiles(&self) -> &'a dyn PrecompileSet {
        self.precompiles
    }

    /// Runs a top-level message call (depth 0): warms caller and target (as
    /// every transaction does, EIP-2929), then value transfer with balance
    /// check, checkpoint, precompile or code (following one EIP-7702
    /// delegation in Prague and later). No intrinsic gas or fees, and the
    /// delegate and access list are not warmed here (precompiles are always
    /// warm, see [`Evm::warm_account`]).
    pub fn run_call(&mut self, inputs: CallInputs) -> FrameResult {
        self.state.warm_account(inputs.caller);
        self.state.warm_account(inputs.target);
        self.call_at(&inputs, 0)
    }

    /// Runs a top-level create frame (depth 0) at `address`, which the
    /// caller derived (see [`create_address`]) before bumping the sender's
    /// nonce: collision check, new account with nonce 1, value transfer,
    /// init code, EIP-3541/EIP-170 checks and code deposit. No intrinsic gas
    /// and no init code size check (a transaction-validity rule).
    /// Warms the caller and `address`.
    pub fn run_create(&mut self, inputs: CreateInputs, address: Address) -> FrameResult {
        self.state.warm_account(inputs.caller);
        self.state.warm_account(address);
        self.create_at(&inputs, address, 0)
    }

    /// Runs one message call from `caller` to `target` as a whole
    /// transaction's bookkeeping, without transaction-level rules (no
    /// intrinsic gas, fees, refund cap or nonce): begins the transaction on
    /// the state, warms caller, target, its EIP-7702 delegate and the
    /// coinbase (EIP-3651, from Shanghai) (the precompiles are always warm),
    /// runs the call, finishes the transaction (selfdestructs, empty touched
    /// accounts) and returns the result with the logs. A failed database
    /// query undoes the transaction and is returned.
    pub fn try_transact_call(
        &mut self,
        caller: Address,
        target: Address,
        value: U256,
        input: Bytes,
        gas_limit: u64,
    ) -> Result<CallOutcome, DatabaseError> {
        self.state.begin_transaction();
        self.state.warm_account(caller);
        self.state.warm_account(target);
        if self.env.spec >= SpecId::Shanghai {
            self.state.warm_account(self.env.block.coinbase);
        }
        if let Some(delegate) = self.delegate_of(&target) {
            self.state.warm_account(delegate);
        }
        let result = self.run_call(CallInputs {
            kind: CallKind::Call,
            caller,
            target,
            code_address: target,
            value,
            input: &input,
            gas_limit,
            is_static: false,
        });
        if let Some(error) = self.state.take_database_error() {
            self.state.abort_transaction();
            return Err(error);
        }
        self.state.finish_transaction();
        let logs = self.state.take_logs();
        Ok(CallOutcome { result, logs })
    }

    /// Touches `address` as a message call, a creation or a SELFDESTRUCT
    /// beneficiary does. From Spurious Dragon (EIP-161) it is deleted at the
    /// end of the transaction if it is then empty; before, a touched account
    /// that does not exist is created (empty) and stays.
    pub(super) fn touch(&mut self, address: Address) {
        if self.env.spec >= SpecId::SpuriousDragon {
            self.state.touch(address);
        } else {
            self.state.create_account(address);
        }
    }

    /// The EIP-7702 delegate of `address`'s code, when delegation is in force.
    fn delegate_of(&self, address: &Address) -> Option<Address> {
        if self.env.spec < SpecId::Prague {
            return None;
        }
        self.state
            .account(address)
            .and_then(|a| delegation_target(&a.code))
    }

    /// Warms `address` for the frames; returns whether it was cold.
    ///
    /// The precompiles are warm from the start of every transaction
    /// (EIP-2929): they are recognised here, by a look-up in the fork's
    /// set, instead of being inserted into the state's warm set one by one
    /// at the start of each transaction.
    pub fn warm_account(&mut self, address: Address) -> bool {
        if self.precompiles.contains(&address) {
            self.state.load_account(address);
            return false;
        }
        self.state.warm_account(address)
    }
}

impl Evm<'_> {
    /// [`Evm::try_transact_call`] on the in-memory state, which has no
    /// database to fail.
    pub fn transact_call(
        &mut self,
        caller: Address,
        target: Address,
        value: U256,
        input: Bytes,
        gas_limit: u64,
    ) -> CallOutcome {
        match self.try_transact_call(caller, target, value, input, gas_limit) {
            Ok(outcome) => outcome,
            Err(_) => unreachable!("the empty database never fails"),
        }
    }
}

impl<DB: Database> Host for Evm<'_, DB> {
    fn env(&self) -> &Env {
        self.env
    }

    fn balance(&mut self, address: Address) -> StateLoad<U256> {
        let is_cold = self.warm_account(address);
        StateLoad::new(self.state.balance(&address), is_cold)
    }

    fn code(&mut self, address: Address) -> StateLoad<Bytes> {
        let is_cold = self.warm_account(address);
        StateLoad::new(self.state.code(&address), is_cold)
    }

    fn code_hash(&mut self, address: Address) -> StateLoad<B256> {
        let is_cold = self.warm_account(address);
        let hash = if self.state.is_empty_or_missing(&address) {
            B256::ZERO
        } else {
            self.state.code_hash(&address)
        };
        StateLoad::new(hash, is_cold)
    }

    fn sload(&mut self, address: Address, key: U256) -> StateLoad<U256> {
        self.state.load_slot(address, key)
    }

    fn sstore(&mut self, address: Address, key: U256, value: U256) -> StateLoad<SStoreResult> {
        self.state.store_slot(address, key, value)
    }

    fn tload(&mut self, address: Address, key: U256) -> U256 {
        self.state.tload(&address, key)
    }

    fn tstore(&mut self, address: Address, key: U256, value: U256) {
        self.state.tstore(address, key, value);
    }

    fn block_hash(&mut self, number: U256) -> B256 {
        let current = self.env.block.number;
        let (Ok(number), Ok(current)) = (u64::try_from(number), u64::try_from(current)) else {
            return B256::ZERO;
        };
        if number >= current || current - number > BLOCK_HASH_HISTORY {
            return B256::ZERO;
        }
        self.state.block_hash(number)
    }

    fn log(&mut self, log: Log) {
        self.state.log(log);
    }

    fn selfdestruct(&mut self, address: Address, target: Address) -> StateLoad<SelfDestructResult> {
        let is_cold = self.warm_account(target);
        let eip6780 = self.env.spec >= SpecId::Cancun;
        let result = self.state.selfdestruct(address, target, eip6780);
        self.touch(target);
        StateLoad::new(result, is_cold)
    }

    fn load_account_for_call(&mut self, address: Address) -> AccountLoad {
        let is_cold = self.warm_account(address);
        // One look-up for existence, emptiness and delegation.
        let account = self.state.account(&address);
        let exists = account.is_some();
        let is_empty = account.is_none_or(Account::is_empty);
        let delegate = match account {
            Some(a) if self.env.spec >= SpecId::Prague => delegation_target(&a.code),
            _ => None,
        };
        let delegation_is_cold = delegate.map(|delegate| self.warm_account(delegate));
        AccountLoad {
            is_cold,
            exists,
            is_empty,
            delegation_is_cold,
        }
    }

    fn nested_frame_starts(&mut self, gas_left: u64) {
        self.executor.nested_frame_starts(gas_left);
    }

    fn call(&mut self, inputs: &CallInputs) -> FrameResult {
        self.call_at(inputs, self.depth + 1)
    }

    fn create(&mut self, inputs: CreateInputs) -> (FrameResult, Option<Address>) {
        self.create_nested(inputs)
    }
}

#[cfg(test)]
mod test_executor;
#[cfg(test)]
mod tests;
