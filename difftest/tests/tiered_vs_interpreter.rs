//! The bounded differential test of the tiered executor: generated programs
//! on the interpreter and on the tiered executor, whose codes switch from
//! the interpreter to native code between frames of one transaction (see
//! `cevm_difftest::compare_tiered`), under forks drawn from Frontier to
//! Osaka. Runs `CEVM_TIERED_FUZZ_COUNT` programs (default 1,000 in release
//! builds, 100 in debug) from `CEVM_FUZZ_SEED`.

mod common;

use cevm_difftest::{run_campaign, CampaignConfig, Candidate};
use cevm_runtime::SpecId;

#[test]
fn tiered_executor_agrees_with_interpreter_across_tier_switches() {
    let config = CampaignConfig {
        seed: common::seed(),
        start: 0,
        count: common::program_count("CEVM_TIERED_FUZZ_COUNT", 1000),
        specs: SpecId::SUPPORTED.to_vec(),
        out_dir: None,
        minimize: false,
        stop_on_first: false,
        candidate: Candidate::Tiered,
    };
    let report = run_campaign(&config, &|| {});
    println!(
        "{} programs in {:.1}s: {} switched tier inside their transaction ({} native frames \
         after an interpreted one), {} mismatches, {} panics, {} errors",
        report.programs,
        report.seconds,
        report.programs_switching,
        report.tier_switches,
        report.mismatches.len(),
        report.panics.len(),
        report.errors.len()
    );
    let mut text = String::new();
    for finding in report.mismatches.iter().take(3) {
        text += &format!(
            "\nprogram {} under {}: {}",
            finding.index,
            finding.mismatch.spec,
            finding
                .mismatch
                .differences
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    for p in report.panics.iter().chain(&report.errors).take(5) {
        text += &format!("\nprogram {}: {}", p.index, p.message);
    }
    assert!(
        report.mismatches.is_empty() && report.panics.is_empty() && report.errors.is_empty(),
        "{} mismatches, {} panics, {} errors (reproduce with cevm fuzz --backend tiered){text}",
        report.mismatches.len(),
        report.panics.len(),
        report.errors.len()
    );
    // The point of this test: transactions that switch tier midway.
    assert!(
        report.programs_switching * 20 >= report.programs,
        "only {} of {} programs switched tier inside their transaction",
        report.programs_switching,
        report.programs
    );
}
