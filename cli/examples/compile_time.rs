//! Compile time of code files, one compilation at a time, best of N.
//!
//! ```sh
//! cargo run --release -p cevm --example compile_time -- CODE.hex [...]
//! cargo run --release -p cevm --example compile_time -- --adversarial
//! ITER=1 perf stat -e task-clock target/release/examples/compile_time CODE.hex
//! ```
//!
//! Each file holds hex bytecode (the `0x` prefix optional); `--adversarial`
//! stands for the benchmarks' adversarial 24 KiB codes. `ITER` sets how
//! many compilations each file gets (default 5); the best is printed. With
//! `ITER=1` the process does one compilation per file, so `perf stat` and
//! `/usr/bin/time` measure it (CPU time, peak RSS) with little else.

use anyhow::{Context, Result};
use cevm_compiler::Compiler;
use cevm_runtime::SpecId;

fn main() -> Result<()> {
    let iterations: usize = match std::env::var("ITER") {
        Ok(v) => v.parse().context("ITER must be a number")?,
        Err(_) => 5,
    };
    let compiler = Compiler::new(SpecId::Prague)?;
    let mut codes: Vec<(String, Vec<u8>)> = Vec::new();
    for path in std::env::args().skip(1) {
        if path == "--adversarial" {
            for w in cevm_statetest::workload::adversarial_workloads() {
                codes.push((w.name.clone(), w.code().to_vec()));
            }
            continue;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let text = text.trim();
        let code = cevm_runtime::primitives::hex::decode(text.strip_prefix("0x").unwrap_or(text))
            .with_context(|| format!("{path}: not hex"))?;
        codes.push((path, code));
    }
    for (path, code) in codes {
        let mut best = f64::MAX;
        for _ in 0..iterations.max(1) {
            let started = std::time::Instant::now();
            let contract = compiler.compile(&code)?;
            best = best.min(started.elapsed().as_secs_f64());
            drop(contract);
        }
        println!("{path}: {} bytes, best {:.1} ms", code.len(), best * 1e3);
    }
    Ok(())
}
