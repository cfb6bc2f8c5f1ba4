//! Runs the execution-spec-tests state tests in the shared fixtures on both
//! backends, the reference interpreter and the JIT, case by case, under
//! every fork the fixtures have (Frontier to Osaka). Fails on any failure
//! that is not in `statetest/known-failures.txt`, on any skipped case and on
//! any case where the two backends differ (status class, gas used, refund,
//! output, logs, state root).
//!
//! The same fixtures also run on the tiered backend (interpreted first,
//! compiled in the background, switching tier between frames).
//!
//! The fixtures are found through `CEVM_SHARED` or at `../shared` beside the
//! workspace. Without them the test says so and passes, except under
//! `CI=true`, where their absence is an error.

use cevm_runtime::{Executor, SpecId};
use cevm_statetest::{
    discover, run_files, run_files_compared, FileReport, KnownFailures, RunOptions, Summary,
};
use cevm_tiered::{TieredConfig, TieredExecutor};
use std::path::PathBuf;

fn fixtures() -> Option<PathBuf> {
    cevm_statetest::shared::require("fixtures/state_tests", "state tests")
}

fn interpreter() -> Box<dyn Executor> {
    Box::new(cevm_interp::Interpreter::new())
}

fn jit() -> Box<dyn Executor> {
    Box::new(cevm_compiler::JitExecutor::new())
}

#[test]
fn state_tests_pass_on_both_backends_without_mismatches() {
    let Some(dir) = fixtures() else {
        return;
    };
    let known = KnownFailures::bundled().expect("known-failures.txt parses");
    let files = discover(&[dir]).expect("fixture tree is readable");
    assert!(!files.is_empty(), "no fixture files found");
    let reports: Vec<FileReport> =
        run_files_compared(&files, &interpreter, &jit, &RunOptions::default(), &|_| {});
    let mut summary = Summary::default();
    for report in &reports {
        summary.add(report, &known);
    }
    println!("{}", summary.table());
    // The v5.4.0 fixtures have post entries for every fork but these three;
    // their rules are covered by the runtime's unit tests.
    let absent = [
        SpecId::TangerineWhistle,
        SpecId::SpuriousDragon,
        SpecId::Constantinople,
    ];
    for spec in SpecId::SUPPORTED
        .into_iter()
        .filter(|s| !absent.contains(s))
    {
        let counts = summary.forks.get(spec.name()).copied().unwrap_or_default();
        assert!(counts.passed > 0, "no {spec} case passed");
    }
    assert_eq!(summary.skipped(), 0, "every fork is executed");
    for (case, what) in summary.mismatches.iter().take(50) {
        println!("MISMATCH {case}\n    interp vs jit: {what}");
    }
    assert!(
        summary.mismatches.is_empty(),
        "{} case(s) where the interpreter and the JIT differ",
        summary.mismatches.len()
    );
    assert_no_unexpected_failures(&summary, "the JIT and the interpreter");
}

#[test]
fn state_tests_pass_on_the_tiered_backend_while_codes_switch_tier() {
    let Some(dir) = fixtures() else {
        return;
    };
    let known = KnownFailures::bundled().expect("known-failures.txt parses");
    let files = discover(&[dir]).expect("fixture tree is readable");
    // One executor for every test thread, compiling each code after its
    // first frame in the background: frames switch tier whenever the
    // compiler thread delivers, inside transactions too. It is not niced:
    // the other tests of this file keep both cores busy, and a starved
    // compiler delivers too rarely to land in the middle of a transaction.
    let tiered = TieredExecutor::new(TieredConfig {
        threshold_gas: 1,
        worker_nice: 0,
        ..TieredConfig::default()
    })
    .expect("tiered executor starts");
    let shared = tiered.clone();
    let backend = move || -> Box<dyn Executor> { Box::new(shared.clone()) };
    let reports = run_files(&files, &backend, &RunOptions::default(), &|_| {});
    let mut summary = Summary::default();
    for report in &reports {
        summary.add(report, &known);
    }
    tiered.wait_idle();
    let stats = tiered.stats();
    println!("{}{stats:?}", summary.table());
    assert_no_unexpected_failures(&summary, "the tiered backend");
    assert_eq!(summary.skipped(), 0);
    // The point of the test: codes that became native while a transaction
    // ran them (compilations land within milliseconds; fixtures call the
    // same code hundreds of times in one transaction).
    assert!(stats.mid_transaction_switches > 0, "{stats:?}");
    assert!(tiered.failures().is_empty(), "{:?}", tiered.failures());
}

#[test]
fn fixture_state_roots_match_their_post_states() {
    // Checks the trie code on its own: the root of each post entry's
    // `state` must be its `hash`.
    let Some(dir) = fixtures() else {
        return;
    };
    let files = discover(&[dir.join("cancun")]).expect("fixture tree is readable");
    let mut checked = 0;
    for path in files.iter().take(200) {
        let text = std::fs::read(path).expect("readable");
        let file: cevm_statetest::model::TestFile =
            serde_json::from_slice(&text).expect("fixture parses");
        for case in file.values() {
            for entry in case.post.values().flatten() {
                let Some(state) = &entry.state else { continue };
                let root = cevm_statetest::roots::state_root(state.iter().map(|(a, acc)| {
                    (
                        *a,
                        cevm_statetest::roots::RootAccount {
                            nonce: u64::try_from(acc.nonce).expect("nonce fits"),
                            balance: acc.balance,
                            code_hash: cevm_runtime::primitives::keccak256(&acc.code),
                            storage: acc.storage.iter().map(|(k, v)| (*k, *v)).collect(),
                        },
                    )
                }));
                assert_eq!(root, entry.hash, "{}", path.display());
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
}

/// Prints the first failures not in `statetest/known-failures.txt` and
/// fails if there is any.
fn assert_no_unexpected_failures(summary: &Summary, backend: &str) {
    let unexpected: Vec<_> = summary.unexpected_failures().collect();
    for failure in unexpected.iter().take(50) {
        match &failure.case {
            Some(case) => println!("FAIL {case}\n    {}", failure.reason),
            None => println!("FAIL {}\n    {}", failure.file.display(), failure.reason),
        }
    }
    assert!(
        unexpected.is_empty(),
        "{} state-test failure(s) on {backend} not in statetest/known-failures.txt",
        unexpected.len()
    );
}
