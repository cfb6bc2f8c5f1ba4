//! Where do generated programs spend their gas? Runs program `index` of
//! `seed` at 16M gas under a counting tracer and prints the gas spent per
//! opcode and the deepest call depth. `cargo run -p cevm-difftest --example
//! gas_probe -- seed index`.

use cevm_difftest::observe::observe;
use cevm_difftest::scenario_for;
use cevm_interp::{Interpreter, Step, Tracer};
use cevm_runtime::{FrameResult, SpecId};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Counts {
    last: BTreeMap<usize, (String, u64)>,
    spent: BTreeMap<String, u64>,
    max_depth: usize,
    steps: u64,
}

struct Counter(Arc<Mutex<Counts>>);

impl Tracer for Counter {
    fn step(&mut self, step: &Step<'_>) {
        let mut c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((name, gas)) = c.last.remove(&step.depth) {
            if gas >= step.gas {
                *c.spent.entry(name).or_default() += gas - step.gas;
            }
        }
        c.last
            .insert(step.depth, (step.op_name.to_string(), step.gas));
        c.max_depth = c.max_depth.max(step.depth);
        c.steps += 1;
    }

    fn frame_end(&mut self, depth: usize, gas_limit: u64, result: &FrameResult) {
        let mut c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((name, gas)) = c.last.remove(&depth) {
            if !result.status.is_success() && depth <= 2 {
                println!(
                    "frame at depth {depth} (gas {gas_limit}) ended {} at {name} with {gas} gas left",
                    result.status.describe()
                );
            }
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let index: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let mut scenario = scenario_for(seed, index);
    scenario.gas_limit = 16_000_000;
    let counts = Arc::new(Mutex::new(Counts::default()));
    let interp = Interpreter::with_tracer(Box::new(Counter(counts.clone())));
    let case = match scenario.to_test_case(SpecId::Osaka) {
        Ok(c) => c,
        Err(e) => return eprintln!("{e}"),
    };
    match observe(&case, SpecId::Osaka, &interp) {
        Ok(o) => println!("{} gas {}", o.status, o.gas_used),
        Err(e) => eprintln!("{e}"),
    }
    let c = counts.lock().unwrap_or_else(|p| p.into_inner());
    let mut spent: Vec<_> = c.spent.iter().collect();
    spent.sort_by_key(|(_, g)| std::cmp::Reverse(**g));
    println!("steps {} max depth {}", c.steps, c.max_depth);
    for (name, gas) in spent.iter().take(10) {
        println!("{name:>14} {gas}");
    }
}
