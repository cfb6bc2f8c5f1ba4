//! Exceptional halts through the real `Evm`: each consumes all the frame's
//! gas and leaves no state change.

mod common;

use cevm_runtime::{HaltReason, Status};
use common::*;

fn assert_halts(source: &str, reason: HaltReason) {
    let (outcome, state) = run(source);
    assert_eq!(outcome.result.status, Status::Halt(reason), "{source}");
    assert_eq!(outcome.result.gas_left, 0, "{source}");
    assert!(outcome.result.output.is_empty());
    assert!(state.storage(&CONTRACT, cevm_runtime::U256::ZERO).is_zero());
}

#[test]
fn undefined_instructions_halt() {
    let (outcome, _) = run("PUSH1 1 PUSH0 SSTORE");
    assert!(outcome.result.status.is_success());
    // 0x0c is not an instruction in any fork; 0xfe is the designated INVALID.
    let mut state = world(&[]);
    for (byte, reason) in [
        (0x0cu8, HaltReason::UndefinedOpcode),
        (0xfe, HaltReason::InvalidOpcode),
    ] {
        state.insert_account(
            CONTRACT,
            cevm_runtime::state::Account::default()
                .with_code(vec![0x60, 0x01, 0x5f, 0x55, byte].into())
                .with_nonce(1),
        );
        let outcome = call(&mut state);
        assert_eq!(outcome.result.status, Status::Halt(reason));
        assert_eq!(outcome.result.gas_left, 0);
        assert!(state.storage(&CONTRACT, cevm_runtime::U256::ZERO).is_zero());
    }
}

#[test]
fn jump_into_push_data_halts() {
    // The target is the 0x5b byte inside the final PUSH1's data (offset 8,
    // then 10).
    assert_halts(
        "PUSH1 1 PUSH0 SSTORE PUSH1 8 JUMP PUSH1 0x5b",
        HaltReason::InvalidJump,
    );
    assert_halts(
        "PUSH1 1 PUSH0 SSTORE PUSH1 1 PUSH1 10 JUMPI PUSH1 0x5b",
        HaltReason::InvalidJump,
    );
}

#[test]
fn memory_expansion_at_large_offsets_is_out_of_gas() {
    for source in [
        "PUSH1 1 PUSH0 SSTORE PUSH1 1 PUSH5 0x0100000000 MSTORE",
        "PUSH1 1 PUSH0 SSTORE PUSH1 32 PUSH0 PUSH8 0xffffffffffffffff CALLDATACOPY",
        "PUSH1 1 PUSH0 SSTORE PUSH1 32 PUSH4 0xfffff000 RETURN",
        "PUSH1 1 PUSH0 SSTORE PUSH1 1 PUSH4 0x10000000 PUSH0 PUSH0 CREATE",
    ] {
        assert_halts(source, HaltReason::OutOfGas);
    }
}

#[test]
fn stack_limits_halt() {
    assert_halts("PUSH1 1 PUSH0 SSTORE ADD", HaltReason::StackUnderflow);
    let pushes = "PUSH0 ".repeat(1025);
    assert_halts(
        &format!("PUSH1 1 PUSH0 SSTORE {pushes}"),
        HaltReason::StackOverflow,
    );
}
