//! Results of a run: per case, per file, and the per-fork summary.

use crate::known::KnownFailures;
use crate::model::Indexes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Identifies one post entry: file, test, fork, indexes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseId {
    /// The fixture file.
    pub file: PathBuf,
    /// The test's name inside the file.
    pub test: String,
    /// The fork key of the post entry (as spelled in the file).
    pub fork: String,
    /// The transaction alternatives used.
    pub indexes: Indexes,
}

impl CaseId {
    /// The key used in the known-failures file: `<test> <fork> d<i>g<j>v<k>`.
    pub fn key(&self) -> String {
        format!(
            "{} {} d{}g{}v{}",
            self.test, self.fork, self.indexes.data, self.indexes.gas, self.indexes.value
        )
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.key())
    }
}

/// How one case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseStatus {
    /// Root and logs (or the expected rejection) matched.
    Passed,
    /// Something differed; the text says what.
    Failed(String),
    /// Not run: the fork is not supported.
    Skipped,
}

/// The result of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// Which case.
    pub id: CaseId,
    /// How it ended.
    pub status: CaseStatus,
    /// When run on two backends: what differed between them (`None` if they agreed
    /// or only one backend ran).
    pub mismatch: Option<String>,
}

/// The result of one file: its cases, or why it could not be read.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Why the file as a whole failed (unreadable, malformed JSON, unknown fork key).
    pub error: Option<String>,
    /// The cases run.
    pub cases: Vec<CaseResult>,
}

/// Counts of one fork.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ForkCounts {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed (known failures included).
    pub failed: usize,
    /// Cases not run.
    pub skipped: usize,
}

/// A failure worth reporting.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The case, or `None` for a file that could not be read.
    pub case: Option<CaseId>,
    /// The file.
    pub file: PathBuf,
    /// What went wrong.
    pub reason: String,
    /// Whether the known-failures list names it.
    pub known: bool,
}

/// The totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Fork name to counts.
    pub forks: BTreeMap<String, ForkCounts>,
    /// Files that could not be read (each also counts as one failure).
    pub file_errors: usize,
    /// Every failure, in file order.
    pub failures: Vec<Failure>,
    /// Cases on which two backends disagreed (`--backend both`), with what differed.
    pub mismatches: Vec<(CaseId, String)>,
}

impl Summary {
    /// Folds a file's results in, marking failures the known list names.
    pub fn add(&mut self, report: &FileReport, known: &KnownFailures) {
        if let Some(error) = &report.error {
            self.file_errors += 1;
            self.failures.push(Failure {
                case: None,
                file: report.path.clone(),
                reason: error.clone(),
                known: false,
            });
        }
        for case in &report.cases {
            if let Some(m) = &case.mismatch {
                self.mismatches.push((case.id.clone(), m.clone()));
            }
            let counts = self.forks.entry(case.id.fork.clone()).or_default();
            match &case.status {
                CaseStatus::Passed => counts.passed += 1,
                CaseStatus::Skipped => counts.skipped += 1,
                CaseStatus::Failed(reason) => {
                    counts.failed += 1;
                    self.failures.push(Failure {
                        case: Some(case.id.clone()),
                        file: report.path.clone(),
                        reason: reason.clone(),
                        known: known.contains(&case.id),
                    });
                }
            }
        }
    }

    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.forks.values().map(|c| c.passed).sum()
    }

    /// Failed cases plus unreadable files.
    pub fn failed(&self) -> usize {
        self.forks.values().map(|c| c.failed).sum::<usize>() + self.file_errors
    }

    /// Cases skipped.
    pub fn skipped(&self) -> usize {
        self.forks.values().map(|c| c.skipped).sum()
    }

    /// Everything counted.
    pub fn total(&self) -> usize {
        self.passed() + self.failed() + self.skipped()
    }

    /// Failures not in the known-failures list.
    pub fn unexpected_failures(&self) -> impl Iterator<Item = &Failure> {
        self.failures.iter().filter(|f| !f.known)
    }

    /// The per-fork table, supported forks first.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<18} {:>8} {:>8} {:>8} {:>9}\n",
            "fork", "passed", "failed", "skipped", "pass rate"
        );
        let mut rows: Vec<_> = self.forks.iter().collect();
        rows.sort_by_key(|(name, _)| {
            let spec = name.parse::<cevm_runtime::SpecId>().ok();
            (
                std::cmp::Reverse(spec.map(|s| s.is_supported())),
                spec,
                (*name).clone(),
            )
        });
        for (name, c) in rows {
            let run = c.passed + c.failed;
            let rate = if run == 0 {
                "-".to_string()
            } else {
                format!("{:.2}%", 100.0 * c.passed as f64 / run as f64)
            };
            out += &format!(
                "{:<18} {:>8} {:>8} {:>8} {:>9}\n",
                name, c.passed, c.failed, c.skipped, rate
            );
        }
        out += &format!(
            "{:<18} {:>8} {:>8} {:>8}\n",
            "total",
            self.passed(),
            self.failed(),
            self.skipped()
        );
        if self.file_errors > 0 {
            out += &format!(
                "({} unreadable file(s) counted as failed)\n",
                self.file_errors
            );
        }
        out
    }
}
