//! Running fixture files: discovery, parallel execution over files, and the
//! per-case comparison.

use crate::case::{self, CaseError};
use crate::exec::{execute_case, rejected_case, CaseOutput};
use crate::model::{PostEntry, TestCase, TestFile};
use crate::report::{CaseId, CaseResult, CaseStatus, FileReport};
use cevm_runtime::{Executor, SpecId};
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Makes a backend. Each rayon worker makes its own (so executors need not
/// be `Sync`) and reuses it for the files it runs, which lets a compiling
/// backend keep its code cache across files.
pub type BackendFactory = dyn Fn() -> Box<dyn Executor> + Sync;

/// What to run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Only this fork's post entries (others are not counted at all).
    pub fork: Option<SpecId>,
    /// Only tests whose name or file path contains this.
    pub filter: Option<String>,
}

/// Every `.json` file under `paths` (files are taken as given), sorted.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} does not exist", path.display()),
            ));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Runs `files` in parallel; `on_file` is called after each file (for progress).
pub fn run_files(
    files: &[PathBuf],
    backend: &BackendFactory,
    options: &RunOptions,
    on_file: &(dyn Fn(&FileReport) + Sync),
) -> Vec<FileReport> {
    files
        .par_iter()
        .map_init(backend, |executor, path| {
            let report = run_file(path, executor.as_ref(), options);
            on_file(&report);
            report
        })
        .collect()
}

/// Like [`run_files`], but every case also runs on `shadow`: a case passes
/// only if it passes on both, and every difference between the two runs
/// (status class, gas used, refund, output, logs, state root) is recorded as
/// the case's mismatch.
pub fn run_files_compared(
    files: &[PathBuf],
    primary: &BackendFactory,
    shadow: &BackendFactory,
    options: &RunOptions,
    on_file: &(dyn Fn(&FileReport) + Sync),
) -> Vec<FileReport> {
    files
        .par_iter()
        .map_init(
            || (primary(), shadow()),
            |(p, s), path| {
                let report = run_file_compared(path, p.as_ref(), Some(s.as_ref()), options);
                on_file(&report);
                report
            },
        )
        .collect()
}

/// Runs every selected post entry of one file on `executor`.
pub fn run_file(path: &Path, executor: &dyn Executor, options: &RunOptions) -> FileReport {
    run_file_compared(path, executor, None, options)
}

/// Runs every selected post entry of one file on `executor` and, if given,
/// on `shadow` too, comparing the two (see [`run_files_compared`]).
pub fn run_file_compared(
    path: &Path,
    executor: &dyn Executor,
    shadow: Option<&dyn Executor>,
    options: &RunOptions,
) -> FileReport {
    run_file_with(path, executor, shadow, options, &mut |_, _| {})
}

/// What a case produced on the primary backend (or why it could not run).
pub type CaseRun = Result<CaseOutput, String>;

/// Like [`run_file`], one case after the other, calling `after_case` after
/// each case ran (a traced run prints the case's summary and state root).
pub fn run_file_each(
    path: &Path,
    executor: &dyn Executor,
    options: &RunOptions,
    after_case: &mut dyn FnMut(&CaseId, &CaseRun),
) -> FileReport {
    run_file_with(path, executor, None, options, after_case)
}

fn run_file_with(
    path: &Path,
    executor: &dyn Executor,
    shadow: Option<&dyn Executor>,
    options: &RunOptions,
    after_case: &mut dyn FnMut(&CaseId, &CaseRun),
) -> FileReport {
    let mut report = FileReport {
        path: path.to_path_buf(),
        error: None,
        cases: Vec::new(),
    };
    let file: TestFile = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
    {
        Ok(file) => file,
        Err(e) => {
            report.error = Some(format!("cannot parse: {e}"));
            return report;
        }
    };
    // Unknown fork keys make the file an error before anything runs.
    for case in file.values() {
        if let Some(bad) = case.post.keys().find(|k| k.parse::<SpecId>().is_err()) {
            report.error = Some(format!("unknown fork `{bad}`"));
            return report;
        }
    }
    let path_text = path.to_string_lossy();
    for (name, case) in &file {
        if let Some(filter) = &options.filter {
            if !name.contains(filter.as_str()) && !path_text.contains(filter.as_str()) {
                continue;
            }
        }
        for (fork, entries) in &case.post {
            let Ok(spec) = fork.parse::<SpecId>() else {
                continue;
            };
            if options.fork.is_some_and(|f| f != spec) {
                continue;
            }
            for entry in entries {
                let id = CaseId {
                    file: path.to_path_buf(),
                    test: name.clone(),
                    fork: fork.clone(),
                    indexes: entry.indexes,
                };
                let (status, mismatch) = if spec.is_supported() {
                    run_entry(case, spec, entry, executor, shadow, &mut |run| {
                        after_case(&id, run)
                    })
                } else {
                    (CaseStatus::Skipped, None)
                };
                report.cases.push(CaseResult {
                    id,
                    status,
                    mismatch,
                });
            }
        }
    }
    report
}

/// Runs one post entry on `executor` (and `shadow`) and compares with the
/// fixture and with each other.
fn run_entry(
    case: &TestCase,
    spec: SpecId,
    entry: &PostEntry,
    executor: &dyn Executor,
    shadow: Option<&dyn Executor>,
    after_primary: &mut dyn FnMut(&CaseRun),
) -> (CaseStatus, Option<String>) {
    let primary = execute_entry(case, spec, entry, executor);
    after_primary(&primary);
    let status = verdict(entry, &primary);
    let Some(shadow) = shadow else {
        return (status, None);
    };
    let second = execute_entry(case, spec, entry, shadow);
    let mismatch = match (&primary, &second) {
        (Ok(a), Ok(b)) => {
            let diff = a.differences(b);
            (!diff.is_empty()).then(|| diff.join("; "))
        }
        (Err(a), Err(b)) if a == b => None,
        (a, b) => Some(format!(
            "{} vs {}",
            a.as_ref().map_or_else(|e| e.clone(), |o| o.status.clone()),
            b.as_ref().map_or_else(|e| e.clone(), |o| o.status.clone())
        )),
    };
    let status = match (status, verdict(entry, &second)) {
        (CaseStatus::Passed, CaseStatus::Failed(why)) => {
            CaseStatus::Failed(format!("second backend: {why}"))
        }
        (status, _) => status,
    };
    (status, mismatch)
}

/// Runs one post entry, turning a malformed case or a panic in the backend
/// into an error text.
fn execute_entry(
    case: &TestCase,
    spec: SpecId,
    entry: &PostEntry,
    executor: &dyn Executor,
) -> Result<CaseOutput, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<CaseOutput, CaseError> {
        let ix = entry.indexes;
        let tx = match case::transaction(case, ix.data, ix.gas, ix.value) {
            Ok(tx) => tx,
            Err(e) if e.is_invalid_transaction() => return rejected_case(case, e.to_string()),
            Err(e) => return Err(e),
        };
        let env = case::env(case, spec, &tx)?;
        let schedule = case::blob_schedule(case, spec);
        execute_case(case, &env, &schedule, &tx, executor)
    }));
    match outcome {
        Err(panic) => Err(format!("panicked: {}", panic_message(panic.as_ref()))),
        Ok(Err(e)) => Err(format!("bad case: {e}")),
        Ok(Ok(output)) => Ok(output),
    }
}

/// Pass or fail of one run against the fixture.
fn verdict(entry: &PostEntry, output: &Result<CaseOutput, String>) -> CaseStatus {
    match output {
        Ok(output) => compare(entry, output),
        Err(why) => CaseStatus::Failed(why.clone()),
    }
}

/// Compares the run with the expected result.
fn compare(entry: &PostEntry, output: &CaseOutput) -> CaseStatus {
    match (&entry.expect_exception, &output.rejected) {
        (Some(_), Some(_)) => {
            // A rejected transaction changes nothing: the state must still
            // be the pre-state the fixture's hash describes.
            if output.state_root == entry.hash {
                CaseStatus::Passed
            } else {
                CaseStatus::Failed(format!(
                    "rejected as expected, but the state root {} differs from {}",
                    output.state_root, entry.hash
                ))
            }
        }
        (Some(expected), None) => CaseStatus::Failed(format!(
            "expected the transaction to be rejected ({expected}), but it executed ({})",
            output.status
        )),
        (None, Some(error)) => CaseStatus::Failed(format!("transaction rejected: {error}")),
        (None, None) => {
            let mut problems = Vec::new();
            if output.state_root != entry.hash {
                let mut text = format!("state root {} expected {}", output.state_root, entry.hash);
                if let Some(expected) = &entry.state {
                    let diff = output.diff_against(expected);
                    if !diff.is_empty() {
                        text += &format!(" [{}]", diff.join("; "));
                    }
                }
                problems.push(text);
            }
            if output.logs_hash != entry.logs {
                problems.push(format!(
                    "logs hash {} expected {} ({} log(s))",
                    output.logs_hash, entry.logs, output.log_count
                ));
            }
            if problems.is_empty() {
                CaseStatus::Passed
            } else {
                problems.push(format!(
                    "status {}, gas used {}",
                    output.status, output.gas_used
                ));
                CaseStatus::Failed(problems.join("; "))
            }
        }
    }
}

/// The message of a caught panic (its `&str` or `String` payload).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".to_string())
}
