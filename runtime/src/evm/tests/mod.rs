//! Tests of the Evm: message calls, creates, journaling and gas rules
//! observed through a minimal test interpreter.

mod access;
mod calls;
mod creates;
mod database;
mod forks;

use super::test_executor::TestExecutor;
use super::*;
use crate::asm::assemble;
use crate::executor::Bytecode;
use crate::frame::Frame;
use crate::message::CreateScheme;
use crate::message::Message;
use crate::precompile::PrecompileOutcome;
use crate::result::{Status, SuccessReason};
use crate::state::Account;
use alloy_primitives::Address;

/// One precompile at 0x04 behaving like IDENTITY (15 + 3 per word).
pub(super) struct TestPrecompiles;

pub(super) const IDENTITY: Address =
    Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);

impl PrecompileSet for TestPrecompiles {
    fn contains(&self, address: &Address) -> bool {
        *address == IDENTITY
    }

    fn addresses(&self) -> Vec<Address> {
        vec![IDENTITY]
    }

    fn run(&self, address: &Address, input: &[u8], gas_limit: u64) -> Option<PrecompileOutcome> {
        if *address != IDENTITY {
            return None;
        }
        let cost = 15 + 3 * (input.len() as u64).div_ceil(32);
        Some(if cost > gas_limit {
            PrecompileOutcome::Failure
        } else {
            PrecompileOutcome::Success {
                gas_used: cost,
                output: Bytes::copy_from_slice(input),
            }
        })
    }
}

pub(super) fn addr(n: u8) -> Address {
    Address::with_last_byte(n)
}

pub(super) fn u(v: u64) -> U256 {
    U256::from(v)
}

pub(super) fn asm(src: &str) -> Bytes {
    Bytes::from(assemble(src).expect("test program assembles"))
}

/// The externally owned account every test transaction comes from.
pub(super) const SENDER: u8 = 0x11;

/// A state with a rich sender and the given contracts.
pub(super) fn state_with(contracts: &[(u8, &str)]) -> State {
    let mut state = State::new();
    state.insert_account(addr(SENDER), Account::with_balance(u(1_000_000_000)));
    for (a, src) in contracts {
        state.insert_account(addr(*a), Account::default().with_code(asm(src)));
    }
    state
}

/// Runs a call from the sender to `target` under `spec`.
pub(super) fn transact(
    state: &mut State,
    spec: SpecId,
    target: u8,
    value: u64,
    gas: u64,
) -> CallOutcome {
    let env = Env::new(spec);
    let mut evm = Evm::new(state, &env, &TestExecutor, &TestPrecompiles);
    evm.transact_call(addr(SENDER), addr(target), u(value), Bytes::new(), gas)
}

/// Runs `f` with a frame of contract `0xcc` (gas `gas`) whose host is an Evm
/// over `state`, inside an open transaction.
pub(super) fn with_frame_and_host<R>(
    state: &mut State,
    spec: SpecId,
    gas: u64,
    f: impl FnOnce(&mut Frame, &mut Evm) -> R,
) -> R {
    let env = Env::new(spec);
    let msg = Message {
        caller: addr(SENDER),
        address: addr(0xcc),
        code_address: addr(0xcc),
        value: U256::ZERO,
        input: &[],
        gas_limit: gas,
        is_static: false,
        depth: 0,
        is_create: false,
    };
    let code = Bytecode::new(Bytes::from_static(&[0x00]));
    state.begin_transaction();
    state.warm_account(addr(SENDER));
    state.warm_account(addr(0xcc));
    let mut evm = Evm::new(state, &env, &TestExecutor, &TestPrecompiles);
    let mut frame = Frame::new(&msg, &code, spec);
    f(&mut frame, &mut evm)
}

pub(super) fn slot(state: &State, a: u8, key: u64) -> U256 {
    state.storage(&addr(a), u(key))
}

#[test]
fn block_hash_window() {
    let mut state = State::new();
    let mut env = Env::new(SpecId::Cancun);
    env.block.number = u(1000);
    for n in [743u64, 744, 999, 1000] {
        state.set_block_hash(n, B256::with_last_byte(n as u8));
    }
    let mut evm = Evm::new(&mut state, &env, &TestExecutor, &TestPrecompiles);
    assert_eq!(evm.block_hash(u(999)), B256::with_last_byte(999u64 as u8));
    assert_eq!(evm.block_hash(u(744)), B256::with_last_byte(744u64 as u8));
    assert_eq!(evm.block_hash(u(743)), B256::ZERO, "257 blocks back");
    assert_eq!(evm.block_hash(u(1000)), B256::ZERO, "current block");
    assert_eq!(evm.block_hash(U256::MAX), B256::ZERO);
}

#[test]
fn extcodehash_of_empty_and_missing_is_zero() {
    let mut state = state_with(&[(0xdd, "STOP")]);
    state.insert_account(addr(0xe0), Account::default());
    with_frame_and_host(&mut state, SpecId::Cancun, 100_000, |_, evm| {
        assert_eq!(evm.code_hash(addr(0xe0)).data, B256::ZERO);
        assert_eq!(evm.code_hash(addr(0xe1)).data, B256::ZERO);
        let load = evm.code_hash(addr(SENDER));
        assert_eq!(load.data, alloy_primitives::KECCAK256_EMPTY);
        assert!(!load.is_cold);
        let load = evm.code_hash(addr(0xdd));
        assert_eq!(load.data, keccak256_of(&[0x00]));
        assert!(load.is_cold);
        assert!(!evm.code_hash(addr(0xdd)).is_cold);
    });
}

fn keccak256_of(bytes: &[u8]) -> B256 {
    alloy_primitives::keccak256(bytes)
}

#[test]
fn empty_code_call_succeeds_with_all_gas() {
    let mut state = state_with(&[]);
    let out = transact(&mut state, SpecId::Cancun, 0xee, 5, 50_000);
    assert_eq!(out.result.status, Status::Success(SuccessReason::Stop));
    assert_eq!(out.result.gas_left, 50_000);
    assert_eq!(state.balance(&addr(0xee)), u(5));
}

/// A backend that breaks the contract: reports gas it was never given.
struct Misbehaving(Status);

impl Executor for Misbehaving {
    fn execute(&self, _: &Bytecode, msg: &Message, _: &mut dyn Host) -> FrameResult {
        FrameResult {
            status: self.0,
            gas_left: msg.gas_limit + 1_000,
            refund: 500,
            output: Bytes::from_static(b"out"),
        }
    }
}

#[test]
fn backend_results_are_normalized() {
    let cases = [
        (Status::Success(SuccessReason::Return), 10_000, 500, 3),
        (Status::Revert, 10_000, 0, 3),
        (Status::Halt(crate::result::HaltReason::OutOfGas), 0, 0, 0),
    ];
    for (status, gas_left, refund, output_len) in cases {
        let mut state = state_with(&[(0xdd, "STOP")]);
        let env = Env::new(SpecId::Cancun);
        let executor = Misbehaving(status);
        let mut evm = Evm::new(&mut state, &env, &executor, &TestPrecompiles);
        let out = evm.transact_call(addr(SENDER), addr(0xdd), U256::ZERO, Bytes::new(), 10_000);
        assert_eq!(out.result.status, status);
        assert_eq!(out.result.gas_left, gas_left, "{status:?}");
        assert_eq!(out.result.refund, refund, "{status:?}");
        assert_eq!(out.result.output.len(), output_len, "{status:?}");
    }
}
