//! Runs the shared `erc20_transfer` benchmark on the JIT twice, on the
//! in-memory state and on a cache over revm's `CacheDB` (its changes
//! committed back through revm's `DatabaseCommit`), and prints one JSON
//! line: `{"gas_used", "output", "equal"}`.
//!
//! `cargo run --release --example revm_db` (from the repository root; the
//! shared material is read from `CEVM_SHARED` or `../shared`).

use anyhow::{bail, Context, Result};
use cevm_compiler::JitExecutor;
use cevm_revm::check::compare;
use cevm_runtime::Precompiles;
use cevm_statetest::shared::shared_dir;
use cevm_statetest::workload::load_file;

fn main() -> Result<()> {
    let path = shared_dir().join("benchmarks/contracts/erc20_transfer.json");
    let workloads = load_file(&path)
        .context("loading the erc20_transfer benchmark (set CEVM_SHARED to the shared material)")?;
    let Some(workload) = workloads.first() else {
        bail!("{} holds no transaction", path.display());
    };
    let jit = JitExecutor::new();
    let precompiles = Precompiles::for_spec(workload.env.spec);
    let comparison = compare(
        &workload.pre,
        &workload.env,
        &workload.schedule,
        &workload.tx,
        &jit,
        &precompiles,
    )?;
    for difference in &comparison.differences {
        eprintln!("difference: {difference}");
    }
    let line = serde_json::json!({
        "gas_used": comparison.over_revm.gas_used,
        "output": format!("0x{}", hex(&comparison.over_revm.output)),
        "equal": comparison.equal(),
    });
    println!("{line}");
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
