//! `cevm statetest`: runs execution-spec-tests state tests on a backend.
//!
//! With `--trace` the cases run one after the other on the interpreter,
//! which writes an EIP-3155 trace of every step to stderr; after each case
//! come a summary line (`output`, `gasUsed` of the transaction, `pass`,
//! `error`) and `{"stateRoot": "0x..."}`, the line goevmlab reads.

use crate::backend::{aot_dir_executor, describe_tiered, TieredArgs};
use anyhow::{bail, Context, Result};
use cevm_compiler::JitExecutor;
use cevm_interp::{Eip3155Writer, Interpreter};
use cevm_runtime::{Executor, SpecId};
use cevm_statetest::{
    discover, run_file_each, run_files, run_files_compared, CaseId, CaseRun, FileReport,
    KnownFailures, RunOptions, Summary,
};
use cevm_tiered::TieredStats;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cevm statetest`.
#[derive(clap::Args)]
pub struct StatetestArgs {
    /// State-test JSON files or folders (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The backend to run the code on; `both` runs every case on the
    /// interpreter and the JIT and reports every case where they differ.
    #[arg(long, value_enum, default_value = "interp")]
    backend: BackendChoice,
    /// With `--backend aot`: where compiled libraries are kept (missing
    /// ones are compiled into it, existing ones only loaded).
    #[arg(long, value_name = "DIR", required_if_eq("backend", "aot"))]
    aot_dir: Option<PathBuf>,
    #[command(flatten)]
    tiered: TieredArgs,
    /// Run only this fork's post entries (frontier .. osaka; the fixtures'
    /// names eip150, eip158, constantinoplefix and merge work too).
    #[arg(long)]
    fork: Option<String>,
    /// Run only tests whose name or file path contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// Cases allowed to fail (`<test> <fork> d<i>g<j>v<k> -- <reason>` per
    /// line); defaults to the list bundled with cevm.
    #[arg(long)]
    known_failures: Option<PathBuf>,
    /// End stdout with one JSON summary line.
    #[arg(long)]
    json: bool,
    /// Write an EIP-3155 trace of every case to stderr, each followed by a
    /// summary line and `{"stateRoot": ...}` (interpreter only; one case at
    /// a time).
    #[arg(long)]
    trace: bool,
}

/// `--backend`: one backend, or both compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum BackendChoice {
    /// The reference interpreter.
    Interp,
    /// The JIT.
    Jit,
    /// Ahead-of-time libraries in `--aot-dir` (compiled there when missing).
    Aot,
    /// The tiered executor (one for all files): interpreted first, hot
    /// code compiled in the background (`--threshold`, `--cache-dir`).
    Tiered,
    /// Both, compared case by case.
    Both,
}

#[derive(serde::Serialize)]
struct JsonSummary<'a> {
    backend: &'a str,
    total: usize,
    passed: usize,
    failed: usize,
    skipped: usize,
    forks: BTreeMap<String, cevm_statetest::ForkCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mismatches: Option<usize>,
    /// With `--backend tiered`: frames per tier, tier switches inside
    /// transactions, compilations.
    #[serde(skip_serializing_if = "Option::is_none")]
    tiered: Option<TieredJson>,
}

#[derive(serde::Serialize)]
struct TieredJson {
    interpreted_frames: u64,
    native_frames: u64,
    mid_transaction_switches: u64,
    compiles: u64,
    compile_failures: u64,
    cache_loads: u64,
}

impl From<TieredStats> for TieredJson {
    fn from(s: TieredStats) -> Self {
        TieredJson {
            interpreted_frames: s.interpreted_frames,
            native_frames: s.native_frames,
            mid_transaction_switches: s.mid_transaction_switches,
            compiles: s.compiles,
            compile_failures: s.compile_failures,
            cache_loads: s.cache_loads,
        }
    }
}

/// Runs the tests; exit code 0 only if nothing failed beyond the known failures.
pub fn run(args: StatetestArgs) -> Result<ExitCode> {
    let fork = match &args.fork {
        Some(name) => Some(name.parse::<SpecId>()?),
        None => None,
    };
    let known = match &args.known_failures {
        Some(path) => KnownFailures::load(path)?,
        None => KnownFailures::bundled().context("the bundled known-failures list")?,
    };
    if args.trace && args.backend != BackendChoice::Interp {
        bail!("--trace needs --backend interp: compiled code has no per-instruction steps");
    }
    let files = discover(&args.paths).context("collecting test files")?;
    if files.is_empty() {
        bail!("no .json files found");
    }
    let options = RunOptions {
        fork,
        filter: args.filter.clone(),
    };
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let on_file = |_: &FileReport| {
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    };
    args.tiered
        .check_used_with(args.backend == BackendChoice::Tiered)?;
    let interp = || -> Box<dyn Executor> { Box::new(Interpreter::new()) };
    let jit = || -> Box<dyn Executor> { Box::new(JitExecutor::new()) };
    let aot_dir = args.aot_dir.clone();
    let aot = move || -> Box<dyn Executor> {
        match &aot_dir {
            Some(dir) => aot_dir_executor(dir),
            // clap requires --aot-dir with --backend aot.
            None => Box::new(JitExecutor::new()),
        }
    };
    // One tiered executor for every thread: its compiled code and counts
    // are shared, as in a node.
    let tiered_executor = match args.backend {
        BackendChoice::Tiered => Some(args.tiered.executor()?),
        _ => None,
    };
    let shared = tiered_executor.clone();
    let tiered = move || -> Box<dyn Executor> {
        match &shared {
            Some(t) => Box::new(t.clone()),
            None => Box::new(Interpreter::new()),
        }
    };
    if args.backend == BackendChoice::Aot {
        if let Some(dir) = &args.aot_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating --aot-dir {}", dir.display()))?;
        }
    }
    let (reports, backend_name) = match args.backend {
        BackendChoice::Interp if args.trace => (run_traced(&files, &options), "interp"),
        BackendChoice::Interp => (run_files(&files, &interp, &options, &on_file), "interp"),
        BackendChoice::Jit => (run_files(&files, &jit, &options, &on_file), "jit"),
        BackendChoice::Aot => (run_files(&files, &aot, &options, &on_file), "aot"),
        BackendChoice::Tiered => (run_files(&files, &tiered, &options, &on_file), "tiered"),
        BackendChoice::Both => (
            run_files_compared(&files, &interp, &jit, &options, &on_file),
            "both",
        ),
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }

    let mut summary = Summary::default();
    for report in &reports {
        summary.add(report, &known);
    }
    for failure in &summary.failures {
        let tag = if failure.known { "KNOWN FAIL" } else { "FAIL" };
        match &failure.case {
            Some(case) => println!("{tag} {case}\n    {}", failure.reason),
            None => println!("{tag} {}\n    {}", failure.file.display(), failure.reason),
        }
    }
    for (case, what) in &summary.mismatches {
        println!("MISMATCH {case}\n    interp vs jit: {what}");
    }
    print!("{}", summary.table());
    let compared = args.backend == BackendChoice::Both;
    if compared {
        println!(
            "{} case(s) where interp and jit differ",
            summary.mismatches.len()
        );
    }
    if let Some(t) = &tiered_executor {
        // Let queued compilations finish, so the cache keeps them.
        t.wait_idle();
        println!("{}", describe_tiered(&t.stats()));
        for failure in t.failures() {
            println!("tiered: {failure}");
        }
    }
    let unexpected = summary.unexpected_failures().count();
    let known_count = summary.failures.len() - unexpected;
    if known_count > 0 {
        println!("{known_count} failure(s) are in the known-failures list");
    }
    if args.json {
        let json = JsonSummary {
            backend: backend_name,
            total: summary.total(),
            passed: summary.passed(),
            failed: summary.failed(),
            skipped: summary.skipped(),
            forks: summary.forks.clone(),
            mismatches: compared.then_some(summary.mismatches.len()),
            tiered: tiered_executor.as_ref().map(|t| t.stats().into()),
        };
        println!("{}", serde_json::to_string(&json)?);
    }
    Ok(if unexpected == 0 && summary.mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `files` one case at a time on a tracing interpreter (see the
/// module documentation for what goes to stderr).
fn run_traced(files: &[PathBuf], options: &RunOptions) -> Vec<FileReport> {
    let tracer = Eip3155Writer::new(BufWriter::new(std::io::stderr())).with_summary(false);
    let interpreter = Interpreter::with_tracer(Box::new(tracer));
    files
        .iter()
        .map(|path| run_file_each(path, &interpreter, options, &mut write_case_end))
        .collect()
}

/// The lines after a traced case: its summary and its state root.
fn write_case_end(_: &CaseId, run: &CaseRun) {
    let (summary, root) = match run {
        Ok(out) => {
            let mut summary = serde_json::json!({
                "output": format!("{:#x}", out.output),
                "gasUsed": format!("{:#x}", out.gas_used),
                "pass": out.status_class == "success",
            });
            if out.status_class != "success" {
                let error = match &out.rejected {
                    Some(reason) => format!("rejected: {reason}"),
                    None => out.status.clone(),
                };
                summary["error"] = error.into();
            }
            (summary, Some(out.state_root))
        }
        Err(why) => (
            serde_json::json!({"output": "0x", "gasUsed": "0x0", "pass": false, "error": why}),
            None,
        ),
    };
    let mut err = std::io::stderr().lock();
    // A broken stderr loses the trace, not the test results.
    let _ = writeln!(err, "{summary}");
    if let Some(root) = root {
        let _ = writeln!(err, "{{\"stateRoot\": \"{root:#x}\"}}");
    }
}
