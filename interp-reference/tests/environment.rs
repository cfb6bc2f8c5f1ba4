//! Environment, memory and log families through the real `Evm`: call data,
//! code, message fields, account access gas, MCOPY and logs.

mod common;

use cevm_runtime::{SpecId, B256, U256};
use common::*;

fn u(x: u64) -> U256 {
    U256::from(x)
}

/// A word whose first bytes are `prefix` and the rest zero.
fn left_aligned(prefix: &[u8]) -> U256 {
    let mut word = [0u8; 32];
    word[..prefix.len()].copy_from_slice(prefix);
    U256::from_be_bytes(word)
}

fn run_with_input(source: &str, input: &[u8]) -> U256 {
    let mut state = world(&[(CONTRACT, source)]);
    output_word(&call_with(
        &mut state,
        SpecId::Osaka,
        CONTRACT,
        U256::ZERO,
        input,
        GAS,
    ))
}

#[test]
fn call_data_is_zero_padded() {
    let input = [0xaa, 0xbb, 0xcc];
    assert_eq!(
        run_with_input(&format!("PUSH1 1 CALLDATALOAD {RETURN_TOP}"), &input),
        left_aligned(&[0xbb, 0xcc])
    );
    assert_eq!(
        run_with_input(&format!("CALLDATASIZE {RETURN_TOP}"), &input),
        u(3)
    );
    let copy = format!("PUSH1 5 PUSH1 1 PUSH0 CALLDATACOPY PUSH0 MLOAD {RETURN_TOP}");
    assert_eq!(run_with_input(&copy, &input), left_aligned(&[0xbb, 0xcc]));
    // CALLDATACOPY: 3 static + 3 per word copied + 3 for the memory word.
    let (outcome, _) = run("PUSH1 5 PUSH1 1 PUSH0 CALLDATACOPY");
    assert_eq!(gas_used(&outcome), 3 + 3 + 2 + 3 + 3 + 3);
}

#[test]
fn code_is_readable() {
    let source = format!("CODESIZE PUSH0 PUSH0 CODECOPY PUSH0 MLOAD {RETURN_TOP}");
    let bytes = code(&source);
    assert_eq!(
        run_with_input(&source, &[]),
        left_aligned(&bytes[..32.min(bytes.len())])
    );
}

#[test]
fn message_fields() {
    let mut state = world(&[(
        CONTRACT,
        "CALLVALUE PUSH0 MSTORE SELFBALANCE PUSH1 32 MSTORE CALLER PUSH1 64 MSTORE \
         ADDRESS PUSH1 96 MSTORE CHAINID PUSH1 128 MSTORE PUSH1 160 PUSH0 RETURN",
    )]);
    let outcome = call_with(&mut state, SpecId::Osaka, CONTRACT, u(7), &[], GAS);
    let words: Vec<U256> = outcome
        .result
        .output
        .chunks(32)
        .map(U256::from_be_slice)
        .collect();
    assert_eq!(
        words,
        [
            u(7),
            u(7),
            U256::from_be_slice(CALLER.as_slice()),
            U256::from_be_slice(CONTRACT.as_slice()),
            u(1),
        ]
    );
}

#[test]
fn account_access_is_cold_then_warm() {
    let source = format!("PUSH20 {OTHER} BALANCE POP PUSH20 {OTHER} EXTCODESIZE {RETURN_TOP}");
    let mut state = world(&[(CONTRACT, &source), (OTHER, "PUSH1 1")]);
    let outcome = call(&mut state);
    assert_eq!(output_word(&outcome), u(2));
    let ret = 2 + 3 + 3 + 3 + 2;
    assert_eq!(gas_used(&outcome), 3 + 2600 + 2 + 3 + 100 + ret);
    // EXTCODEHASH of an account that does not exist is zero.
    let (outcome, _) = run(&format!("PUSH20 0x1234 EXTCODEHASH {RETURN_TOP}"));
    assert_eq!(output_word(&outcome), U256::ZERO);
    // ... and the code's hash for one that does.
    let source = format!("ADDRESS EXTCODEHASH {RETURN_TOP}");
    let (outcome, _) = run(&source);
    let hash = cevm_runtime::primitives::keccak256(code(&source));
    assert_eq!(output_word(&outcome), U256::from_be_bytes(hash.0));
}

#[test]
fn mcopy_copies_and_expands() {
    let source = format!(
        "PUSH1 0x2a PUSH0 MSTORE PUSH1 32 PUSH0 PUSH1 32 MCOPY PUSH1 32 MLOAD {RETURN_TOP}"
    );
    let (outcome, _) = run(&source);
    assert_eq!(output_word(&outcome), u(0x2a));
    // MSTORE 11, pushes 8, MCOPY 3 + 3 copy + 3 expansion, MLOAD 6, return 10.
    assert_eq!(gas_used(&outcome), 11 + 8 + 9 + 6 + 10);
}

#[test]
fn logs_record_topics_and_data() {
    let (outcome, _) = run("PUSH1 0xab PUSH0 MSTORE8 PUSH1 2 PUSH1 1 PUSH1 1 PUSH0 LOG2");
    assert!(outcome.result.status.is_success());
    assert_eq!(outcome.logs.len(), 1);
    let log = &outcome.logs[0];
    assert_eq!(log.address, CONTRACT);
    assert_eq!(
        log.topics(),
        [B256::from(u(1)), B256::from(u(2))].as_slice()
    );
    assert_eq!(log.data.data.as_ref(), [0xab]);
    // LOG2: 1125 static + 8 per data byte.
    assert_eq!(gas_used(&outcome), 3 + 2 + 6 + 3 + 3 + 3 + 2 + 1125 + 8);
    // Logs of a reverted frame are dropped.
    let (outcome, _) = run("PUSH0 PUSH0 LOG0 PUSH0 PUSH0 REVERT");
    assert!(outcome.logs.is_empty());
}
