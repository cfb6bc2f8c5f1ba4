//! A fuzzing campaign: N generated scenarios, each on every chosen fork,
//! in parallel, with panics caught per scenario, mismatches minimized and
//! written out as state tests.

use crate::compare::Field;
use crate::differential::{compare_backends, write_reproducer, DiffError, Mismatch};
use crate::entropy::Xoshiro256;
use crate::generate::generate_scenario;
use crate::minimize::minimize;
use crate::scenario::Scenario;
use cevm_runtime::SpecId;
use cevm_statetest::panic_message;
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

/// Candidates the minimizer may try per mismatch.
pub const MINIMIZE_BUDGET: usize = 1500;

/// What to run.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// The campaign seed; program `i` is generated from `(seed, i)`.
    pub seed: u64,
    /// Index of the first program.
    pub start: u64,
    /// Number of programs.
    pub count: u64,
    /// Forks each program runs under.
    pub specs: Vec<SpecId>,
    /// Where reproducers go (none: not written).
    pub out_dir: Option<PathBuf>,
    /// Whether mismatches are minimized before they are reported.
    pub minimize: bool,
}

/// A mismatch found by a campaign.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Index of the program in the campaign.
    pub index: u64,
    /// The mismatch (minimized if requested).
    pub mismatch: Mismatch,
    /// The reproducer file, if written.
    pub file: Option<PathBuf>,
}

/// A program whose run panicked (or could not be compared at all).
#[derive(Clone, Debug)]
pub struct Failure {
    /// Index of the program.
    pub index: u64,
    /// The panic message or error.
    pub message: String,
}

/// A campaign's results.
#[derive(Clone, Debug, Default)]
pub struct CampaignReport {
    /// Programs run.
    pub programs: u64,
    /// Mismatches (at most one per program: its first fork that disagrees).
    pub mismatches: Vec<Finding>,
    /// Panics.
    pub panics: Vec<Failure>,
    /// Programs that could not be compared (generator or I/O errors).
    pub errors: Vec<Failure>,
    /// Wall-clock time.
    pub seconds: f64,
}

enum ProgramResult {
    Agree,
    Mismatch(Box<Finding>),
    Panic(Failure),
    Error(Failure),
}

/// The scenario of program `index` of a campaign with `seed`.
pub fn scenario_for(seed: u64, index: u64) -> Scenario {
    generate_scenario(&mut Xoshiro256::for_program(seed, index))
}

/// Shrinks `mismatch` (interpreter against JIT) to a scenario that still
/// shows a difference in its first differing field under the same fork.
pub fn minimize_mismatch(mismatch: &Mismatch) -> Mismatch {
    minimize_with(mismatch, &|s, spec| compare_backends(s, spec))
}

/// A comparison of two backends on one scenario under one fork.
pub type Comparison = dyn Fn(&Scenario, SpecId) -> Result<Option<Mismatch>, DiffError>;

/// Shrinks `mismatch` using `compare` to re-check candidates (panics count
/// as "no longer fails").
pub fn minimize_with(mismatch: &Mismatch, compare: &Comparison) -> Mismatch {
    let spec = mismatch.spec;
    let field: Option<Field> = mismatch.differences.first().map(|d| d.field);
    let mut still_fails = |candidate: &Scenario| {
        let result = catch_unwind(AssertUnwindSafe(|| compare(candidate, spec)));
        matches!(result, Ok(Ok(Some(m))) if field.is_none_or(|f| m.fields().contains(&f)))
    };
    let small = minimize(&mismatch.scenario, &mut still_fails, MINIMIZE_BUDGET);
    match catch_unwind(AssertUnwindSafe(|| compare(&small, spec))) {
        Ok(Ok(Some(m))) => m,
        _ => mismatch.clone(),
    }
}

fn run_program(config: &CampaignConfig, index: u64) -> ProgramResult {
    let outcome = catch_unwind(AssertUnwindSafe(
        || -> Result<Option<Mismatch>, DiffError> {
            let scenario = scenario_for(config.seed, index);
            for &spec in &config.specs {
                if let Some(m) = compare_backends(&scenario, spec)? {
                    return Ok(Some(m));
                }
            }
            Ok(None)
        },
    ));
    let mismatch = match outcome {
        Ok(Ok(None)) => return ProgramResult::Agree,
        Ok(Ok(Some(m))) => m,
        Ok(Err(e)) => {
            return ProgramResult::Error(Failure {
                index,
                message: e.to_string(),
            })
        }
        Err(panic) => {
            return ProgramResult::Panic(Failure {
                index,
                message: panic_message(panic.as_ref()),
            })
        }
    };
    let mismatch = if config.minimize {
        minimize_mismatch(&mismatch)
    } else {
        mismatch
    };
    let name = format!(
        "fuzz_{}_{}_{}",
        config.seed,
        index,
        mismatch.spec.name().to_lowercase()
    );
    let origin = format!(
        "cevm fuzz --seed {} --start {} --count 1 --spec {}",
        config.seed,
        index,
        mismatch.spec.name().to_lowercase()
    );
    let file = match &config.out_dir {
        Some(dir) => match write_reproducer(dir, &name, &mismatch, &origin) {
            Ok(path) => Some(path),
            Err(e) => {
                return ProgramResult::Error(Failure {
                    index,
                    message: e.to_string(),
                })
            }
        },
        None => None,
    };
    ProgramResult::Mismatch(Box::new(Finding {
        index,
        mismatch,
        file,
    }))
}

/// Runs the campaign; `on_done` is called after each program (progress).
pub fn run_campaign(config: &CampaignConfig, on_done: &(dyn Fn() + Sync)) -> CampaignReport {
    let started = Instant::now();
    let results: Vec<ProgramResult> = (config.start..config.start.saturating_add(config.count))
        .into_par_iter()
        .map(|index| {
            let r = run_program(config, index);
            on_done();
            r
        })
        .collect();
    let mut report = CampaignReport {
        programs: results.len() as u64,
        ..CampaignReport::default()
    };
    for r in results {
        match r {
            ProgramResult::Agree => {}
            ProgramResult::Mismatch(f) => report.mismatches.push(*f),
            ProgramResult::Panic(f) => report.panics.push(f),
            ProgramResult::Error(f) => report.errors.push(f),
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}
