//! The executor's cache, sharing across threads, and freeing compiled code.

mod common;

use cevm_compiler::{Compiler, JitExecutor};
use cevm_runtime::{SpecId, U256};
use common::*;
use std::sync::Arc;

/// `PUSH32 n PUSH0 MSTORE PUSH1 32 PUSH0 RETURN`: returns `n`.
fn returns(n: u64) -> Vec<u8> {
    let mut code = push32(U256::from(n));
    code.extend_from_slice(&RETURN_TOP);
    code
}

#[test]
fn caches_by_code_hash_and_fork() {
    let jit = JitExecutor::new();
    for _ in 0..3 {
        // Forks with PUSH0, which `returns` uses.
        for spec in [SpecId::Shanghai, SpecId::Prague, SpecId::Osaka] {
            let run = run_on(&jit, &returns(5), spec, 100_000, &[]);
            assert_eq!(returned_word(&run), U256::from(5));
        }
    }
    assert_eq!(jit.cached_count(), 3);
    run_on(&jit, &returns(6), SpecId::Cancun, 100_000, &[]);
    assert_eq!(jit.cached_count(), 4);
}

#[test]
fn one_executor_serves_many_threads() {
    let jit = Arc::new(JitExecutor::new());
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let jit = jit.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let n = t * 1000 + i % 10;
                    let run = run_on(&*jit, &returns(n), SpecId::Osaka, 100_000, &[]);
                    assert_eq!(returned_word(&run), U256::from(n));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("worker thread");
    }
    assert_eq!(jit.cached_count(), 40);
}

#[test]
fn compiled_code_is_freed_on_drop() {
    // Thousands of compile/drop cycles must not exhaust executable memory.
    let compiler = Compiler::new(SpecId::Cancun).unwrap();
    for n in 0..3000 {
        let contract = compiler.compile(&returns(n)).unwrap();
        drop(contract);
    }
}
