//! The entry points of the cargo-fuzz targets (`fuzz/`): libFuzzer's bytes
//! choose the fork (any from Frontier to Osaka), for the tiered target the
//! threshold, and drive the generator; then the interpreter and the
//! candidate backend run.

use crate::campaign::{fit_to_fork, pick_threshold};
use crate::differential::{compare_backends, compare_tiered, DiffError, Mismatch};
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
    verdict("JIT", spec, compare_backends(&scenario, spec))
}

/// The fork, tiered threshold and scenario `data` encodes for the tiered
/// target (first choices: the fork, then the threshold).
pub fn decode_tiered(data: &[u8]) -> (SpecId, u64, Scenario) {
    let mut source = ByteSource::new(data);
    let spec = SpecId::SUPPORTED[source.below(SpecId::SUPPORTED.len() as u64) as usize];
    let threshold = pick_threshold(&mut source);
    let mut scenario = generate_scenario(&mut source);
    fit_to_fork(&mut scenario, spec);
    (spec, threshold, scenario)
}

/// Like [`check`], on the tiered executor with the threshold `data`
/// encodes: codes called more than once in the transaction switch from
/// the interpreter to native code in the middle of it (see
/// [`compare_tiered`]).
pub fn check_tiered(data: &[u8]) -> Result<(), String> {
    let (spec, threshold, scenario) = decode_tiered(data);
    let compared = compare_tiered(&scenario, spec, threshold).map(|(m, _)| m);
    verdict("tiered executor", spec, compared)
}

fn verdict(
    candidate: &str,
    spec: SpecId,
    compared: Result<Option<Mismatch>, DiffError>,
) -> Result<(), String> {
    match compared {
        Ok(None) => Ok(()),
        Ok(Some(m)) => Err(format!(
            "interpreter and {candidate} disagree under {spec}: {}\ncontract 0:\n{}",
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

    #[test]
    fn tiered_inputs_choose_the_threshold_after_the_fork() {
        let (spec, threshold, scenario) = decode_tiered(&[14, 4]);
        assert_eq!((spec, threshold), (SpecId::Osaka, 30_000));
        assert!(scenario.to_test_case(spec).is_ok());
        assert_eq!(decode_tiered(&[0, 2]).1, 300);
        for data in [&b"cevm tiered fuzzing"[..], &[1, 0, 0xff, 3]] {
            assert_eq!(check_tiered(data), Ok(()));
        }
    }
}
