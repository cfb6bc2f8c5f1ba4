//! Message-call rules: depth, static frames, value, gas, refunds, return
//! data, precompiles, journaling and EIP-7702 delegation.

use super::*;
use crate::ops::{self, CallOperands};

/// Each frame bumps slot 0 of the contract and calls itself with all gas.
const RECURSE: &str = "
    PUSH0 SLOAD PUSH1 1 ADD PUSH0 SSTORE
    PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 ADDRESS GAS CALL
    STOP";

#[test]
fn depth_limit_is_1024_and_stack_does_not_overflow() {
    // A small native stack: without stacker segments 1025 nested frames overflow it.
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| {
            let mut state = state_with(&[(0xcc, RECURSE)]);
            let out = transact(&mut state, SpecId::Cancun, 0xcc, 0, 1_000_000_000_000);
            (out.result.status, slot(&state, 0xcc, 0))
        })
        .expect("spawn test thread");
    let (status, frames) = handle.join().expect("no stack overflow");
    assert!(status.is_success());
    // Depths 0..=1024 ran; the call made at depth 1024 failed.
    assert_eq!(frames, u(1025));
}

#[test]
fn static_frames_reject_state_changes() {
    let writers = [
        "PUSH1 1 PUSH0 SSTORE STOP",
        "PUSH1 1 PUSH0 TSTORE STOP",
        "PUSH0 PUSH0 LOG0 STOP",
        "PUSH0 PUSH0 PUSH0 CREATE STOP",
        "PUSH0 PUSH0 PUSH0 PUSH0 CREATE2 STOP",
        "PUSH1 0xbe SELFDESTRUCT",
        // CALL with value (the callee has the balance to send it).
        "PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 1 PUSH1 0xbe GAS CALL STOP",
    ];
    for writer in writers {
        // A: slot0 = STATICCALL(B) + 1, so 1 means the call failed.
        let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbb GAS STATICCALL PUSH1 1 ADD PUSH0 SSTORE STOP";
        let mut state = state_with(&[(0xaa, a), (0xbb, writer)]);
        state.insert_account(
            addr(0xbb),
            Account::with_balance(u(10)).with_code(asm(writer)),
        );
        // Plenty of gas: the failed callee consumes 63/64 of it.
        let out = transact(&mut state, SpecId::Cancun, 0xaa, 0, 10_000_000);
        assert!(out.result.status.is_success(), "{writer}");
        assert_eq!(slot(&state, 0xaa, 0), u(1), "{writer}");
        assert_eq!(slot(&state, 0xbb, 0), U256::ZERO);
        assert_eq!(state.balance(&addr(0xbb)), u(10));
        assert!(out.logs.is_empty());
    }
    // Reading and CALL without value are allowed; static propagates.
    let reader = "PUSH0 SLOAD POP PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbe GAS CALL PUSH1 7 PUSH0 MSTORE PUSH1 32 PUSH0 RETURN";
    let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbb GAS STATICCALL PUSH1 1 ADD PUSH0 SSTORE STOP";
    let mut state = state_with(&[
        (0xaa, a),
        (0xbb, reader),
        (0xbe, "PUSH1 1 PUSH0 SSTORE STOP"),
    ]);
    transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
    assert_eq!(slot(&state, 0xaa, 0), u(2));
    assert_eq!(
        slot(&state, 0xbe, 0),
        U256::ZERO,
        "static context reached 0xbe"
    );
}

#[test]
fn call_gas_with_value_to_new_account() {
    let mut state = state_with(&[]);
    state.insert_account(addr(0xcc), Account::with_balance(u(10)));
    with_frame_and_host(&mut state, SpecId::Cancun, 100_000, |frame, evm| {
        let send_one = |to| CallOperands {
            to: u(to),
            value: u(1),
            ..CallOperands::default()
        };
        let ok = ops::call(frame, evm, CallKind::Call, &send_one(0xee)).unwrap();
        assert!(ok);
        // cold 2500 + value 9000 + new account 25000, minus the unused stipend.
        assert_eq!(frame.gas.used(), 2500 + 9000 + 25_000 - 2300);
        let before = frame.gas.used();
        ops::call(frame, evm, CallKind::Call, &send_one(0xee)).unwrap();
        assert_eq!(frame.gas.used() - before, 9000 - 2300, "now warm and alive");
        let before = frame.gas.used();
        let static_call = CallOperands {
            gas: u(1000),
            to: u(0xef),
            ..CallOperands::default()
        };
        ops::call(frame, evm, CallKind::StaticCall, &static_call).unwrap();
        assert_eq!(frame.gas.used() - before, 2500, "no value, no stipend");
        let before = frame.gas.used();
        // CALLCODE with value never pays for a new account.
        ops::call(frame, evm, CallKind::CallCode, &send_one(0xf0)).unwrap();
        assert_eq!(frame.gas.used() - before, 2500 + 9000 - 2300);
        assert_eq!(evm.state().balance(&addr(0xee)), u(2));
        assert_eq!(evm.state().balance(&addr(0xcc)), u(8));
    });
}

#[test]
fn call_passes_63_64_and_insufficient_balance_returns_gas() {
    let mut state = state_with(&[(0xdd, "GAS PUSH0 MSTORE PUSH1 32 PUSH0 RETURN")]);
    with_frame_and_host(&mut state, SpecId::Cancun, 64_000 + 2500, |frame, evm| {
        let all_gas = CallOperands {
            gas: U256::MAX,
            to: u(0xdd),
            out_len: u(32),
            ..CallOperands::default()
        };
        let ok = ops::call(frame, evm, CallKind::Call, &all_gas).unwrap();
        assert!(ok);
        // Memory 3; then 64_000 - 3 left, callee gets all but a 64th.
        let left = 64_000 - 3;
        let child = left - left / 64;
        // The callee reports GAS after GAS (2) itself.
        assert_eq!(frame.memory.word(0), u(child - 2));
        // Balance 0 < value: the call fails, gas (and stipend) come back, no return data.
        let before = frame.gas.remaining;
        let unfunded = CallOperands {
            gas: u(100),
            to: u(0xdd),
            value: u(1),
            ..CallOperands::default()
        };
        let ok = ops::call(frame, evm, CallKind::Call, &unfunded).unwrap();
        assert!(!ok);
        assert_eq!(before - frame.gas.remaining, 9000 - 2300);
        assert!(frame.return_data.is_empty());
    });
}

#[test]
fn refunds_follow_the_frame() {
    let clear_then = |end: &str| format!("PUSH0 PUSH0 SSTORE {end}");
    for (end, refund) in [("STOP", 4800i64), ("PUSH0 PUSH0 REVERT", 0), ("INVALID", 0)] {
        let b = clear_then(end);
        let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbb GAS CALL STOP";
        let mut state = state_with(&[(0xaa, a)]);
        state.insert_account(
            addr(0xbb),
            Account::default()
                .with_code(asm(&b))
                .with_storage(U256::ZERO, u(1)),
        );
        let out = transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
        assert!(out.result.status.is_success());
        assert_eq!(out.result.refund, refund, "{end}");
        assert_eq!(
            slot(&state, 0xbb, 0),
            if refund > 0 { U256::ZERO } else { u(1) }
        );
    }
}

#[test]
fn return_data_after_calls() {
    let a =
        "PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbb GAS CALL POP RETURNDATASIZE PUSH0 SSTORE STOP";
    for (b, size) in [
        ("PUSH1 0x2a PUSH0 MSTORE PUSH1 32 PUSH0 REVERT", 32u64),
        ("PUSH1 0x2a PUSH0 MSTORE PUSH1 31 PUSH0 RETURN", 31),
        ("PUSH1 0x2a PUSH0 MSTORE INVALID", 0),
        ("STOP", 0),
    ] {
        let mut state = state_with(&[(0xaa, a), (0xbb, b)]);
        state.insert_account(
            addr(0xaa),
            Account::default()
                .with_code(asm(a))
                .with_storage(U256::ZERO, u(99)),
        );
        transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
        assert_eq!(slot(&state, 0xaa, 0), u(size), "{b}");
    }
}

#[test]
fn call_to_precompile() {
    let a = "PUSH1 0x2a PUSH0 MSTORE
             PUSH1 32 PUSH1 32 PUSH1 32 PUSH0 PUSH0 PUSH1 4 GAS CALL PUSH0 SSTORE
             PUSH1 32 MLOAD PUSH1 1 SSTORE
             PUSH0 PUSH0 PUSH1 32 PUSH0 PUSH0 PUSH1 4 PUSH1 17 CALL PUSH1 2 SSTORE
             STOP";
    let mut state = state_with(&[(0xaa, a)]);
    state.insert_account(
        addr(0xaa),
        Account::default()
            .with_code(asm(a))
            .with_storage(u(2), u(9)),
    );
    let out = transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
    assert!(out.result.status.is_success());
    assert_eq!(slot(&state, 0xaa, 0), u(1));
    assert_eq!(slot(&state, 0xaa, 1), u(0x2a));
    // 17 gas < 15 + 3: the precompile fails.
    assert_eq!(slot(&state, 0xaa, 2), U256::ZERO);
}

#[test]
fn failed_call_leaves_no_trace() {
    let b = "PUSH1 5 PUSH0 SSTORE PUSH0 PUSH0 LOG0 PUSH1 9 PUSH0 TSTORE
             PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 2 PUSH1 0xbe GAS CALL POP INVALID";
    let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 5 PUSH1 0xbb GAS CALL PUSH0 SSTORE STOP";
    let mut state = state_with(&[(0xbb, b)]);
    state.insert_account(
        addr(0xaa),
        Account::with_balance(u(100))
            .with_code(asm(a))
            .with_storage(U256::ZERO, u(7)),
    );
    let out = transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
    assert!(out.result.status.is_success());
    assert_eq!(slot(&state, 0xaa, 0), U256::ZERO, "call failed");
    assert_eq!(slot(&state, 0xbb, 0), U256::ZERO);
    assert_eq!(state.balance(&addr(0xaa)), u(100));
    assert_eq!(state.balance(&addr(0xbb)), U256::ZERO);
    assert!(!state.exists(&addr(0xbe)));
    assert!(out.logs.is_empty());
}

#[test]
fn value_transfer_to_self_keeps_balance() {
    let a = "CALLDATASIZE PUSH @end JUMPI
             PUSH0 PUSH0 PUSH1 1 PUSH0 PUSH1 4 ADDRESS GAS CALL PUSH0 SSTORE
             end: JUMPDEST STOP";
    let mut state = state_with(&[]);
    state.insert_account(addr(0xaa), Account::with_balance(u(10)).with_code(asm(a)));
    let out = transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
    assert!(out.result.status.is_success());
    assert_eq!(slot(&state, 0xaa, 0), u(1));
    assert_eq!(state.balance(&addr(0xaa)), u(10));
}

#[test]
fn touched_empty_account_is_removed_only_if_the_call_stands() {
    let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xe0 GAS CALL STOP";
    let mut state = state_with(&[(0xaa, a)]);
    state.insert_account(addr(0xe0), Account::default());
    transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
    assert!(!state.exists(&addr(0xe0)));

    let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xe0 GAS CALL INVALID";
    let mut state = state_with(&[(0xaa, a)]);
    state.insert_account(addr(0xe0), Account::default());
    transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
    assert!(state.exists(&addr(0xe0)));
}

#[test]
fn selfdestruct_of_existing_contract_moves_balance_only() {
    let mut state = state_with(&[]);
    state.insert_account(
        addr(0xdd),
        Account::with_balance(u(5)).with_code(asm("PUSH1 0xbe SELFDESTRUCT")),
    );
    let out = transact(&mut state, SpecId::Cancun, 0xdd, 0, 100_000);
    assert_eq!(
        out.result.status,
        Status::Success(SuccessReason::SelfDestruct)
    );
    // 3 (PUSH1) + 5000 + 2600 cold + 25000 new account.
    assert_eq!(100_000 - out.result.gas_left, 3 + 5000 + 2600 + 25_000);
    assert!(state.exists(&addr(0xdd)));
    assert_eq!(state.balance(&addr(0xdd)), U256::ZERO);
    assert_eq!(state.balance(&addr(0xbe)), u(5));
}

#[test]
fn delegation_runs_delegate_code_in_prague_only() {
    let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xe0 GAS CALL PUSH1 1 ADD PUSH0 SSTORE
             PUSH1 0xe0 EXTCODESIZE PUSH1 1 SSTORE STOP";
    let make = || {
        let mut state = state_with(&[(0xaa, a), (0xdd, "PUSH1 7 PUSH0 SSTORE STOP")]);
        state.insert_account(
            addr(0xe0),
            Account::default().with_code(delegation_designator(addr(0xdd))),
        );
        state
    };
    let mut state = make();
    transact(&mut state, SpecId::Prague, 0xaa, 0, 1_000_000);
    assert_eq!(slot(&state, 0xaa, 0), u(2), "call succeeded");
    assert_eq!(slot(&state, 0xaa, 1), u(23));
    assert_eq!(
        slot(&state, 0xe0, 0),
        u(7),
        "delegate code ran on the EOA's storage"
    );
    assert_eq!(slot(&state, 0xdd, 0), U256::ZERO);

    // Before Prague the designator is just code starting with 0xEF.
    let mut state = make();
    transact(&mut state, SpecId::Cancun, 0xaa, 0, 10_000_000);
    assert_eq!(slot(&state, 0xaa, 0), u(1), "call failed");
    assert_eq!(slot(&state, 0xe0, 0), U256::ZERO);

    // The delegate's access is charged too.
    let mut state = make();
    with_frame_and_host(&mut state, SpecId::Prague, 100_000, |frame, evm| {
        let to_delegated = CallOperands {
            to: u(0xe0),
            ..CallOperands::default()
        };
        ops::call(frame, evm, CallKind::StaticCall, &to_delegated).unwrap();
        assert_eq!(frame.gas.used(), 2500 + 2600);
        let before = frame.gas.used();
        ops::call(frame, evm, CallKind::StaticCall, &to_delegated).unwrap();
        assert_eq!(frame.gas.used() - before, 100);
    });
}

#[test]
fn sstore_sentry_and_cold_costs() {
    let mut state = state_with(&[]);
    with_frame_and_host(&mut state, SpecId::Cancun, 2300, |frame, evm| {
        assert_eq!(
            ops::sstore(frame, evm, u(1), U256::ZERO),
            Err(crate::result::HaltReason::OutOfGas)
        );
    });
    with_frame_and_host(&mut state, SpecId::Cancun, 2301, |frame, evm| {
        // No-op store to a cold slot: 2100 + 100.
        ops::sstore(frame, evm, u(1), U256::ZERO).unwrap();
        assert_eq!(frame.gas.used(), 2200);
    });
    with_frame_and_host(&mut state, SpecId::Cancun, 100_000, |frame, evm| {
        ops::sstore(frame, evm, u(1), u(1)).unwrap();
        assert_eq!(frame.gas.used(), 22_100);
        ops::sstore(frame, evm, u(1), U256::ZERO).unwrap();
        assert_eq!(frame.gas.used(), 22_200);
        assert_eq!(frame.gas.refunded, 19_900);
        assert_eq!(ops::sload(frame, evm, u(1)).unwrap(), U256::ZERO);
        assert_eq!(frame.gas.used(), 22_200, "warm SLOAD has no dynamic gas");
        ops::sload(frame, evm, u(2)).unwrap();
        assert_eq!(frame.gas.used(), 24_200);
    });
}

#[test]
fn delegatecall_and_callcode_run_in_the_callers_context() {
    // B stores CALLER in slot 0 and CALLVALUE in slot 1 of whatever storage it runs on.
    let b = "CALLER PUSH0 SSTORE CALLVALUE PUSH1 1 SSTORE STOP";
    let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbb GAS DELEGATECALL PUSH1 2 SSTORE
             PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 3 PUSH1 0xbb GAS CALLCODE PUSH1 3 SSTORE STOP";
    let mut state = state_with(&[(0xbb, b)]);
    state.insert_account(addr(0xaa), Account::with_balance(u(10)).with_code(asm(a)));
    let out = transact(&mut state, SpecId::Cancun, 0xaa, 7, 1_000_000);
    assert!(out.result.status.is_success());
    assert_eq!(slot(&state, 0xaa, 2), u(1));
    assert_eq!(slot(&state, 0xaa, 3), u(1));
    // CALLCODE ran last: caller is A itself, value 3 (sent from A to A).
    assert_eq!(slot(&state, 0xaa, 0), ops::address_to_word(addr(0xaa)));
    assert_eq!(slot(&state, 0xaa, 1), u(3));
    assert_eq!(slot(&state, 0xbb, 0), U256::ZERO);
    assert_eq!(state.balance(&addr(0xaa)), u(17));

    // DELEGATECALL alone: the sender and the transaction's value are inherited.
    let a = "PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbb GAS DELEGATECALL STOP";
    let mut state = state_with(&[(0xaa, a), (0xbb, b)]);
    transact(&mut state, SpecId::Cancun, 0xaa, 7, 1_000_000);
    assert_eq!(slot(&state, 0xaa, 0), ops::address_to_word(addr(SENDER)));
    assert_eq!(slot(&state, 0xaa, 1), u(7));
}

#[test]
fn logs_of_successful_frames_are_kept_in_order() {
    // B logs topic 2 and succeeds; C logs topic 3 and reverts; A logs 1 before and 4 after.
    let b = "PUSH1 2 PUSH0 PUSH0 LOG1 STOP";
    let c = "PUSH1 3 PUSH0 PUSH0 LOG1 PUSH0 PUSH0 REVERT";
    let a = "PUSH1 1 PUSH0 PUSH0 LOG1
             PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbb GAS CALL POP
             PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xcc GAS CALL POP
             PUSH1 4 PUSH0 PUSH0 LOG1 STOP";
    let mut state = state_with(&[(0xaa, a), (0xbb, b), (0xcc, c)]);
    let out = transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
    let seen: Vec<(Address, U256)> = out
        .logs
        .iter()
        .map(|l| (l.address, U256::from_be_bytes(l.data.topics()[0].0)))
        .collect();
    assert_eq!(
        seen,
        vec![(addr(0xaa), u(1)), (addr(0xbb), u(2)), (addr(0xaa), u(4))]
    );
}

/// A contract that returns the word `n`.
fn returns(n: u8) -> String {
    format!("PUSH1 {n} PUSH0 MSTORE PUSH1 32 PUSH0 RETURN")
}

#[test]
fn frames_run_their_own_code_among_more_codes_than_the_thread_keeps() {
    // Six codes, more than the thread keeps shared (`RECENT_CODES`), called
    // in turn twice: every frame must run its callee's code, whichever of
    // them the thread still keeps.
    let callees: Vec<(u8, String)> = (1..=6).map(|n| (0xa0 + n, returns(n))).collect();
    let mut a = String::new();
    for round in 0..2u8 {
        for (i, (callee, _)) in callees.iter().enumerate() {
            let key = 6 * round + i as u8;
            a += &format!(
                "PUSH1 32 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 {callee} GAS CALL POP
                 PUSH0 MLOAD PUSH1 {key} SSTORE "
            );
        }
    }
    a += "STOP";
    let mut contracts: Vec<(u8, &str)> = callees.iter().map(|(c, s)| (*c, s.as_str())).collect();
    contracts.push((0xaa, &a));
    let mut state = state_with(&contracts);
    transact(&mut state, SpecId::Cancun, 0xaa, 0, 10_000_000);
    for key in 0..12u64 {
        assert_eq!(slot(&state, 0xaa, key), u(key % 6 + 1), "slot {key}");
    }
}

#[test]
fn an_address_runs_the_code_its_state_has() {
    // The same address with other code in another state, on the same
    // thread: the code is found by its hash, never by the address.
    let a =
        "PUSH1 32 PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 0xbb GAS CALL POP PUSH0 MLOAD PUSH0 SSTORE STOP";
    for n in [1u8, 2, 1, 3] {
        let b = returns(n);
        let mut state = state_with(&[(0xaa, a), (0xbb, &b)]);
        transact(&mut state, SpecId::Cancun, 0xaa, 0, 1_000_000);
        assert_eq!(slot(&state, 0xaa, 0), u(u64::from(n)));
    }
}
