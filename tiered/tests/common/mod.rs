//! Shared test support: small contracts, transactions on them, and the
//! comparison with the reference interpreter.

#![allow(dead_code)]

use cevm_interp::Interpreter;
use cevm_runtime::asm::assemble;
use cevm_runtime::state::Account;
use cevm_runtime::{Address, Bytes, Executor, SpecId};
use cevm_statetest::workload::{
    builtin, call_workload, n_calldata, RunOutcome, Workload, BENCH_SPEC,
};
use cevm_tiered::TieredConfig;
use std::path::PathBuf;

/// The fork of every workload here.
pub const SPEC: SpecId = BENCH_SPEC;

/// Where the caller's callee lives.
pub const CALLEE: Address = Address::repeat_byte(0xbb);

/// Calls [`CALLEE`] `k` times (k = calldata word 0) with n = 200, sums the
/// words it returns, stores the sum in slot 0 and returns it.
const CALLER: &str = "
    PUSH0 CALLDATALOAD
loop: JUMPDEST
    DUP1 ISZERO PUSH @done JUMPI
    PUSH1 200 PUSH0 MSTORE
    PUSH1 32 PUSH1 32 PUSH1 32 PUSH0 PUSH0 PUSH20 0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb GAS CALL
    POP
    PUSH1 32 MLOAD PUSH1 64 MLOAD ADD PUSH1 64 MSTORE
    PUSH1 1 SWAP1 SUB
    PUSH @loop JUMP
done: JUMPDEST
    PUSH1 64 MLOAD PUSH0 SSTORE
    PUSH1 32 PUSH1 64 RETURN
";

/// The built-in Fibonacci contract (n = calldata word 0).
pub fn fib_code() -> Bytes {
    builtin("fibonacci").unwrap().code().unwrap()
}

/// The caller contract.
pub fn caller_code() -> Bytes {
    Bytes::from(assemble(CALLER).unwrap())
}

/// `code` followed by STOP and `tag` as trailing metadata: a distinct code
/// (hash) that behaves the same.
pub fn variant(code: &Bytes, tag: u32) -> Bytes {
    let mut bytes = code.to_vec();
    bytes.push(0x00);
    bytes.extend_from_slice(format!("meta{tag:08x}").as_bytes());
    Bytes::from(bytes)
}

/// A transaction calling the caller, which calls `callee` `k` times.
pub fn caller_workload(callee: Bytes, k: u64) -> Workload {
    let mut w = call_workload("caller", caller_code(), n_calldata(k));
    w.pre
        .insert_account(CALLEE, Account::default().with_nonce(1).with_code(callee));
    w
}

/// A transaction calling `code` with n in calldata.
pub fn direct_workload(code: Bytes, n: u64) -> Workload {
    call_workload("direct", code, n_calldata(n))
}

/// What a transaction did: its outcome and the accounts after it.
#[derive(Debug, PartialEq, Eq)]
pub struct Observed {
    pub outcome: RunOutcome,
    pub accounts: Vec<(Address, Account)>,
}

pub fn observe(w: &Workload, executor: &dyn Executor) -> Observed {
    let mut state = w.pre.clone();
    let outcome = w
        .run_on(&mut state, executor)
        .expect("transaction is valid");
    let mut accounts: Vec<(Address, Account)> =
        state.accounts().map(|(a, acc)| (*a, acc.clone())).collect();
    accounts.sort_by_key(|(a, _)| *a);
    Observed { outcome, accounts }
}

/// Runs `w` on `executor` and checks it against the interpreter.
pub fn assert_agrees(w: &Workload, executor: &dyn Executor) {
    let got = observe(w, executor);
    let want = observe(w, &Interpreter::new());
    assert!(got.outcome.status.is_success(), "{:?}", got.outcome);
    assert_eq!(got, want);
}

/// One compiler thread at the inherited priority, compiling after
/// `threshold` gas, no cache.
pub fn config(threshold: u64) -> TieredConfig {
    TieredConfig {
        threshold_gas: threshold,
        workers: 1,
        worker_nice: 0,
        ..TieredConfig::default()
    }
}

/// [`config`] with a persistent cache in `dir`.
pub fn cached_config(threshold: u64, dir: &std::path::Path) -> TieredConfig {
    TieredConfig {
        cache: Some(cevm_tiered::CacheConfig::new(dir)),
        ..config(threshold)
    }
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cevm-tiered-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
