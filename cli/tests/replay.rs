//! `cevm replay` end to end: the JSON line on every backend, and two
//! processes sharing one cache directory (then a third finding everything
//! compiled). Small streams: the point is the behaviour, not the timing.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A small stream: a few dozen codes, a few hundred transactions.
const SMALL: [&str; 6] = ["--transactions", "300", "--codes", "40", "--seed", "7"];

fn replay(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cevm"));
    command.arg("replay").args(SMALL).args(args).arg("--json");
    command
}

/// The JSON line `cevm replay --json` ends with.
fn last_json_line(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "cevm replay failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().expect("some output");
    serde_json::from_str(line).expect("the last line is JSON")
}

fn run(args: &[&str]) -> Value {
    last_json_line(&replay(args).output().expect("cevm runs"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cevm-replay-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn field(json: &Value, name: &str) -> u64 {
    json[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} missing in {json}"))
}

#[test]
fn every_backend_agrees_with_the_interpreter_and_reports_its_compilations() {
    for backend in ["interp", "jit", "tiered"] {
        let mut args = vec!["--backend", backend];
        if backend == "tiered" {
            args.extend(["--threshold", "1"]);
        }
        let json = run(&args);
        assert_eq!(json["backend"], backend);
        assert_eq!(field(&json, "transactions"), 300);
        assert_eq!(field(&json, "mismatches"), 0, "{json}");
        for name in ["total_ns", "p50_ns", "p99_ns"] {
            assert!(field(&json, name) > 0, "{json}");
        }
        assert!(field(&json, "p50_ns") <= field(&json, "p99_ns"));
        let (compiles, blocking) = (field(&json, "compiles"), field(&json, "compiles_blocking"));
        match backend {
            "interp" => assert_eq!((compiles, blocking), (0, 0)),
            // Every code called is compiled, on the executing thread.
            "jit" => {
                assert_eq!(blocking, compiles);
                assert!(compiles >= field(&json, "codes_called"), "{json}");
            }
            // Compiled in the background, never blocking (whether any
            // compilation lands before this short stream ends depends on
            // the machine's load: native frames are checked with a cache).
            _ => {
                assert_eq!(blocking, 0, "{json}");
                assert!(compiles > 0, "{json}");
            }
        }
    }
}

/// `cevm replay` on the tiered backend with the cache in `dir`, compiling
/// every code after its first frame.
fn tiered_with_cache(dir: &Path) -> Command {
    replay(&[
        "--backend",
        "tiered",
        "--threshold",
        "1",
        "--cache-dir",
        dir.to_str().expect("utf-8 path"),
    ])
}

fn spawn(dir: &Path) -> Child {
    tiered_with_cache(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cevm runs")
}

#[test]
fn two_processes_share_a_cache_directory_and_a_third_compiles_nothing() {
    let dir = scratch("shared");
    // The same stream in both, so that they build the same entries at the
    // same time.
    let children = [spawn(&dir), spawn(&dir)];
    for child in children {
        let json = last_json_line(&child.wait_with_output().expect("cevm ends"));
        assert_eq!(field(&json, "mismatches"), 0, "{json}");
        assert_eq!(field(&json, "compiles_blocking"), 0, "{json}");
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the cache directory exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.is_empty());
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".so") && !n.starts_with('.')),
        "temporary files left: {names:?}"
    );
    let third = last_json_line(&tiered_with_cache(&dir).output().expect("cevm runs"));
    assert_eq!(field(&third, "mismatches"), 0, "{third}");
    assert_eq!(field(&third, "compiles"), 0, "{third}");
    assert!(field(&third, "native_frames") > 0, "{third}");
    assert_eq!(
        field(&third, "cache_loads") as usize,
        names.len(),
        "{third}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_replay_options_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_cevm"))
        .args(["replay", "--backend", "jit", "--cache-dir", "/tmp/x"])
        .output()
        .expect("cevm runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("need --backend tiered"));
    let out = Command::new(env!("CARGO_BIN_EXE_cevm"))
        .args(["replay", "--codes", "0"])
        .output()
        .expect("cevm runs");
    assert_eq!(out.status.code(), Some(2));
}
