//! `cevm fuzz`: differential fuzzing of the compiled backend (the JIT or
//! the tiered executor) against the reference interpreter on generated
//! programs.

use anyhow::Result;
use cevm_difftest::{run_campaign, CampaignConfig, CampaignReport, Candidate};
use cevm_runtime::SpecId;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cevm fuzz`.
#[derive(clap::Args)]
pub struct FuzzArgs {
    /// Campaign seed; program `i` is generated from (seed, i), so a finding
    /// reproduces with `--seed S --start i --count 1`.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of programs.
    #[arg(long, default_value_t = 1000)]
    count: u64,
    /// Index of the first program.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Forks to draw from (comma-separated; default every fork from
    /// Frontier to Osaka): each program runs under one, drawn uniformly.
    #[arg(long, value_delimiter = ',')]
    spec: Vec<String>,
    /// Folder for reproducers (state-test JSON, one per mismatch).
    #[arg(long, default_value = "fuzz-findings")]
    out: PathBuf,
    /// Report mismatches as found, without shrinking them first.
    #[arg(long)]
    no_minimize: bool,
    /// The backend checked against the interpreter: `jit` (every frame
    /// compiled) or `tiered` (codes switch from the interpreter to native
    /// code between frames of a transaction, at thresholds drawn per
    /// program).
    #[arg(long, value_enum, default_value = "jit")]
    backend: FuzzBackend,
    /// Stop at the first mismatch or panic: programs run in chunks, in
    /// order, and the campaign ends after the first chunk with a failure
    /// (`first_failure` is then the lowest failing index; the mutation
    /// check uses it).
    #[arg(long)]
    stop_on_first: bool,
    /// End stdout with one JSON summary line.
    #[arg(long)]
    json: bool,
}

/// `--backend` of `cevm fuzz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FuzzBackend {
    /// The JIT.
    Jit,
    /// The tiered executor.
    Tiered,
}

#[derive(serde::Serialize)]
struct JsonSummary {
    programs: u64,
    mismatches: usize,
    panics: usize,
    errors: usize,
    /// Lowest index of a failing program (with `--stop-on-first`: the
    /// program after which the campaign stopped).
    first_failure: Option<u64>,
    seconds: f64,
    /// With `--backend tiered`: programs whose transaction switched tier.
    #[serde(skip_serializing_if = "Option::is_none")]
    programs_switching: Option<u64>,
    programs_per_second: f64,
}

fn parse_specs(names: &[String]) -> Result<Vec<SpecId>> {
    if names.is_empty() {
        return Ok(SpecId::SUPPORTED.to_vec());
    }
    let mut specs = Vec::new();
    for name in names {
        let spec: SpecId = name.trim().parse()?;
        if !specs.contains(&spec) {
            specs.push(spec);
        }
    }
    Ok(specs)
}

fn print_report(report: &CampaignReport) {
    for finding in &report.mismatches {
        let m = &finding.mismatch;
        println!(
            "MISMATCH program {} under {} ({} items after minimizing)",
            finding.index,
            m.spec,
            m.scenario.size()
        );
        for d in &m.differences {
            println!("    {d}");
        }
        if let Some(path) = &finding.file {
            println!("    reproducer: {}", path.display());
        }
    }
    for panic in &report.panics {
        println!("PANIC program {}: {}", panic.index, panic.message);
    }
    for error in &report.errors {
        println!("ERROR program {}: {}", error.index, error.message);
    }
    println!(
        "{} programs, {} mismatches, {} panics, {} errors in {:.1}s ({:.0} programs/s)",
        report.programs,
        report.mismatches.len(),
        report.panics.len(),
        report.errors.len(),
        report.seconds,
        report.programs as f64 / report.seconds.max(1e-9)
    );
}

/// Runs the campaign; exit code 1 on any mismatch, panic or error.
pub fn run(args: FuzzArgs) -> Result<ExitCode> {
    let config = CampaignConfig {
        seed: args.seed,
        start: args.start,
        count: args.count,
        specs: parse_specs(&args.spec)?,
        out_dir: Some(args.out.clone()),
        minimize: !args.no_minimize,
        candidate: match args.backend {
            FuzzBackend::Jit => Candidate::Jit,
            FuzzBackend::Tiered => Candidate::Tiered,
        },
        stop_on_first: args.stop_on_first,
    };
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(args.count);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {pos}/{len} programs {elapsed_precise} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let on_done = || {
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    };
    let report = run_campaign(&config, &on_done);
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    print_report(&report);
    let tiered = args.backend == FuzzBackend::Tiered;
    if tiered {
        println!(
            "{} programs switched tier inside their transaction ({} native frames after an \
             interpreted one of the same code)",
            report.programs_switching, report.tier_switches
        );
    }
    if args.json {
        let summary = JsonSummary {
            programs: report.programs,
            mismatches: report.mismatches.len(),
            panics: report.panics.len(),
            errors: report.errors.len(),
            first_failure: report.first_failure,
            seconds: report.seconds,
            programs_switching: tiered.then_some(report.programs_switching),
            programs_per_second: report.programs as f64 / report.seconds.max(1e-9),
        };
        println!("{}", serde_json::to_string(&summary)?);
    }
    let clean =
        report.mismatches.is_empty() && report.panics.is_empty() && report.errors.is_empty();
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_default_to_every_fork_and_reject_unknown_names() {
        assert_eq!(parse_specs(&[]).unwrap(), SpecId::SUPPORTED.to_vec());
        let names = vec![
            "osaka".to_string(),
            "Cancun".to_string(),
            "osaka".to_string(),
        ];
        assert_eq!(
            parse_specs(&names).unwrap(),
            vec![SpecId::Osaka, SpecId::Cancun]
        );
        assert_eq!(
            parse_specs(&["EIP150".to_string()]).unwrap(),
            vec![SpecId::TangerineWhistle]
        );
        assert!(parse_specs(&["amsterdam".to_string()]).is_err());
    }
}
