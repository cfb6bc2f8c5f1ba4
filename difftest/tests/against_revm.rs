//! A third opinion: the reference interpreter against revm on generated
//! programs, so that a bug shared by both of cevm's backends still shows
//! up. Runs `CEVM_REVM_COUNT` programs (default 4,000 in release builds,
//! 400 in debug) from `CEVM_FUZZ_SEED`, each under a fork drawn uniformly
//! from Frontier to Osaka (Constantinople excepted: revm does not have it).

mod common;

use cevm_difftest::campaign::spec_for;
use cevm_difftest::{differences, run_reference, scenario_in_fork};
use common::revm_backend::{observe_revm, revm_forks};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

#[test]
fn interpreter_agrees_with_revm() {
    let seed = common::seed();
    let count = common::program_count("CEVM_REVM_COUNT", 4000);
    let forks = revm_forks();
    let forks = &forks;
    let started = std::time::Instant::now();
    // Runs that changed storage or logged and kept it: the comparison saw
    // real work, not only failed transactions.
    let effective = AtomicU64::new(0);
    let effective_ref = &effective;
    let failures: Vec<String> = (0..count)
        .into_par_iter()
        .filter_map(|index| {
            let spec = spec_for(seed, index, forks)?;
            let scenario = scenario_in_fork(seed, index, spec);
            {
                let ours = match run_reference(&scenario, spec) {
                    Ok(o) => o,
                    Err(e) => return Some(format!("program {index} {spec}: {e}")),
                };
                let theirs = match observe_revm(&scenario, spec) {
                    Ok(o) => o,
                    Err(e) => return Some(format!("program {index} {spec}: revm: {e}")),
                };
                let touched_storage = ours
                    .accounts
                    .values()
                    .any(|a| !a.storage.is_empty() && !a.code.is_empty());
                if ours.class == cevm_difftest::StatusClass::Success
                    && (touched_storage || !ours.logs.is_empty())
                {
                    effective_ref.fetch_add(1, Ordering::Relaxed);
                }
                let diffs = differences("interpreter", &ours, "revm", &theirs);
                if diffs.is_empty() {
                    return None;
                }
                let lines: Vec<String> = diffs.iter().map(|d| format!("    {d}")).collect();
                Some(format!(
                    "program {index} (seed {seed}) under {spec}:\n{}\n    code of contract 0: 0x{}",
                    lines.join("\n"),
                    cevm_difftest::program::hex(&scenario.contracts[0].program.assemble())
                ))
            }
        })
        .collect();
    let effective = effective.load(Ordering::Relaxed);
    println!(
        "{count} programs (forks drawn from {}) against revm in {:.1}s: {effective} successful runs with storage or logs, {} differences",
        forks.len(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        effective * 10 >= count,
        "only {effective} of {count} runs did observable work"
    );
    assert!(
        failures.is_empty(),
        "{} of {count} runs differ from revm:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
