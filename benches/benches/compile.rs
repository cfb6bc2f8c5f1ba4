//! Compile time per contract: `Compiler::compile` (analysis, lowering to
//! Cranelift IR, code generation and finalisation), the compiled code freed
//! outside the timed region.

use cevm_compiler::Compiler;
use cevm_statetest::workload::BENCH_SPEC;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

mod common;

fn compile(c: &mut Criterion) {
    let compiler = Compiler::new(BENCH_SPEC).expect("a compiler for the host");
    let mut group = c.benchmark_group("compile");
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for w in common::workloads() {
        let code = w.code();
        if let Err(e) = compiler.compile(&code) {
            eprintln!("note: {} does not compile, not benchmarked: {e}", w.name);
            continue;
        }
        group.bench_function(&w.name, |b| {
            b.iter_with_large_drop(|| compiler.compile(black_box(&code)))
        });
    }
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
