//! A fuzzing campaign: N generated scenarios, each under one fork drawn
//! uniformly from the chosen ones and fitted to it, in parallel, with panics
//! caught per scenario, mismatches minimized and written out as state tests.

use crate::compare::Field;
use crate::differential::{
    compare_backends, compare_tiered, write_reproducer, DiffError, Mismatch,
};
use crate::entropy::{Entropy, Xoshiro256};
use crate::generate::generate_scenario;
use crate::minimize::minimize;
use crate::program::Item;
use crate::scenario::Scenario;
use cevm_runtime::opcode::{self, op};
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
    /// Forks to draw from: each program runs under one of them, drawn
    /// uniformly (see [`spec_for`]).
    pub specs: Vec<SpecId>,
    /// Where reproducers go (none: not written).
    pub out_dir: Option<PathBuf>,
    /// Whether mismatches are minimized before they are reported.
    pub minimize: bool,
    /// Stop after the first chunk of programs that holds a mismatch, a
    /// panic or an error (chunks run in order, programs within a chunk in
    /// parallel), so that [`CampaignReport::first_failure`] is the lowest
    /// failing index whatever the thread count.
    pub stop_on_first: bool,
    /// The backend checked against the interpreter.
    pub candidate: Candidate,
}

/// The backend a campaign checks against the reference interpreter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Candidate {
    /// The JIT: every frame compiled.
    #[default]
    Jit,
    /// The tiered executor, deterministically (see
    /// [`crate::differential::compare_tiered`]) with a threshold drawn per
    /// program ([`tier_threshold`]): codes switch from the interpreter to
    /// native code between frames, inside the transaction.
    Tiered,
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
    /// Mismatches (at most one per program).
    pub mismatches: Vec<Finding>,
    /// Panics.
    pub panics: Vec<Failure>,
    /// Programs that could not be compared (generator or I/O errors).
    pub errors: Vec<Failure>,
    /// With [`Candidate::Tiered`]: native frames of codes that the same
    /// transaction had interpreted before (tier switches observed).
    pub tier_switches: u64,
    /// With [`Candidate::Tiered`]: programs with at least one such switch.
    pub programs_switching: u64,
    /// Wall-clock time.
    pub seconds: f64,
    /// The lowest index of a program that mismatched, panicked or could
    /// not be compared.
    pub first_failure: Option<u64>,
}

enum ProgramResult {
    /// Agreed, with this many tier switches.
    Agree(u64),
    Mismatch(Box<Finding>),
    Panic(Failure),
    Error(Failure),
}

/// Seeds the threshold draw apart from the program and fork draws.
const TIER_STREAM: u64 = 0x7153_ed00_7e5e_0013;

/// The gas thresholds a tiered program is run with: 1 (every code native
/// from its second frame, drawn twice as often), or a few hundred to tens
/// of thousands of gas (the switch comes later, or not at all).
pub const TIER_THRESHOLDS: [u64; 5] = [1, 1, 300, 3_000, 30_000];

/// The gas threshold of the tiered executor for program `index`, drawn
/// from [`TIER_THRESHOLDS`].
pub fn tier_threshold(seed: u64, index: u64) -> u64 {
    pick_threshold(&mut Xoshiro256::for_program(seed ^ TIER_STREAM, index))
}

/// One of [`TIER_THRESHOLDS`], drawn from `entropy`.
pub fn pick_threshold(entropy: &mut impl Entropy) -> u64 {
    TIER_THRESHOLDS[entropy.below(TIER_THRESHOLDS.len() as u64) as usize]
}

/// Compares `scenario` under `spec` on the interpreter and `candidate`
/// (for the tiered one, with the threshold of program `index`); the
/// number of tier switches comes along.
pub fn compare_candidate(
    candidate: Candidate,
    seed: u64,
    index: u64,
    scenario: &Scenario,
    spec: SpecId,
) -> Result<(Option<Mismatch>, u64), DiffError> {
    match candidate {
        Candidate::Jit => Ok((compare_backends(scenario, spec)?, 0)),
        Candidate::Tiered => {
            let (mismatch, stats) = compare_tiered(scenario, spec, tier_threshold(seed, index))?;
            Ok((mismatch, stats.mid_transaction_switches))
        }
    }
}

/// The scenario of program `index` of a campaign with `seed`.
pub fn scenario_for(seed: u64, index: u64) -> Scenario {
    generate_scenario(&mut Xoshiro256::for_program(seed, index))
}

/// Seeds the fork draw apart from the program generator, so a program is
/// the same whatever forks the campaign draws from.
const FORK_STREAM: u64 = 0xf0e4_d1a9_5eed_0015;

/// The fork program `index` of a campaign with `seed` runs under: drawn
/// uniformly from `specs` (`None` if there are none). With one fork given,
/// that fork.
pub fn spec_for(seed: u64, index: u64, specs: &[SpecId]) -> Option<SpecId> {
    let mut rng = Xoshiro256::for_program(seed ^ FORK_STREAM, index);
    specs.get(rng.below(specs.len() as u64) as usize).copied()
}

/// Program `index` of a campaign with `seed`, fitted to `spec` (see
/// [`fit_to_fork`]): what a campaign runs under that fork.
pub fn scenario_in_fork(seed: u64, index: u64, spec: SpecId) -> Scenario {
    let mut scenario = scenario_for(seed, index);
    fit_to_fork(&mut scenario, spec);
    scenario
}

/// Rewrites the opcodes of the contracts' programs that `spec` does not
/// define, so that a program written with the newest opcodes still does
/// work under an old fork instead of halting at its first PUSH0 or TLOAD:
/// PUSH0 becomes `PUSH1 0`, any other undefined opcode a twin that `spec`
/// defines with the same stack inputs, outputs, immediate size and block
/// end, the oldest such opcode and among those the nearest by byte (TLOAD
/// becomes SLOAD, MCOPY CODECOPY, SHL BYTE, REVERT RETURN, ...); one without
/// a twin stays. Raw bytes (init code embedded as data) are left as
/// generated.
pub fn fit_to_fork(scenario: &mut Scenario, spec: SpecId) {
    let push0 = spec >= SpecId::Shanghai;
    for contract in &mut scenario.contracts {
        for item in &mut contract.program.items {
            match item {
                Item::Op(op::PUSH0) if !push0 => *item = Item::Push(vec![0]),
                Item::Push(bytes) if bytes.is_empty() && !push0 => *bytes = vec![0],
                Item::Op(code) => *code = defined_twin(*code, spec),
                _ => {}
            }
        }
    }
}

/// `code` if `spec` defines it, else its twin (see [`fit_to_fork`]).
fn defined_twin(code: u8, spec: SpecId) -> u8 {
    let Some(info) = opcode::info(code) else {
        return code;
    };
    if info.is_defined_in(spec) {
        return code;
    }
    let same_shape = |other: &opcode::OpInfo| {
        other.is_defined_in(spec)
            && other.inputs == info.inputs
            && other.outputs == info.outputs
            && other.immediate == info.immediate
            && other.ends_block == info.ends_block
    };
    opcode::OPCODES
        .iter()
        .flatten()
        .filter(|other| same_shape(other))
        .min_by_key(|other| (other.since, other.code.abs_diff(code)))
        .map_or(code, |other| other.code)
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
        || -> Result<(Option<Mismatch>, u64), DiffError> {
            let Some(spec) = spec_for(config.seed, index, &config.specs) else {
                return Ok((None, 0));
            };
            let scenario = scenario_in_fork(config.seed, index, spec);
            compare_candidate(config.candidate, config.seed, index, &scenario, spec)
        },
    ));
    let mismatch = match outcome {
        Ok(Ok((None, switches))) => return ProgramResult::Agree(switches),
        Ok(Ok((Some(m), _))) => m,
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
        let (candidate, seed) = (config.candidate, config.seed);
        minimize_with(&mismatch, &move |s, spec| {
            compare_candidate(candidate, seed, index, s, spec).map(|(m, _)| m)
        })
    } else {
        mismatch
    };
    let name = format!(
        "fuzz_{}_{}_{}",
        config.seed,
        index,
        mismatch.spec.name().to_lowercase()
    );
    let backend = match config.candidate {
        Candidate::Jit => "",
        Candidate::Tiered => " --backend tiered",
    };
    let origin = format!(
        "cevm fuzz --seed {} --start {} --count 1 --spec {}{backend}",
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

/// Programs per chunk when stopping on the first failure: a few per
/// thread, so that the threads stay busy and little runs past the failure.
fn chunk_size() -> u64 {
    (4 * rayon::current_num_threads() as u64).max(16)
}

/// Runs the campaign; `on_done` is called after each program (progress).
pub fn run_campaign(config: &CampaignConfig, on_done: &(dyn Fn() + Sync)) -> CampaignReport {
    let started = Instant::now();
    let end = config.start.saturating_add(config.count);
    let run = |range: std::ops::Range<u64>| -> Vec<ProgramResult> {
        range
            .into_par_iter()
            .map(|index| {
                let r = run_program(config, index);
                on_done();
                r
            })
            .collect()
    };
    let mut results = Vec::new();
    if config.stop_on_first {
        let mut next = config.start;
        while next < end {
            let chunk_end = next.saturating_add(chunk_size()).min(end);
            let chunk = run(next..chunk_end);
            let failed = chunk.iter().any(|r| !matches!(r, ProgramResult::Agree(_)));
            results.extend(chunk);
            if failed {
                break;
            }
            next = chunk_end;
        }
    } else {
        results = run(config.start..end);
    }
    let mut report = CampaignReport {
        programs: results.len() as u64,
        ..CampaignReport::default()
    };
    for r in results {
        match r {
            ProgramResult::Agree(switches) => {
                report.tier_switches += switches;
                report.programs_switching += u64::from(switches > 0);
            }
            ProgramResult::Mismatch(f) => report.mismatches.push(*f),
            ProgramResult::Panic(f) => report.panics.push(f),
            ProgramResult::Error(f) => report.errors.push(f),
        }
    }
    report.first_failure = report
        .mismatches
        .iter()
        .map(|f| f.index)
        .chain(report.panics.iter().map(|f| f.index))
        .chain(report.errors.iter().map(|f| f.index))
        .min();
    report.seconds = started.elapsed().as_secs_f64();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Program;
    use crate::scenario::ContractSpec;
    use cevm_runtime::U256;

    #[test]
    fn forks_are_drawn_uniformly_and_reproducibly() {
        let specs = SpecId::ALL;
        let mut counts = [0u32; 15];
        for index in 0..15_000 {
            let spec = spec_for(9, index, &specs).unwrap();
            assert_eq!(spec_for(9, index, &specs), Some(spec));
            counts[spec as usize] += 1;
        }
        // 1,000 expected per fork; a fair draw stays well inside this band.
        assert!(
            counts.iter().all(|&c| (850..1150).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(spec_for(9, 3, &[SpecId::London]), Some(SpecId::London));
        assert_eq!(spec_for(9, 3, &[]), None);
    }

    #[test]
    fn programs_are_fitted_to_old_forks() {
        let items = vec![
            Item::push_u64(0),
            Item::Op(op::PUSH0),
            Item::Op(op::TLOAD),
            Item::Op(op::TSTORE),
            Item::Op(op::MCOPY),
            Item::Op(op::SHL),
            Item::Op(op::REVERT),
            Item::Op(op::STATICCALL),
            Item::Op(op::CREATE2),
            Item::Op(op::ADD),
        ];
        let mut scenario = scenario_for(1, 0);
        scenario.contracts = vec![ContractSpec {
            program: Program::new(items.clone()),
            balance: U256::ZERO,
            storage: Vec::new(),
        }];
        let fitted = |spec| {
            let mut s = scenario.clone();
            fit_to_fork(&mut s, spec);
            s.contracts[0].program.items.clone()
        };
        let zero = Item::Push(vec![0]);
        assert_eq!(
            fitted(SpecId::Homestead),
            vec![
                zero.clone(),
                zero,
                Item::Op(op::SLOAD),
                Item::Op(op::SSTORE),
                Item::Op(op::CODECOPY),
                Item::Op(op::BYTE),
                Item::Op(op::RETURN),
                Item::Op(op::DELEGATECALL),
                // No 4-in, 1-out opcode before Constantinople: left undefined.
                Item::Op(op::CREATE2),
                Item::Op(op::ADD),
            ]
        );
        assert_eq!(fitted(SpecId::Cancun)[5..], items[5..]);
        assert_eq!(fitted(SpecId::Cancun)[2], Item::Op(op::TLOAD));
        assert_eq!(fitted(SpecId::Osaka), items);
    }
}
