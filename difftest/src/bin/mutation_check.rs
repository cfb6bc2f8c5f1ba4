//! `mutation-check`: measures the differential fuzzer with planted bugs.
//!
//! Each mutant of `difftest/mutants/` (see `cevm_difftest::mutants`) is
//! applied to a scratch copy of the repository, `cevm` is built there, and
//! `cevm fuzz` runs with a fixed seed and budget, stopping at the first
//! mismatch; then `cevm statetest --backend both` runs on the state tests.
//! One line per mutant says after how many programs the fuzzer caught it
//! and whether the state tests did; a markdown table follows. The working
//! tree is never changed: the scratch copy (and its target dir, so that
//! each mutant rebuilds incrementally) lives in `--scratch`.
//!
//! A mutant whose snippet no longer occurs exactly once is reported as
//! STALE, never skipped. The exit code is 1 if any mutant is stale, fails
//! to build, or survives the fuzzer, or if the unmutated baseline is not
//! clean.

use anyhow::{bail, Context, Result};
use cevm_difftest::mutants::{self, Mutant};
use clap::Parser;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Arguments.
#[derive(Parser)]
#[command(
    about = "Plants each mutant in a scratch copy, builds cevm, fuzzes it and runs the state tests"
)]
struct Args {
    /// The repository (its working tree is copied, never changed).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/.."))]
    repo: PathBuf,
    /// Scratch folder for the copy and its target dir, kept between runs
    /// (default: $TMPDIR/cevm-mutation-check).
    #[arg(long)]
    scratch: Option<PathBuf>,
    /// Campaign seed of `cevm fuzz`.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Programs `cevm fuzz` may run before a mutant counts as missed.
    #[arg(long, default_value_t = 2000)]
    count: u64,
    /// Forks `cevm fuzz` draws one from per program (comma-separated;
    /// default: Cancun, Prague and Osaka, the forks of the issue-16 score).
    #[arg(long, value_delimiter = ',')]
    spec: Vec<String>,
    /// Only these mutants (by name; repeatable).
    #[arg(long = "mutant")]
    only: Vec<String>,
    /// Do not run the state tests.
    #[arg(long)]
    no_statetests: bool,
    /// State tests (default: the shared fixtures, `../shared/fixtures/state_tests`).
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Only check that every mutant applies to the repository (no build).
    #[arg(long)]
    check: bool,
    /// Do not build and run the unmutated copy first.
    #[arg(long)]
    no_baseline: bool,
    /// Seconds one fuzz or state-test run may take.
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
    /// Also write the markdown table to this file.
    #[arg(long)]
    table: Option<PathBuf>,
}

/// One row of the report.
struct Row {
    name: String,
    kind: String,
    bug: String,
    fuzz: String,
    statetests: String,
    /// Whether the fuzzer caught it (for the exit code).
    caught: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let repo = args
        .repo
        .canonicalize()
        .with_context(|| format!("repository {}", args.repo.display()))?;
    let all = mutants::load_dir(&repo.join("difftest/mutants"))?;
    let selected: Vec<Mutant> = if args.only.is_empty() {
        all
    } else {
        for name in &args.only {
            if !all.iter().any(|m| &m.name == name) {
                bail!("no mutant named {name}");
            }
        }
        all.into_iter()
            .filter(|m| args.only.contains(&m.name))
            .collect()
    };
    if args.check {
        let mut stale = 0;
        for m in &selected {
            match m.check(&repo) {
                Ok(()) => println!("ok     {}", m.name),
                Err(e) => {
                    stale += 1;
                    println!("STALE  {e}");
                }
            }
        }
        println!("{} mutants, {stale} stale", selected.len());
        std::process::exit(i32::from(stale > 0));
    }

    let scratch = args
        .scratch
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("cevm-mutation-check"));
    let copy = scratch.join("repo");
    let fixtures = args
        .fixtures
        .clone()
        .unwrap_or_else(|| cevm_statetest::shared::shared_dir().join("fixtures/state_tests"));
    let run_statetests = !args.no_statetests;
    if run_statetests && !fixtures.exists() {
        bail!(
            "state tests not found at {} (pass --fixtures or --no-statetests)",
            fixtures.display()
        );
    }
    let started = Instant::now();
    println!("syncing {} -> {}", repo.display(), copy.display());
    sync_tree(&repo, &copy)?;
    let runner = Runner {
        args: &args,
        scratch: &scratch,
        copy: &copy,
        fixtures: &fixtures,
        run_statetests,
    };

    let mut rows = Vec::new();
    let mut baseline_clean = true;
    if !args.no_baseline {
        let row = runner.baseline()?;
        baseline_clean = row.caught;
        println!("{}", line(&row));
        rows.push(row);
    }
    for m in &selected {
        let row = runner.mutant(m)?;
        println!("{}", line(&row));
        rows.push(row);
    }
    let table = markdown(&rows, &args);
    println!("\n{table}");
    if let Some(path) = &args.table {
        std::fs::write(path, &table).with_context(|| format!("writing {}", path.display()))?;
    }
    let missed = rows
        .iter()
        .filter(|r| r.name != BASELINE && !r.caught)
        .count();
    println!(
        "{} mutants, {missed} not caught by the fuzzer; {:.0} s",
        selected.len(),
        started.elapsed().as_secs_f64()
    );
    std::process::exit(i32::from(missed > 0 || !baseline_clean));
}

/// Name of the unmutated row.
const BASELINE: &str = "(none: baseline)";

struct Runner<'a> {
    args: &'a Args,
    scratch: &'a Path,
    copy: &'a Path,
    fixtures: &'a Path,
    run_statetests: bool,
}

impl Runner<'_> {
    /// The unmutated copy: must build, fuzz clean and pass the state tests
    /// (`caught` is true when it is clean).
    fn baseline(&self) -> Result<Row> {
        let mut row = Row {
            name: BASELINE.into(),
            kind: "-".into(),
            bug: "the unmutated code".into(),
            fuzz: String::new(),
            statetests: String::new(),
            caught: false,
        };
        if let Err(e) = self.build() {
            row.fuzz = format!("BUILD FAILED: {e}");
            return Ok(row);
        }
        let fuzz = self.fuzz(BASELINE)?;
        row.caught = fuzz.first_failure.is_none() && fuzz.note.is_empty();
        row.fuzz = if row.caught {
            format!("clean: 0 mismatches in {}", fuzz.programs)
        } else {
            format!("NOT CLEAN: {}", fuzz.describe(self.args.count))
        };
        if self.run_statetests {
            let st = self.statetests()?;
            row.caught &= st.differ == 0;
            row.statetests = st.describe();
        }
        Ok(row)
    }

    fn mutant(&self, m: &Mutant) -> Result<Row> {
        let mut row = Row {
            name: m.name.clone(),
            kind: m.kind.clone(),
            bug: m.bug.clone(),
            fuzz: String::new(),
            statetests: String::new(),
            caught: false,
        };
        let original = match m.apply(self.copy) {
            Ok(original) => original,
            Err(e) => {
                row.fuzz = format!("STALE: {e}");
                return Ok(row);
            }
        };
        let result = self.measure(m, &mut row);
        mutants::restore(m, self.copy, &original)?;
        result?;
        Ok(row)
    }

    fn measure(&self, m: &Mutant, row: &mut Row) -> Result<()> {
        if let Err(e) = self.build() {
            row.fuzz = format!("BUILD FAILED: {e}");
            return Ok(());
        }
        let fuzz = self.fuzz(&m.name)?;
        row.caught = fuzz.first_failure.is_some() || !fuzz.note.is_empty();
        row.fuzz = fuzz.describe(self.args.count);
        if self.run_statetests {
            row.statetests = self.statetests()?.describe();
        }
        Ok(())
    }

    fn build(&self) -> Result<()> {
        let log = self.scratch.join("build.log");
        let out = std::fs::File::create(&log)?;
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "cevm"])
            .current_dir(self.copy)
            .env("CARGO_TARGET_DIR", self.scratch.join("target"))
            // Only the fuzzer's speed matters here, not the code's: no debug
            // info, and incremental builds, so that a mutant rebuilds fast.
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
            .stdout(Stdio::null())
            .stderr(out)
            .status()
            .context("running cargo")?;
        if status.success() {
            return Ok(());
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let first_error = text
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("see build.log");
        bail!("{first_error}")
    }

    fn cevm(&self) -> PathBuf {
        self.scratch.join("target/release/cevm")
    }

    fn fuzz(&self, name: &str) -> Result<FuzzResult> {
        let mut cmd = Command::new(self.cevm());
        cmd.arg("fuzz")
            .args(["--seed", &self.args.seed.to_string()])
            .args(["--count", &self.args.count.to_string()])
            .args(["--stop-on-first", "--no-minimize", "--json", "--out"])
            .arg(self.scratch.join("findings").join(sanitize(name)));
        cmd.args(["--spec", &specs(self.args)]);
        let (status, stdout) = run_with_timeout(cmd, Duration::from_secs(self.args.timeout))?;
        let mut result = FuzzResult::default();
        let Some(status) = status else {
            result.note = "timed out".into();
            return Ok(result);
        };
        if status.code().is_none() {
            result.note = format!("crashed ({status})");
            return Ok(result);
        }
        let Some(summary) = last_json(&stdout) else {
            result.note = format!("no summary ({status})");
            return Ok(result);
        };
        result.programs = summary["programs"].as_u64().unwrap_or(0);
        result.first_failure = summary["first_failure"].as_u64();
        result.panics = summary["panics"].as_u64().unwrap_or(0);
        // The first difference printed under the first MISMATCH line.
        let mut lines = stdout.lines();
        while let Some(l) = lines.next() {
            if l.starts_with("MISMATCH") {
                result.fork = l
                    .split(" under ")
                    .nth(1)
                    .and_then(|r| r.split(' ').next())
                    .unwrap_or("")
                    .to_string();
                if let Some(d) = lines.next() {
                    result.field = d.trim().split(':').next().unwrap_or("").to_string();
                }
                break;
            }
        }
        Ok(result)
    }

    fn statetests(&self) -> Result<StateTestResult> {
        let mut cmd = Command::new(self.cevm());
        cmd.arg("statetest")
            .arg(self.fixtures)
            .args(["--backend", "both", "--json"]);
        let (status, stdout) = run_with_timeout(cmd, Duration::from_secs(self.args.timeout))?;
        let mut result = StateTestResult::default();
        if status.is_none_or(|s| s.code().is_none()) {
            result.note = if status.is_none() {
                "timed out".into()
            } else {
                "crashed".into()
            };
            result.differ = 1;
            return Ok(result);
        }
        let Some(summary) = last_json(&stdout) else {
            result.note = "no summary".into();
            return Ok(result);
        };
        result.differ = summary["mismatches"].as_u64().unwrap_or(0);
        result.failed = summary["failed"].as_u64().unwrap_or(0);
        result.total = summary["total"].as_u64().unwrap_or(0);
        Ok(result)
    }
}

#[derive(Default)]
struct FuzzResult {
    programs: u64,
    first_failure: Option<u64>,
    panics: u64,
    field: String,
    fork: String,
    /// Timeout, crash or missing summary.
    note: String,
}

impl FuzzResult {
    fn describe(&self, budget: u64) -> String {
        if !self.note.is_empty() {
            return self.note.clone();
        }
        match self.first_failure {
            Some(i) if !self.field.is_empty() => {
                format!("caught after {} ({}, {})", i + 1, self.field, self.fork)
            }
            Some(i) if self.panics > 0 => format!("caught after {} (panic)", i + 1),
            Some(i) => format!("caught after {}", i + 1),
            None => format!("NOT CAUGHT in {} of {budget}", self.programs),
        }
    }
}

#[derive(Default)]
struct StateTestResult {
    differ: u64,
    failed: u64,
    total: u64,
    note: String,
}

impl StateTestResult {
    fn describe(&self) -> String {
        if !self.note.is_empty() {
            return self.note.clone();
        }
        if self.differ > 0 || self.failed > 0 {
            format!(
                "yes: {} of {} cases differ",
                self.differ.max(self.failed),
                self.total
            )
        } else {
            format!("no (0 of {})", self.total)
        }
    }
}

/// Runs `cmd` capturing stdout; `None` as status if it ran past `timeout`
/// (it is then killed).
fn run_with_timeout(
    mut cmd: Command,
    timeout: Duration,
) -> Result<(Option<std::process::ExitStatus>, String)> {
    let dir = std::env::temp_dir();
    let out_path = dir.join(format!("cevm-mutation-check-{}.out", std::process::id()));
    let out = std::fs::File::create(&out_path)?;
    let mut child = cmd
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .context("starting cevm")?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > timeout {
            child.kill()?;
            child.wait()?;
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    Ok((status, stdout))
}

/// Copies the tracked and untracked-but-not-ignored files of `repo` into
/// `copy`, writing only files whose content differs (unchanged files keep
/// their timestamps, so the copy's builds stay incremental), and removes
/// the files an earlier sync copied that the repository no longer has.
fn sync_tree(repo: &Path, copy: &Path) -> Result<()> {
    let listing = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(repo)
        .output()
        .context("running git ls-files (the repository must be a git checkout)")?;
    if !listing.status.success() {
        bail!("git ls-files failed in {}", repo.display());
    }
    // The names synced last time: files the repository no longer has are
    // removed from the copy (a module moved from `x.rs` to `x/mod.rs`
    // otherwise leaves both, and the copy stops building).
    let manifest = copy.join(".mutation-check-files");
    let previous = std::fs::read_to_string(&manifest).unwrap_or_default();
    let mut synced = std::collections::BTreeSet::new();
    for name in listing.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).context("non-UTF-8 file name")?;
        let from = repo.join(name);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        synced.insert(name);
        let to = copy.join(name);
        let content = std::fs::read(&from)?;
        if std::fs::read(&to).ok().as_deref() == Some(content.as_slice()) {
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&to, content).with_context(|| format!("writing {}", to.display()))?;
    }
    for gone in previous.lines().filter(|n| !synced.contains(n)) {
        let path = copy.join(gone);
        if path.is_file() {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    let list: Vec<&str> = synced.into_iter().collect();
    std::fs::write(&manifest, list.join("\n"))
        .with_context(|| format!("writing {}", manifest.display()))?;
    Ok(())
}

/// The last line of `stdout` that parses as JSON (the `--json` summary).
fn last_json(stdout: &str) -> Option<Value> {
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn line(row: &Row) -> String {
    let st = if row.statetests.is_empty() {
        String::new()
    } else {
        format!("; state tests: {}", row.statetests)
    };
    format!("{:<26} fuzz: {}{st}", row.name, row.fuzz)
}

/// The forks of the fuzz runs, as `cevm fuzz --spec` takes them.
fn specs(args: &Args) -> String {
    if args.spec.is_empty() {
        DEFAULT_SPECS.to_string()
    } else {
        args.spec.join(",")
    }
}

/// Forks fuzzed unless `--spec` says otherwise: `cevm fuzz` itself draws
/// from every fork, but the score is kept for the three newest, where
/// every opcode a mutant breaks exists.
const DEFAULT_SPECS: &str = "cancun,prague,osaka";

fn markdown(rows: &[Row], args: &Args) -> String {
    let specs = specs(args);
    let mut out = format!(
        "`cevm fuzz --seed {} --count {} --spec {specs} --stop-on-first`; state tests: `cevm statetest <fixtures> --backend both`\n\n",
        args.seed, args.count
    );
    out += "| mutant | kind | bug | caught by fuzz after N programs | caught by state tests |\n|---|---|---|---|---|\n";
    for r in rows {
        let st = if r.statetests.is_empty() {
            "not run"
        } else {
            &r.statetests
        };
        out += &format!(
            "| {} | {} | {} | {} | {} |\n",
            r.name, r.kind, r.bug, r.fuzz, st
        );
    }
    out
}
