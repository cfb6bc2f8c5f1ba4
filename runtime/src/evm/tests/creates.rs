//! Create rules: addresses, nonces, deployment checks, collisions and
//! EIP-6780 SELFDESTRUCT of contracts created in the same transaction.

use super::*;
use crate::ops;
use crate::result::HaltReason;
use alloy_primitives::{address, b256, hex};

#[test]
fn eip1014_create2_vectors() {
    let cases: [(Address, B256, &str, Address); 7] = [
        (Address::ZERO, B256::ZERO, "00", address!("0x4D1A2e2bB4F88F0250f26Ffff098B0b30B26BF38")),
        (
            address!("0xdeadbeef00000000000000000000000000000000"),
            B256::ZERO,
            "00",
            address!("0xB928f69Bb1D91Cd65274e3c79d8986362984fDA3"),
        ),
        (
            address!("0xdeadbeef00000000000000000000000000000000"),
            b256!("0x000000000000000000000000feed000000000000000000000000000000000000"),
            "00",
            address!("0xD04116cDd17beBE565EB2422F2497E06cC1C9833"),
        ),
        (Address::ZERO, B256::ZERO, "deadbeef", address!("0x70f2b2914A2a4b783FaEFb75f459A580616Fcb5e")),
        (
            address!("0x00000000000000000000000000000000deadbeef"),
            b256!("0x00000000000000000000000000000000000000000000000000000000cafebabe"),
            "deadbeef",
            address!("0x60f3f640a8508fC6a86d45DF051962668E1e8AC7"),
        ),
        (
            address!("0x00000000000000000000000000000000deadbeef"),
            b256!("0x00000000000000000000000000000000000000000000000000000000cafebabe"),
            "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
            address!("0x1d8bfDC5D46DC4f61D6b6115972536eBE6A8854C"),
        ),
        (Address::ZERO, B256::ZERO, "", address!("0xE33C0C7F7df4809055C3ebA6c09CFe4BaF1BD9e0")),
    ];
    for (sender, salt, code, expected) in cases {
        let code = hex::decode(code).unwrap();
        assert_eq!(
            create2_address(sender, U256::from_be_bytes(salt.0), &code),
            expected
        );
    }
}

#[test]
fn create_address_vectors() {
    let sender = address!("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0");
    assert_eq!(
        create_address(sender, 0),
        address!("0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d")
    );
    assert_eq!(
        create_address(sender, 1),
        address!("0x343c43a37d37dff08ae8c4a11544c718abb4fcf8")
    );
    assert_eq!(
        create_address(sender, 2),
        address!("0xf778b86fa74e846c4f0a1fbd1335fe81c00a0c91")
    );
}

/// A factory that stores `init` (at most 32 bytes) in memory and CREATEs it
/// with `value`, saving the result in slot 0 and RETURNDATASIZE in slot 1.
fn factory(init: &[u8], value: u64) -> String {
    assert!(!init.is_empty() && init.len() <= 32);
    let hex: String = init.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "PUSH{n} 0x{hex} PUSH0 MSTORE PUSH1 {n} PUSH1 {off} PUSH1 {value} CREATE PUSH0 SSTORE
         RETURNDATASIZE PUSH1 1 SSTORE STOP",
        n = init.len(),
        off = 32 - init.len()
    )
}

fn run_factory(init: &[u8], value: u64, gas: u64) -> (State, CallOutcome) {
    let mut state = state_with(&[]);
    state.insert_account(
        addr(0xfa),
        Account::with_balance(u(100))
            .with_nonce(1)
            .with_code(asm(&factory(init, value)))
            .with_storage(u(1), u(77)),
    );
    let out = transact(&mut state, SpecId::Cancun, 0xfa, 0, gas);
    (state, out)
}

#[test]
fn create_deploys_code_and_bumps_nonces() {
    // Init code: MSTORE8(0, 0x00) RETURN(0, 1) -> deploys one STOP byte.
    let init = asm("PUSH1 0 PUSH0 MSTORE8 PUSH1 1 PUSH0 RETURN");
    let (state, out) = run_factory(&init, 3, 1_000_000);
    assert!(out.result.status.is_success());
    let created = create_address(addr(0xfa), 1);
    assert_eq!(slot(&state, 0xfa, 0), ops::address_to_word(created));
    assert_eq!(
        slot(&state, 0xfa, 1),
        U256::ZERO,
        "success leaves no return data"
    );
    assert_eq!(state.nonce(&addr(0xfa)), 2);
    let account = state.account(&created).expect("created");
    assert_eq!(account.nonce, 1);
    assert_eq!(account.balance, u(3));
    assert_eq!(&account.code[..], &[0x00]);
    assert_eq!(state.balance(&addr(0xfa)), u(97));
}

#[test]
fn create_rejects_ef_prefix_and_keeps_nonce_bump() {
    let init = asm("PUSH1 0xef PUSH0 MSTORE8 PUSH1 1 PUSH0 RETURN");
    let (state, out) = run_factory(&init, 3, 1_000_000);
    assert!(out.result.status.is_success());
    assert_eq!(slot(&state, 0xfa, 0), U256::ZERO);
    assert_eq!(state.nonce(&addr(0xfa)), 2);
    assert!(!state.exists(&create_address(addr(0xfa), 1)));
    assert_eq!(state.balance(&addr(0xfa)), u(100));
}

#[test]
fn create_revert_data_becomes_return_data() {
    let init = asm("PUSH1 0x2a PUSH0 MSTORE PUSH1 32 PUSH0 REVERT");
    let (state, _) = run_factory(&init, 0, 1_000_000);
    assert_eq!(slot(&state, 0xfa, 0), U256::ZERO);
    assert_eq!(slot(&state, 0xfa, 1), u(32));
}

#[test]
fn code_size_limit_boundary() {
    // RETURN(0, n): zero code of n bytes (no 0xEF prefix).
    let ok = asm("PUSH2 0x6000 PUSH0 RETURN");
    let (state, _) = run_factory(&ok, 0, 10_000_000);
    let created = create_address(addr(0xfa), 1);
    assert_eq!(state.account(&created).map(|a| a.code.len()), Some(24_576));
    let too_big = asm("PUSH2 0x6001 PUSH0 RETURN");
    let (state, _) = run_factory(&too_big, 0, 10_000_000);
    assert_eq!(slot(&state, 0xfa, 0), U256::ZERO);
    assert!(!state.exists(&created));
}

#[test]
fn code_deposit_gas_is_charged_to_the_create() {
    let init = asm("PUSH1 10 PUSH0 RETURN");
    let mut state = state_with(&[]);
    let env = Env::new(SpecId::Cancun);
    state.begin_transaction();
    let mut evm = Evm::new(&mut state, &env, &TestExecutor, &TestPrecompiles);
    let inputs = CreateInputs {
        caller: addr(SENDER),
        scheme: CreateScheme::Create,
        value: U256::ZERO,
        init_code: init.clone(),
        gas_limit: 100_000,
    };
    let target = create_address(addr(SENDER), 0);
    let result = evm.run_create(inputs.clone(), target);
    // PUSH1 + PUSH0 + RETURN (3 + 2 + 0) + memory (3) + deposit 10 * 200.
    assert_eq!(100_000 - result.gas_left, 3 + 2 + 3 + 2000);
    assert_eq!(result.output.len(), 10);
    // Not enough gas for the deposit: the create fails and keeps nothing.
    let short = CreateInputs {
        gas_limit: 8 + 1999,
        ..inputs
    };
    let target2 = create_address(addr(SENDER), 1);
    let result = evm.run_create(short, target2);
    assert_eq!(result.status, Status::Halt(HaltReason::OutOfGas));
    assert_eq!(result.gas_left, 0);
    assert!(!evm.state().exists(&target2));
}

#[test]
fn collision_consumes_gas_and_bumps_nonce() {
    let init = asm("STOP");
    let mut state = state_with(&[]);
    state.insert_account(
        addr(0xfa),
        Account::with_balance(u(100))
            .with_nonce(1)
            .with_code(asm(&factory(&init, 0))),
    );
    state.insert_account(
        create_address(addr(0xfa), 1),
        Account::default().with_nonce(1),
    );
    let out = transact(&mut state, SpecId::Cancun, 0xfa, 0, 1_000_000);
    assert!(out.result.status.is_success());
    assert_eq!(slot(&state, 0xfa, 0), U256::ZERO);
    assert_eq!(state.nonce(&addr(0xfa)), 2);
    // The 63/64 passed to the create is gone: far more than the factory's own costs.
    assert!(1_000_000 - out.result.gas_left > 900_000);
}

#[test]
fn create2_uses_salted_address_and_initcode_limits() {
    let mut state = state_with(&[]);
    state.insert_account(addr(0xcc), Account::with_balance(u(1)).with_nonce(1));
    with_frame_and_host(&mut state, SpecId::Cancun, 10_000_000, |frame, evm| {
        let init = [0x00u8];
        ops::mstore8(frame, U256::ZERO, U256::ZERO).unwrap();
        let before = frame.gas.used();
        let created = ops::create2(frame, evm, U256::ZERO, U256::ZERO, u(1), u(7)).unwrap();
        assert_eq!(
            created,
            ops::address_to_word(create2_address(addr(0xcc), u(7), &init))
        );
        // Init code word 2 + hashing word 6; the empty-output init code uses nothing else.
        assert_eq!(frame.gas.used() - before, 8);
        // Same salt again: collision, 0, and the passed gas is consumed.
        let remaining = frame.gas.remaining;
        assert_eq!(
            ops::create2(frame, evm, U256::ZERO, U256::ZERO, u(1), u(7)).unwrap(),
            U256::ZERO
        );
        assert_eq!(
            remaining - frame.gas.remaining,
            8 + (remaining - 8) - (remaining - 8) / 64
        );
        assert_eq!(evm.state().nonce(&addr(0xcc)), 3);
    });
    with_frame_and_host(&mut state, SpecId::Cancun, 10_000_000, |frame, evm| {
        assert_eq!(
            ops::create(frame, evm, U256::ZERO, U256::ZERO, u(49_153)),
            Err(HaltReason::OutOfGas)
        );
    });
    with_frame_and_host(&mut state, SpecId::Cancun, 10_000_000, |frame, evm| {
        // Largest allowed init code (all zero bytes: STOP).
        let r = ops::create(frame, evm, U256::ZERO, U256::ZERO, u(49_152)).unwrap();
        assert_ne!(r, U256::ZERO);
    });
}

#[test]
fn create_refusals_return_gas() {
    let mut state = state_with(&[]);
    state.insert_account(addr(0xcc), Account::default().with_nonce(u64::MAX));
    with_frame_and_host(&mut state, SpecId::Cancun, 100_000, |frame, evm| {
        let before = frame.gas.remaining;
        assert_eq!(
            ops::create(frame, evm, U256::ZERO, U256::ZERO, U256::ZERO).unwrap(),
            U256::ZERO
        );
        assert_eq!(
            frame.gas.remaining, before,
            "nonce overflow returns the gas"
        );
        assert_eq!(evm.state().nonce(&addr(0xcc)), u64::MAX);
        // Value beyond the balance.
        assert_eq!(
            ops::create(frame, evm, U256::from(1), U256::ZERO, U256::ZERO).unwrap(),
            U256::ZERO
        );
        assert_eq!(frame.gas.remaining, before);
    });
}

#[test]
fn selfdestruct_in_creating_transaction_deletes_account() {
    // Init code SELFDESTRUCTs to 0xbe.
    let init = asm("PUSH1 0xbe SELFDESTRUCT");
    let (state, out) = run_factory(&init, 3, 1_000_000);
    assert!(out.result.status.is_success());
    let created = create_address(addr(0xfa), 1);
    assert_eq!(
        slot(&state, 0xfa, 0),
        ops::address_to_word(created),
        "create succeeded"
    );
    assert!(
        !state.exists(&created),
        "deleted at the end of the transaction"
    );
    assert_eq!(state.balance(&addr(0xbe)), u(3));
}
