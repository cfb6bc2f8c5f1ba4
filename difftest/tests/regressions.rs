//! Fixed programs that must behave the same on the JIT, the interpreter and
//! revm: minimized reproducers of every mismatch the fuzzer has found (see
//! `FINDINGS.md`; none so far) and hand-picked edges that random generation
//! reaches only rarely. Each program stores or logs what it computes, so a
//! wrong value changes the post-state, not only the gas.

mod common;

use cevm_difftest::program::Program;
use cevm_difftest::scenario::ContractSpec;
use cevm_difftest::{compare_backends, differences, run_reference, Scenario, TxKind};
use cevm_runtime::asm::assemble;
use cevm_runtime::{SpecId, U256};
use common::revm_backend::{observe_revm, revm_spec};

fn scenario(contracts: &[&str], gas_limit: u64) -> Scenario {
    Scenario {
        contracts: contracts
            .iter()
            .map(|source| ContractSpec {
                program: Program::raw(assemble(source).expect("test program assembles")),
                balance: U256::from(1_000_000u64),
                storage: vec![(U256::from(1), U256::from(1))],
            })
            .collect(),
        gas_limit,
        value: U256::ZERO,
        calldata: vec![0x11; 36],
        kind: TxKind::Call,
        access_list: Vec::new(),
    }
}

/// The JIT agrees with the interpreter under every fork, and the
/// interpreter with revm under every fork revm has.
fn check_all(name: &str, scenario: &Scenario) {
    for spec in SpecId::SUPPORTED {
        if let Some(m) = compare_backends(scenario, spec).expect("scenario runs") {
            panic!("{name} under {spec}: JIT differs: {:?}", m.differences);
        }
        if revm_spec(spec).is_none() {
            continue;
        }
        let ours = run_reference(scenario, spec).expect("scenario runs");
        let theirs = observe_revm(scenario, spec).expect("revm runs");
        let diffs = differences("interpreter", &ours, "revm", &theirs);
        assert!(
            diffs.is_empty(),
            "{name} under {spec}: revm differs: {diffs:?}"
        );
    }
}

/// Stores `op(value, amount)` for every listed operand pair in consecutive slots.
fn binary_table(op: &str, pairs: &[(&str, &str)]) -> String {
    let mut src = String::new();
    for (slot, (a, b)) in pairs.iter().enumerate() {
        // Arguments: `a` on top. Push `b` first.
        src += &format!("PUSH {b} PUSH {a} {op} PUSH {} SSTORE\n", slot + 16);
    }
    src + "STOP"
}

const SIGN: &str = "0x8000000000000000000000000000000000000000000000000000000000000000";
const ALL_ONES: &str = "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const MINUS_TWO: &str = "0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe";

#[test]
fn shifts_at_limb_and_word_edges() {
    let amounts = [
        "0", "1", "63", "64", "65", "127", "128", "191", "192", "255", "256", "257",
    ];
    for op in ["SHL", "SHR", "SAR"] {
        for value in [
            SIGN,
            ALL_ONES,
            "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            let pairs: Vec<(&str, &str)> = amounts.iter().map(|a| (*a, value)).collect();
            check_all(
                &format!("{op} {value}"),
                &scenario(&[&binary_table(op, &pairs)], 2_000_000),
            );
        }
    }
}

#[test]
fn signed_and_modular_arithmetic_edges() {
    let pairs = [
        (SIGN, ALL_ONES),
        (MINUS_TWO, "3"),
        ("7", "0"),
        (ALL_ONES, SIGN),
        ("0", "0"),
    ];
    for op in [
        "SDIV",
        "SMOD",
        "DIV",
        "MOD",
        "EXP",
        "SIGNEXTEND",
        "BYTE",
        "SLT",
        "SGT",
        "MUL",
    ] {
        check_all(op, &scenario(&[&binary_table(op, &pairs)], 2_000_000));
    }
    let ternary = format!(
        "PUSH {ALL_ONES} PUSH {ALL_ONES} PUSH {ALL_ONES} ADDMOD PUSH 1 SSTORE
         PUSH 12345 PUSH {ALL_ONES} PUSH {MINUS_TWO} MULMOD PUSH 2 SSTORE
         PUSH 0 PUSH 5 PUSH 6 ADDMOD PUSH 3 SSTORE
         PUSH 0 PUSH 5 PUSH 6 MULMOD PUSH 4 SSTORE
         PUSH 31 PUSH 0x80 SIGNEXTEND PUSH 0 SIGNEXTEND PUSH 5 SSTORE
         PUSH {SIGN} CLZ PUSH 6 SSTORE STOP"
    );
    check_all(
        "ADDMOD/MULMOD/SIGNEXTEND/CLZ",
        &scenario(&[&ternary], 2_000_000),
    );
}

#[test]
fn running_out_of_gas_at_every_point_of_a_program_with_effects() {
    // Storage write, log, transient store, memory growth and a call that
    // forwards all gas: every gas limit from the intrinsic cost up ends it
    // at a different instruction (or in the callee).
    let caller = "PUSH 0x2a PUSH 3 SSTORE
        PUSH 0x1234 PUSH 0 MSTORE PUSH 7 PUSH 32 PUSH 0 LOG1
        PUSH 9 PUSH 1 TSTORE
        PUSH 0 PUSH 0 PUSH 0 PUSH 0 PUSH 0 PUSH 0xc0de000000000000000000000000000000000001 GAS CALL
        PUSH 4 SSTORE GAS PUSH 5 SSTORE
        PUSH 1 PUSH 1000 MSTORE MSIZE PUSH 6 SSTORE STOP";
    let callee = "GAS PUSH 1 SSTORE PUSH 1 PUSH 2 SSTORE PUSH 0 PUSH 0 RETURN";
    for extra in (0..60_000).step_by(997) {
        let s = scenario(&[caller, callee], 25_000 + extra);
        check_all(&format!("gas limit {}", s.gas_limit), &s);
    }
}

#[test]
fn memory_edges() {
    let src = "PUSH 0 PUSH 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff KECCAK256 PUSH 1 SSTORE
        PUSH 0xff PUSH 31 MSTORE8 PUSH 0 MLOAD PUSH 2 SSTORE
        PUSH 40 PUSH 1 PUSH 5 MCOPY PUSH 0 MLOAD PUSH 3 SSTORE
        PUSH 40 PUSH 9 PUSH 2 MCOPY PUSH 0 MLOAD PUSH 4 SSTORE
        PUSH 0 PUSH 0xffffffffffffffff PUSH 0 CALLDATACOPY MSIZE PUSH 5 SSTORE
        PUSH 64 PUSH 30 PUSH 33 CALLDATACOPY PUSH 33 MLOAD PUSH 6 SSTORE
        PUSH 64 PUSH 3 PUSH 65 CODECOPY PUSH 65 MLOAD PUSH 7 SSTORE
        MSIZE PUSH 8 SSTORE STOP";
    check_all("memory", &scenario(&[src], 1_000_000));
    let huge = "PUSH 1 PUSH 0xffffffff MSTORE PUSH 1 PUSH 1 SSTORE STOP";
    check_all("huge MSTORE", &scenario(&[huge], 1_000_000));
    let rdc = "PUSH 0 PUSH 0 PUSH 0 PUSH 0 PUSH 4 GAS STATICCALL POP PUSH 1 PUSH 0 PUSH 0 RETURNDATACOPY STOP";
    check_all("RETURNDATACOPY out of bounds", &scenario(&[rdc], 1_000_000));
}

#[test]
fn jumps_into_push_data_and_computed_targets() {
    // PUSH2 0x5b5b: the bytes look like JUMPDESTs but are data.
    let src = "PUSH2 0x5b5b POP PUSH 0 PUSH 1 JUMPI PUSH 1 PUSH 1 SSTORE PUSH 1 PUSH 1 JUMPI STOP";
    check_all("JUMPI into push data", &scenario(&[src], 200_000));
    let computed = "PUSH @target PUSH 100 ADD PUSH 100 SWAP1 SUB JUMP INVALID target: JUMPDEST PUSH 7 PUSH 1 SSTORE STOP";
    check_all("computed jump", &scenario(&[computed], 200_000));
}

#[test]
fn blob_create_and_set_code_transactions() {
    use alloy_primitives::B256;
    use cevm_difftest::tx_kind::{authority_address, AuthorizationSpec};

    // BLOBHASH at each index, past the end and at a 2^64 index; BLOBBASEFEE.
    let blobs = "PUSH 0 BLOBHASH PUSH 1 SSTORE PUSH 1 BLOBHASH PUSH 2 SSTORE
        PUSH 2 BLOBHASH PUSH 3 SSTORE PUSH 0x10000000000000000 BLOBHASH PUSH 4 SSTORE
        BLOBBASEFEE PUSH 5 SSTORE GASPRICE PUSH 6 SSTORE STOP";
    let mut s = scenario(&[blobs], 500_000);
    s.kind = TxKind::Blob {
        hashes: vec![B256::repeat_byte(0x01), {
            let mut h = [0x77u8; 32];
            h[0] = 1;
            B256::new(h)
        }],
        max_fee_per_blob_gas: 1,
    };
    check_all("blob transaction", &s);
    let post = run_reference(&s, SpecId::Cancun).expect("runs");
    let target = &post.accounts[&cevm_difftest::scenario::contract_address(0)];
    assert_eq!(
        target.storage[&U256::from(1)],
        U256::from_be_bytes([1u8; 32])
    );

    // Init code that stores, logs and deploys 3 bytes of runtime code.
    let init = "PUSH 5 PUSH 1 SSTORE ADDRESS PUSH 0 PUSH 0 LOG1
        PUSH 0x600100 PUSH 0 MSTORE PUSH 3 PUSH 29 RETURN";
    let mut s = scenario(&[init], 500_000);
    s.kind = TxKind::Create;
    check_all("creation transaction", &s);
    let post = run_reference(&s, SpecId::Osaka).expect("runs");
    assert!(post
        .accounts
        .values()
        .any(|a| a.code.as_ref() == [0x60, 0x01, 0x00] && !a.storage.is_empty()));
    // The same init code reverting after its effects.
    let reverting = "PUSH 5 PUSH 1 SSTORE PUSH 0x2a PUSH 0 MSTORE PUSH 32 PUSH 0 REVERT";
    let mut s = scenario(&[reverting], 500_000);
    s.kind = TxKind::Create;
    check_all("reverting creation transaction", &s);

    // Two authorities delegate to contract 1; the transaction calls the
    // first, whose delegated code sees its own address, storage and code.
    let delegated = "ADDRESS PUSH 1 SSTORE CODESIZE PUSH 2 SSTORE
        ADDRESS EXTCODESIZE PUSH 3 SSTORE ADDRESS EXTCODEHASH PUSH 4 SSTORE
        PUSH 32 PUSH 0 PUSH 0 ADDRESS EXTCODECOPY PUSH 0 MLOAD PUSH 5 SSTORE STOP";
    let mut s = scenario(&["STOP", delegated], 500_000);
    let auth = |key: u8, nonce: u64, chain_id: u64| AuthorizationSpec {
        key,
        chain_id,
        delegate: cevm_difftest::scenario::contract_address(1),
        nonce,
    };
    s.kind = TxKind::SetCode {
        // Key 0 twice (nonce 0 then 1: both apply), key 1 for another
        // chain (skipped), key 2 with a stale nonce (skipped).
        authorizations: vec![auth(0, 0, 1), auth(0, 1, 0), auth(1, 0, 5), auth(2, 1, 1)],
        to: authority_address(0),
    };
    s.gas_limit += 100_000;
    check_all("set-code transaction", &s);
    for spec in [SpecId::Prague, SpecId::Osaka] {
        let post = run_reference(&s, spec).expect("runs");
        let authority = &post.accounts[&authority_address(0)];
        assert_eq!(authority.nonce, 2, "both authorizations of key 0 apply");
        assert_eq!(
            authority.storage[&U256::from(1)],
            U256::from_be_slice(authority_address(0).as_slice())
        );
        assert!(!post.accounts.contains_key(&authority_address(1)));
    }
}
