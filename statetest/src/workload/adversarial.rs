//! Codes of the maximum deployable size (24 KiB, EIP-170) built to be hard
//! for a compiler rather than to compute something: each stresses one thing
//! that makes a function expensive to compile (many blocks, many jump
//! targets, one huge block, long-lived values, garbage). They are
//! benchmarks of compile time and peak memory first; each also runs (with
//! empty call data) to a quick end, so its run time is measured too.
//!
//! - `adversarial/jumpdests`: nothing but JUMPDESTs (24,576 one-byte blocks);
//! - `adversarial/jumpi_chain`: a chain of conditional jumps on call data,
//!   each to the block after next (3,072 blocks with two successors);
//! - `adversarial/computed_jumps`: every block ends in a jump to a target
//!   computed from call data (every JUMPDEST is a possible target of every
//!   jump);
//! - `adversarial/dup_swap`: one straight-line block of DUP/SWAP-heavy
//!   arithmetic on call-data words (about 20,000 instructions);
//! - `adversarial/push32`: PUSH32 runs that fill the stack, folded by
//!   arithmetic;
//! - `adversarial/random`: random bytes (a fixed seed), ending in STOP.
//!
//! The codes come from a fixed seed, so every run measures the same bytes.

use super::{call_workload, Workload};
use alloy_primitives::Bytes;
use cevm_runtime::opcode::op;

/// EIP-170's limit on deployed code, the size of every code here.
pub const ADVERSARIAL_SIZE: usize = 24 * 1024;

/// Every adversarial workload, in table order.
pub fn adversarial_workloads() -> Vec<Workload> {
    [
        ("adversarial/jumpdests", jumpdests()),
        ("adversarial/jumpi_chain", jumpi_chain()),
        ("adversarial/computed_jumps", computed_jumps()),
        ("adversarial/dup_swap", dup_swap()),
        ("adversarial/push32", push32()),
        ("adversarial/random", random()),
    ]
    .into_iter()
    .map(|(name, code)| call_workload(name, Bytes::from(code), Bytes::new()))
    .collect()
}

/// A small deterministic generator (splitmix64), so the codes never change.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Pads `code` with STOPs to [`ADVERSARIAL_SIZE`] (it must not be longer).
fn padded(mut code: Vec<u8>) -> Vec<u8> {
    assert!(code.len() <= ADVERSARIAL_SIZE, "generator overran 24 KiB");
    code.resize(ADVERSARIAL_SIZE, op::STOP);
    code
}

fn jumpdests() -> Vec<u8> {
    vec![op::JUMPDEST; ADVERSARIAL_SIZE]
}

/// Units of `JUMPDEST PUSH1 0 CALLDATALOAD PUSH2 <unit after next> JUMPI`;
/// with empty call data no jump is taken.
fn jumpi_chain() -> Vec<u8> {
    const UNIT: usize = 8;
    let mut code = Vec::with_capacity(ADVERSARIAL_SIZE);
    while code.len() + UNIT < ADVERSARIAL_SIZE {
        let target = (code.len() + 2 * UNIT).min(ADVERSARIAL_SIZE - 1) as u16;
        code.extend_from_slice(&[op::JUMPDEST, op::PUSH1, 0, op::CALLDATALOAD, op::PUSH2]);
        code.extend_from_slice(&target.to_be_bytes());
        code.push(op::JUMPI);
    }
    // The last targets land here.
    code.push(op::JUMPDEST);
    padded(code)
}

/// Units of `JUMPDEST PUSH2 <next unit> PUSH1 0 CALLDATALOAD ADD JUMP`: the
/// target is the next unit plus a call-data word (zero here), which no
/// analysis can know.
fn computed_jumps() -> Vec<u8> {
    const UNIT: usize = 9;
    let mut code = Vec::with_capacity(ADVERSARIAL_SIZE);
    while code.len() + UNIT < ADVERSARIAL_SIZE {
        let next = (code.len() + UNIT) as u16;
        code.push(op::JUMPDEST);
        code.push(op::PUSH2);
        code.extend_from_slice(&next.to_be_bytes());
        code.extend_from_slice(&[op::PUSH1, 0, op::CALLDATALOAD, op::ADD, op::JUMP]);
    }
    code.push(op::JUMPDEST);
    padded(code)
}

/// Seventeen call-data words, then DUPs, SWAPs and binary arithmetic chosen
/// at random with the stack kept between 17 and 48 items.
fn dup_swap() -> Vec<u8> {
    const BINARY: [u8; 10] = [
        op::ADD,
        op::MUL,
        op::SUB,
        op::XOR,
        op::AND,
        op::OR,
        op::LT,
        op::SHR,
        op::SHL,
        op::EQ,
    ];
    let mut rng = Rng(0x00d0_95a9);
    let mut code = Vec::with_capacity(ADVERSARIAL_SIZE);
    for i in 0..17u16 {
        code.push(op::PUSH2);
        code.extend_from_slice(&(i * 32).to_be_bytes());
        code.push(op::CALLDATALOAD);
    }
    // At least 17 items, so that SWAP16 always has its operands.
    let mut height: u64 = 17;
    while code.len() + 1 < ADVERSARIAL_SIZE {
        let choice = rng.below(3);
        if choice == 0 && height < 48 {
            code.push(op::DUP1 + rng.below(16) as u8);
            height += 1;
        } else if choice == 1 {
            code.push(op::SWAP1 + rng.below(16) as u8);
        } else if height > 17 {
            code.push(BINARY[rng.below(BINARY.len() as u64) as usize]);
            height -= 1;
        } else {
            code.push(op::DUP1 + rng.below(16) as u8);
            height += 1;
        }
    }
    padded(code)
}

/// Runs of random PUSH32 words (up to 900 on the stack), each run folded
/// down to one word by ADD and XOR before the next.
fn push32() -> Vec<u8> {
    let mut rng = Rng(0x0003_2032);
    let mut code = Vec::with_capacity(ADVERSARIAL_SIZE);
    loop {
        let run = 1 + rng.below(900) as usize;
        // One PUSH32 (33 bytes) and one fold (1 byte) per word.
        if code.len() + run * 34 + 1 > ADVERSARIAL_SIZE {
            break;
        }
        for _ in 0..run {
            let word: Vec<u8> = (0..4).flat_map(|_| rng.next().to_be_bytes()).collect();
            code.push(op::PUSH32);
            code.extend_from_slice(&word);
        }
        for i in 0..run - 1 {
            code.push(if i % 2 == 0 { op::ADD } else { op::XOR });
        }
        code.push(op::POP);
    }
    padded(code)
}

/// Random bytes, ending in STOP. Run, they halt early (an undefined
/// opcode or a bad jump, checked by a test not to be a loop).
fn random() -> Vec<u8> {
    let mut rng = Rng(0x00ad_5eed);
    let mut code: Vec<u8> = (0..ADVERSARIAL_SIZE).map(|_| rng.next() as u8).collect();
    code[ADVERSARIAL_SIZE - 1] = op::STOP;
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use cevm_interp::Interpreter;
    use cevm_runtime::{HaltReason, Status};

    #[test]
    fn every_code_is_24_kib_and_ends_quickly() {
        let workloads = adversarial_workloads();
        assert_eq!(workloads.len(), 6);
        for mut w in workloads {
            assert_eq!(w.code().len(), ADVERSARIAL_SIZE, "{}", w.name);
            // With 10 M gas, a code that loops runs out of gas; every code
            // here ends (by STOP or a halt of its own) well before.
            w.tx.gas_limit = 10_000_000;
            let outcome = w.run(&Interpreter::new()).unwrap();
            assert_ne!(
                outcome.status,
                Status::Halt(HaltReason::OutOfGas),
                "{}",
                w.name
            );
        }
    }

    #[test]
    fn the_structured_codes_run_to_their_end() {
        for w in adversarial_workloads() {
            if w.name == "adversarial/random" {
                continue;
            }
            let outcome = w.run(&Interpreter::new()).unwrap();
            assert!(
                outcome.status.is_success(),
                "{}: {:?}",
                w.name,
                outcome.status
            );
        }
    }

    #[test]
    fn the_codes_are_fixed() {
        let a = adversarial_workloads();
        let b = adversarial_workloads();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.code(), y.code(), "{}", x.name);
        }
        // Each is different from the others.
        for (i, x) in a.iter().enumerate() {
            for y in &a[i + 1..] {
                assert_ne!(x.code(), y.code());
            }
        }
    }
}
