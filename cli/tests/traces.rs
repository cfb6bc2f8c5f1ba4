//! `cevm statetest --trace` against `cevm run --trace`: the transaction
//! frame of a state test (`VMTests/vmArithmeticTest/twoOps`, Cancun, from
//! the shared material) traces the same opcodes, gas, costs and stacks as
//! the same code run as a message call with the same gas; the case ends
//! with its summary and `{"stateRoot": ...}` lines.
//!
//! Without the shared material the test says so and passes, except under
//! `CI=true`.

use serde_json::Value;
use std::process::Command;

const FIXTURE: &str =
    "fixtures/state_tests/static/state_tests/VMTests/vmArithmeticTest/twoOps.json";

fn lines(text: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// The fields both traces must agree on.
fn step(line: &Value) -> [&Value; 5] {
    ["pc", "opName", "gas", "gasCost", "stack"].map(|key| &line[key])
}

#[test]
fn statetest_trace_agrees_with_run_trace() {
    let Some(path) = cevm_statetest::shared::require(FIXTURE, "statetest --trace") else {
        return;
    };
    let cevm = env!("CARGO_BIN_EXE_cevm");
    let out = Command::new(cevm)
        .args(["statetest", "--trace", "--fork", "cancun"])
        .arg(&path)
        .output()
        .expect("cevm runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let traced = lines(&out.stderr);
    let steps: Vec<&Value> = traced.iter().filter(|l| l.get("pc").is_some()).collect();
    let n = traced.len();
    assert_eq!(traced[n - 2]["pass"], true);
    assert!(traced[n - 1]["stateRoot"]
        .as_str()
        .unwrap()
        .starts_with("0x"));
    assert_eq!(steps.len(), n - 2, "one case: steps, summary, state root");

    let text = std::fs::read_to_string(&path).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let case = json.as_object().and_then(|o| o.values().next()).unwrap();
    let to = case["transaction"]["to"].as_str().unwrap();
    let code = case["pre"][to]["code"].as_str().unwrap();
    let data = case["transaction"]["data"][0].as_str().unwrap();
    let gas = u64::from_str_radix(
        steps[0]["gas"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    let out = Command::new(cevm)
        .args(["run", code, "--trace", "--spec", "cancun", "--input", data])
        .args(["--gas", &gas.to_string()])
        .output()
        .expect("cevm runs");
    let run = lines(&out.stderr);
    let run_steps: Vec<&Value> = run.iter().filter(|l| l.get("pc").is_some()).collect();
    assert_eq!(run_steps.len(), steps.len());
    for (i, (a, b)) in steps.iter().zip(&run_steps).enumerate() {
        assert_eq!(step(a), step(b), "step {i}");
    }
}
