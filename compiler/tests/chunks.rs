//! Contracts cut into tiny chunks (a function per block or two), so that
//! nearly every edge is a tail call between chunks: fall-throughs, static
//! jumps, function returns, computed jumps through the dispatch table,
//! merged block chains and runtime calls on both sides of a cut must all
//! behave as in one function, that is as the interpreter.

mod common;

use cevm_compiler::{ChunkLimits, JitExecutor};
use cevm_runtime::asm::assemble;
use cevm_runtime::SpecId;
use common::*;

/// Tiny chunks; the first and last also keep the stack base in the pinned
/// register in every function (as large contracts do), the middle one in
/// none.
const TINY: [ChunkLimits; 3] = [
    ChunkLimits {
        instructions: 1,
        blocks: 1,
        pin_above_insts: 0,
    },
    ChunkLimits {
        instructions: 8,
        blocks: 4,
        pin_above_insts: usize::MAX,
    },
    ChunkLimits {
        instructions: 40,
        blocks: 2,
        pin_above_insts: 0,
    },
];

/// Assembly sources; each reads its first call data word as a parameter.
const PROGRAMS: &[&str] = &[
    // A chain of static jumps.
    "PUSH1 1 PUSH @a JUMP a: JUMPDEST PUSH1 2 ADD PUSH @b JUMP b: JUMPDEST PUSH1 3 ADD \
     PUSH0 MSTORE PUSH1 32 PUSH0 RETURN",
    // A computed jump whose target is call data.
    "PUSH1 5 PUSH0 CALLDATALOAD JUMP a: JUMPDEST PUSH1 2 ADD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN \
     b: JUMPDEST PUSH1 7 ADD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN",
    // A function called from two sites, returning through a pushed address.
    "PUSH1 9 PUSH @r1 PUSH1 4 PUSH @f JUMP r1: JUMPDEST PUSH @r2 SWAP1 PUSH @f JUMP \
     r2: JUMPDEST ADD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN \
     f: JUMPDEST PUSH1 10 MUL SWAP1 JUMP",
    // A runtime call before a conditional jump, in both directions.
    "PUSH0 CALLDATALOAD PUSH1 1 AND PUSH @x JUMPI PUSH1 1 PUSH0 MSTORE PUSH1 32 PUSH0 RETURN \
     x: JUMPDEST NUMBER PUSH0 MSTORE PUSH1 32 PUSH0 RETURN",
    // A counted loop with memory and storage: gas and heights cross cuts.
    "PUSH0 CALLDATALOAD PUSH1 31 AND PUSH0 \
     top: JUMPDEST DUP2 DUP2 LT ISZERO PUSH @done JUMPI \
     DUP1 DUP1 MUL DUP2 PUSH1 5 SHL MSTORE DUP1 DUP1 SSTORE PUSH1 1 ADD PUSH @top JUMP \
     done: JUMPDEST MSIZE PUSH0 RETURN",
    // A loop whose exit is a jump to call data (dispatch from a loop).
    "PUSH1 3 loop: JUMPDEST PUSH1 1 SWAP1 SUB DUP1 PUSH @loop JUMPI POP PUSH0 CALLDATALOAD JUMP \
     t: JUMPDEST PUSH1 66 PUSH0 SSTORE STOP \
     u: JUMPDEST PUSH1 1 PUSH0 REVERT",
    // Deep stack use across cuts, then a stack underflow on some inputs.
    "PUSH1 1 PUSH1 2 PUSH1 3 PUSH1 4 PUSH1 5 PUSH @m JUMP m: JUMPDEST ADD ADD ADD ADD \
     PUSH0 CALLDATALOAD PUSH @bad JUMPI PUSH0 MSTORE PUSH1 32 PUSH0 RETURN \
     bad: JUMPDEST ADD ADD STOP",
];

fn inputs(labels: &[u16]) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    for v in [1u16, 8, 40, 0xffff].iter().chain(labels) {
        let mut word = vec![0u8; 32];
        word[30..].copy_from_slice(&v.to_be_bytes());
        out.push(word);
    }
    out
}

/// Every JUMPDEST of `code`, as call data candidates for computed jumps.
fn jumpdests(code: &[u8]) -> Vec<u16> {
    let mut out = Vec::new();
    let mut pc = 0;
    while pc < code.len() {
        let op = code[pc];
        if op == 0x5b {
            out.push(pc as u16);
        }
        pc += 1 + if (0x60..=0x7f).contains(&op) {
            (op - 0x5f) as usize
        } else {
            0
        };
    }
    out
}

#[test]
fn tiny_chunks_run_like_the_interpreter() {
    for limits in TINY {
        let backends = Backends::with_jit(JitExecutor::new().with_chunk_limits(limits));
        for src in PROGRAMS {
            let code = assemble(src).unwrap_or_else(|e| panic!("{src}: {e}"));
            for input in inputs(&jumpdests(&code)) {
                for gas in [60, 300, 100_000] {
                    backends.run(&code, SpecId::Osaka, gas, &input);
                }
            }
        }
        assert!(
            backends.jit.failures().is_empty(),
            "{:?}",
            backends.jit.failures()
        );
    }
}

#[test]
fn tiny_chunks_run_random_code_like_the_interpreter() {
    let backends = Backends::with_jit(JitExecutor::new().with_chunk_limits(TINY[1]));
    let mut rng = Rng(0x00c4_a9c5);
    for _ in 0..200 {
        // Mostly valid opcodes with plenty of JUMPDESTs and small pushes, so
        // that jumps land and blocks are short.
        let len = 20 + (rng.next_u64() % 200) as usize;
        let mut code = Vec::with_capacity(len);
        while code.len() < len {
            match rng.next_u64() % 8 {
                0 => code.push(0x5b),
                1 => code.extend([0x60, (rng.next_u64() % (len as u64)) as u8, 0x56]),
                2 => code.extend([0x60, (rng.next_u64() % (len as u64)) as u8, 0x57]),
                3 => code.extend([0x60, (rng.next_u64() % 4) as u8]),
                _ => code.push((rng.next_u64() % 0x60) as u8),
            }
        }
        for input in [&[][..], &[0x01u8; 32][..]] {
            backends.run(&code, SpecId::Osaka, 50_000, input);
        }
    }
    assert!(
        backends.jit.failures().is_empty(),
        "{:?}",
        backends.jit.failures()
    );
}
