//! A third opinion: the reference interpreter against revm on generated
//! programs, so that a bug shared by both of cevm's backends still shows
//! up. Runs `CEVM_REVM_COUNT` programs (default 2,000 in release builds,
//! 200 in debug) from `CEVM_FUZZ_SEED`, each under Cancun, Prague and Osaka.

mod common;

use cevm_difftest::{differences, run_reference, scenario_for};
use cevm_runtime::SpecId;
use common::revm_backend::observe_revm;
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

#[test]
fn interpreter_agrees_with_revm() {
    let seed = common::seed();
    let count = common::program_count("CEVM_REVM_COUNT", 2000);
    let started = std::time::Instant::now();
    // Runs that changed storage or logged and kept it: the comparison saw
    // real work, not only failed transactions.
    let effective = AtomicU64::new(0);
    let effective_ref = &effective;
    let failures: Vec<String> = (0..count)
        .into_par_iter()
        .flat_map_iter(|index| {
            let scenario = scenario_for(seed, index);
            SpecId::SUPPORTED.into_iter().filter_map(move |spec| {
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
            })
        })
        .collect();
    let effective = effective.load(Ordering::Relaxed);
    println!(
        "{count} programs x 3 forks against revm in {:.1}s: {effective} successful runs with storage or logs, {} differences",
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        effective * 10 >= count * 3,
        "only {effective} of {} runs did observable work",
        count * 3
    );
    assert!(
        failures.is_empty(),
        "{} of {} runs differ from revm:\n{}",
        failures.len(),
        count * 3,
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
