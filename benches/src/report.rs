//! Printing the comparison: a table with ratios, a JSON array, and the
//! project's performance targets checked against one run.

use crate::suite::{Group, Row};
use cevm_statetest::workload::measure::format_ns;
use serde::Serialize;
use std::fmt::Write;

/// One row as JSON: times in nanoseconds, `null` where not applicable or
/// failed.
#[derive(Serialize)]
struct JsonRow<'a> {
    name: &'a str,
    code_bytes: Option<usize>,
    gas_used: Option<u64>,
    compile_ns: Option<u64>,
    jit_ns: Option<u64>,
    interp_ns: Option<u64>,
    revm_ns: Option<u64>,
}

/// The rows as a JSON array of
/// `{"name", "code_bytes", "gas_used", "compile_ns", "jit_ns", "interp_ns", "revm_ns"}`.
pub fn json(rows: &[Row]) -> String {
    let rows: Vec<JsonRow<'_>> = rows
        .iter()
        .map(|r| JsonRow {
            name: &r.name,
            code_bytes: r.code_bytes,
            gas_used: r.gas_used,
            compile_ns: r.compile_ns,
            jit_ns: r.jit_ns,
            interp_ns: r.interp_ns,
            revm_ns: r.revm_ns,
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|e| format!("error: {e}"))
}

/// `a / b` as a ratio, if both are known.
fn ratio(a: Option<u64>, b: Option<u64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    }
}

fn ratio_cell(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 100.0 => format!("{r:.0}x"),
        Some(r) if r >= 10.0 => format!("{r:.1}x"),
        Some(r) => format!("{r:.2}x"),
        None => "-".into(),
    }
}

fn time_cell(ns: Option<u64>) -> String {
    ns.map_or_else(|| "-".into(), format_ns)
}

/// The table: one line per row, a heading per group, then every problem.
/// `with_revm` adds the revm columns.
pub fn table(rows: &[Row], with_revm: bool) -> String {
    let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let mut out = String::new();
    let mut header = format!(
        "{:<name_width$} {:>6} {:>12} {:>10} {:>10} {:>10}",
        "name", "bytes", "gas", "compile", "jit", "interp"
    );
    if with_revm {
        let _ = write!(header, " {:>10} {:>9}", "revm", "revm/jit");
    }
    let _ = write!(header, " {:>10}", "interp/jit");
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "{}", "-".repeat(header.chars().count()));
    let mut group: Option<Group> = None;
    for r in rows {
        if r.group != group {
            if let Some(g) = r.group {
                let _ = writeln!(out, "# {}", g.title());
            }
            group = r.group;
        }
        let jit = if r.jit_failed {
            "FAILED".to_string()
        } else {
            time_cell(r.jit_ns)
        };
        let _ = write!(
            out,
            "{:<name_width$} {:>6} {:>12} {:>10} {:>10} {:>10}",
            r.name,
            r.code_bytes.map_or_else(|| "-".into(), |b| b.to_string()),
            r.gas_used.map_or_else(|| "-".into(), |g| g.to_string()),
            time_cell(r.compile_ns),
            jit,
            time_cell(r.interp_ns),
        );
        if with_revm {
            let _ = write!(
                out,
                " {:>10} {:>9}",
                time_cell(r.revm_ns),
                ratio_cell(ratio(r.revm_ns, r.jit_ns))
            );
        }
        let _ = writeln!(out, " {:>10}", ratio_cell(ratio(r.interp_ns, r.jit_ns)));
    }
    let problems: Vec<String> = rows
        .iter()
        .flat_map(|r| r.problems.iter().map(move |p| format!("{}: {p}", r.name)))
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\nproblems ({}):", problems.len());
        for p in problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    out
}

/// How one target fared.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetCheck {
    /// The target in words.
    pub target: String,
    /// What this run measured.
    pub measured: String,
    /// Met, not met, or not measured (`None`).
    pub met: Option<bool>,
}

fn row<'a>(rows: &'a [Row], name: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.name == name)
}

/// The project's performance targets, checked against this run's rows.
pub fn targets(rows: &[Row]) -> Vec<TargetCheck> {
    let mut out = Vec::new();
    let speedup = |name: &str, at_least: f64, label: &str| {
        let r = row(rows, name).and_then(|r| ratio(r.revm_ns, r.jit_ns));
        TargetCheck {
            target: format!("{label}: JIT at most 1/{at_least} of revm's time"),
            measured: r.map_or_else(|| "not measured".into(), |r| format!("revm/jit = {r:.1}x")),
            met: r.map(|r| r >= at_least),
        }
    };
    out.push(speedup(
        "fibonacci-calldata[n=100000]",
        40.0,
        "fibonacci (n = 100,000)",
    ));
    out.push(speedup(
        "factorial[n=100000]",
        11.0,
        "factorial (n = 100,000)",
    ));
    out.push(speedup(
        "snailtracer/benchmark",
        2.5,
        "snailtracer (evm-benchmarks)",
    ));
    out.push(speedup("snailtracer", 3.5, "snailtracer (revmc's)"));

    let compared: Vec<&Row> = rows.iter().filter(|r| r.revm_ns.is_some()).collect();
    let slower: Vec<String> = compared
        .iter()
        .filter(|r| r.jit_ns.is_none() || ratio(r.revm_ns, r.jit_ns).is_some_and(|x| x < 1.0))
        .map(|r| r.name.clone())
        .collect();
    out.push(TargetCheck {
        target: "no contract slower on the JIT than on revm".into(),
        measured: if slower.is_empty() {
            format!("all {} faster", compared.len())
        } else {
            format!("slower or failed: {}", slower.join(", "))
        },
        met: (!compared.is_empty()).then_some(slower.is_empty()),
    });

    let limit_ns = 150_000_000;
    let small: Vec<&Row> = rows
        .iter()
        .filter(|r| r.code_bytes.is_some_and(|b| b <= 24 * 1024))
        .collect();
    let over: Vec<String> = small
        .iter()
        .filter(|r| r.compile_ns.is_none_or(|ns| ns > limit_ns))
        .map(|r| r.name.clone())
        .collect();
    let slowest = small.iter().filter_map(|r| r.compile_ns).max();
    out.push(TargetCheck {
        target: "every contract up to 24 KiB (adversarial ones too) compiles in at most 150 ms"
            .into(),
        measured: if over.is_empty() {
            format!("slowest {}", time_cell(slowest))
        } else {
            format!("over or failed: {}", over.join(", "))
        },
        met: (!small.is_empty()).then_some(over.is_empty()),
    });

    out.push(short_transactions(rows));
    out.push(interpreter_geomean(rows));

    let jit = row(rows, "fibonacci-calldata[n=100000]").and_then(|r| r.jit_ns);
    let native = rows
        .iter()
        .find(|r| r.group == Some(Group::Native))
        .and_then(|r| r.jit_ns);
    let r = ratio(jit, native);
    out.push(TargetCheck {
        target: "fibonacci (n = 100,000) within 1.5x of native Rust".into(),
        measured: r.map_or_else(
            || "not measured".into(),
            |r| format!("jit/native = {r:.2}x"),
        ),
        met: r.map(|r| r <= 1.5),
    });
    out
}

/// Short transactions, where the cost around the code decides: the rows
/// whose JIT time must be at most 0.8x revm's.
pub const SHORT_TRANSACTIONS: [&str; 9] = [
    "tx/transfer",
    "tx/stop",
    "counter",
    "push0_proxy",
    "bswap64",
    "bswap64_opt",
    "weth",
    "storage_loop",
    "call_chain",
];

/// JIT at most 0.8x revm's time on every row of [`SHORT_TRANSACTIONS`].
fn short_transactions(rows: &[Row]) -> TargetCheck {
    let ratios: Vec<(&str, Option<f64>)> = SHORT_TRANSACTIONS
        .iter()
        .map(|&name| {
            (
                name,
                row(rows, name).and_then(|r| ratio(r.jit_ns, r.revm_ns)),
            )
        })
        .collect();
    let measured: Vec<f64> = ratios.iter().filter_map(|(_, r)| *r).collect();
    let over: Vec<String> = ratios
        .iter()
        .filter_map(|(name, r)| r.filter(|&r| r > 0.8).map(|r| format!("{name} {r:.2}")))
        .collect();
    TargetCheck {
        target: "short transactions: JIT at most 0.8x revm's time".into(),
        measured: if measured.is_empty() {
            "not measured".into()
        } else if over.is_empty() {
            let worst = measured.iter().copied().fold(0.0, f64::max);
            format!("worst jit/revm = {worst:.2}")
        } else {
            format!("jit/revm over 0.8: {}", over.join(", "))
        },
        met: (!measured.is_empty()).then_some(over.is_empty()),
    }
}

/// The interpreter within 1.5x of revm: geometric mean of interp/revm
/// over the evmone suite and revmc's contracts.
fn interpreter_geomean(rows: &[Row]) -> TargetCheck {
    let logs: Vec<f64> = rows
        .iter()
        .filter(|r| matches!(r.group, Some(Group::Evmone | Group::Revmc)))
        .filter_map(|r| ratio(r.interp_ns, r.revm_ns))
        .map(f64::ln)
        .collect();
    let mean = (!logs.is_empty()).then(|| (logs.iter().sum::<f64>() / logs.len() as f64).exp());
    TargetCheck {
        target: "interpreter within 1.5x of revm (geometric mean over evmone and revmc rows)"
            .into(),
        measured: mean.map_or_else(
            || "not measured".into(),
            |m| format!("interp/revm = {m:.2}x over {} rows", logs.len()),
        ),
        met: mean.map(|m| m <= 1.5),
    }
}

/// The target checks as text.
pub fn targets_text(checks: &[TargetCheck]) -> String {
    let mut out = String::from("targets (one run on this machine; informative, not a test):\n");
    for c in checks {
        let verdict = match c.met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "n/a",
        };
        let _ = writeln!(out, "  [{verdict:>7}] {} — {}", c.target, c.measured);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, jit: Option<u64>, revm: Option<u64>, compile: Option<u64>) -> Row {
        Row {
            name: name.into(),
            code_bytes: Some(100),
            jit_ns: jit,
            revm_ns: revm,
            interp_ns: Some(1_000),
            compile_ns: compile,
            ..Row::default()
        }
    }

    #[test]
    fn json_has_exactly_the_documented_keys_and_nulls() {
        let text = json(&[r("a", None, Some(5), Some(7))]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let obj = v[0].as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "code_bytes",
                "compile_ns",
                "gas_used",
                "interp_ns",
                "jit_ns",
                "name",
                "revm_ns"
            ]
        );
        // The text keeps the documented order.
        let name_at = text.find("\"name\"").unwrap();
        assert!(name_at < text.find("\"revm_ns\"").unwrap());
        assert!(obj["jit_ns"].is_null());
        assert_eq!(obj["revm_ns"], 5);
    }

    #[test]
    fn table_marks_failed_jit_and_prints_ratios() {
        let mut failed = r("broken", None, Some(50), None);
        failed.jit_failed = true;
        failed.problems.push("jit: compile error: x".into());
        let text = table(&[r("ok", Some(10), Some(50), Some(1)), failed], true);
        assert!(text.contains("FAILED"));
        assert!(text.contains("5.00x"), "{text}");
        assert!(text.contains("broken: jit: compile error: x"));
    }

    #[test]
    fn targets_follow_the_rows() {
        let mut rows = vec![
            r(
                "fibonacci-calldata[n=100000]",
                Some(10),
                Some(500),
                Some(1_000),
            ),
            r(
                "snailtracer/benchmark",
                Some(100),
                Some(150),
                Some(200_000_000),
            ),
        ];
        rows.push(Row {
            name: "native".into(),
            group: Some(Group::Native),
            jit_ns: Some(9),
            ..Row::default()
        });
        let checks = targets(&rows);
        let find = |s: &str| checks.iter().find(|c| c.target.starts_with(s)).unwrap().met;
        assert_eq!(find("fibonacci (n"), Some(true));
        assert_eq!(find("factorial"), None);
        assert_eq!(find("snailtracer (evm"), Some(false));
        assert_eq!(find("snailtracer (revmc"), None);
        assert_eq!(find("no contract"), Some(true));
        assert_eq!(find("every contract"), Some(false));
        assert_eq!(find("fibonacci (n = 100,000) within"), Some(true));
        assert_eq!(find("short transactions"), None);
        assert_eq!(find("interpreter within"), None);
    }

    #[test]
    fn short_transaction_and_interpreter_targets() {
        let mut rows = vec![
            r("tx/stop", Some(70), Some(100), None),
            r("counter", Some(90), Some(100), None),
        ];
        for (name, interp) in [("a", 200), ("b", 50)] {
            rows.push(Row {
                name: name.into(),
                group: Some(Group::Evmone),
                interp_ns: Some(interp),
                revm_ns: Some(100),
                ..Row::default()
            });
        }
        let checks = targets(&rows);
        let find = |s: &str| checks.iter().find(|c| c.target.starts_with(s)).unwrap();
        let short = find("short transactions");
        assert_eq!(short.met, Some(false));
        assert_eq!(short.measured, "jit/revm over 0.8: counter 0.90");
        // sqrt(2 * 0.5) = 1.
        let interp = find("interpreter within");
        assert_eq!(interp.met, Some(true));
        assert_eq!(interp.measured, "interp/revm = 1.00x over 2 rows");
    }
}
