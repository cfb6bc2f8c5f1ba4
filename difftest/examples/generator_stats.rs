//! Prints what generated programs do on the interpreter: status classes,
//! gas used, code size, outcome per transaction kind. `cargo run -p cevm-difftest --example
//! generator_stats -- [seed] [count] [fork]` (default: 1, 200, osaka).

use cevm_difftest::{run_reference, scenario_for, StatusClass, TxKind};
use cevm_runtime::SpecId;
use std::collections::BTreeMap;

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let count: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let spec: SpecId = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(SpecId::Osaka);
    let mut classes: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut gas: Vec<u64> = Vec::new();
    let mut code_bytes = 0usize;
    let mut instructions = 0usize;
    for index in 0..count {
        let scenario = scenario_for(seed, index);
        code_bytes += scenario
            .contracts
            .iter()
            .map(|c| c.program.assemble().len())
            .sum::<usize>();
        instructions += scenario
            .contracts
            .iter()
            .map(|c| cevm_runtime::opcode::instructions(&c.program.assemble()).count())
            .sum::<usize>();
        match run_reference(&scenario, spec) {
            Ok(o) => {
                let key = match o.class {
                    StatusClass::Halt => o.status.clone(),
                    other => format!("{other:?}"),
                };
                if o.status == "out of gas" && std::env::var("OOG_PROBE").is_ok() {
                    let mut richer = scenario.clone();
                    richer.gas_limit = 16_000_000;
                    if let Ok(r) = run_reference(&richer, spec) {
                        println!(
                            "oog at {} -> at 16M: {} gas {}",
                            scenario.gas_limit, r.status, r.gas_used
                        );
                        if r.status == "out of gas"
                            && scenario.contracts.len() == 1
                            && scenario.size() < 60
                        {
                            println!("{}", scenario.contracts[0].program.listing());
                        }
                    }
                }
                *classes.entry(key).or_default() += 1;
                let kind = match scenario.kind {
                    TxKind::Call => "call",
                    TxKind::Create => "create",
                    TxKind::Blob { .. } => "blob",
                    TxKind::SetCode { .. } => "set-code",
                };
                *by_kind.entry(format!("{kind}: {:?}", o.class)).or_default() += 1;
                gas.push(o.gas_used);
            }
            Err(e) => eprintln!("program {index}: {e}"),
        }
    }
    gas.sort_unstable();
    println!("statuses: {classes:#?}");
    println!("by transaction kind: {by_kind:#?}");
    if !gas.is_empty() {
        println!(
            "gas used: min {} median {} p90 {} max {}",
            gas[0],
            gas[gas.len() / 2],
            gas[gas.len() * 9 / 10],
            gas[gas.len() - 1]
        );
    }
    println!(
        "average code size: {} bytes, {} instructions (all contracts of a scenario)",
        code_bytes / count.max(1) as usize,
        instructions / count.max(1) as usize
    );
}
