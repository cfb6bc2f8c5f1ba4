//! Compiled code under the real `Evm`: nested calls to depth 1024, creates,
//! and the benchmark contracts in `/work/shared`, each compared with the
//! reference interpreter (result, logs and the resulting state).

use cevm_compiler::JitExecutor;
use cevm_interp::Interpreter;
use cevm_runtime::asm::assemble;
use cevm_runtime::evm::{CallOutcome, Evm};
use cevm_runtime::state::{Account, State};
use cevm_runtime::{Address, Bytes, Env, Executor, NoPrecompiles, SpecId, U256};
use std::path::PathBuf;

const CONTRACT: Address = Address::repeat_byte(0xcc);
const CALLER: Address = Address::repeat_byte(0x11);

fn state_with(code: &[u8]) -> State {
    let mut state = State::new();
    state.insert_account(
        CALLER,
        Account::with_balance(U256::from(10).pow(U256::from(30))),
    );
    state.insert_account(
        CONTRACT,
        Account::with_balance(U256::from(1_000_000))
            .with_nonce(1)
            .with_code(Bytes::copy_from_slice(code)),
    );
    state
}

fn call(
    executor: &dyn Executor,
    mut state: State,
    spec: SpecId,
    input: &[u8],
    gas: u64,
) -> (CallOutcome, State) {
    let env = Env::new(spec);
    let outcome = {
        let mut evm = Evm::new(&mut state, &env, executor, &NoPrecompiles);
        evm.transact_call(
            CALLER,
            CONTRACT,
            U256::ZERO,
            Bytes::copy_from_slice(input),
            gas,
        )
    };
    (outcome, state)
}

/// Runs on both backends and asserts the same outcome and final state.
fn both(state: &State, spec: SpecId, input: &[u8], gas: u64) -> CallOutcome {
    both_with(JitExecutor::new(), state, spec, input, gas)
}

/// [`both`] with the compiled side on `jit`.
fn both_with(jit: JitExecutor, state: &State, spec: SpecId, input: &[u8], gas: u64) -> CallOutcome {
    let (a, sa) = call(&jit, state.clone(), spec, input, gas);
    let (b, sb) = call(&Interpreter::new(), state.clone(), spec, input, gas);
    assert_eq!(a, b, "outcome differs (left: compiled, right: interpreter)");
    let accounts = |s: &State| {
        let mut v: Vec<_> = s
            .accounts()
            .map(|(a, acc)| (*a, format!("{acc:?}")))
            .collect();
        v.sort();
        v
    };
    assert_eq!(accounts(&sa), accounts(&sb), "state differs");
    assert!(jit.failures().is_empty(), "{:?}", jit.failures());
    a
}

#[test]
fn recursion_to_the_depth_limit() {
    // Calls itself with all gas until the depth limit, counting depth in storage.
    let code = assemble(
        "PUSH0 SLOAD PUSH 1 ADD PUSH0 SSTORE
         PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 ADDRESS GAS CALL
         PUSH0 MSTORE PUSH 32 PUSH0 RETURN",
    )
    .unwrap();
    let state = state_with(&code);
    for gas in [100_000, 10_000_000, 1_000_000_000] {
        let out = both(&state, SpecId::Cancun, &[], gas);
        assert!(out.result.status.is_success());
    }
}

#[test]
fn pinned_stack_base_survives_nested_calls() {
    // Every function keeps the stack base in the pinned register; each
    // frame's entry points it at its own stack. The items pushed before the
    // CALL differ per depth and are read after it from the stack memory
    // (the jump after the call starts a block that takes its items from
    // memory), so a frame reading another's stack gives another sum. (The
    // entry also restores the caller's r15, as the calling convention
    // requires; the runtime's Rust functions on the way back save and
    // restore r15 themselves, so that part is not observable here.)
    let code = assemble(
        "PUSH0 CALLDATALOAD DUP1 PUSH 0x100 MUL
         DUP2 ISZERO PUSH @leaf JUMPI
         DUP2 PUSH 1 SWAP1 SUB PUSH0 MSTORE
         PUSH 32 PUSH0 PUSH 32 PUSH0 PUSH0 ADDRESS GAS CALL
         POP PUSH @after JUMP
         after: JUMPDEST PUSH0 MLOAD ADD ADD PUSH0 MSTORE PUSH 32 PUSH0 RETURN
         leaf: JUMPDEST ADD PUSH0 MSTORE PUSH 32 PUSH0 RETURN",
    )
    .unwrap();
    let state = state_with(&code);
    for limits in [1, 4, 1000] {
        for n in [0u8, 1, 5, 100] {
            let jit = JitExecutor::new().with_chunk_limits(cevm_compiler::ChunkLimits {
                instructions: limits,
                blocks: limits,
                pin_above_insts: 0,
            });
            let mut input = [0u8; 32];
            input[31] = n;
            let out = both_with(jit, &state, SpecId::Osaka, &input, 10_000_000);
            // n frames each add 257 * their n: 257 * n (n + 1) / 2.
            let n = u64::from(n);
            let expected = U256::from(257 * n * (n + 1) / 2);
            assert_eq!(
                out.result.output.as_ref(),
                &expected.to_be_bytes::<32>()[..]
            );
        }
    }
}

#[test]
fn creates_and_reverts() {
    // CREATE a child whose init code returns one byte of code, then REVERT half the time.
    let code = assemble(
        "PUSH 0x600160005360016000f3 PUSH0 MSTORE
         PUSH 10 PUSH 22 PUSH 5 CREATE
         PUSH 10 PUSH 22 PUSH 0 PUSH 0x77 CREATE2
         PUSH0 CALLDATALOAD PUSH @rev JUMPI
         PUSH0 MSTORE PUSH 32 PUSH0 RETURN
         rev: JUMPDEST PUSH0 PUSH0 REVERT",
    )
    .unwrap();
    let state = state_with(&code);
    for input in [[0u8; 32], [1u8; 32]] {
        for spec in SpecId::SUPPORTED {
            both(&state, spec, &input, 1_000_000);
        }
    }
}

/// `state` with the contract `src` at `address` too.
fn with_contract(mut state: State, address: Address, src: &str) -> State {
    let code = assemble(src).unwrap();
    state.insert_account(address, Account::default().with_code(Bytes::from(code)));
    state
}

/// A CALL-family instruction `op` to `to` with its operands pushed (no
/// value operand for DELEGATECALL and STATICCALL).
fn call_op(
    op: &str,
    to: Address,
    value: Option<u64>,
    input: (u64, u64),
    output: (u64, u64),
) -> String {
    let value = value.map_or(String::new(), |v| format!("PUSH {v} "));
    format!(
        "PUSH {} PUSH {} PUSH {} PUSH {} {value}PUSH {to} GAS {op} ",
        output.1, output.0, input.1, input.0
    )
}

#[test]
fn call_family_outputs_and_return_data() {
    // Callees: B returns 64 bytes, R reverts with 40, E returns nothing, V
    // returns its CALLVALUE, CALLER, ADDRESS and first call data word.
    let b = Address::repeat_byte(0xbb);
    let r = Address::repeat_byte(0xee);
    let e = Address::repeat_byte(0xef);
    let v = Address::repeat_byte(0xdd);
    // Each call has its own input and output ranges, so that operands read
    // from the wrong place show in memory and storage.
    let mut a = String::from("PUSH 0xa1a2a3a4 PUSH 224 SHL PUSH 0x20 MSTORE ");
    let mut key = 0;
    let mut store = |a: &mut String, what: &str| {
        key += 1;
        *a += &format!("{what} PUSH {key} SSTORE ");
    };
    // A longer output than asked for: only the first 32 bytes land.
    a += &call_op("CALL", b, Some(0), (0x20, 4), (0x100, 32));
    store(&mut a, "");
    store(&mut a, "RETURNDATASIZE");
    store(&mut a, "PUSH 0x100 MLOAD");
    store(&mut a, "PUSH 0x120 MLOAD");
    // A reverted call's output lands too, and is the return data.
    a += &call_op("CALL", r, Some(0), (0, 0), (0x200, 64));
    store(&mut a, "");
    store(&mut a, "RETURNDATASIZE");
    store(&mut a, "PUSH 0x200 MLOAD");
    store(&mut a, "PUSH 0x220 MLOAD");
    a += "PUSH 40 PUSH0 PUSH 0x300 RETURNDATACOPY ";
    store(&mut a, "PUSH 0x300 MLOAD");
    // An empty output replaces the return data and writes nothing.
    a += &call_op("CALL", e, Some(0), (0, 0), (0x400, 32));
    store(&mut a, "");
    store(&mut a, "RETURNDATASIZE");
    store(&mut a, "PUSH 0x400 MLOAD");
    // The four kinds, each with its own output range.
    for (i, (op, value)) in [
        ("STATICCALL", None),
        ("DELEGATECALL", None),
        ("CALLCODE", Some(3)),
        ("CALL", Some(5)),
    ]
    .into_iter()
    .enumerate()
    {
        let out = 0x500 + 0x100 * i as u64;
        a += &call_op(op, v, value, (0x20, 4), (out, 128));
        store(&mut a, "");
        for word in 0..4 {
            store(&mut a, &format!("PUSH {} MLOAD", out + 32 * word));
        }
    }
    a += "STOP";
    let state = state_with(&assemble(&a).unwrap());
    let state = with_contract(
        state,
        b,
        "PUSH 0xb1 PUSH0 MSTORE PUSH 0xb2 PUSH 32 MSTORE PUSH 64 PUSH0 RETURN",
    );
    let state = with_contract(state, r, "PUSH 0xe1 PUSH0 MSTORE PUSH 40 PUSH0 REVERT");
    let state = with_contract(state, e, "STOP");
    let state = with_contract(
        state,
        v,
        "CALLVALUE PUSH0 MSTORE CALLER PUSH 32 MSTORE ADDRESS PUSH 64 MSTORE
         PUSH0 CALLDATALOAD PUSH 96 MSTORE PUSH 128 PUSH0 RETURN",
    );
    let env = Env::new(SpecId::Prague);
    let jit = JitExecutor::new();
    let mut after = state.clone();
    {
        let mut evm = Evm::new(&mut after, &env, &jit, &NoPrecompiles);
        let out = evm.transact_call(CALLER, CONTRACT, U256::ZERO, Bytes::new(), 10_000_000);
        assert!(out.result.status.is_success());
    }
    let word = |a: Address| U256::from_be_slice(a.as_slice());
    let input = U256::from(0xa1a2a3a4u64) << 224;
    let mut expected = vec![1, 64, 0xb1, 0, 0, 40, 0xe1, 0, 0xe1, 1, 0, 0]
        .into_iter()
        .map(U256::from)
        .collect::<Vec<_>>();
    for (value, caller, address) in [
        (0, CONTRACT, v),
        (0, CALLER, CONTRACT),
        (3, CONTRACT, CONTRACT),
        (5, CONTRACT, v),
    ] {
        expected.extend([
            U256::from(1),
            U256::from(value),
            word(caller),
            word(address),
            input,
        ]);
    }
    for (i, want) in expected.iter().enumerate() {
        let key = U256::from(i + 1);
        assert_eq!(after.storage(&CONTRACT, key), *want, "slot {key}");
    }
    both(&state, SpecId::Prague, &[], 10_000_000);
}

#[test]
fn frames_of_two_codes_with_a_cache_of_one() {
    // P and Q call each other down to n = 0 (P adds n, Q adds 2n). With
    // room for one compiled contract, every frame's code is evicted by the
    // next frame's compilation while it runs.
    let q = Address::repeat_byte(0xdd);
    let chain = |other: Address, add: &str| {
        format!(
            "PUSH0 CALLDATALOAD DUP1 ISZERO PUSH @base JUMPI
             PUSH 1 DUP2 SUB PUSH0 MSTORE
             PUSH 32 PUSH0 PUSH 32 PUSH0 PUSH0 PUSH {other} GAS CALL POP
             PUSH0 MLOAD SWAP1 {add} PUSH0 MSTORE PUSH 32 PUSH0 RETURN
             base: JUMPDEST PUSH0 MSTORE PUSH 32 PUSH0 RETURN"
        )
    };
    let p = chain(q, "ADD");
    let state = state_with(&assemble(&p).unwrap());
    let state = with_contract(state, q, &chain(CONTRACT, "DUP1 ADD ADD"));
    let n = 12u64;
    let out = both_with(
        JitExecutor::with_capacity(1),
        &state,
        SpecId::Prague,
        &U256::from(n).to_be_bytes::<32>(),
        10_000_000,
    );
    // P(n) = n + Q(n - 1), Q(n) = 2n + P(n - 1).
    let expected: u64 = (1..=n)
        .map(|k| if (n - k).is_multiple_of(2) { k } else { 2 * k })
        .sum();
    assert_eq!(
        out.result.output.as_ref(),
        &U256::from(expected).to_be_bytes::<32>()[..]
    );
}

fn shared_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CEVM_SHARED") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    p.is_dir().then_some(p)
}

fn hex_bytes(s: &str) -> Vec<u8> {
    let s = s.trim_start_matches("0x");
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// Pulls `"key": "0x..."` string values out of JSON text (enough for the
/// flat benchmark fixtures, without a JSON dependency).
fn json_strings<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let pattern = format!("\"{key}\"");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&pattern) {
        rest = &rest[i + pattern.len()..];
        let after = rest.trim_start().trim_start_matches(':').trim_start();
        if let Some(body) = after.strip_prefix('"') {
            if let Some(end) = body.find('"') {
                out.push(&body[..end]);
            }
        } else if let Some(body) = after.strip_prefix('[') {
            let end = body.find(']').unwrap_or(body.len());
            out.extend(
                body[..end]
                    .split(',')
                    .map(|s| s.trim().trim_matches('"'))
                    .filter(|s| !s.is_empty()),
            );
        }
    }
    out
}

#[test]
fn benchmark_contracts_agree_with_the_interpreter() {
    let Some(shared) = shared_dir() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but the shared folder (../shared or CEVM_SHARED) is missing"
        );
        eprintln!("SKIPPED: shared folder not found (set CEVM_SHARED)");
        return;
    };
    let dir = shared.join("benchmarks/contracts");
    let mut ran = 0;
    for name in [
        "factorial",
        "fibonacci-calldata",
        "counter",
        "erc20_transfer",
        "bswap64",
        "hash_10k",
        "snailtracer",
    ] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // The contract at 0xcc..cc is the only account with code that matters;
        // its code is the longest "code" value in `pre`.
        let code = json_strings(&text, "code")
            .into_iter()
            .max_by_key(|c| c.len())
            .map(hex_bytes)
            .unwrap_or_default();
        let input = json_strings(&text, "data")
            .first()
            .map(|d| hex_bytes(d))
            .unwrap_or_default();
        let state = state_with(&code);
        let out = both(&state, SpecId::Cancun, &input, 1_000_000_000);
        eprintln!(
            "{name}: {:?}, gas left {}",
            out.result.status, out.result.gas_left
        );
        ran += 1;
    }
    assert_eq!(ran, 7);
}
