//! Tier switches: codes start on the interpreter, become native after the
//! threshold (inside a transaction too), and every result matches the
//! interpreter's; failures and bounds leave code interpreted, never wrong.

mod common;

use cevm_runtime::primitives::keccak256;
use cevm_tiered::{DeterministicTiers, Tier, TieredConfig, TieredExecutor};
use common::*;

#[test]
fn a_callee_becomes_native_in_the_middle_of_a_transaction() {
    let tiered = TieredExecutor::new(config(1)).unwrap();
    let executor = DeterministicTiers(tiered.clone());
    let w = caller_workload(fib_code(), 10);
    assert_agrees(&w, &executor);
    let stats = tiered.stats();
    // The caller's frame and the callee's first frame are interpreted; the
    // callee is compiled after its first frame, so the other nine of the
    // same transaction run natively.
    assert_eq!(stats.interpreted_frames, 2, "{stats:?}");
    assert_eq!(stats.native_frames, 9, "{stats:?}");
    assert_eq!(stats.mid_transaction_switches, 9, "{stats:?}");
    assert_eq!(stats.compiles_blocking, 0);
    // The caller crossed the threshold too, and runs natively next time.
    assert_agrees(&w, &executor);
    assert_eq!(tiered.stats().interpreted_frames, 2);
    assert!(tiered.failures().is_empty(), "{:?}", tiered.failures());
}

#[test]
fn background_compilation_agrees_whenever_it_lands() {
    // No waiting: frames run on whichever tier is ready when they start.
    let tiered = TieredExecutor::new(config(1)).unwrap();
    let workloads: Vec<_> = (0..4)
        .map(|tag| caller_workload(variant(&fib_code(), tag), 5))
        .collect();
    for round in 0..5 {
        for w in &workloads {
            assert_agrees(w, &tiered);
        }
        if round == 2 {
            tiered.wait_idle();
        }
    }
    tiered.wait_idle();
    let before = tiered.stats();
    for w in &workloads {
        assert_agrees(w, &tiered);
    }
    let after = tiered.stats();
    assert_eq!(
        after.interpreted_frames, before.interpreted_frames,
        "{after:?}"
    );
    assert_eq!(after.native_frames - before.native_frames, 4 * 6);
    // The four callee variants and the caller, each compiled once.
    assert_eq!(after.compiles, 5, "{after:?}");
    assert_eq!(after.compiles_blocking, 0);
}

#[test]
fn the_threshold_counts_a_frames_own_gas_not_its_callees() {
    let callee = fib_code();
    let w = caller_workload(callee.clone(), 10);
    // Each fib(200) frame burns about 13,000 gas; the caller's own work
    // (ten calls, one cold account, one new storage slot) about 27,000.
    let tiered = TieredExecutor::new(config(50_000)).unwrap();
    let executor = DeterministicTiers(tiered.clone());
    assert_agrees(&w, &executor);
    let spec = SPEC;
    let callee_status = tiered.code_status(keccak256(&callee), spec).unwrap();
    let caller_status = tiered.code_status(keccak256(caller_code()), spec).unwrap();
    assert_eq!(callee_status.tier, Tier::Native, "{callee_status:?}");
    assert_eq!(caller_status.tier, Tier::Counting, "{caller_status:?}");
    assert!(
        (20_000..40_000).contains(&caller_status.interpreted_gas),
        "{caller_status:?} counts its callees' gas"
    );
    assert!(callee_status.interpreted_gas >= 50_000, "{callee_status:?}");
}

#[test]
fn code_over_the_compile_budget_stays_interpreted() {
    let tiered = TieredExecutor::new(TieredConfig {
        max_code_bytes: 16,
        ..config(1)
    })
    .unwrap();
    let executor = DeterministicTiers(tiered.clone());
    let w = direct_workload(fib_code(), 300);
    for _ in 0..3 {
        assert_agrees(&w, &executor);
    }
    let stats = tiered.stats();
    assert_eq!(stats.native_frames, 0);
    assert_eq!(stats.compiles, 0);
    assert_eq!(stats.compile_failures, 1, "reported once: {stats:?}");
    let failures = tiered.failures();
    assert!(failures[0].contains("compile budget"), "{failures:?}");
    let status = tiered.code_status(keccak256(fib_code()), SPEC).unwrap();
    assert_eq!(status.tier, Tier::Failed);
}

#[test]
fn compiled_code_in_memory_is_bounded() {
    let tiered = TieredExecutor::new(TieredConfig {
        max_compiled_entries: 2,
        ..config(1)
    })
    .unwrap();
    let executor = DeterministicTiers(tiered.clone());
    let workloads: Vec<_> = (0..4)
        .map(|tag| direct_workload(variant(&fib_code(), tag), 100))
        .collect();
    for _ in 0..3 {
        for w in &workloads {
            // Interpreted (and queued), then native.
            assert_agrees(w, &executor);
            assert_agrees(w, &executor);
        }
    }
    let stats = tiered.stats();
    // Four codes with room for two: every compilation after the second
    // evicts the least recently run one, which starts counting again.
    assert_eq!(stats.compiles, 12, "{stats:?}");
    assert_eq!(stats.evictions, 10, "{stats:?}");
    assert_eq!(stats.native_frames, 12, "{stats:?}");
    let native = (0..4)
        .filter(|tag| {
            let hash = keccak256(variant(&fib_code(), *tag));
            tiered
                .code_status(hash, SPEC)
                .is_some_and(|s| s.tier == Tier::Native)
        })
        .count();
    assert!(native <= 2, "{native} native codes");
}

#[test]
fn bad_configurations_are_refused() {
    let err = TieredExecutor::new(TieredConfig {
        workers: 0,
        ..TieredConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("workers"), "{err}");
}
