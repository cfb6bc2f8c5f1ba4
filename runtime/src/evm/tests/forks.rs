//! Rules of the forks before Cancun that the state-test fixtures do not
//! reach (or reach only for some forks): empty accounts before EIP-161,
//! CALL and SELFDESTRUCT pricing before and after EIP-150 and EIP-161,
//! Frontier's code deposit, SELFDESTRUCT before EIP-6780 and EIP-3529, the
//! RIPEMD-160 touch, DIFFICULTY and the coinbase before EIP-161.
//!
//! The programs use `PUSH1 0`, never `PUSH0`, which Shanghai introduced.

use super::*;
use crate::ops;
use crate::precompiles::Precompiles;
use crate::result::HaltReason;
use crate::tx::{BlobSchedule, Transaction, TxKind};
use SpecId::*;

/// `CALL(gas, to, value = 0, no input, no output)` and STOP: 7 pushes (21 gas)
/// plus CALL's static gas.
fn call_program(to: u8, gas: &str) -> String {
    format!("PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 {to:#04x} PUSH3 {gas} CALL STOP")
}

fn gas_used(out: &CallOutcome, limit: u64) -> u64 {
    limit - out.result.gas_left
}

#[test]
fn touched_empty_accounts_stay_before_spurious_dragon() {
    for (spec, stays) in [
        (Homestead, true),
        (TangerineWhistle, true),
        (SpuriousDragon, false),
    ] {
        // A zero-value transaction to a missing account.
        let mut state = state_with(&[]);
        let out = transact(&mut state, spec, 0xee, 0, 50_000);
        assert!(out.result.status.is_success());
        assert_eq!(state.exists(&addr(0xee)), stays, "{spec}");
        // A zero-value CALL to a missing account.
        let mut state = state_with(&[(0xcc, &call_program(0xef, "0"))]);
        transact(&mut state, spec, 0xcc, 0, 100_000);
        assert_eq!(state.exists(&addr(0xef)), stays, "{spec}");
        if stays {
            assert!(state.account(&addr(0xef)).is_some_and(Account::is_empty));
        }
    }
}

#[test]
fn call_new_account_cost_before_and_after_eip161() {
    // A zero-value CALL to a missing account: 25000 for creating it until
    // Spurious Dragon, nothing after (no value moves).
    for (spec, call_static, new_account) in [
        (Frontier, 40, 25_000),
        (TangerineWhistle, 700, 25_000),
        (SpuriousDragon, 700, 0),
        (Istanbul, 700, 0),
    ] {
        let mut state = state_with(&[(0xcc, &call_program(0xef, "0"))]);
        let out = transact(&mut state, spec, 0xcc, 0, 100_000);
        assert!(out.result.status.is_success(), "{spec}");
        assert_eq!(
            gas_used(&out, 100_000),
            21 + call_static + new_account,
            "{spec}"
        );
    }
    // To an account that exists but is empty, with value: only from
    // Spurious Dragon (the account is not "alive").
    let with_value = "PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 0 PUSH1 1 PUSH1 0xef PUSH1 0 CALL STOP";
    for (spec, extra) in [(TangerineWhistle, 9_000), (SpuriousDragon, 9_000 + 25_000)] {
        let mut state = state_with(&[]);
        state.insert_account(
            addr(0xcc),
            Account::with_balance(u(5)).with_code(asm(with_value)),
        );
        state.insert_account(addr(0xef), Account::default());
        let out = transact(&mut state, spec, 0xcc, 0, 100_000);
        assert!(out.result.status.is_success(), "{spec}");
        // The callee, without code, hands its free 2300 stipend back.
        assert_eq!(gas_used(&out, 100_000), 21 + 700 + extra - 2_300, "{spec}");
        assert_eq!(state.balance(&addr(0xef)), u(1));
    }
}

#[test]
fn call_gas_is_not_capped_before_tangerine_whistle() {
    // Requests 0xffffff gas with far less available: out of gas before
    // EIP-150, capped at 63/64 of what is left after it.
    let program = call_program(0xef, "0xffffff");
    for (spec, ok) in [(Homestead, false), (TangerineWhistle, true)] {
        let mut state = state_with(&[(0xcc, &program)]);
        state.insert_account(addr(0xef), Account::with_balance(u(1)));
        let out = transact(&mut state, spec, 0xcc, 0, 100_000);
        assert_eq!(out.result.status.is_success(), ok, "{spec}");
    }
}

#[test]
fn frontier_keeps_a_contract_whose_code_deposit_it_cannot_pay() {
    // Init code returning 10 zero bytes: 3 + 3 + 3 (memory), then 2000 deposit.
    let init = asm("PUSH1 10 PUSH1 0 RETURN");
    for spec in [Frontier, Homestead, SpuriousDragon] {
        let mut state = state_with(&[]);
        let env = Env::new(spec);
        state.begin_transaction();
        let mut evm = Evm::new(&mut state, &env, &TestExecutor, &TestPrecompiles);
        let target = create_address(addr(SENDER), 0);
        let inputs = CreateInputs {
            caller: addr(SENDER),
            scheme: CreateScheme::Create,
            value: U256::ZERO,
            init_code: init.clone(),
            gas_limit: 9 + 1999,
        };
        let result = evm.run_create(inputs.clone(), target);
        if spec == Frontier {
            // Success, no code, the gas the deposit would have taken kept.
            assert!(result.status.is_success());
            assert_eq!(result.gas_left, 1999);
            let account = evm.state().account(&target).expect("created");
            assert!(account.code.is_empty());
            assert_eq!(
                account.nonce, 0,
                "EIP-161 nonces start with Spurious Dragon"
            );
        } else {
            assert_eq!(result.status, Status::Halt(HaltReason::OutOfGas), "{spec}");
            assert!(!evm.state().exists(&target));
        }
        // With enough gas the code is deployed; the nonce is 1 from
        // Spurious Dragon on.
        let target = create_address(addr(SENDER), 1);
        let result = evm.run_create(
            CreateInputs {
                gas_limit: 100_000,
                ..inputs
            },
            target,
        );
        assert!(result.status.is_success());
        let account = evm.state().account(&target).expect("created");
        assert_eq!(account.code.len(), 10);
        assert_eq!(account.nonce, u64::from(spec >= SpuriousDragon), "{spec}");
    }
}

#[test]
fn selfdestruct_before_cancun_deletes_and_refunds_until_london() {
    // (fork, gas used, refund, account deleted): PUSH1 (3) + SELFDESTRUCT's
    // static gas + creating the missing beneficiary 0xbe + cold (Berlin on).
    let cases = [
        (Frontier, 3, 24_000, true),
        (TangerineWhistle, 3 + 5_000 + 25_000, 24_000, true),
        (Istanbul, 3 + 5_000 + 25_000, 24_000, true),
        (Berlin, 3 + 5_000 + 25_000 + 2_600, 24_000, true),
        (London, 3 + 5_000 + 25_000 + 2_600, 0, true),
        (Cancun, 3 + 5_000 + 25_000 + 2_600, 0, false),
    ];
    for (spec, gas, refund, deleted) in cases {
        let mut state = state_with(&[]);
        state.insert_account(
            addr(0xdd),
            Account::with_balance(u(5)).with_code(asm("PUSH1 0xbe SELFDESTRUCT")),
        );
        let out = transact(&mut state, spec, 0xdd, 0, 100_000);
        assert!(out.result.status.is_success(), "{spec}");
        assert_eq!(gas_used(&out, 100_000), gas, "{spec}");
        assert_eq!(out.result.refund, refund, "{spec}");
        assert_eq!(!state.exists(&addr(0xdd)), deleted, "{spec}");
        assert_eq!(state.balance(&addr(0xbe)), u(5), "{spec}");
    }
    // Without a balance: Tangerine Whistle still pays for the missing
    // beneficiary (and creates it), Spurious Dragon does not.
    for (spec, gas, beneficiary_exists) in [
        (TangerineWhistle, 3 + 5_000 + 25_000, true),
        (SpuriousDragon, 3 + 5_000, false),
    ] {
        let mut state = state_with(&[(0xdd, "PUSH1 0xbe SELFDESTRUCT")]);
        let out = transact(&mut state, spec, 0xdd, 0, 100_000);
        assert_eq!(gas_used(&out, 100_000), gas, "{spec}");
        assert_eq!(state.exists(&addr(0xbe)), beneficiary_exists, "{spec}");
    }
}

#[test]
fn selfdestruct_refund_once_per_account() {
    // 0xaa calls 0xdd twice; 0xdd selfdestructs each time: one refund.
    let caller = format!(
        "{} {}",
        call_program(0xdd, "0xffff"),
        call_program(0xdd, "0xffff")
    )
    .replace("STOP PUSH1", "PUSH1");
    let mut state = state_with(&[(0xaa, &caller), (0xdd, "PUSH1 0xbe SELFDESTRUCT")]);
    let out = transact(&mut state, Istanbul, 0xaa, 0, 500_000);
    assert!(out.result.status.is_success());
    assert_eq!(out.result.refund, 24_000);
}

#[test]
fn ripemd160_touch_survives_a_failed_call_until_london() {
    // 0xcc calls 0x03 with 1 gas: RIPEMD-160 needs 600 and fails. 0x03
    // exists and is empty; the failed call's touch deletes it (Spurious
    // Dragon to London) where any other touch would be undone.
    let program = call_program(0x03, "1");
    for (spec, deleted) in [
        (Homestead, false),
        (SpuriousDragon, true),
        (London, true),
        (Paris, false),
    ] {
        let mut state = state_with(&[(0xcc, &program)]);
        state.insert_account(addr(0x03), Account::default());
        let env = Env::new(spec);
        let precompiles = Precompiles::for_spec(spec);
        let mut evm = Evm::new(&mut state, &env, &TestExecutor, &precompiles);
        let out = evm.transact_call(addr(SENDER), addr(0xcc), U256::ZERO, Bytes::new(), 100_000);
        assert!(out.result.status.is_success());
        assert_eq!(!state.exists(&addr(0x03)), deleted, "{spec}");
    }
}

#[test]
fn opcode_0x44_is_difficulty_before_paris() {
    let mut state = State::new();
    for (spec, expected) in [(London, u(7)), (Paris, u(9))] {
        let mut env = Env::new(spec);
        env.block.difficulty = u(7);
        env.block.prevrandao = B256::with_last_byte(9);
        let evm = Evm::new(&mut state, &env, &TestExecutor, &TestPrecompiles);
        assert_eq!(ops::prevrandao(&evm), expected, "{spec}");
    }
}

#[test]
fn coinbase_is_created_before_spurious_dragon() {
    // A free transaction (gas price zero): the coinbase earns nothing, yet
    // before EIP-161 paying it creates it.
    let coinbase = addr(0xc0);
    for (spec, exists) in [(Homestead, true), (SpuriousDragon, false)] {
        let mut state = state_with(&[]);
        let mut env = Env::new(spec);
        env.block.gas_limit = u(1_000_000);
        env.block.coinbase = coinbase;
        env.tx.origin = addr(SENDER);
        let tx = Transaction::legacy(addr(SENDER), TxKind::Call(addr(0xee)), 21_000);
        let schedule = BlobSchedule::for_spec(spec);
        let outcome = crate::tx::transact(
            &mut state,
            &env,
            &schedule,
            &tx,
            &TestExecutor,
            &TestPrecompiles,
        )
        .expect("valid");
        assert!(outcome.status.is_success());
        assert_eq!(state.exists(&coinbase), exists, "{spec}");
    }
}
