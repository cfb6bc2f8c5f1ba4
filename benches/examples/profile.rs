//! Runs one benchmark workload many times on one backend, for profilers.
//!
//! `cargo run --release -p cevm-benches --example profile -- BACKEND NAME [RUNS]`
//!
//! BACKEND is `jit`, `interp` or `revm`; NAME the exact workload name of
//! the comparison table (`tx/stop`, `counter`, `snailtracer/benchmark`).
//! The JIT compiles every code in one untimed run first. Each run starts
//! from a copy of the pre-state made outside [`run_cevm`] / [`run_revm`],
//! so that with `valgrind --tool=callgrind --toggle-collect='*run_cevm*'`
//! (or `*run_revm*`) the instruction count covers exactly the transaction;
//! divide by RUNS for the count per transaction.

use anyhow::{bail, Context, Result};
use cevm_benches::revm_runner::RevmWorkload;
use cevm_benches::suite::suite;
use cevm_compiler::JitExecutor;
use cevm_interp::Interpreter;
use cevm_runtime::{Executor, State};
use cevm_statetest::shared::shared_dir;
use cevm_statetest::workload::{RunOutcome, Workload};
use std::hint::black_box;

#[inline(never)]
fn run_cevm(w: &Workload, state: &mut State, executor: &dyn Executor) -> RunOutcome {
    w.run_on(state, executor).expect("the workload runs")
}

#[inline(never)]
fn run_revm(revm: &mut RevmWorkload, tx: revm::context::TxEnv) -> RunOutcome {
    revm.run_tx(tx).expect("revm runs the workload")
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (backend, name) = match args.as_slice() {
        [backend, name] | [backend, name, _] => (backend.as_str(), name.as_str()),
        _ => bail!("usage: profile jit|interp|revm NAME [RUNS]"),
    };
    let runs: u64 = match args.get(2) {
        Some(n) => n.parse().context("RUNS must be a number")?,
        None => 10_000,
    };
    let shared = shared_dir();
    let shared = shared.join("benchmarks").is_dir().then_some(shared);
    let entries = suite(shared.as_deref())?;
    let Some(entry) = entries.iter().find(|e| e.workload.name == name) else {
        bail!("no workload named {name}");
    };
    let w = &entry.workload;
    match backend {
        "jit" | "interp" => {
            let executor: Box<dyn Executor> = if backend == "jit" {
                Box::new(JitExecutor::new())
            } else {
                Box::new(Interpreter::new())
            };
            // Compiles (JIT) and warms up.
            black_box(w.run(executor.as_ref())?);
            for _ in 0..runs {
                let mut state = w.pre.clone();
                black_box(run_cevm(w, &mut state, executor.as_ref()));
            }
        }
        "revm" => {
            let mut revm = RevmWorkload::new(w)?;
            black_box(revm.run()?);
            for _ in 0..runs {
                let tx = revm.tx().clone();
                black_box(run_revm(&mut revm, tx));
            }
        }
        other => bail!("unknown backend {other}: jit, interp or revm"),
    }
    Ok(())
}
