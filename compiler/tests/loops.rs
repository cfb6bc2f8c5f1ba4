//! Small loops lowered twice (`passes/unroll.rs`) and their counters
//! stepped on one limb: every iteration count from 0 on (exits from both
//! copies), carries and borrows into the upper limbs, and every gas limit
//! around what a run needs (out of gas at each iteration boundary and
//! inside), against the interpreter. The mutants these tests were checked
//! against are listed in `compiler/tests/README.md`.

mod common;

use cevm_compiler::analysis::Analysis;
use cevm_compiler::passes::plan::Plan;
use cevm_runtime::asm::assemble;
use cevm_runtime::{HaltReason, SpecId, Status, U256};
use common::*;
use std::sync::mpsc;
use std::time::Duration;

/// revmc's fibonacci loop with `n` from call data (three items live
/// across the back edge, permuted every round).
const FIBONACCI: &str = "PUSH0 CALLDATALOAD PUSH0 PUSH1 1
     head: JUMPDEST DUP3 ISZERO PUSH @done JUMPI
     DUP2 DUP2 ADD SWAP2 POP SWAP1 SWAP2 PUSH1 1 SWAP1 SUB SWAP2 PUSH @head JUMP
     done: JUMPDEST SWAP2 POP POP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN";

fn word(x: U256) -> Vec<u8> {
    x.to_be_bytes::<32>().to_vec()
}

/// Runs `code` with `input` at every gas limit from 0 to a little past
/// what it needs (`step` apart below the last 200), on both backends.
fn every_gas_limit(b: &Backends, code: &[u8], input: &[u8], step: usize) -> Run {
    let full = b.run(code, SpecId::Cancun, 10_000_000, input);
    let used = 10_000_000 - full.0.gas_left;
    let exact = used.saturating_sub(200);
    let mut limits: Vec<u64> = (0..exact).step_by(step).collect();
    limits.extend(exact..=used + 2);
    for gas in limits {
        b.run(code, SpecId::Cancun, gas, input);
    }
    full
}

fn lowered_twice(code: &[u8]) -> usize {
    let an = Analysis::new(code, SpecId::Cancun);
    Plan::new(&an).unroll.cycles.len()
}

/// Asserts that `src` has one loop lowered twice and runs it for every
/// count in `counts` (from the call data) at every gas limit
/// ([`every_gas_limit`] with `step`).
fn check_every_count(b: &Backends, src: &str, counts: std::ops::Range<u64>, step: usize) {
    let code = assemble(src).unwrap();
    assert_eq!(lowered_twice(&code), 1, "{src}");
    for n in counts {
        every_gas_limit(b, &code, &word(U256::from(n)), step);
    }
}

#[test]
fn fibonacci_exits_after_every_count_and_halts_at_every_gas_limit() {
    let b = Backends::new();
    let code = assemble(FIBONACCI).unwrap();
    assert_eq!(lowered_twice(&code), 1);
    let (mut x, mut y) = (U256::ZERO, U256::from(1));
    for n in 0..8u64 {
        let run = every_gas_limit(&b, &code, &word(U256::from(n)), 1);
        assert!(run.0.status.is_success());
        assert_eq!(returned_word(&run), y, "fib({n} + 1)");
        (x, y) = (y, x.wrapping_add(y));
    }
}

#[test]
fn counters_borrow_and_carry_into_the_upper_limbs() {
    let b = Backends::new();
    let code = assemble(FIBONACCI).unwrap();
    // The counter's low limb reaches zero with upper limbs set: the
    // borrow path runs in the loop (then runs out of gas: 2^64 rounds).
    for n in [
        U256::from(1) << 64,
        (U256::from(1) << 64) + U256::from(1),
        (U256::from(1) << 64) + U256::from(2),
        (U256::from(1) << 64) + U256::from(3),
        (U256::from(1) << 192) + U256::from(2),
        U256::MAX,
    ] {
        for gas in [30_000, 30_001, 30_030, 30_061, 100_000] {
            let run = b.run(&code, SpecId::Cancun, gas, &word(n));
            assert_eq!(run.0.status, Status::Halt(HaltReason::OutOfGas));
        }
    }
    // Counting up across 2^64 and 2^128 to a limit: the carry path, then
    // the loop runs on; every exit count around the carry.
    let up = "PUSH0 CALLDATALOAD PUSH1 32 CALLDATALOAD PUSH0 PUSH1 1
              head: JUMPDEST DUP4 DUP4 EQ PUSH @done JUMPI
              DUP2 ADD SWAP1 SWAP2 PUSH1 1 ADD SWAP2 PUSH @head JUMP
              done: JUMPDEST PUSH0 MSTORE PUSH1 32 MSTORE PUSH1 64 MSTORE PUSH1 96 PUSH0 RETURN";
    let code = assemble(up).unwrap();
    assert_eq!(lowered_twice(&code), 1);
    for start in [
        (U256::from(1) << 64) - U256::from(3),
        (U256::from(1) << 128) - U256::from(2),
        U256::MAX - U256::from(1),
    ] {
        for count in 0..6u64 {
            let limit = start.wrapping_add(U256::from(count));
            let mut input = word(limit);
            input.extend(word(start));
            let run = every_gas_limit(&b, &code, &input, 1);
            assert!(run.0.status.is_success(), "{start} + {count}");
        }
    }
}

#[test]
fn a_one_block_loop_runs_every_count() {
    let b = Backends::new();
    // a, b = a + b, a; JUMPI back to itself.
    let src = "PUSH0 CALLDATALOAD PUSH1 1 PUSH0
               head: JUMPDEST DUP2 ADD SWAP1 SWAP2 PUSH1 1 SWAP1 SUB SWAP2 DUP3 PUSH @head JUMPI
               POP SWAP1 POP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN";
    let code = assemble(src).unwrap();
    assert_eq!(lowered_twice(&code), 1);
    let mut results = Vec::new();
    for n in 1..8u64 {
        let run = every_gas_limit(&b, &code, &word(U256::from(n)), 1);
        assert!(run.0.status.is_success());
        results.push(returned_word(&run));
    }
    // The sums grow: every round ran.
    assert!(results.windows(2).all(|w| w[0] < w[1]), "{results:?}");
}

/// A header that observes gas keeps its test in both copies: GAS reads
/// the exact amount at every round, and runs out at the right one.
#[test]
fn headers_that_observe_gas_keep_their_test() {
    let b = Backends::new();
    // (Two items p, q swapped every round: a loop that moves items.)
    let src = "PUSH1 5 PUSH1 7 PUSH0 PUSH0 CALLDATALOAD
               head: JUMPDEST GAS DUP3 XOR SWAP2 POP DUP1 ISZERO PUSH @done JUMPI
               SWAP2 SWAP3 SWAP2 PUSH1 1 SWAP1 SUB PUSH @head JUMP
               done: JUMPDEST POP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN";
    check_every_count(&b, src, 0..6, 1);
    // A store in the body: tested before it in both copies.
    let src = "PUSH1 5 PUSH1 7 PUSH0 CALLDATALOAD
               head: JUMPDEST DUP1 ISZERO PUSH @done JUMPI
               SWAP2 SWAP1 SWAP2 DUP1 DUP1 SSTORE PUSH1 1 SWAP1 SUB PUSH @head JUMP
               done: JUMPDEST STOP";
    check_every_count(&b, src, 0..5, 7);
}

/// A loop entered in the middle (the first jump goes to its second block).
#[test]
fn a_loop_entered_in_the_middle_runs_every_count() {
    let b = Backends::new();
    let src = "PUSH1 5 PUSH1 7 PUSH0 PUSH0 CALLDATALOAD PUSH @body JUMP
               head: JUMPDEST SWAP1 DUP2 ADD SWAP1 SWAP2 SWAP3 SWAP2 PUSH @body JUMP
               body: JUMPDEST PUSH1 1 SWAP1 SUB DUP1 PUSH @head JUMPI
               POP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN";
    check_every_count(&b, src, 1..7, 1);
}

/// Loops without an end halt out of gas: every cycle of the two copies
/// passes a gas test. (Without one the compiled code would never return;
/// the run has ten seconds.)
#[test]
fn endless_loops_halt_out_of_gas() {
    let sources = [
        "PUSH1 5 PUSH1 7 PUSH0 head: JUMPDEST PUSH1 1 ADD SWAP2 SWAP1 SWAP2 PUSH @head JUMP",
        "PUSH1 5 PUSH1 7 PUSH0 head: JUMPDEST PUSH1 1 ADD PUSH @b JUMP
         b: JUMPDEST SWAP2 SWAP1 SWAP2 PUSH @head JUMP",
        "PUSH1 5 PUSH1 7 PUSH0 CALLDATALOAD
         head: JUMPDEST SWAP2 SWAP1 SWAP2 PUSH1 1 SWAP1 SUB DUP1 PUSH @head JUMPI STOP",
    ];
    for src in sources {
        let code = assemble(src).unwrap();
        assert_eq!(lowered_twice(&code), 1, "{src}");
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let b = Backends::new();
            let input = word(U256::MAX);
            for gas in [0, 1, 2, 50, 1_000_000] {
                let run = b.run(&code, SpecId::Cancun, gas, &input);
                assert_eq!(run.0.status, Status::Halt(HaltReason::OutOfGas));
            }
            send.send(()).expect("the test waits");
        });
        receive
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no halt within 10 s (or a failure): {src}"));
    }
}
