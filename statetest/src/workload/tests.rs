use super::*;
use crate::shared::require;
use alloy_primitives::{keccak256, B256};
use cevm_interp::Interpreter;
use cevm_runtime::SuccessReason;
use std::collections::BTreeSet;

/// Runs built-in `name` with `n` on the interpreter and returns its output
/// word, checking that it returned successfully.
fn run_builtin(name: &str, n: u64) -> U256 {
    let contract = builtin(name).expect("built-in exists");
    let workload = contract.workload(n).expect("assembles");
    let outcome = workload.run(&Interpreter::new()).expect("runs");
    assert_eq!(
        outcome.status,
        Status::Success(SuccessReason::Return),
        "{name}({n})"
    );
    assert_eq!(outcome.output.len(), 32, "{name}({n}) returns one word");
    U256::from_be_slice(&outcome.output)
}

fn fibonacci(n: u64) -> U256 {
    let (mut a, mut b) = (U256::ZERO, U256::from(1));
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}

#[test]
fn fibonacci_matches_ruint() {
    // 500 is past fib(370) > 2^256, so the wrap-around is checked too.
    for n in [0, 1, 2, 3, 10, 93, 500] {
        assert_eq!(run_builtin("fibonacci", n), fibonacci(n), "fibonacci({n})");
    }
    assert_eq!(fibonacci(10), U256::from(55));
}

#[test]
fn factorial_matches_ruint() {
    for n in [0u64, 1, 5, 20, 57, 100] {
        let expected = (1..=n).fold(U256::from(1), |acc, k| acc.wrapping_mul(U256::from(k)));
        assert_eq!(run_builtin("factorial", n), expected, "factorial({n})");
    }
    assert_eq!(run_builtin("factorial", 5), U256::from(120));
}

#[test]
fn call_chain_returns_the_sum_of_its_depths() {
    for n in [0u64, 1, 2, 10, 200] {
        assert_eq!(
            run_builtin("call_chain", n),
            U256::from(n * (n + 1) / 2),
            "call_chain({n})"
        );
    }
}

#[test]
fn call_chain_past_the_depth_limit_reverts() {
    // The innermost call would run at depth 1025: it fails and every frame
    // above reverts.
    let workload = builtin("call_chain").unwrap().workload(1025).unwrap();
    let outcome = workload.run(&Interpreter::new()).unwrap();
    assert_eq!(outcome.status, Status::Revert);
}

#[test]
fn keccak_chain_matches_alloy() {
    for n in [0u64, 1, 2, 50] {
        let mut h = B256::from(U256::from(n));
        for _ in 0..n {
            h = keccak256(h);
        }
        assert_eq!(
            run_builtin("keccak_chain", n),
            U256::from_be_bytes(h.0),
            "keccak_chain({n})"
        );
    }
}

#[test]
fn storage_loop_matches_a_model() {
    for n in [0u64, 1, 63, 64, 300] {
        let mut slots = [U256::ZERO; 64];
        for i in (1..=n).rev() {
            let next = slots[((i + 1) & 63) as usize];
            slots[(i & 63) as usize] = next.wrapping_add(U256::from(i));
        }
        assert_eq!(
            run_builtin("storage_loop", n),
            slots[63],
            "storage_loop({n})"
        );
    }
}

#[test]
fn memory_copy_matches_a_model() {
    for n in [0u64, 1, 3, 40] {
        let mut mem = vec![0u8; 9216];
        for i in (1..=n).rev() {
            mem.copy_within(0..1024, 4096);
            let round = U256::from(i);
            for j in (0..1024).step_by(32).rev() {
                let w = U256::from_be_slice(&mem[4096 + j..4096 + j + 32]);
                mem[8192 + j..8192 + j + 32].copy_from_slice(&(w ^ round).to_be_bytes::<32>());
            }
            let at = ((32 * i) & 992) as usize;
            mem[at..at + 32].copy_from_slice(&round.to_be_bytes::<32>());
        }
        let expected = U256::from_be_bytes(keccak256(&mem[8192..9216]).0);
        assert_eq!(run_builtin("memory_copy", n), expected, "memory_copy({n})");
    }
}

#[test]
fn every_builtin_runs_with_its_default_n() {
    let workloads = builtin_workloads().unwrap();
    assert_eq!(workloads.len(), BUILTIN_CONTRACTS.len());
    for w in &workloads {
        let outcome = w.run(&Interpreter::new()).unwrap();
        assert!(
            outcome.status.is_success(),
            "{}: {:?}",
            w.name,
            outcome.status
        );
        assert!(outcome.gas_used > 21_000, "{}", w.name);
        assert_eq!(w.code(), builtin(&w.name).unwrap().code().unwrap());
    }
}

#[test]
fn with_input_renames_and_changes_only_the_data() {
    let base = builtin("fibonacci").unwrap().workload(5).unwrap();
    let other = base.clone().with_input("fibonacci/7", n_calldata(7));
    assert_eq!(other.name, "fibonacci/7");
    assert_eq!(other.tx.data, n_calldata(7));
    assert_eq!(other.code(), base.code());
    let out = other.run(&Interpreter::new()).unwrap();
    assert_eq!(U256::from_be_slice(&out.output), U256::from(13));
}

#[test]
fn contract_style_json_loads_transaction_zero() {
    // fib(10) through the listed-transaction shape, with scalar fields.
    let code = builtin("fibonacci").unwrap().code().unwrap();
    let text = format!(
        r#"{{"t": {{
            "env": {{"currentCoinbase": "0x0000000000000000000000000000000000000000",
                     "currentGasLimit": "0x7fffffffffffffff", "currentNumber": "0x1",
                     "currentTimestamp": "0x1", "currentBaseFee": "0x0"}},
            "pre": {{
              "0x1111111111111111111111111111111111111111": {{"balance": "0xffffffff", "code": "0x", "nonce": "0x0", "storage": {{}}}},
              "0xcccccccccccccccccccccccccccccccccccccccc": {{"balance": "0x0", "code": "{code}", "nonce": "0x1", "storage": {{}}}}
            }},
            "transaction": [
              {{"data": "0x000000000000000000000000000000000000000000000000000000000000000a",
                "gasLimit": "0x100000", "gasPrice": "0x0", "nonce": "0x0",
                "sender": "0x1111111111111111111111111111111111111111",
                "to": "0xcccccccccccccccccccccccccccccccccccccccc", "value": "0x0"}},
              {{"data": "0x", "gasLimit": "0x1", "gasPrice": "0x0", "nonce": "0x0",
                "sender": "0x1111111111111111111111111111111111111111",
                "to": "0xcccccccccccccccccccccccccccccccccccccccc", "value": "0x0"}}
            ]
        }}}}"#
    );
    let workloads = load_json("fib", &text).unwrap();
    assert_eq!(workloads.len(), 1);
    let w = &workloads[0];
    assert_eq!(w.name, "fib");
    assert_eq!(w.tx.gas_limit, 0x100000);
    assert_eq!(w.env.spec, BENCH_SPEC);
    let out = w.run(&Interpreter::new()).unwrap();
    assert_eq!(U256::from_be_slice(&out.output), U256::from(55));
}

#[test]
fn bad_files_are_typed_errors() {
    assert!(matches!(
        load_json("x", "not json"),
        Err(WorkloadError::Json { .. })
    ));
    assert!(matches!(
        load_json("x", "[1, 2]"),
        Err(WorkloadError::Format { .. })
    ));
    assert!(matches!(
        load_json("x", r#"{"t": {"env": {}, "pre": {}, "transaction": []}}"#),
        Err(WorkloadError::Format { .. })
    ));
    assert!(matches!(
        load_json("x", r#"{"t": {"env": {}, "pre": {}}}"#),
        Err(WorkloadError::Format { .. })
    ));
    assert!(matches!(
        load_json("x", r#"{"t": {"env": {}, "pre": {}, "transaction": {}}}"#),
        Err(WorkloadError::Json { .. })
    ));
    let missing = load_file(Path::new("/nonexistent/bench.json"));
    assert!(matches!(missing, Err(WorkloadError::Io { .. })));
}

#[test]
fn every_shared_benchmark_file_loads() {
    let Some(dir) = require("benchmarks", "every_shared_benchmark_file_loads") else {
        return;
    };
    let contracts = load_paths(&[dir.join("contracts")]).unwrap();
    let suite = load_paths(&[dir.join("evm-benchmarks")]).unwrap();
    assert_eq!(contracts.len(), 10, "one workload per revmc contract file");
    assert!(suite.len() >= 20, "evmone suite: {} cases", suite.len());
    let mut names = BTreeSet::new();
    for w in contracts.iter().chain(&suite) {
        assert!(names.insert(w.name.clone()), "duplicate name {}", w.name);
        assert!(!w.code().is_empty(), "{} has no code", w.name);
        assert_eq!(w.env.spec, BENCH_SPEC);
    }
    for name in [
        "fibonacci-calldata",
        "snailtracer",
        "snailtracer/benchmark",
        "swap_math/insufficient_liquidity",
        "memory_grow_mload/by32",
        "weierstrudel/15",
    ] {
        assert!(names.contains(name), "missing {name}: {names:?}");
    }
    let snail = suite
        .iter()
        .find(|w| w.name == "snailtracer/benchmark")
        .unwrap();
    assert_eq!(snail.code().len(), 17_730);

    // revmc's fibonacci code returns the second word of its loop state:
    // fib(n + 1) for n = 1000.
    let fib = contracts
        .iter()
        .find(|w| w.name == "fibonacci-calldata")
        .unwrap();
    let out = fib.run(&Interpreter::new()).unwrap();
    assert!(out.status.is_success());
    assert_eq!(U256::from_be_slice(&out.output), fibonacci(1001));
}

#[test]
fn every_shared_benchmark_runs_on_the_interpreter() {
    let Some(dir) = require(
        "benchmarks",
        "every_shared_benchmark_runs_on_the_interpreter",
    ) else {
        return;
    };
    for w in load_paths(&[dir]).unwrap() {
        // Every transaction is valid; the weierstrudel and snailtracer
        // cases are large, so this also keeps the interpreter honest about
        // long runs.
        let out = w.run(&Interpreter::new()).unwrap_or_else(|e| panic!("{e}"));
        assert!(out.gas_used >= 21_000, "{}: {}", w.name, out.gas_used);
    }
}
