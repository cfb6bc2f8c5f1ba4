//! The workloads both criterion benches measure: the built-in contracts and,
//! when the shared folder is there, revmc's contracts and the evmone suite's
//! snailtracer. Names carry their source (`builtin/`, `revmc/`, `evmone/`)
//! because revmc's files reuse some built-in names (`factorial`).

use cevm_statetest::shared::shared_dir;
use cevm_statetest::workload::{builtin_workloads, load_paths, Workload};

fn prefixed(prefix: &str, workloads: Vec<Workload>) -> impl Iterator<Item = Workload> + '_ {
    workloads.into_iter().map(move |mut w| {
        w.name = format!("{prefix}/{}", w.name);
        w
    })
}

/// Built-in contracts with their default `n`, plus the shared benchmarks
/// that exist on this machine.
pub fn workloads() -> Vec<Workload> {
    let builtins = builtin_workloads().expect("the built-in contracts assemble");
    let mut out: Vec<Workload> = prefixed("builtin", builtins).collect();
    let shared = shared_dir().join("benchmarks");
    if !shared.is_dir() {
        eprintln!(
            "note: {} not found (set CEVM_SHARED): benchmarking the built-in contracts only",
            shared.display()
        );
        return out;
    }
    match load_paths(&[shared.join("contracts")]) {
        Ok(list) => out.extend(prefixed("revmc", list)),
        Err(e) => eprintln!("note: skipping revmc contracts: {e}"),
    }
    match load_paths(&[shared.join("evm-benchmarks/benchmarks/main/snailtracer.json")]) {
        Ok(list) => out.extend(prefixed("evmone", list)),
        Err(e) => eprintln!("note: skipping snailtracer: {e}"),
    }
    out
}
