//! Storage family through the real `Evm`: SSTORE/SLOAD gas and refunds
//! (EIP-2200/2929/3529), transient storage, static-context halts and reverts
//! undoing storage and balance changes.

mod common;

use cevm_runtime::state::Account;
use cevm_runtime::{HaltReason, SpecId, Status, U256};
use common::*;

fn u(x: u64) -> U256 {
    U256::from(x)
}

/// A world where [`CONTRACT`] runs `source` and holds slot 0 = `original`.
fn with_slot0(source: &str, original: u64) -> cevm_runtime::state::State {
    let mut state = world(&[]);
    state.insert_account(
        CONTRACT,
        Account::default()
            .with_code(code(source))
            .with_nonce(1)
            .with_storage(U256::ZERO, u(original)),
    );
    state
}

#[test]
fn sstore_gas_and_refunds() {
    // Fresh slot: cold (2100) + set (20000), after PUSH1 and PUSH0.
    let (outcome, state) = run("PUSH1 1 PUSH0 SSTORE");
    assert_eq!(gas_used(&outcome), 3 + 2 + 2100 + 20_000);
    assert_eq!(outcome.result.refund, 0);
    assert_eq!(state.storage(&CONTRACT, U256::ZERO), u(1));

    // Clearing a slot that was 1: cold + reset (2900), refund 4800.
    let mut state = with_slot0("PUSH0 PUSH0 SSTORE", 1);
    let outcome = call(&mut state);
    assert_eq!(gas_used(&outcome), 2 + 2 + 2100 + 2900);
    assert_eq!(outcome.result.refund, 4800);
    assert_eq!(state.storage(&CONTRACT, U256::ZERO), U256::ZERO);

    // 1 -> 2 -> 1: the second write restores the original; refund 2800.
    let mut state = with_slot0("PUSH1 2 PUSH0 SSTORE PUSH1 1 PUSH0 SSTORE", 1);
    let outcome = call(&mut state);
    assert_eq!(gas_used(&outcome), 5 + 2100 + 2900 + 5 + 100);
    assert_eq!(outcome.result.refund, 2800);

    // 0 -> 1 -> 0 in one transaction: refund of the set less the warm write.
    let (outcome, _) = run("PUSH1 1 PUSH0 SSTORE PUSH0 PUSH0 SSTORE");
    assert_eq!(gas_used(&outcome), 5 + 22_100 + 4 + 100);
    assert_eq!(outcome.result.refund, 19_900);
}

#[test]
fn sload_is_cold_then_warm() {
    let mut state = with_slot0(&format!("PUSH0 SLOAD POP PUSH0 SLOAD {RETURN_TOP}"), 9);
    let outcome = call(&mut state);
    assert_eq!(output_word(&outcome), u(9));
    let sloads = 2 + 2100 + 2 + 2 + 100;
    let ret = 2 + 3 + 3 + 3 + 2;
    assert_eq!(gas_used(&outcome), sloads + ret);
}

#[test]
fn sstore_at_or_below_the_sentry_is_out_of_gas() {
    // The callee warms slot 0 (2104 gas) and then writes it unchanged (a
    // warm no-op, 100 gas) after two PUSH0 (4 gas): it succeeds only if
    // more than 2300 gas is left at the SSTORE (EIP-2200's sentry).
    let callee = "PUSH0 SLOAD POP PUSH0 PUSH0 SSTORE";
    for (given, succeeds) in [(2104 + 4 + 2300, false), (2104 + 4 + 2301, true)] {
        let caller =
            format!("PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} PUSH2 {given} CALL {RETURN_TOP}");
        let mut state = world(&[(CONTRACT, &caller), (OTHER, callee)]);
        let outcome = call(&mut state);
        assert_eq!(output_word(&outcome), u(succeeds as u64), "gas {given}");
    }
}

#[test]
fn state_changes_in_a_static_call_halt() {
    let caller = format!("PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} GAS STATICCALL {RETURN_TOP}");
    for (callee, allowed) in [
        ("PUSH1 1 PUSH0 SSTORE", false),
        ("PUSH1 1 PUSH0 TSTORE", false),
        ("PUSH0 PUSH0 LOG0", false),
        ("PUSH0 SLOAD PUSH0 TLOAD ADD POP", true),
    ] {
        let mut state = world(&[(CONTRACT, &caller), (OTHER, callee)]);
        let outcome = call(&mut state);
        assert!(outcome.result.status.is_success());
        assert_eq!(output_word(&outcome), u(allowed as u64), "{callee}");
        assert_eq!(state.storage(&OTHER, U256::ZERO), U256::ZERO);
        assert!(outcome.logs.is_empty());
    }
    // The same SSTORE through a plain CALL succeeds.
    let plain = format!("PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} GAS CALL {RETURN_TOP}");
    let mut state = world(&[(CONTRACT, &plain), (OTHER, "PUSH1 1 PUSH0 SSTORE")]);
    assert_eq!(output_word(&call(&mut state)), u(1));
    assert_eq!(state.storage(&OTHER, U256::ZERO), u(1));
}

#[test]
fn sstore_directly_in_a_static_frame_halts() {
    // A static top frame is reached by STATICCALL only; the halt consumes
    // the callee's gas and is reported to the caller as 0.
    let caller =
        format!("PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} PUSH3 100000 STATICCALL GAS {RETURN_TOP}");
    let mut state = world(&[(CONTRACT, &caller), (OTHER, "PUSH1 1 PUSH0 SSTORE")]);
    let outcome = call(&mut state);
    // Everything given to the callee is gone: 100000 + 2600 cold access.
    let used_before_gas_op = 4 * 2 + 3 + 3 + 100 + 2500 + 100_000;
    assert_eq!(output_word(&outcome), u(GAS - used_before_gas_op - 2));
}

#[test]
fn transient_storage_round_trips_within_a_transaction() {
    let (outcome, state) = run(&format!(
        "PUSH1 7 PUSH1 1 TSTORE PUSH1 1 TLOAD {RETURN_TOP}"
    ));
    assert_eq!(output_word(&outcome), u(7));
    assert_eq!(state.storage(&CONTRACT, u(1)), U256::ZERO);
    // A new transaction starts with empty transient storage.
    let mut state = world(&[(CONTRACT, &format!("PUSH1 1 TLOAD {RETURN_TOP}"))]);
    assert_eq!(output_word(&call(&mut state)), U256::ZERO);
}

#[test]
fn revert_undoes_storage_and_balance_changes() {
    let caller = format!(
        "PUSH1 1 PUSH0 SSTORE \
         PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 5 PUSH20 {OTHER} GAS CALL {RETURN_TOP}"
    );
    // The callee writes, receives 5 wei and reverts: nothing of it stays.
    let mut state = world(&[
        (CONTRACT, &caller),
        (OTHER, "PUSH1 7 PUSH0 SSTORE PUSH0 PUSH0 REVERT"),
    ]);
    let outcome = call_with(&mut state, SpecId::Osaka, CONTRACT, u(100), &[], GAS);
    assert_eq!(output_word(&outcome), U256::ZERO);
    assert_eq!(state.storage(&CONTRACT, U256::ZERO), u(1));
    assert_eq!(state.storage(&OTHER, U256::ZERO), U256::ZERO);
    assert_eq!(state.balance(&OTHER), U256::ZERO);
    assert_eq!(state.balance(&CONTRACT), u(100));

    // Without the revert both changes stand.
    let mut state = world(&[(CONTRACT, &caller), (OTHER, "PUSH1 7 PUSH0 SSTORE")]);
    let outcome = call_with(&mut state, SpecId::Osaka, CONTRACT, u(100), &[], GAS);
    assert_eq!(output_word(&outcome), u(1));
    assert_eq!(state.storage(&OTHER, U256::ZERO), u(7));
    assert_eq!(state.balance(&OTHER), u(5));
    assert_eq!(state.balance(&CONTRACT), u(95));

    // A reverting top frame undoes its own writes and returns the value.
    let mut state = world(&[(CONTRACT, "PUSH1 1 PUSH0 SSTORE PUSH0 PUSH0 REVERT")]);
    let before = state.balance(&CALLER);
    let outcome = call_with(&mut state, SpecId::Osaka, CONTRACT, u(100), &[], GAS);
    assert_eq!(outcome.result.status, Status::Revert);
    assert_eq!(outcome.result.refund, 0);
    assert_eq!(state.storage(&CONTRACT, U256::ZERO), U256::ZERO);
    assert_eq!(state.balance(&CONTRACT), U256::ZERO);
    assert_eq!(state.balance(&CALLER), before);

    // An exceptional halt undoes them too and consumes all gas.
    let mut state = world(&[(CONTRACT, "PUSH1 1 PUSH0 SSTORE INVALID")]);
    let outcome = call(&mut state);
    assert_eq!(
        outcome.result.status,
        Status::Halt(HaltReason::InvalidOpcode)
    );
    assert_eq!(outcome.result.gas_left, 0);
    assert_eq!(state.storage(&CONTRACT, U256::ZERO), U256::ZERO);
}
