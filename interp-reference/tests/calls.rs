//! The CALL family through the real `Evm`: 1024-deep recursion, return
//! data, DELEGATECALL context and value transfer.

mod common;

use cevm_runtime::{HaltReason, SpecId, Status, U256};
use common::*;

fn u(x: u64) -> U256 {
    U256::from(x)
}

#[test]
fn self_recursion_stops_at_depth_1024_without_overflowing_the_native_stack() {
    // Each frame counts itself in slot 0, then calls itself with all the gas
    // it may pass on. Frames run at depths 0..=1024; the call made at depth
    // 1024 fails, so 1025 frames count.
    let source = "PUSH0 SLOAD PUSH1 1 ADD PUSH0 SSTORE \
                  PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 ADDRESS GAS CALL STOP";
    let mut state = world(&[(CONTRACT, source)]);
    // (63/64)^1024 is about 1e-7: start with enough that the deepest frame
    // still has gas for its SSTORE.
    let gas = 1u64 << 40;
    let outcome = call_with(&mut state, SpecId::Osaka, CONTRACT, U256::ZERO, &[], gas);
    assert!(outcome.result.status.is_success(), "{:?}", outcome.result);
    assert_eq!(state.storage(&CONTRACT, U256::ZERO), u(1025));
}

#[test]
fn recursion_runs_on_a_small_thread_stack() {
    // The Evm grows the native stack in segments; a thread with a small
    // stack must still reach the depth limit.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let source = "PUSH0 SLOAD PUSH1 1 ADD PUSH0 SSTORE \
                          PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 ADDRESS GAS CALL STOP";
            let mut state = world(&[(CONTRACT, source)]);
            call_with(
                &mut state,
                SpecId::Osaka,
                CONTRACT,
                U256::ZERO,
                &[],
                1 << 40,
            );
            state.storage(&CONTRACT, U256::ZERO)
        })
        .unwrap();
    assert_eq!(handle.join().unwrap(), u(1025));
}

#[test]
fn return_data_is_visible_after_a_call() {
    let callee = format!("PUSH1 0x2a {RETURN_TOP}");
    let caller = format!(
        "PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} GAS CALL POP \
         RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY PUSH1 32 PUSH0 RETURN"
    );
    let mut state = world(&[(CONTRACT, &caller), (OTHER, &callee)]);
    assert_eq!(output_word(&call(&mut state)), u(0x2a));

    // Copying past the end of the return data halts.
    let past_end = format!(
        "PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} GAS CALL POP \
         PUSH1 33 PUSH0 PUSH0 RETURNDATACOPY"
    );
    let mut state = world(&[(CONTRACT, &past_end), (OTHER, &callee)]);
    let outcome = call(&mut state);
    assert_eq!(
        outcome.result.status,
        Status::Halt(HaltReason::ReturnDataOutOfBounds)
    );

    // The output area of CALL receives the data too, truncated to its size.
    let into_memory = format!(
        "PUSH1 32 PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} GAS CALL POP PUSH0 MLOAD {RETURN_TOP}"
    );
    let mut state = world(&[(CONTRACT, &into_memory), (OTHER, &callee)]);
    assert_eq!(output_word(&call(&mut state)), u(0x2a));
}

#[test]
fn delegatecall_runs_in_the_callers_context() {
    let caller = format!("PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} GAS DELEGATECALL {RETURN_TOP}");
    let mut state = world(&[(CONTRACT, &caller), (OTHER, "CALLER PUSH0 SSTORE")]);
    let outcome = call(&mut state);
    assert_eq!(output_word(&outcome), u(1));
    let caller_word = U256::from_be_slice(CALLER.as_slice());
    assert_eq!(state.storage(&CONTRACT, U256::ZERO), caller_word);
    assert_eq!(state.storage(&OTHER, U256::ZERO), U256::ZERO);
}

#[test]
fn call_with_value_moves_balance_and_reports_insufficient_funds() {
    let caller = |value: u64| {
        format!("PUSH0 PUSH0 PUSH0 PUSH0 PUSH2 {value} PUSH20 {OTHER} GAS CALL {RETURN_TOP}")
    };
    let mut state = world(&[(CONTRACT, &caller(60)), (OTHER, "STOP")]);
    let outcome = call_with(&mut state, SpecId::Osaka, CONTRACT, u(100), &[], GAS);
    assert_eq!(output_word(&outcome), u(1));
    assert_eq!(state.balance(&OTHER), u(60));
    assert_eq!(state.balance(&CONTRACT), u(40));

    // More than the balance: the call fails, nothing moves, the caller goes on.
    let mut state = world(&[(CONTRACT, &caller(600)), (OTHER, "STOP")]);
    let outcome = call_with(&mut state, SpecId::Osaka, CONTRACT, u(100), &[], GAS);
    assert_eq!(output_word(&outcome), U256::ZERO);
    assert_eq!(state.balance(&OTHER), U256::ZERO);
    assert_eq!(state.balance(&CONTRACT), u(100));
}

#[test]
fn call_gas_follows_the_63_64_rule() {
    // The callee reports the gas it was given (GAS after its own 2 gas).
    let callee = format!("GAS {RETURN_TOP}");
    let caller = format!(
        "PUSH1 32 PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} PUSH0 NOT CALL POP PUSH0 MLOAD {RETURN_TOP}"
    );
    let mut state = world(&[(CONTRACT, &caller), (OTHER, &callee)]);
    let outcome = call(&mut state);
    // Before CALL: 5 pushes (3 + 4 * 2), PUSH20 (3), PUSH0 NOT (5), CALL's
    // static 100, cold surcharge 2500 and 3 for one word of output memory.
    let left = GAS - (3 + 4 * 2 + 3 + 5 + 100 + 2500 + 3);
    let given = left - left / 64;
    assert_eq!(output_word(&outcome), u(given - 2));
}
