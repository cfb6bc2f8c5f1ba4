//! The fuzzing pipeline catches what it is meant to catch: a backend with a
//! planted bug disagrees with the interpreter, the minimizer shrinks the
//! program to the bug, and the reproducer it writes passes on the
//! interpreter with `cevm_statetest` and fails on the buggy backend.

use cevm_difftest::campaign::minimize_with;
use cevm_difftest::differential::write_reproducer;
use cevm_difftest::{compare_executors, scenario_for, Field, Mismatch, Scenario};
use cevm_interp::Interpreter;
use cevm_runtime::opcode::{self, op};
use cevm_runtime::{Bytecode, Executor, FrameResult, Host, Message, SpecId};
use cevm_statetest::{run_file, CaseStatus, RunOptions};

/// The interpreter, except that a frame whose code contains MULMOD and
/// succeeds reports one gas less left: the kind of slip a compiler makes.
struct PlantedBug(Interpreter);

impl Executor for PlantedBug {
    fn execute(&self, code: &Bytecode, msg: &Message, host: &mut dyn Host) -> FrameResult {
        let mut result = self.0.execute(code, msg, host);
        let has_mulmod = opcode::instructions(&code.bytes).any(|i| i.opcode == op::MULMOD);
        if has_mulmod && result.status.is_success() && result.gas_left > 0 {
            result.gas_left -= 1;
        }
        result
    }
}

fn compare_with_bug(
    s: &Scenario,
    spec: SpecId,
) -> Result<Option<Mismatch>, cevm_difftest::DiffError> {
    compare_executors(
        s,
        spec,
        &Interpreter::new(),
        &PlantedBug(Interpreter::new()),
    )
}

#[test]
fn planted_bug_is_found_minimized_and_reproduced() {
    let spec = SpecId::Prague;
    let found = (0..2000)
        .find_map(|i| compare_with_bug(&scenario_for(7, i), spec).ok().flatten())
        .expect("the generator never produced a successful frame with MULMOD");
    assert!(
        found.fields().contains(&Field::GasUsed),
        "{:?}",
        found.differences
    );

    let small = minimize_with(&found, &compare_with_bug);
    assert!(small.fields().contains(&Field::GasUsed));
    let items = small.scenario.size();
    // A few items: MULMOD itself with its operands, or (when the first
    // program found runs it in init code) MSTORE of that code and CREATE.
    assert!(
        items <= 8 && items < found.scenario.size(),
        "minimized to {items} items (from {}):\n{}",
        found.scenario.size(),
        small.scenario.contracts[0].program.listing()
    );

    let dir = std::env::temp_dir().join(format!("cevm-difftest-pipeline-{}", std::process::id()));
    let path = write_reproducer(&dir, "planted_mulmod", &small, "pipeline test").unwrap();
    let report = run_file(&path, &Interpreter::new(), &RunOptions::default());
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.cases.len(), 1);
    assert_eq!(
        report.cases[0].status,
        CaseStatus::Passed,
        "{:?}",
        report.cases[0].status
    );

    // The planted bug changes gas used, so the sender's balance and the
    // state root differ: the buggy backend fails the same file.
    let report = run_file(
        &path,
        &PlantedBug(Interpreter::new()),
        &RunOptions::default(),
    );
    assert!(matches!(report.cases[0].status, CaseStatus::Failed(_)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_jit_really_runs_generated_code() {
    // Guards the comparison against comparing the interpreter with itself:
    // the compiled backend must have compiled the scenario's contracts.
    let scenario = scenario_for(1, 3);
    let case = scenario.to_test_case(SpecId::Osaka).unwrap();
    let jit = cevm_compiler::JitExecutor::new();
    cevm_difftest::observe(&case, SpecId::Osaka, &jit).unwrap();
    assert!(jit.cached_count() >= 1);
}
