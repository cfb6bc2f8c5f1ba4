//! `cevm replay`: a deterministic stream of transactions over thousands of
//! distinct codes (see [`crate::replay_stream`]), run on one backend and
//! checked, transaction by transaction, against the reference interpreter.
//!
//! What it shows: the JIT compiles every code on its first call, which
//! costs far more than running the short transactions most codes get; the
//! interpreter never pays for compiling but runs hot code slowly; the
//! tiered backend interprets first and compiles hot codes in the
//! background, and with `--cache-dir` a second run finds them compiled.
//!
//! Method: the interpreter's result for every distinct (code, input) is
//! computed first, in parallel, untimed. Then the stream runs on the chosen
//! backend, one transaction at a time, each timed alone (its pre-state is
//! prepared outside the timing); results are compared afterwards. The
//! tiered backend then finishes its queued compilations (`drain`, timed
//! apart), as a node would at a clean shutdown, so that the cache holds
//! every code that became hot.
//!
//! Exit code: 0 when every transaction agrees with the interpreter, 1
//! otherwise, 2 for bad input.

use crate::backend::{describe_tiered, TieredArgs};
use crate::replay_stream::{Stream, StreamConfig, StreamTx};
use anyhow::{bail, Result};
use cevm_compiler::JitExecutor;
use cevm_interp::Interpreter;
use cevm_runtime::state::{Account, State};
use cevm_runtime::tx::{self, TxOutcome};
use cevm_runtime::{Address, Executor, Precompiles};
use cevm_statetest::workload::measure::format_ns;
use rayon::prelude::*;
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `cevm replay`.
#[derive(clap::Args)]
pub struct ReplayArgs {
    /// Transactions in the stream.
    #[arg(long, default_value_t = 10_000)]
    transactions: usize,
    /// Distinct codes deployed (each contract of the catalogue many times,
    /// with different metadata bytes).
    #[arg(long, default_value_t = 2_000)]
    codes: usize,
    /// Seed of the stream (which codes are hot, which inputs run).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Gas limit of a transaction at most: long runners stop there.
    #[arg(long, value_name = "GAS", default_value_t = 2_000_000)]
    gas_cap: u64,
    /// The backend that runs the stream.
    #[arg(long, value_enum, default_value = "tiered")]
    backend: ReplayBackend,
    #[command(flatten)]
    tiered: TieredArgs,
    /// With `--backend jit`: compile every code the stream calls before
    /// the clock starts (the best case of a JIT: an unlimited, warm cache).
    #[arg(long)]
    precompile: bool,
    /// End stdout with one JSON line.
    #[arg(long)]
    json: bool,
}

/// The backends `cevm replay` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ReplayBackend {
    /// The reference interpreter.
    Interp,
    /// Compile every code on its first call (cached by code hash and fork).
    Jit,
    /// Interpret first, compile hot codes in the background.
    Tiered,
}

impl ReplayBackend {
    fn name(self) -> &'static str {
        match self {
            ReplayBackend::Interp => "interp",
            ReplayBackend::Jit => "jit",
            ReplayBackend::Tiered => "tiered",
        }
    }
}

/// What a transaction did, as compared with the interpreter.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    outcome: TxOutcome,
    accounts: Vec<(Address, Account)>,
}

fn observe(outcome: TxOutcome, state: &State) -> Observed {
    let mut accounts: Vec<(Address, Account)> =
        state.accounts().map(|(a, acc)| (*a, acc.clone())).collect();
    accounts.sort_unstable_by_key(|(a, _)| *a);
    Observed { outcome, accounts }
}

/// The first field in which `got` differs from `want`.
fn difference(got: &Observed, want: &Observed) -> Option<String> {
    let (g, w) = (&got.outcome, &want.outcome);
    if g.status != w.status {
        Some(format!("status {:?}, interpreter {:?}", g.status, w.status))
    } else if g.gas_used != w.gas_used {
        Some(format!(
            "gas used {}, interpreter {}",
            g.gas_used, w.gas_used
        ))
    } else if g.gas_refunded != w.gas_refunded {
        Some("refund differs".into())
    } else if g.output != w.output {
        Some("output differs".into())
    } else if g.logs != w.logs {
        Some("logs differ".into())
    } else if got.accounts != want.accounts {
        Some("post-state differs".into())
    } else {
        None
    }
}

/// Runs `tx` of `stream` on `executor` from its pre-state; the time covers
/// the transaction only.
fn run_tx(
    stream: &Stream,
    tx: StreamTx,
    executor: &dyn Executor,
    precompiles: &Precompiles,
) -> Result<(Observed, u64)> {
    let w = stream.workload(tx);
    let mut state = stream.pre_state(tx);
    let started = Instant::now();
    let outcome = tx::transact(
        &mut state,
        &w.env,
        &w.schedule,
        &w.tx,
        executor,
        precompiles,
    );
    let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    match outcome {
        Ok(outcome) => Ok((observe(outcome, &state), ns)),
        Err(e) => bail!("{}: transaction rejected: {e}", w.name),
    }
}

/// The JSON line (the fields first).
#[derive(serde::Serialize)]
struct ReplayJson {
    backend: &'static str,
    transactions: usize,
    total_ns: u64,
    p50_ns: u64,
    p99_ns: u64,
    compiles: u64,
    compiles_blocking: u64,
    mismatches: usize,
    codes: usize,
    codes_called: usize,
    seed: u64,
    wall_ns: u64,
    thread_cpu_ns: u64,
    drain_ns: u64,
    process_cpu_ns: u64,
    cache_loads: u64,
    interpreted_frames: Option<u64>,
    native_frames: Option<u64>,
    threshold: Option<u64>,
}

/// CPU time of the calling thread (`RUSAGE_THREAD`) or of the whole
/// process, in nanoseconds (0 where unavailable).
fn cpu_ns(whole_process: bool) -> u64 {
    #[cfg(target_os = "linux")]
    {
        let who = if whole_process {
            libc::RUSAGE_SELF
        } else {
            libc::RUSAGE_THREAD
        };
        // SAFETY: getrusage fills the zeroed struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            if libc::getrusage(who, &mut usage) != 0 {
                return 0;
            }
            usage
        };
        let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
        ns(usage.ru_utime) + ns(usage.ru_stime)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = whole_process;
        0
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs the stream and prints the results.
pub fn run(args: ReplayArgs) -> Result<ExitCode> {
    args.tiered
        .check_used_with(args.backend == ReplayBackend::Tiered)?;
    if args.precompile && args.backend != ReplayBackend::Jit {
        bail!("--precompile needs --backend jit");
    }
    let stream = Stream::build(StreamConfig {
        transactions: args.transactions,
        codes: args.codes,
        seed: args.seed,
        gas_cap: args.gas_cap,
    })?;
    let spec = stream.workload(stream.txs[0]).env.spec;
    let precompiles = Precompiles::for_spec(spec);
    if !args.json {
        println!(
            "cevm replay: {} transactions over {} codes ({} contracts deployed many times; \
             {} codes called), seed {}, gas cap {}, backend {}",
            args.transactions,
            args.codes,
            stream.contracts.len(),
            stream.codes_called(),
            args.seed,
            args.gas_cap,
            args.backend.name()
        );
    }

    if !args.json {
        println!("hottest codes: {}", stream.hottest(8).join(", "));
    }

    // The oracle, untimed: one interpreter run per distinct transaction.
    let mut distinct: Vec<StreamTx> = stream.txs.clone();
    distinct.sort_unstable_by_key(|t| (t.code, t.input));
    distinct.dedup();
    let started = Instant::now();
    let expected: HashMap<StreamTx, Observed> = distinct
        .par_iter()
        .map(|&tx| {
            let precompiles = Precompiles::for_spec(spec);
            run_tx(&stream, tx, &Interpreter::new(), &precompiles).map(|(o, _)| (tx, o))
        })
        .collect::<Result<_>>()?;
    if !args.json {
        println!(
            "reference: {} distinct transactions on the interpreter in {} (untimed)",
            distinct.len(),
            format_ns(started.elapsed().as_nanos() as u64)
        );
    }

    let tiered = match args.backend {
        ReplayBackend::Tiered => Some(args.tiered.executor()?),
        _ => None,
    };
    let jit = (args.backend == ReplayBackend::Jit)
        .then(|| JitExecutor::with_capacity(args.codes.saturating_mul(2).max(4096)));
    let interpreter = Interpreter::new();
    let executor: &dyn Executor = match (&tiered, &jit) {
        (Some(t), _) => t,
        (None, Some(j)) => j,
        (None, None) => &interpreter,
    };
    let mut precompiled = 0;
    if let Some(jit) = jit.as_ref().filter(|_| args.precompile) {
        let started = Instant::now();
        for &tx in &distinct {
            run_tx(&stream, tx, jit, &precompiles)?;
        }
        precompiled = jit.cached_count();
        if !args.json {
            println!(
                "precompiled: {precompiled} codes in {} (untimed)",
                format_ns(started.elapsed().as_nanos() as u64)
            );
        }
    }

    // The timed stream.
    let mut times = Vec::with_capacity(stream.txs.len());
    let mut results = Vec::with_capacity(stream.txs.len());
    let wall = Instant::now();
    let (thread_cpu, process_cpu) = (cpu_ns(false), cpu_ns(true));
    for &tx in &stream.txs {
        let (observed, ns) = run_tx(&stream, tx, executor, &precompiles)?;
        times.push(ns);
        results.push(observed);
    }
    let wall_ns = wall.elapsed().as_nanos() as u64;
    let thread_cpu_ns = cpu_ns(false).saturating_sub(thread_cpu);
    let drain = Instant::now();
    if let Some(t) = &tiered {
        t.wait_idle();
    }
    let drain_ns = drain.elapsed().as_nanos() as u64;
    let process_cpu_ns = cpu_ns(true).saturating_sub(process_cpu);

    let mut mismatches = 0;
    for (i, (tx, got)) in stream.txs.iter().zip(&results).enumerate() {
        if let Some(what) = expected.get(tx).and_then(|want| difference(got, want)) {
            mismatches += 1;
            if mismatches <= 10 {
                println!(
                    "MISMATCH transaction {i} ({}, code {}): {what}",
                    stream.workload(*tx).name,
                    stream.codes[tx.code].hash
                );
            }
        }
    }
    let total_ns: u64 = times.iter().sum();
    times.sort_unstable();
    let (compiles, compiles_blocking, cache_loads) = match (&tiered, &jit) {
        (Some(t), _) => {
            let s = t.stats();
            (s.compiles, s.compiles_blocking, s.cache_loads)
        }
        (None, Some(j)) => {
            // Every JIT compilation happens on the executing thread.
            let n = (j.cached_count() - precompiled) as u64;
            (n, n, 0)
        }
        (None, None) => (0, 0, 0),
    };
    let stats = tiered.as_ref().map(|t| t.stats());
    let json = ReplayJson {
        backend: args.backend.name(),
        transactions: stream.txs.len(),
        total_ns,
        p50_ns: percentile(&times, 50.0),
        p99_ns: percentile(&times, 99.0),
        compiles,
        compiles_blocking,
        mismatches,
        codes: args.codes,
        codes_called: stream.codes_called(),
        seed: args.seed,
        wall_ns,
        thread_cpu_ns,
        drain_ns,
        process_cpu_ns,
        cache_loads,
        interpreted_frames: stats.map(|s| s.interpreted_frames),
        native_frames: stats.map(|s| s.native_frames),
        threshold: tiered.as_ref().map(|t| t.config().threshold_gas),
    };
    if args.json {
        println!("{}", serde_json::to_string(&json)?);
    } else {
        println!(
            "total      {} (sum of transaction times; wall {})",
            format_ns(json.total_ns),
            format_ns(json.wall_ns)
        );
        println!(
            "cpu        {} on the executing thread, {} in the process (with \
             compiler threads and the drain)",
            format_ns(json.thread_cpu_ns),
            format_ns(json.process_cpu_ns)
        );
        println!("p50        {}", format_ns(json.p50_ns));
        println!("p99        {}", format_ns(json.p99_ns));
        println!(
            "compiles   {} ({} blocking the executing thread), {} loaded from the cache",
            json.compiles, json.compiles_blocking, json.cache_loads
        );
        if let Some(t) = &tiered {
            println!(
                "drain      {} (queued compilations finished after the stream)",
                format_ns(drain_ns)
            );
            println!("{}", describe_tiered(&t.stats()));
            for failure in t.failures().iter().take(10) {
                println!("tiered: {failure}");
            }
        }
        println!("mismatches {mismatches} (every transaction checked against the interpreter)");
    }
    Ok(if mismatches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_ranks() {
        let times: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&times, 50.0), 50);
        assert_eq!(percentile(&times, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
