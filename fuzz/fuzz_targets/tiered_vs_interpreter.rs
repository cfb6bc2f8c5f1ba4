//! libFuzzer target: like `jit_vs_interpreter`, on the tiered executor. The
//! input bytes choose the fork, the gas threshold past which a code is
//! compiled, and drive the program generator; codes called several times
//! in the transaction switch from the interpreter to native code in the
//! middle of it. Any difference from the reference interpreter is a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = cevm_difftest::fuzz_input::check_tiered(data) {
        panic!("{problem}");
    }
});
