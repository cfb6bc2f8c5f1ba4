//! The bounded differential test: generated programs on the compiled
//! backend and the reference interpreter, each under a fork drawn uniformly
//! from Frontier to Osaka, everything observable compared. Runs
//! `CEVM_FUZZ_COUNT` programs (default 4,000 in release builds, 400 in
//! debug) from `CEVM_FUZZ_SEED`; a mismatch
//! is minimized and printed with its reproducer (state-test JSON).

mod common;

use cevm_difftest::campaign::minimize_mismatch;
use cevm_difftest::differential::reproducer_json;
use cevm_difftest::{run_campaign, CampaignConfig, Candidate};
use cevm_runtime::SpecId;

#[test]
fn jit_agrees_with_interpreter() {
    let config = CampaignConfig {
        seed: common::seed(),
        start: 0,
        count: common::program_count("CEVM_FUZZ_COUNT", 4000),
        specs: SpecId::SUPPORTED.to_vec(),
        out_dir: None,
        minimize: false,
        candidate: Candidate::Jit,
        stop_on_first: false,
    };
    let report = run_campaign(&config, &|| {});
    println!(
        "{} programs drawn over {} forks in {:.1}s: {} mismatches, {} panics, {} errors",
        report.programs,
        config.specs.len(),
        report.seconds,
        report.mismatches.len(),
        report.panics.len(),
        report.errors.len()
    );
    let mut text = String::new();
    // Minimize only the first few: each takes up to the minimizer's budget.
    for finding in report.mismatches.iter().take(3) {
        let small = minimize_mismatch(&finding.mismatch);
        let name = format!("fuzz_{}_{}", config.seed, finding.index);
        let json = reproducer_json(&name, &small, "jit_agrees_with_interpreter");
        text += &format!(
            "\nprogram {} under {}:\n  {}\nreproducer:\n{}\n",
            finding.index,
            small.spec,
            small
                .differences
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n  "),
            serde_json::to_string(&json).unwrap_or_default()
        );
    }
    for p in report.panics.iter().chain(&report.errors).take(5) {
        text += &format!("\nprogram {}: {}\n", p.index, p.message);
    }
    assert!(
        report.mismatches.is_empty() && report.panics.is_empty() && report.errors.is_empty(),
        "{} mismatches, {} panics, {} errors{text}",
        report.mismatches.len(),
        report.panics.len(),
        report.errors.len()
    );
}
