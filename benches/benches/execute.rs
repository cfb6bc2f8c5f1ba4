//! Run time per contract on precompiled code (JIT) and on the reference
//! interpreter. Each iteration runs the workload's transaction on a fresh
//! copy of its pre-state, made outside the timed region.

use cevm_compiler::JitExecutor;
use cevm_interp::Interpreter;
use cevm_runtime::Executor;
use cevm_statetest::workload::Workload;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::time::Duration;

mod common;

fn bench_backend(c: &mut Criterion, w: &Workload, backend: &str, executor: &dyn Executor) {
    let mut group = c.benchmark_group(format!("execute/{}", w.name));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(2));
    group.bench_function(backend, |b| {
        b.iter_batched_ref(
            || w.pre.clone(),
            |state| w.run_on(state, executor),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn execute(c: &mut Criterion) {
    let interpreter = Interpreter::new();
    for w in common::workloads() {
        let reference = match w.run(&interpreter) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("note: {e}, not benchmarked");
                continue;
            }
        };
        // Compile (and check) before timing, so only execution is measured.
        let jit = JitExecutor::new();
        match w.run(&jit) {
            Ok(outcome) if outcome == reference && jit.failures().is_empty() => {
                bench_backend(c, &w, "jit", &jit);
            }
            Ok(_) => eprintln!(
                "note: {}: JIT disagrees with the interpreter, not timed",
                w.name
            ),
            Err(e) => eprintln!("note: {e}"),
        }
        bench_backend(c, &w, "interp", &interpreter);
    }
}

criterion_group!(benches, execute);
criterion_main!(benches);
