//! The interop against revm's `CacheDB`: every shared benchmark contract
//! gives the same outcome and world over a `CacheDB` as on the in-memory
//! state, on both backends; a `DatabaseRef` serves too; a failing revm
//! database aborts the transaction with its error.

use cevm_compiler::JitExecutor;
use cevm_interp::Interpreter;
use cevm_revm::check::compare;
use cevm_revm::{cache_db_from_state, RevmDatabase};
use cevm_runtime::tx::{self, TxError};
use cevm_runtime::{Address, Executor, Precompiles, State, B256, U256};
use cevm_statetest::shared::require;
use cevm_statetest::workload::{call_workload, load_file, Workload};
use revm::database_interface::{DBErrorMarker, DatabaseRef};
use revm::state::{AccountInfo, Bytecode};

fn shared_workloads() -> Option<Vec<Workload>> {
    let dir = require("benchmarks/contracts", "revm interop")?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("benchmark folder readable")
        .map(|entry| entry.expect("folder entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    Some(
        files
            .iter()
            .flat_map(|path| load_file(path).expect("benchmark loads"))
            .collect(),
    )
}

#[test]
fn shared_benchmarks_agree_over_cache_db_on_both_backends() {
    let Some(workloads) = shared_workloads() else {
        return;
    };
    assert!(workloads.len() >= 10, "{} workloads", workloads.len());
    let backends: [(&str, Box<dyn Executor>); 2] = [
        ("interp", Box::new(Interpreter::new())),
        ("jit", Box::new(JitExecutor::new())),
    ];
    for w in &workloads {
        for (backend, executor) in &backends {
            let precompiles = Precompiles::for_spec(w.env.spec);
            let comparison = compare(
                &w.pre,
                &w.env,
                &w.schedule,
                &w.tx,
                executor.as_ref(),
                &precompiles,
            )
            .unwrap_or_else(|e| panic!("{} on {backend}: {e}", w.name));
            assert!(
                comparison.equal(),
                "{} on {backend}: {:#?}",
                w.name,
                comparison.differences
            );
            assert!(comparison.in_memory.status.is_success(), "{}", w.name);
        }
    }
}

/// SSTORE(0, SLOAD(0) + 1), then return BLOCKHASH(1).
const BUMP_AND_HASH: &[u8] = &[
    0x5f, 0x54, 0x60, 0x01, 0x01, 0x5f, 0x55, 0x60, 0x01, 0x40, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3,
];

fn bump_workload() -> Workload {
    let mut w = call_workload("bump", BUMP_AND_HASH.to_vec().into(), Default::default());
    w.env.block.number = U256::from(2);
    w.pre.set_block_hash(1, B256::repeat_byte(0xb1));
    w
}

#[test]
fn a_database_ref_serves_and_changes_commit() {
    let mut w = bump_workload();
    let db = cache_db_from_state(&mut w.pre, [1]);
    let jit = JitExecutor::new();
    let precompiles = Precompiles::for_spec(w.env.spec);
    let mut cached = State::with_database(RevmDatabase::from_ref(&db));
    let out = tx::transact(&mut cached, &w.env, &w.schedule, &w.tx, &jit, &precompiles).unwrap();
    assert_eq!(out.output.as_ref(), B256::repeat_byte(0xb1).as_slice());
    let contract = w.target().unwrap();
    assert_eq!(cached.storage(&contract, U256::ZERO), U256::from(1));
    let changes = cevm_revm::to_revm_changes(cached.take_changes());
    assert_eq!(
        changes[&contract].storage[&U256::ZERO].present_value,
        U256::from(1)
    );
    assert!(changes[&contract].is_touched());
}

/// A database whose every query fails.
struct Broken;

#[derive(Debug)]
struct Unreachable;

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("node unreachable")
    }
}

impl std::error::Error for Unreachable {}
impl DBErrorMarker for Unreachable {}

impl DatabaseRef for Broken {
    type Error = Unreachable;
    fn basic_ref(&self, _: Address) -> Result<Option<AccountInfo>, Unreachable> {
        Err(Unreachable)
    }
    fn code_by_hash_ref(&self, _: B256) -> Result<Bytecode, Unreachable> {
        Err(Unreachable)
    }
    fn storage_ref(&self, _: Address, _: U256) -> Result<U256, Unreachable> {
        Err(Unreachable)
    }
    fn block_hash_ref(&self, _: u64) -> Result<B256, Unreachable> {
        Err(Unreachable)
    }
}

#[test]
fn a_failing_revm_database_aborts_with_its_error() {
    let w = bump_workload();
    let mut cached = State::with_database(RevmDatabase::from_ref(Broken));
    let precompiles = Precompiles::for_spec(w.env.spec);
    let err = tx::transact(
        &mut cached,
        &w.env,
        &w.schedule,
        &w.tx,
        &Interpreter::new(),
        &precompiles,
    )
    .unwrap_err();
    assert!(matches!(err, TxError::Database(_)));
    assert_eq!(err.to_string(), "state database: node unreachable");
    assert!(cached.is_empty());
    assert!(cached.take_changes().is_empty());
}
