//! The entry point of the cargo-fuzz target (`fuzz/`): libFuzzer's bytes
//! choose the fork (any from Frontier to Osaka) and drive the generator,
//! then both backends run.

use crate::campaign::fit_to_fork;
use crate::differential::compare_backends;
use crate::entropy::{ByteSource, Entropy};
use crate::generate::generate_scenario;
use crate::scenario::Scenario;
use cevm_runtime::SpecId;

/// The fork and scenario `data` encodes (first choice: the fork).
pub fn decode(data: &[u8]) -> (SpecId, Scenario) {
    let mut source = ByteSource::new(data);
    let spec = SpecId::SUPPORTED[source.below(SpecId::SUPPORTED.len() as u64) as usize];
    let mut scenario = generate_scenario(&mut source);
    fit_to_fork(&mut scenario, spec);
    (spec, scenario)
}

/// Runs the scenario `data` encodes on both backends; `Err` describes a
/// mismatch (or a generator error). The fuzz target panics on `Err`, which
/// libFuzzer records as a crash with the input that caused it.
pub fn check(data: &[u8]) -> Result<(), String> {
    let (spec, scenario) = decode(data);
    match compare_backends(&scenario, spec) {
        Ok(None) => Ok(()),
        Ok(Some(m)) => Err(format!(
            "interpreter and JIT disagree under {spec}: {}\ncontract 0:\n{}",
            m.differences
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; "),
            m.scenario
                .contracts
                .first()
                .map(|c| c.program.listing())
                .unwrap_or_default()
        )),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_bytes_decode_to_a_runnable_scenario() {
        let inputs: [&[u8]; 4] = [
            &[],
            &[0xff; 64],
            b"cevm differential fuzzing",
            &[2, 0, 1, 7, 9],
        ];
        for data in inputs {
            let (spec, scenario) = decode(data);
            assert!(spec.is_supported());
            assert!(!scenario.contracts.is_empty());
            assert!(scenario.to_test_case(spec).is_ok());
        }
        assert_eq!(decode(&[1]).0, SpecId::Homestead);
        assert_eq!(decode(&[14]).0, SpecId::Osaka);
    }
}
