//! `cevm bench`: compile time, and JIT against interpreter run time, per
//! contract.
//!
//! Without paths it runs the built-in contracts (benches/contracts, embedded
//! in the binary); with paths it runs every workload of the benchmark JSON
//! files found there (state tests: each data index is one workload). Each
//! workload runs as a full transaction under Prague; the JIT's status, gas
//! used and output are checked against the interpreter's before it is
//! timed. Times are medians after a warm-up, each run from the same
//! pre-state (copied outside the timed region).
//!
//! Exit code: 0 when the JIT agrees with the interpreter everywhere, 1 when
//! it failed or disagreed somewhere, 2 for bad input.

use crate::backend::TieredArgs;
use anyhow::{Context, Result};
use cevm_compiler::{Compiler, JitExecutor};
use cevm_interp::Interpreter;
use cevm_runtime::Executor;
use cevm_statetest::panic_message;
use cevm_statetest::workload::measure::{format_ns, measure, measure_fallible, Budget};
use cevm_statetest::workload::{
    builtin, builtin_workloads, load_paths, RunOutcome, Workload, WorkloadError, BENCH_SPEC,
};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `cevm bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Benchmark state-test JSON files or folders; without any, the
    /// built-in contracts run.
    paths: Vec<PathBuf>,
    /// Print a JSON array instead of the table.
    #[arg(long)]
    json: bool,
    /// Only workloads whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Which backends to time (the interpreter still runs once as the
    /// reference): `jit` alone is what a profiler of compiled code wants.
    #[arg(long, value_enum, default_value = "both")]
    backend: TimedBackends,
    /// Seconds of timed runs per backend and workload (default 0.1).
    #[arg(long)]
    seconds: Option<f64>,
    #[command(flatten)]
    tiered: TieredArgs,
}

/// The backends `cevm bench` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum TimedBackends {
    /// The JIT (compile time included) and the interpreter.
    Both,
    /// Compiled code only (compile time included).
    Jit,
    /// The interpreter only.
    Interp,
    /// The tiered executor (a fresh one per workload, `--threshold`,
    /// `--cache-dir`): its first run, then repeated runs while the code is
    /// compiled in the background; and the interpreter.
    Tiered,
}

/// The measurements of one workload (times are medians in nanoseconds).
#[derive(Clone, Debug, Default, Serialize)]
struct BenchRow {
    name: String,
    code_bytes: usize,
    gas_used: Option<u64>,
    compile_ns: Option<u64>,
    jit_ns: Option<u64>,
    interp_ns: Option<u64>,
    /// The tiered executor's first run (from a fresh executor).
    #[serde(skip_serializing_if = "Option::is_none")]
    tiered_first_ns: Option<u64>,
    /// The tiered executor's later runs (median), native once the
    /// background compilation lands.
    #[serde(skip_serializing_if = "Option::is_none")]
    tiered_ns: Option<u64>,
    /// Why the JIT has no time, if it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    jit_error: Option<String>,
}

/// Times `executor` on `w`; the pre-state copy is made outside the timing.
fn time_runs(w: &Workload, executor: &dyn Executor, budget: Budget) -> u64 {
    measure(
        budget,
        || w.pre.clone(),
        |mut state| w.run_on(&mut state, executor).map(|_| state),
    )
    .median_ns
}

/// Why the JIT's outcome differs from the interpreter's, if it does.
fn disagreement(jit: &RunOutcome, interp: &RunOutcome) -> Option<String> {
    if jit.status != interp.status {
        Some(format!(
            "status {} (interpreter: {})",
            jit.status.describe(),
            interp.status.describe()
        ))
    } else if jit.gas_used != interp.gas_used {
        Some(format!(
            "gas used {} (interpreter: {})",
            jit.gas_used, interp.gas_used
        ))
    } else if jit.output != interp.output {
        Some("output differs from the interpreter's".into())
    } else {
        None
    }
}

/// Compiles, checks and times the JIT on `w`; the error says why not.
fn jit_times(
    w: &Workload,
    compiler: &Compiler,
    reference: &RunOutcome,
    budget: Budget,
) -> Result<(u64, u64), String> {
    let code = w.code();
    // The first (warm-up) compilation is also the check that it compiles.
    let sample = measure_fallible(budget, || compiler.compile(&code))
        .map_err(|e| format!("compile error: {e}"))?;
    let compile_ns = sample.median_ns;
    let jit = JitExecutor::new();
    // The first run compiles (and caches) every code the transaction meets;
    // the timed runs execute precompiled code only.
    let outcome = match catch_unwind(AssertUnwindSafe(|| w.run(&jit))) {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(p) => return Err(format!("panicked: {}", panic_message(p.as_ref()))),
    };
    if let Some(failure) = jit.failures().first() {
        return Err(format!("compile error: {failure}"));
    }
    if let Some(d) = disagreement(&outcome, reference) {
        return Err(d);
    }
    let jit_ns = catch_unwind(AssertUnwindSafe(|| time_runs(w, &jit, budget)))
        .map_err(|p| format!("panicked: {}", panic_message(p.as_ref())))?;
    Ok((compile_ns, jit_ns))
}

/// Times the tiered executor on `w`: its first run, then the median of
/// repeated runs (during which the code crosses the threshold and its
/// compiled form lands); the background compile time; each run checked.
fn tiered_times(
    w: &Workload,
    reference: &RunOutcome,
    budget: Budget,
    args: &TieredArgs,
) -> Result<(u64, u64, u64), String> {
    let tiered = args.executor().map_err(|e| format!("{e:#}"))?;
    let mut state = w.pre.clone();
    let started = Instant::now();
    let first = catch_unwind(AssertUnwindSafe(|| w.run_on(&mut state, &tiered)));
    let first_ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let check = |outcome: std::thread::Result<Result<RunOutcome, WorkloadError>>| match outcome {
        Ok(Ok(outcome)) => disagreement(&outcome, reference).map_or(Ok(()), Err),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(format!("panicked: {}", panic_message(p.as_ref()))),
    };
    check(first)?;
    let tiered_ns = catch_unwind(AssertUnwindSafe(|| time_runs(w, &tiered, budget)))
        .map_err(|p| format!("panicked: {}", panic_message(p.as_ref())))?;
    // Whatever tier the timed runs ended on, it must agree too.
    check(catch_unwind(AssertUnwindSafe(|| w.run(&tiered))))?;
    tiered.wait_idle();
    let stats = tiered.stats();
    if stats.compile_failures > 0 {
        return Err(format!("compile error: {}", tiered.failures().join("; ")));
    }
    Ok((first_ns, tiered_ns, stats.compile_ns))
}

/// Measures one workload.
fn bench_one(
    w: &Workload,
    compiler: &Compiler,
    budget: Budget,
    backends: TimedBackends,
    tiered: &TieredArgs,
) -> BenchRow {
    let interpreter = Interpreter::new();
    let mut row = BenchRow {
        name: w.name.clone(),
        code_bytes: w.code().len(),
        ..BenchRow::default()
    };
    let reference = match w.run(&interpreter) {
        Ok(r) => r,
        Err(e) => {
            row.jit_error = Some(format!("does not run: {e}"));
            return row;
        }
    };
    row.gas_used = Some(reference.gas_used);
    if backends == TimedBackends::Tiered {
        match tiered_times(w, &reference, budget, tiered) {
            Ok((first, steady, compile_ns)) => {
                row.tiered_first_ns = Some(first);
                row.tiered_ns = Some(steady);
                row.compile_ns = Some(compile_ns);
            }
            Err(e) => row.jit_error = Some(e),
        }
    } else if backends != TimedBackends::Interp {
        match jit_times(w, compiler, &reference, budget) {
            Ok((compile_ns, jit_ns)) => {
                row.compile_ns = Some(compile_ns);
                row.jit_ns = Some(jit_ns);
            }
            Err(e) => row.jit_error = Some(e),
        }
    }
    if backends != TimedBackends::Jit {
        row.interp_ns = Some(time_runs(w, &interpreter, budget));
    }
    row
}

fn cell(ns: Option<u64>) -> String {
    ns.map_or_else(|| "-".into(), format_ns)
}

/// The table for people: what ran, how long each backend took, and how
/// much faster the compiled code is. With the tiered backend, `compile`
/// is the background compilation and `first` the first (cold) run.
fn table(rows: &[BenchRow], builtins: bool) -> String {
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(8).max(8);
    let tiered = rows.iter().any(|r| r.tiered_ns.is_some());
    let (first_header, fast_header) = if tiered {
        ("first", "tiered")
    } else {
        ("", "jit")
    };
    let mut out = String::new();
    out.push_str(&format!(
        "{:<width$} {:>6} {:>11} {:>10} {:>10} {:>10} {:>10} {:>9}\n",
        "contract", "bytes", "gas used", "compile", first_header, fast_header, "interp", "speed-up"
    ));
    for r in rows {
        let fast_ns = if tiered { r.tiered_ns } else { r.jit_ns };
        let fast = if r.jit_error.is_some() {
            "FAILED".to_string()
        } else {
            cell(fast_ns)
        };
        let first = if tiered {
            cell(r.tiered_first_ns)
        } else {
            String::new()
        };
        let speedup = match (r.interp_ns, fast_ns) {
            (Some(i), Some(j)) if j > 0 => format!("{:.1}x", i as f64 / j as f64),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "{:<width$} {:>6} {:>11} {:>10} {:>10} {:>10} {:>10} {:>9}\n",
            r.name,
            r.code_bytes,
            r.gas_used.map_or_else(|| "-".into(), |g| g.to_string()),
            cell(r.compile_ns),
            first,
            fast,
            cell(r.interp_ns),
            speedup,
        ));
        if builtins {
            if let Some(c) = builtin(&r.name) {
                out.push_str(&format!(
                    "{:<width$}   {} (n = {})\n",
                    "", c.summary, c.default_n
                ));
            }
        }
    }
    out
}

/// Runs the benchmarks and prints the results.
pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let builtins = args.paths.is_empty();
    let workloads = if builtins {
        builtin_workloads().context("assembling the built-in contracts")?
    } else {
        load_paths(&args.paths)?
    };
    let workloads: Vec<Workload> = workloads
        .into_iter()
        .filter(|w| args.filter.as_ref().is_none_or(|f| w.name.contains(f)))
        .collect();
    args.tiered
        .check_used_with(args.backend == TimedBackends::Tiered)?;
    let compiler = Compiler::new(BENCH_SPEC).context("creating the compiler")?;
    let mut budget = Budget::QUICK;
    if let Some(seconds) = args.seconds {
        anyhow::ensure!(
            seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0,
            "--seconds must be a number of seconds in (0, 3600], not {seconds}"
        );
        budget.measure = std::time::Duration::from_secs_f64(seconds);
        budget.max_samples = 10_000_000;
    }
    if !args.json {
        println!(
            "cevm bench: each contract is compiled to native code (Cranelift), then the same \
             transaction runs on the compiled code (jit) and on the reference interpreter \
             (interp), {BENCH_SPEC:?} rules. Times are medians of repeated runs; \
             speed-up = interp / jit.\n"
        );
    }
    // Progress goes to a terminal only; redirected output stays clean.
    let progress = !args.json && std::io::stderr().is_terminal();
    let mut rows = Vec::with_capacity(workloads.len());
    for (i, w) in workloads.iter().enumerate() {
        if progress {
            eprint!("\r[{}/{}] {:<40}", i + 1, workloads.len(), w.name);
            let _ = std::io::stderr().flush();
        }
        rows.push(bench_one(w, &compiler, budget, args.backend, &args.tiered));
    }
    if progress {
        eprint!("\r{:<60}\r", "");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", table(&rows, builtins));
        let failures: Vec<&BenchRow> = rows.iter().filter(|r| r.jit_error.is_some()).collect();
        let checked = match args.backend {
            TimedBackends::Tiered => "tiered executor",
            _ => "JIT",
        };
        if failures.is_empty() {
            println!(
                "\nThe {checked} agrees with the interpreter (status, gas used, output) on all {} \
                 workloads.",
                rows.len()
            );
        } else {
            println!("\n{checked} failures:");
            for r in &failures {
                println!("  {}: {}", r.name, r.jit_error.as_deref().unwrap_or(""));
            }
        }
    }
    let ok = rows.iter().all(|r| r.jit_error.is_none());
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_speedup_and_failures() {
        let rows = vec![
            BenchRow {
                name: "fibonacci".into(),
                code_bytes: 38,
                gas_used: Some(100),
                compile_ns: Some(1_000_000),
                jit_ns: Some(1_000),
                interp_ns: Some(40_000),
                ..BenchRow::default()
            },
            BenchRow {
                name: "broken".into(),
                code_bytes: 1,
                jit_error: Some("compile error: x".into()),
                ..BenchRow::default()
            },
        ];
        let text = table(&rows, true);
        assert!(text.contains("40.0x"), "{text}");
        assert!(text.contains("FAILED"));
        assert!(text.contains("256-bit Fibonacci loop"), "{text}");
    }

    #[test]
    fn jit_disagreement_is_reported() {
        use cevm_runtime::{Status, SuccessReason};
        let a = RunOutcome {
            status: Status::Success(SuccessReason::Return),
            gas_used: 10,
            output: Default::default(),
        };
        let mut b = a.clone();
        assert_eq!(disagreement(&a, &b), None);
        b.gas_used = 11;
        assert!(disagreement(&b, &a).unwrap().contains("gas used 11"));
        b = a.clone();
        b.status = Status::Revert;
        assert!(disagreement(&b, &a).unwrap().contains("revert"));
    }
}
