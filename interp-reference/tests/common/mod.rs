//! Helpers shared by the interpreter's integration tests: a world with a
//! funded caller, contracts assembled from text, and one message call run
//! through the real `Evm` on the reference interpreter.

#![allow(dead_code)]

use cevm_interp::Interpreter;
use cevm_runtime::asm::assemble;
use cevm_runtime::evm::{CallOutcome, Evm};
use cevm_runtime::state::{Account, State};
use cevm_runtime::{Address, Bytes, Env, Precompiles, SpecId, U256};

/// The account every test calls.
pub const CONTRACT: Address = Address::repeat_byte(0xcc);
/// A second contract for nested calls.
pub const OTHER: Address = Address::repeat_byte(0xdd);
/// The externally owned account that sends the calls.
pub const CALLER: Address = Address::repeat_byte(0x11);
/// Gas for most tests.
pub const GAS: u64 = 10_000_000;

/// Assembles `source`, failing the test on a typo.
pub fn code(source: &str) -> Bytes {
    assemble(source)
        .unwrap_or_else(|e| panic!("{e} in {source}"))
        .into()
}

/// A state with a funded caller and `contracts` (nonce 1 each).
pub fn world(contracts: &[(Address, &str)]) -> State {
    let mut state = State::new();
    state.insert_account(
        CALLER,
        Account::with_balance(U256::from(10u64).pow(U256::from(24))),
    );
    for (address, source) in contracts {
        state.insert_account(
            *address,
            Account::default().with_code(code(source)).with_nonce(1),
        );
    }
    state
}

/// Calls `to` from [`CALLER`] on `state` under `spec`.
pub fn call_with(
    state: &mut State,
    spec: SpecId,
    to: Address,
    value: U256,
    input: &[u8],
    gas: u64,
) -> CallOutcome {
    let env = Env::new(spec);
    let precompiles = Precompiles::for_spec(spec);
    let interpreter = Interpreter::new();
    let mut evm = Evm::new(state, &env, &interpreter, &precompiles);
    evm.transact_call(CALLER, to, value, Bytes::copy_from_slice(input), gas)
}

/// Calls [`CONTRACT`] with no value or input, [`GAS`] gas, under Osaka.
pub fn call(state: &mut State) -> CallOutcome {
    call_with(state, SpecId::Osaka, CONTRACT, U256::ZERO, &[], GAS)
}

/// Runs `source` as [`CONTRACT`] alone; returns the outcome and the state after.
pub fn run(source: &str) -> (CallOutcome, State) {
    let mut state = world(&[(CONTRACT, source)]);
    let outcome = call(&mut state);
    (outcome, state)
}

/// Gas the call used.
pub fn gas_used(outcome: &CallOutcome) -> u64 {
    GAS - outcome.result.gas_left
}

/// The output read as one word (asserts it is 32 bytes).
pub fn output_word(outcome: &CallOutcome) -> U256 {
    assert_eq!(outcome.result.output.len(), 32, "{:?}", outcome.result);
    U256::from_be_slice(&outcome.result.output)
}

/// Assembly that returns the top of the stack as a 32-byte word.
pub const RETURN_TOP: &str = "PUSH0 MSTORE PUSH1 32 PUSH0 RETURN";
