//! What the comparison measures: the workloads, grouped, and one row of
//! measurements per workload.

use crate::native;
use crate::revm_runner::RevmWorkload;
use cevm_compiler::{Compiler, JitExecutor};
use cevm_interp::Interpreter;
use cevm_statetest::panic_message;
use cevm_statetest::workload::measure::{measure, measure_fallible, Budget, Sample};
use cevm_statetest::workload::{
    adversarial_workloads, builtin_workloads, load_paths, n_calldata, overhead_workloads,
    RunOutcome, Workload, WorkloadError, BENCH_SPEC,
};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// `n` for the target rows: revmc's fibonacci and factorial codes run
/// 100,000 rounds, long enough that call overhead does not hide the loop.
pub const TARGET_N: u64 = 100_000;

/// Where a workload comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// Transactions that run almost no code (`tx/transfer`, `tx/stop`).
    Overhead,
    /// The project's own contracts (`benches/contracts`).
    Builtin,
    /// 24 KiB codes built to be hard to compile (`workload::adversarial`).
    Adversarial,
    /// revmc's benchmark contracts (`shared/benchmarks/contracts`).
    Revmc,
    /// revmc's fibonacci and factorial codes with n = [`TARGET_N`].
    Target,
    /// The evmone benchmark suite (`shared/benchmarks/evm-benchmarks`).
    Evmone,
    /// The native Rust reference.
    Native,
}

impl Group {
    /// A heading for the table.
    pub fn title(self) -> &'static str {
        match self {
            Group::Overhead => "transaction overhead (no code / a single STOP)",
            Group::Builtin => "built-in contracts (benches/contracts, default n)",
            Group::Adversarial => "adversarial 24 KiB codes (compile time first)",
            Group::Revmc => "revmc contracts (shared/benchmarks/contracts, transaction[0])",
            Group::Target => "target rows (revmc code, n = 100,000)",
            Group::Evmone => "evmone suite (shared/benchmarks/evm-benchmarks, file/label)",
            Group::Native => "physical limit",
        }
    }
}

/// A workload and where it comes from.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its group.
    pub group: Group,
    /// The workload.
    pub workload: Workload,
}

/// The suite: the overhead transactions, the built-in contracts, the
/// adversarial codes, and when `shared` (the shared folder) is there, revmc's contracts, the target rows and the evmone suite.
pub fn suite(shared: Option<&Path>) -> Result<Vec<Entry>, WorkloadError> {
    let mut out: Vec<Entry> = overhead_workloads()
        .into_iter()
        .map(|workload| Entry {
            group: Group::Overhead,
            workload,
        })
        .collect();
    out.extend(builtin_workloads()?.into_iter().map(|workload| Entry {
        group: Group::Builtin,
        workload,
    }));
    out.extend(adversarial_workloads().into_iter().map(|workload| Entry {
        group: Group::Adversarial,
        workload,
    }));
    let Some(shared) = shared else {
        return Ok(out);
    };
    let revmc = load_paths(&[shared.join("benchmarks/contracts")])?;
    for name in ["fibonacci-calldata", "factorial"] {
        if let Some(w) = revmc.iter().find(|w| w.name == name) {
            out.push(Entry {
                group: Group::Target,
                workload: w
                    .clone()
                    .with_input(format!("{name}[n=100000]"), n_calldata(TARGET_N)),
            });
        }
    }
    out.extend(revmc.into_iter().map(|workload| Entry {
        group: Group::Revmc,
        workload,
    }));
    out.extend(
        load_paths(&[shared.join("benchmarks/evm-benchmarks")])?
            .into_iter()
            .map(|workload| Entry {
                group: Group::Evmone,
                workload,
            }),
    );
    Ok(out)
}

/// The measurements of one workload. Times are medians in nanoseconds;
/// `None` where not applicable or failed (see `problems`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// Workload name.
    pub name: String,
    /// Its group, for the table's headings.
    pub group: Option<Group>,
    /// Size of the code compiled (the called contract).
    pub code_bytes: Option<usize>,
    /// Gas used by the transaction on the reference interpreter.
    pub gas_used: Option<u64>,
    /// Time of `Compiler::compile` (analysis, Cranelift, finalize).
    pub compile_ns: Option<u64>,
    /// Run time on precompiled code.
    pub jit_ns: Option<u64>,
    /// Run time on cevm's interpreter.
    pub interp_ns: Option<u64>,
    /// Run time on revm.
    pub revm_ns: Option<u64>,
    /// Whether the JIT failed (compile error, panic or a result that
    /// differs from the interpreter's).
    pub jit_failed: bool,
    /// Failures and disagreements, one line each.
    pub problems: Vec<String>,
}

/// Why `got` differs from the interpreter's `want`, if it does.
pub fn disagreement(backend: &str, got: &RunOutcome, want: &RunOutcome) -> Option<String> {
    if got.status != want.status {
        return Some(format!(
            "{backend}: status {:?}, interpreter {:?}",
            got.status, want.status
        ));
    }
    if got.gas_used != want.gas_used {
        return Some(format!(
            "{backend}: gas used {}, interpreter {}",
            got.gas_used, want.gas_used
        ));
    }
    if got.output != want.output {
        return Some(format!("{backend}: output differs from the interpreter's"));
    }
    None
}

/// Which backends to time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backends {
    /// Time revm too.
    pub revm: bool,
}

/// Measures one workload on every backend. Never panics on a JIT failure:
/// the row records it.
pub fn measure_entry(
    entry: &Entry,
    compiler: &Compiler,
    budget: Budget,
    backends: Backends,
) -> Row {
    let w = &entry.workload;
    let code = w.code();
    let mut row = Row {
        name: w.name.clone(),
        group: Some(entry.group),
        code_bytes: Some(code.len()),
        ..Row::default()
    };

    // The interpreter is the reference for status, gas and output.
    let interpreter = Interpreter::new();
    let reference = match w.run(&interpreter) {
        Ok(outcome) => outcome,
        Err(e) => {
            row.problems.push(format!("interpreter: {e}"));
            row.jit_failed = true;
            return row;
        }
    };
    row.gas_used = Some(reference.gas_used);

    // Compile time: a fresh compilation each iteration; freeing the code
    // happens outside the timed region. The first (warm-up) compilation is
    // also the check that the code compiles at all.
    match measure_fallible(budget, || compiler.compile(&code)) {
        Ok(sample) => row.compile_ns = Some(sample.median_ns),
        Err(e) => {
            row.jit_failed = true;
            row.problems.push(format!("jit: compile error: {e}"));
        }
    }

    if !row.jit_failed {
        if let Some(ns) = time_jit(w, &reference, budget, &mut row.problems) {
            row.jit_ns = Some(ns);
        } else {
            row.jit_failed = true;
        }
    }

    row.interp_ns = Some(time_executor(w, &interpreter, budget).median_ns);

    if backends.revm {
        row.revm_ns = time_revm(w, &reference, budget, &mut row.problems);
    }
    row
}

/// Times `executor` on `w`, the pre-state cloned outside the timed region.
fn time_executor(w: &Workload, executor: &dyn cevm_runtime::Executor, budget: Budget) -> Sample {
    measure(
        budget,
        || w.pre.clone(),
        |mut state| w.run_on(&mut state, executor).map(|_| state),
    )
}

/// Checks the JIT against the interpreter, then times it on precompiled
/// code (the first, checked run compiles and caches every code it meets).
fn time_jit(
    w: &Workload,
    reference: &RunOutcome,
    budget: Budget,
    problems: &mut Vec<String>,
) -> Option<u64> {
    let jit = JitExecutor::new();
    let first = catch_unwind(AssertUnwindSafe(|| w.run(&jit)));
    let outcome = match first {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => {
            problems.push(format!("jit: {e}"));
            return None;
        }
        Err(p) => {
            problems.push(format!("jit: panicked: {}", panic_message(p.as_ref())));
            return None;
        }
    };
    if let Some(failure) = jit.failures().first() {
        problems.push(format!("jit: compile error: {failure}"));
        return None;
    }
    if let Some(d) = disagreement("jit", &outcome, reference) {
        problems.push(d);
        return None;
    }
    let sample = catch_unwind(AssertUnwindSafe(|| time_executor(w, &jit, budget)));
    match sample {
        Ok(s) => Some(s.median_ns),
        Err(p) => {
            problems.push(format!("jit: panicked: {}", panic_message(p.as_ref())));
            None
        }
    }
}

/// Checks revm against the interpreter (a difference is reported, the
/// time is kept: revm is the yardstick), then times it.
fn time_revm(
    w: &Workload,
    reference: &RunOutcome,
    budget: Budget,
    problems: &mut Vec<String>,
) -> Option<u64> {
    let mut revm = match RevmWorkload::new(w) {
        Ok(r) => r,
        Err(e) => {
            problems.push(format!("revm: {e}"));
            return None;
        }
    };
    match revm.run() {
        Ok(outcome) => {
            if let Some(d) = disagreement("revm", &outcome, reference) {
                problems.push(d);
            }
        }
        Err(e) => {
            problems.push(format!("revm: {e}"));
            return None;
        }
    }
    let tx = revm.tx().clone();
    let sample = measure(budget, || tx.clone(), |tx| revm.run_tx(tx));
    Some(sample.median_ns)
}

/// The native Rust reference row: revmc's fibonacci loop for
/// [`TARGET_N`] rounds in ruint, its time in the JIT column.
pub fn native_row(budget: Budget) -> Row {
    let sample = measure(budget, || TARGET_N, native::fibonacci);
    Row {
        name: "native-rust/fibonacci[n=100000]".to_string(),
        group: Some(Group::Native),
        jit_ns: Some(sample.median_ns),
        ..Row::default()
    }
}

/// The spec every row is compiled for.
pub fn compiler() -> Result<Compiler, cevm_compiler::CompileError> {
    Compiler::new(BENCH_SPEC)
}
