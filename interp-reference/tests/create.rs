//! CREATE and CREATE2 through the real `Evm`: addresses (EIP-1014 examples),
//! deployment of the returned code and failure on bad init code.

mod common;

use cevm_runtime::evm::create2_address;
use cevm_runtime::state::Account;
use cevm_runtime::{Address, SpecId, U256};
use common::*;

/// The EIP-1014 examples: deployer, salt, init code, address.
const EIP1014_EXAMPLES: [(&str, &str, &str, &str); 7] = [
    (
        "0x0000000000000000000000000000000000000000",
        "0x00",
        "00",
        "0x4D1A2e2bB4F88F0250f26Ffff098B0b30B26BF38",
    ),
    (
        "0xdeadbeef00000000000000000000000000000000",
        "0x00",
        "00",
        "0xB928f69Bb1D91Cd65274e3c79d8986362984fDA3",
    ),
    (
        "0xdeadbeef00000000000000000000000000000000",
        "0x000000000000000000000000feed000000000000000000000000000000000000",
        "00",
        "0xD04116cDd17beBE565EB2422F2497E06cC1C9833",
    ),
    (
        "0x0000000000000000000000000000000000000000",
        "0x00",
        "deadbeef",
        "0x70f2b2914A2a4b783FaEFb75f459A580616Fcb5e",
    ),
    (
        "0x00000000000000000000000000000000deadbeef",
        "0xcafebabe",
        "deadbeef",
        "0x60f3f640a8508fC6a86d45DF051962668E1e8AC7",
    ),
    (
        "0x00000000000000000000000000000000deadbeef",
        "0xcafebabe",
        "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
        "0x1d8bfDC5D46DC4f61D6b6115972536eBE6A8854C",
    ),
    (
        "0x0000000000000000000000000000000000000000",
        "0x00",
        "",
        "0xE33C0C7F7df4809055C3ebA6c09CFe4BaF1BD9e0",
    ),
];

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn word_to_address(word: U256) -> Address {
    Address::from_word(word.into())
}

#[test]
fn create2_matches_the_eip_1014_examples() {
    for (deployer, salt, init, expected) in EIP1014_EXAMPLES {
        let deployer: Address = deployer.parse().unwrap();
        let salt: U256 = salt.parse().unwrap();
        let expected: Address = expected.parse().unwrap();
        let init = hex_bytes(init);
        assert_eq!(create2_address(deployer, salt, &init), expected);

        // Through the opcode when the init code runs successfully (0x00 is
        // STOP; empty code too). The init code is placed at memory 0.
        if init.iter().all(|&b| b == 0) {
            let source = format!(
                "PUSH32 {salt} PUSH1 {len} PUSH0 PUSH0 CREATE2 {RETURN_TOP}",
                len = init.len()
            );
            let mut state = world(&[]);
            state.insert_account(
                deployer,
                Account::default().with_code(code(&source)).with_nonce(1),
            );
            let outcome = call_with(&mut state, SpecId::Osaka, deployer, U256::ZERO, &[], GAS);
            assert_eq!(
                word_to_address(output_word(&outcome)),
                expected,
                "{deployer} {salt}"
            );
            assert_eq!(
                state.nonce(&expected),
                1,
                "EIP-161: new contracts start at nonce 1"
            );
            assert_eq!(state.nonce(&deployer), 2);
        }
    }
}

#[test]
fn create2_twice_at_the_same_address_collides() {
    let once = "PUSH0 PUSH1 1 PUSH0 PUSH0 CREATE2";
    let (outcome, _) = run(&format!("{once} POP {once} {RETURN_TOP}"));
    assert_eq!(output_word(&outcome), U256::ZERO);
}

/// Init code that deploys `PUSH1 0x2a PUSH0 MSTORE PUSH1 32 PUSH0 RETURN`.
const INIT: &str = "PUSH8 0x602a5f5260205ff3 PUSH0 MSTORE PUSH1 8 PUSH1 24 RETURN";

#[test]
fn create_deploys_returned_code_at_the_nonce_address() {
    let init = code(INIT);
    let hex: String = init.iter().map(|b| format!("{b:02x}")).collect();
    let source = format!(
        "PUSH{n} 0x{hex} PUSH0 MSTORE PUSH1 {n} PUSH1 {off} PUSH0 CREATE {RETURN_TOP}",
        n = init.len(),
        off = 32 - init.len()
    );
    let (outcome, mut state) = run(&source);
    let created = word_to_address(output_word(&outcome));
    assert_eq!(created, CONTRACT.create(1));
    assert_eq!(state.code(&created).as_ref(), hex_bytes("602a5f5260205ff3"));
    let outcome = call_with(&mut state, SpecId::Osaka, created, U256::ZERO, &[], GAS);
    assert_eq!(output_word(&outcome), U256::from(0x2a));
}

#[test]
fn failing_init_code_creates_nothing() {
    // Init code 0xfe (INVALID) halts: CREATE pushes 0.
    let (outcome, state) = run(&format!(
        "PUSH1 0xfe PUSH0 MSTORE8 PUSH1 1 PUSH0 PUSH0 CREATE {RETURN_TOP}"
    ));
    assert_eq!(output_word(&outcome), U256::ZERO);
    assert!(!state.exists(&CONTRACT.create(1)));
    // Init code starting a deployment with 0xEF is rejected (EIP-3541).
    let ef = "PUSH1 0xef PUSH0 MSTORE8 PUSH1 1 PUSH0 RETURN";
    let init = code(ef);
    let hex: String = init.iter().map(|b| format!("{b:02x}")).collect();
    let source = format!(
        "PUSH{n} 0x{hex} PUSH0 MSTORE PUSH1 {n} PUSH1 {off} PUSH0 CREATE {RETURN_TOP}",
        n = init.len(),
        off = 32 - init.len()
    );
    let (outcome, _) = run(&source);
    assert_eq!(output_word(&outcome), U256::ZERO);
}
