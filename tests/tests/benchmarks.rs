//! Every benchmark contract (the shared ones, the built-in ones and the
//! overhead transactions) gives
//! the same status, gas used, output and post-state on the JIT as on the
//! reference interpreter.
//!
//! The shared benchmarks are found by `cevm_statetest::shared::require`:
//! without them only the built-in contracts run (and the test says so),
//! except under `CI=true`, where their absence is an error.

use cevm_runtime::{Account, Address, Executor};
use cevm_statetest::workload::{builtin_workloads, load_paths, overhead_workloads, Workload};
use std::collections::BTreeMap;

fn run(workload: &Workload, executor: &dyn Executor) -> (String, BTreeMap<Address, Account>) {
    let mut state = workload.pre.clone();
    let outcome = workload
        .run_on(&mut state, executor)
        .unwrap_or_else(|e| panic!("{}: {e}", workload.name));
    let accounts = state.accounts().map(|(a, acc)| (*a, acc.clone())).collect();
    let summary = format!(
        "{:?} gas {} output {}",
        outcome.status, outcome.gas_used, outcome.output
    );
    (summary, accounts)
}

#[test]
fn benchmark_contracts_agree_on_jit_and_interpreter() {
    let mut workloads = builtin_workloads().expect("built-in contracts assemble");
    workloads.extend(overhead_workloads());
    if let Some(dir) = cevm_statetest::shared::require("benchmarks", "benchmark agreement") {
        workloads.extend(load_paths(&[dir]).expect("shared benchmarks load"));
    }
    assert!(workloads.len() >= 6);
    let interp = cevm_interp::Interpreter::new();
    let jit = cevm_compiler::JitExecutor::new();
    for workload in &workloads {
        let (want, want_state) = run(workload, &interp);
        let (got, got_state) = run(workload, &jit);
        assert_eq!(got, want, "{}: JIT vs interpreter", workload.name);
        assert!(
            got_state == want_state,
            "{}: post-states differ",
            workload.name
        );
        assert!(
            jit.failures().is_empty(),
            "{}: {:?}",
            workload.name,
            jit.failures()
        );
    }
    println!(
        "{} benchmark workloads agree on both backends",
        workloads.len()
    );
}
