//! The comparison is only meaningful if revm runs the same transaction on
//! the same pre-state: its status class, gas used and output must equal
//! cevm's interpreter's on every workload.

use cevm_benches::revm_runner::RevmWorkload;
use cevm_interp::Interpreter;
use cevm_runtime::Status;
use cevm_statetest::shared::require;
use cevm_statetest::workload::{
    builtin, load_paths, overhead_workloads, RunOutcome, Workload, BUILTIN_CONTRACTS,
};

fn class(status: Status) -> &'static str {
    match status {
        Status::Success(_) => "success",
        Status::Revert => "revert",
        Status::Halt(_) => "halt",
    }
}

fn assert_agree(w: &Workload) -> RunOutcome {
    let cevm = w.run(&Interpreter::new()).unwrap_or_else(|e| panic!("{e}"));
    let revm = RevmWorkload::new(w)
        .and_then(|mut r| r.run())
        .unwrap_or_else(|e| panic!("{}: {e}", w.name));
    assert_eq!(class(revm.status), class(cevm.status), "{}", w.name);
    assert_eq!(revm.gas_used, cevm.gas_used, "{}: gas used", w.name);
    assert_eq!(revm.output, cevm.output, "{}: output", w.name);
    cevm
}

#[test]
fn builtin_contracts_agree_with_revm() {
    for c in BUILTIN_CONTRACTS {
        for n in [0, 1, 50] {
            let outcome = assert_agree(&c.workload(n).unwrap());
            assert!(outcome.status.is_success(), "{}({n})", c.name);
        }
    }
    // A reverting run agrees too: call_chain past the depth limit.
    let deep = builtin("call_chain").unwrap().workload(1025).unwrap();
    assert_eq!(assert_agree(&deep).status, Status::Revert);
}

#[test]
fn overhead_transactions_agree_with_revm() {
    for w in overhead_workloads() {
        let outcome = assert_agree(&w);
        assert!(outcome.status.is_success(), "{}", w.name);
        assert_eq!(outcome.gas_used, 21_000, "{}", w.name);
    }
}

#[test]
fn repeated_revm_runs_start_from_the_same_state() {
    // storage_loop's gas depends on the slots' original values: a run that
    // saw the previous run's writes would use different gas.
    let w = builtin("storage_loop").unwrap().workload(100).unwrap();
    let mut revm = RevmWorkload::new(&w).unwrap();
    let first = revm.run().unwrap();
    let second = revm.run().unwrap();
    assert_eq!(first, second);
}

#[test]
fn shared_benchmarks_agree_with_revm() {
    let Some(dir) = require("benchmarks", "shared_benchmarks_agree_with_revm") else {
        return;
    };
    let workloads = load_paths(&[dir]).unwrap();
    assert!(workloads.len() >= 30, "{} workloads", workloads.len());
    for w in &workloads {
        assert_agree(w);
    }
}
