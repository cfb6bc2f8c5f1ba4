//! `cevm run --json` on the fibonacci benchmark contract
//! (`benchmarks/contracts/fibonacci-calldata.json` in the shared material):
//! run as a message call with the transaction's call data (n = 1000), it
//! must return the 1000th Fibonacci number modulo 2^256 (counting the
//! sequence 1, 1, 2, 3, ... from 0, as the contract does) and use exactly
//! 63,051 gas (the transaction's 84,203 less 21,000 intrinsic and 152
//! call-data gas).
//!
//! The shared material is found by `cevm_statetest::shared::require`:
//! without it the test says so and passes, except under `CI=true`.

use cevm_runtime::U256;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The contract's code and the transaction's call data, as hex.
fn load(path: &Path) -> (String, String) {
    let text = std::fs::read_to_string(path).expect("fixture is readable");
    let json: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let case = json
        .as_object()
        .and_then(|o| o.values().next())
        .expect("one case");
    let contract = "0xcccccccccccccccccccccccccccccccccccccccc";
    let code = case["pre"][contract]["code"]
        .as_str()
        .expect("contract code");
    // Either state-test style (`transaction.data[0]`) or a list of transactions.
    let tx = &case["transaction"];
    let data = tx["data"][0]
        .as_str()
        .or_else(|| tx[0]["data"].as_str())
        .expect("transaction data");
    (code.to_string(), data.to_string())
}

/// F(n) modulo 2^256 with F(0) = 0, F(1) = 1, by wrapping additions.
fn fibonacci(n: u64) -> U256 {
    let (mut a, mut b) = (U256::ZERO, U256::from(1));
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}

fn cevm_run_json(backend: &str, code: &str, input: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cevm"))
        .args([
            "run",
            code,
            "--input",
            input,
            "--json",
            "--backend",
            backend,
        ])
        .output()
        .expect("cevm runs");
    assert!(
        out.status.success(),
        "cevm run failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cevm run --json prints JSON")
}

fn output_word(result: &Value) -> U256 {
    let hex = result["output"].as_str().expect("output is a string");
    hex.parse().expect("output is 0x-hex")
}

#[test]
fn cevm_run_json_computes_fibonacci_1000_with_exact_gas_on_both_backends() {
    let Some(path) = cevm_statetest::shared::require(
        "benchmarks/contracts/fibonacci-calldata.json",
        "cevm_run_json_computes_fibonacci_1000_with_exact_gas_on_both_backends",
    ) else {
        return;
    };
    let (code, input) = load(&path);

    for backend in ["interp", "jit"] {
        // The contract starts from (0, 1) and returns the second of the pair
        // after n steps: for n = 0, 1, 2, 3 it returns 1, 1, 2, 3, the
        // sequence counted from F(1) = F(2) = 1. So its answer for n is F(n + 1)
        // in `fibonacci`'s numbering.
        for (n, expected) in [(0u64, 1u64), (1, 1), (2, 2), (3, 3), (4, 5), (10, 89)] {
            let result = cevm_run_json(backend, &code, &format!("{n:064x}"));
            assert_eq!(result["status"], "success", "{backend}, n = {n}: {result}");
            assert_eq!(output_word(&result), U256::from(expected), "n = {n}");
            assert_eq!(output_word(&result), fibonacci(n + 1), "n = {n}");
        }
        // Past F(370) the numbers wrap modulo 2^256.
        let result = cevm_run_json(backend, &code, &format!("{:064x}", 400));
        assert_eq!(output_word(&result), fibonacci(401));

        assert_eq!(
            U256::from_str_radix(input.trim_start_matches("0x"), 16).unwrap(),
            U256::from(1000)
        );
        let result = cevm_run_json(backend, &code, &input);
        assert_eq!(result["status"], "success", "{backend}: {result}");
        assert_eq!(output_word(&result), fibonacci(1001));
        assert_eq!(result["gas_used"], 63_051, "{backend}: {result}");
        assert_eq!(result["refund"], 0);
        assert_eq!(result["logs"], serde_json::json!([]));
    }
}
