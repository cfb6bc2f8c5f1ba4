//! The comparison: one scenario, one fork, the reference interpreter against
//! the compiled backend; and the reproducer file for a mismatch.

use crate::compare::{differences, Difference, Field};
use crate::observe::{accounts_json, observe, Observation, StatusClass};
use crate::scenario::{PostExpectation, Scenario};
use cevm_compiler::JitExecutor;
use cevm_interp::Interpreter;
use cevm_runtime::{Executor, SpecId};
use cevm_statetest::case::CaseError;
use cevm_tiered::{DeterministicTiers, TieredConfig, TieredExecutor, TieredStats};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// Why a scenario could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The generated state test does not parse as one (a generator bug).
    #[error("generated state test is malformed: {0}")]
    Json(#[from] serde_json::Error),
    /// The case could not be built (a generator bug).
    #[error("generated case is invalid: {0}")]
    Case(#[from] CaseError),
    /// The tiered executor could not be started.
    #[error(transparent)]
    Tiered(#[from] cevm_tiered::TieredError),
    /// A reproducer could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// A scenario on which the backends disagree under one fork.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The fork.
    pub spec: SpecId,
    /// The scenario (minimized if the minimizer ran).
    pub scenario: Scenario,
    /// What the interpreter observed (the expected result).
    pub reference: Observation,
    /// What the compiled code observed.
    pub compiled: Observation,
    /// The differences, reference first.
    pub differences: Vec<Difference>,
}

impl Mismatch {
    /// The fields that differ.
    pub fn fields(&self) -> Vec<Field> {
        self.differences.iter().map(|d| d.field).collect()
    }
}

/// Runs `scenario` under `spec` on the interpreter only.
pub fn run_reference(scenario: &Scenario, spec: SpecId) -> Result<Observation, DiffError> {
    let case = scenario.to_test_case(spec)?;
    Ok(observe(&case, spec, &Interpreter::new())?)
}

/// Runs `scenario` under `spec` on both backends, with its own gas limit
/// and with exactly the gas it needs and one less (see
/// [`compare_with_exact_gas`]); `Some` when they disagree. A fresh JIT
/// executor is used each time so that compiled code from earlier scenarios
/// neither accumulates nor hides compilation errors.
pub fn compare_backends(scenario: &Scenario, spec: SpecId) -> Result<Option<Mismatch>, DiffError> {
    let jit = JitExecutor::new();
    let mismatch = compare_with_exact_gas(scenario, spec, &Interpreter::new(), &jit)?;
    with_compile_failures(mismatch, jit.failures(), scenario, spec)
}

/// Runs `scenario` under `spec` on the interpreter and on a fresh tiered
/// executor compiling every code after `threshold_gas` of its own
/// interpreted gas, deterministically ([`DeterministicTiers`]): a code
/// called several times in the transaction switches from the interpreter
/// to native code in the middle of it. `Some` when they disagree; the
/// executor's counts (how many frames switched tier) come along.
pub fn compare_tiered(
    scenario: &Scenario,
    spec: SpecId,
    threshold_gas: u64,
) -> Result<(Option<Mismatch>, TieredStats), DiffError> {
    let tiered = TieredExecutor::new(TieredConfig {
        threshold_gas,
        workers: 1,
        worker_nice: 0,
        ..TieredConfig::default()
    })?;
    let candidate = DeterministicTiers(tiered.clone());
    let mismatch = compare_executors(scenario, spec, &Interpreter::new(), &candidate)?;
    tiered.wait_idle();
    let mismatch = with_compile_failures(mismatch, tiered.failures(), scenario, spec)?;
    Ok((mismatch, tiered.stats()))
}

/// A mismatch that also lists compilation failures (a code every backend
/// is meant to compile), or one made of them alone.
fn with_compile_failures(
    mut mismatch: Option<Mismatch>,
    failures: Vec<String>,
    scenario: &Scenario,
    spec: SpecId,
) -> Result<Option<Mismatch>, DiffError> {
    if !failures.is_empty() {
        let case = scenario.to_test_case(spec)?;
        let m = match mismatch.take() {
            Some(m) => m,
            None => {
                let reference = observe(&case, spec, &Interpreter::new())?;
                Mismatch {
                    spec,
                    scenario: scenario.clone(),
                    compiled: reference.clone(),
                    reference,
                    differences: Vec::new(),
                }
            }
        };
        let mut m = m;
        m.differences
            .extend(failures.into_iter().map(|detail| Difference {
                field: Field::Compile,
                detail,
            }));
        mismatch = Some(m);
    }
    Ok(mismatch)
}

/// Runs `scenario` under `spec` on `reference` and on `candidate`; `Some`
/// when they disagree.
pub fn compare_executors(
    scenario: &Scenario,
    spec: SpecId,
    reference: &dyn Executor,
    candidate: &dyn Executor,
) -> Result<Option<Mismatch>, DiffError> {
    compare_once(scenario, spec, reference, candidate).map(|(_, m)| m)
}

/// [`compare_executors`], also returning the reference's observation.
fn compare_once(
    scenario: &Scenario,
    spec: SpecId,
    reference: &dyn Executor,
    candidate: &dyn Executor,
) -> Result<(Observation, Option<Mismatch>), DiffError> {
    let case = scenario.to_test_case(spec)?;
    let expected = observe(&case, spec, reference)?;
    let actual = observe(&case, spec, candidate)?;
    let diffs = differences("interpreter", &expected, "jit", &actual);
    if diffs.is_empty() {
        return Ok((expected, None));
    }
    let mismatch = Mismatch {
        spec,
        scenario: scenario.clone(),
        reference: expected.clone(),
        compiled: actual,
        differences: diffs,
    };
    Ok((expected, Some(mismatch)))
}

/// The gas limits of the exact-gas runs after a reference run `observed`
/// with `scenario`'s limit: if the transaction ran and did not halt (a
/// halt spends all the gas, which says nothing about what was needed), the
/// gas it used before its refund, and one less. The first runs out of gas
/// nowhere, ending with nothing left; the second runs out of gas at the
/// last point where gas is charged. A program whose behaviour depends on
/// the gas it has (GAS, the 63/64 rule of calls) may do something else
/// with less gas: still a valid comparison, just not at the boundary.
pub fn exact_gas_limits(scenario: &Scenario, observed: &Observation) -> Vec<u64> {
    if !matches!(observed.class, StatusClass::Success | StatusClass::Revert) {
        return Vec::new();
    }
    let needed = observed.gas_used.saturating_add(observed.gas_refunded);
    [needed, needed.saturating_sub(1)]
        .into_iter()
        .filter(|&limit| limit < scenario.gas_limit)
        .collect()
}

/// Compares `scenario` as generated, then again with each of its
/// [`exact_gas_limits`], so that the compiled code's gas checks meet their
/// boundary (a block entry check that needs one gas too many, a runtime
/// call that spends gas charged in advance for its block...). The first
/// disagreement is returned; its scenario carries the gas limit it ran
/// with. `candidate` keeps its compiled code between the runs.
pub fn compare_with_exact_gas(
    scenario: &Scenario,
    spec: SpecId,
    reference: &dyn Executor,
    candidate: &dyn Executor,
) -> Result<Option<Mismatch>, DiffError> {
    let (expected, mismatch) = compare_once(scenario, spec, reference, candidate)?;
    if mismatch.is_some() {
        return Ok(mismatch);
    }
    for gas_limit in exact_gas_limits(scenario, &expected) {
        let probe = Scenario {
            gas_limit,
            ..scenario.clone()
        };
        if let Some(m) = compare_executors(&probe, spec, reference, candidate)? {
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// The state-test file for a mismatch: one test named `name` whose `post`
/// holds the interpreter's result for the fork, so that the interpreter
/// passes it and `cevm statetest --backend both` shows the disagreement.
pub fn reproducer_json(name: &str, mismatch: &Mismatch, origin: &str) -> Value {
    let post = PostExpectation {
        spec: mismatch.spec,
        state_root: mismatch.reference.state_root,
        logs_hash: mismatch.reference.logs_hash,
        state: Some(accounts_json(&mismatch.reference.accounts)),
    };
    let contracts: Vec<Value> = mismatch
        .scenario
        .contracts
        .iter()
        .map(|c| Value::String(c.program.listing()))
        .collect();
    let info = json!({
        "comment": format!("cevm fuzz: interpreter and JIT disagree under {}; post is the interpreter's result", mismatch.spec),
        "origin": origin,
        "differences": mismatch.differences.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "interpreter": {"status": mismatch.reference.status, "gasUsed": mismatch.reference.gas_used},
        "jit": {"status": mismatch.compiled.status, "gasUsed": mismatch.compiled.gas_used},
        "programs": contracts,
    });
    let mut file = Map::new();
    file.insert(
        name.to_string(),
        mismatch.scenario.to_json(&[post], Some(info)),
    );
    Value::Object(file)
}

/// Writes the reproducer for `mismatch` as `dir/name.json`.
pub fn write_reproducer(
    dir: &Path,
    name: &str,
    mismatch: &Mismatch,
    origin: &str,
) -> Result<PathBuf, DiffError> {
    let path = dir.join(format!("{name}.json"));
    let io = |source| DiffError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let text = serde_json::to_string_pretty(&reproducer_json(name, mismatch, origin))?;
    std::fs::write(&path, text).map_err(io)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::tests::alone;
    use crate::program::{Item, Program};
    use alloy_primitives::U256;
    use cevm_runtime::opcode::op;

    #[test]
    fn exact_gas_is_enough_and_one_less_is_not() {
        // SSTORE(1, v) then STOP; v = 0 clears a pre-set slot (a refund).
        for (value, preset) in [(7u64, 0u64), (0, 5)] {
            let program = Program::new(vec![
                Item::push_u64(value),
                Item::push_u64(1),
                Item::Op(op::SSTORE),
                Item::Op(op::STOP),
            ]);
            let mut scenario = alone(program);
            if preset != 0 {
                scenario.contracts[0].storage = vec![(U256::from(1), U256::from(preset))];
            }
            let spec = SpecId::Osaka;
            let first = run_reference(&scenario, spec).unwrap();
            assert_eq!(first.gas_refunded > 0, preset != 0);
            let limits = exact_gas_limits(&scenario, &first);
            assert_eq!(limits.len(), 2);
            let run = |gas_limit| {
                let s = Scenario {
                    gas_limit,
                    ..scenario.clone()
                };
                run_reference(&s, spec).unwrap()
            };
            let exact = run(limits[0]);
            assert_eq!(exact.class, StatusClass::Success, "{}", exact.status);
            assert_eq!(exact.gas_used, first.gas_used);
            let short = run(limits[1]);
            assert_eq!(short.class, StatusClass::Halt, "{}", short.status);
        }
    }

    #[test]
    fn halted_runs_get_no_exact_gas_runs() {
        let scenario = alone(Program::new(vec![Item::Op(op::INVALID)]));
        let observed = run_reference(&scenario, SpecId::Osaka).unwrap();
        assert_eq!(observed.class, StatusClass::Halt);
        assert!(exact_gas_limits(&scenario, &observed).is_empty());
    }
}
