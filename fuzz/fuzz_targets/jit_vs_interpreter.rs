//! libFuzzer target: the input bytes choose the fork and drive cevm's
//! program generator; the scenario runs on the reference interpreter and
//! the JIT, and any difference in status class, gas, refund, output, logs
//! or post-state is a crash (libFuzzer keeps the input in `artifacts/`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = cevm_difftest::fuzz_input::check(data) {
        panic!("{problem}");
    }
});
