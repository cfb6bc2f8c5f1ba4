//! Adversarial bytecode: must compile (in time roughly linear in its size)
//! and run without crashing, agreeing with the interpreter.

mod common;

use cevm_compiler::Compiler;
use cevm_runtime::SpecId;
use common::*;
use std::time::Instant;

const MAX_CODE: usize = 24_576;

fn repeat(pattern: &[u8], len: usize) -> Vec<u8> {
    pattern.iter().copied().cycle().take(len).collect()
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let mut random = Vec::with_capacity(MAX_CODE);
    let mut rng = Rng(7);
    while random.len() < MAX_CODE {
        random.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    random.truncate(MAX_CODE);
    vec![
        ("all JUMPDEST", repeat(&[0x5b], MAX_CODE)),
        ("all PUSH32", repeat(&[0x7f], MAX_CODE)),
        ("PUSH1 0 JUMP chain", repeat(&[0x60, 0x00, 0x56], MAX_CODE)),
        (
            "JUMPDEST PUSH1 0 JUMP",
            repeat(&[0x5b, 0x60, 0x00, 0x56], MAX_CODE),
        ),
        (
            "computed jumps to every JUMPDEST",
            repeat(&[0x5b, 0x5f, 0x35, 0x56], MAX_CODE),
        ),
        ("JUMPDEST JUMPI pairs", repeat(&[0x5b, 0x57], MAX_CODE)),
        ("all PUSH0", repeat(&[0x5f], MAX_CODE)),
        ("all DUP16", repeat(&[0x8f], MAX_CODE)),
        ("all ADD", repeat(&[0x01], MAX_CODE)),
        (
            "PUSH0 then MSTORE chain",
            repeat(&[0x5f, 0x5f, 0x52], MAX_CODE),
        ),
        ("all undefined 0x0c", repeat(&[0x0c], MAX_CODE)),
        ("truncated PUSH32", vec![0x7f, 0x01, 0x02]),
        ("random bytes", random),
        ("empty", Vec::new()),
    ]
}

#[test]
fn nasty_code_compiles_and_runs_like_the_interpreter() {
    let backends = Backends::new();
    for (name, code) in cases() {
        let start = Instant::now();
        Compiler::new(SpecId::Osaka)
            .unwrap()
            .compile(&code)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let took = start.elapsed();
        eprintln!("{name}: {} bytes compiled in {took:?}", code.len());
        assert!(took.as_secs() < 30, "{name}: compile took {took:?}");
        for input in [&[][..], &[0u8; 32][..], &[0xffu8; 32][..]] {
            for gas in [0, 100, 30_000, 1_000_000] {
                backends.run(&code, SpecId::Osaka, gas, input);
            }
        }
    }
}

#[test]
fn compile_time_grows_about_linearly() {
    let compiler = Compiler::new(SpecId::Cancun).unwrap();
    for pattern in [
        &[0x5b][..],
        &[0x5b, 0x5f, 0x35, 0x56][..],
        &[0x60, 0x01, 0x01][..],
    ] {
        let time = |len| {
            let code = repeat(pattern, len);
            let start = Instant::now();
            compiler.compile(&code).unwrap();
            start.elapsed().as_secs_f64()
        };
        let small = time(MAX_CODE / 4).max(1e-3);
        let large = time(MAX_CODE);
        eprintln!("pattern {pattern:02x?}: quarter {small:.3}s, full {large:.3}s");
        // Four times the code may cost somewhat more than four times as much
        // (cache effects), but not quadratically more.
        assert!(
            large < small * 10.0 + 0.5,
            "{pattern:02x?}: {small}s -> {large}s"
        );
    }
}
