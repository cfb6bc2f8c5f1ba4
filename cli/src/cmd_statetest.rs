//! `cevm statetest`: runs execution-spec-tests state tests on a backend.

use crate::backend::Backend;
use anyhow::{bail, Context, Result};
use cevm_runtime::{Executor, SpecId};
use cevm_statetest::{discover, run_files, FileReport, KnownFailures, RunOptions, Summary};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cevm statetest`.
#[derive(clap::Args)]
pub struct StatetestArgs {
    /// State-test JSON files or folders (searched recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The backend to run the code on.
    #[arg(long, value_enum, default_value = "interp")]
    backend: Backend,
    /// Run only this fork's post entries (cancun, prague, osaka).
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
}

#[derive(serde::Serialize)]
struct JsonSummary<'a> {
    backend: &'a str,
    total: usize,
    passed: usize,
    failed: usize,
    skipped: usize,
    forks: BTreeMap<String, cevm_statetest::ForkCounts>,
}

/// Runs the tests; exit code 0 only if nothing failed beyond the known failures.
pub fn run(args: StatetestArgs) -> Result<ExitCode> {
    let fork = match &args.fork {
        Some(name) => {
            let spec: SpecId = name.parse()?;
            if !spec.is_supported() {
                bail!("fork {spec} is not supported (expected cancun, prague or osaka)");
            }
            Some(spec)
        }
        None => None,
    };
    let known = match &args.known_failures {
        Some(path) => KnownFailures::load(path)?,
        None => KnownFailures::bundled().context("the bundled known-failures list")?,
    };
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
    let backend = args.backend;
    let factory = move || -> Box<dyn Executor> { backend.executor() };
    let on_file = |_: &FileReport| {
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    };
    let reports = run_files(&files, &factory, &options, &on_file);
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
    print!("{}", summary.table());
    let unexpected = summary.unexpected_failures().count();
    let known_count = summary.failures.len() - unexpected;
    if known_count > 0 {
        println!("{known_count} failure(s) are in the known-failures list");
    }
    if args.json {
        let json = JsonSummary {
            backend: backend.name(),
            total: summary.total(),
            passed: summary.passed(),
            failed: summary.failed(),
            skipped: summary.skipped(),
            forks: summary.forks.clone(),
        };
        println!("{}", serde_json::to_string(&json)?);
    }
    Ok(if unexpected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
