//! The comparison binary: per contract, code size, compile time, JIT run
//! time (precompiled), cevm interpreter and revm run times, gas used, and
//! the ratios, in one run.
//!
//! `cargo run --release -p cevm-benches -- [--json] [--quick] [--no-revm] [FILTER]`

use anyhow::{bail, Context, Result};
use cevm_benches::report::{json, table, targets, targets_text};
use cevm_benches::suite::{compiler, measure_entry, native_row, suite, Backends, Group};
use cevm_statetest::shared::shared_dir;
use cevm_statetest::workload::measure::Budget;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cevm-benches [--json] [--quick] [--no-revm] [FILTER]

Measures every benchmark workload on cevm's JIT, cevm's interpreter and revm
and prints a table with ratios (or, with --json, a JSON array).

  FILTER     only workloads whose name contains FILTER
  --json     print a JSON array of {name, code_bytes, gas_used, compile_ns,
             jit_ns, interp_ns, revm_ns} (null where not applicable)
  --quick    a shorter time budget per measurement (noisier)
  --no-revm  skip revm

The shared benchmarks are read from CEVM_SHARED or ../shared; without them
only the built-in contracts run.";

struct Args {
    json: bool,
    quick: bool,
    revm: bool,
    filter: Option<String>,
}

fn parse_args() -> Result<Option<Args>> {
    let mut args = Args {
        json: false,
        quick: false,
        revm: true,
        filter: None,
    };
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => args.json = true,
            "--quick" => args.quick = true,
            "--no-revm" => args.revm = false,
            "-h" | "--help" => return Ok(None),
            // `cargo bench` passes --bench to every target; this is not one.
            "--bench" => {}
            flag if flag.starts_with('-') => bail!("unknown option {flag}\n\n{USAGE}"),
            filter => {
                if args.filter.replace(filter.to_string()).is_some() {
                    bail!("give at most one FILTER\n\n{USAGE}");
                }
            }
        }
    }
    Ok(Some(args))
}

fn run() -> Result<ExitCode> {
    let Some(args) = parse_args()? else {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    let budget = if args.quick {
        Budget::QUICK
    } else {
        Budget::STANDARD
    };
    let shared = shared_dir();
    let shared = shared.join("benchmarks").is_dir().then_some(shared);
    if shared.is_none() {
        eprintln!(
            "note: shared benchmarks not found (set CEVM_SHARED); running the built-in contracts only"
        );
    }
    let entries = suite(shared.as_deref()).context("loading the benchmark workloads")?;
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|e| {
            args.filter
                .as_ref()
                .is_none_or(|f| e.workload.name.contains(f))
        })
        .collect();
    let compiler = compiler().context("creating the compiler")?;
    let backends = Backends { revm: args.revm };

    let mut rows = Vec::with_capacity(entries.len() + 1);
    for (i, entry) in entries.iter().enumerate() {
        eprint!("[{}/{}] {} ... ", i + 1, entries.len(), entry.workload.name);
        let _ = std::io::stderr().flush();
        let row = measure_entry(entry, &compiler, budget, backends);
        eprintln!("{}", if row.jit_failed { "jit failed" } else { "done" });
        rows.push(row);
    }
    let native_matches = args
        .filter
        .as_ref()
        .is_none_or(|f| "native-rust/fibonacci[n=100000]".contains(f.as_str()));
    if native_matches {
        rows.push(native_row(budget));
    }

    if args.json {
        println!("{}", json(&rows));
    } else {
        print!("{}", table(&rows, args.revm));
        if rows.iter().any(|r| r.group == Some(Group::Native)) || args.filter.is_none() {
            println!();
            print!("{}", targets_text(&targets(&rows)));
        }
    }
    let mismatched = rows.iter().any(|r| !r.problems.is_empty());
    Ok(if mismatched {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
