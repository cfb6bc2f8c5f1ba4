//! Whole programs (control flow, memory, host access, gas) on both backends:
//! results, gas left, refunds, output and host effects must be identical,
//! also at every gas limit around the amount a program needs.

mod common;

use cevm_runtime::asm::assemble;
use cevm_runtime::{HaltReason, SpecId, Status, U256};
use common::*;

/// Runs `source` with plenty of gas, then with gas limits just around what it
/// used and at a spread of smaller limits; both backends must agree each time.
fn sweep(backends: &Backends, source: &str, input: &[u8]) -> Run {
    let code = assemble(source).unwrap_or_else(|e| panic!("{e}: {source}"));
    sweep_code(backends, &code, input)
}

fn sweep_code(backends: &Backends, code: &[u8], input: &[u8]) -> Run {
    let full = backends.run(code, SpecId::Cancun, 10_000_000, input);
    let used = 10_000_000 - full.0.gas_left;
    let mut limits: Vec<u64> = (used.saturating_sub(40)..=used + 3).collect();
    limits.extend((1..20).map(|i| used * i / 20));
    for gas in limits {
        backends.run(code, SpecId::Cancun, gas, input);
    }
    full
}

#[test]
fn loops_with_static_and_dynamic_jumps() {
    let b = Backends::new();
    // Sum 1..=10 with a constant back-edge.
    let run = sweep(
        &b,
        "PUSH 0 PUSH 10
         loop: JUMPDEST DUP1 ISZERO PUSH @end JUMPI
           DUP1 SWAP2 ADD SWAP1 PUSH 1 SWAP1 SUB PUSH @loop JUMP
         end: JUMPDEST POP PUSH0 MSTORE PUSH 32 PUSH0 RETURN",
        &[],
    );
    assert_eq!(returned_word(&run), U256::from(55));
    // The same with the back-edge target computed at run time (dispatch).
    let run = sweep(
        &b,
        "PUSH 0 PUSH 10
         loop: JUMPDEST DUP1 ISZERO PUSH @end JUMPI
           DUP1 SWAP2 ADD SWAP1 PUSH 1 SWAP1 SUB PUSH @loop PUSH 0 ADD JUMP
         end: JUMPDEST POP PUSH0 MSTORE PUSH 32 PUSH0 RETURN",
        &[],
    );
    assert_eq!(returned_word(&run), U256::from(55));
}

#[test]
fn invalid_jumps_halt() {
    let b = Backends::new();
    for src in [
        "PUSH 3 JUMP",                     // not a JUMPDEST
        "PUSH 1 PUSH 7 JUMPI STOP",        // conditional to nowhere
        "PUSH 2 PUSH 0 ADD JUMP",          // computed, invalid
        "PUSH2 0x5b5b PUSH 1 JUMP",        // into PUSH data
        "PUSH32 0x10000000000000000 JUMP", // beyond 64 bits
        "CALLVALUE JUMP JUMPDEST",         // value 7 is past the end
    ] {
        let run = sweep(&b, src, &[]);
        assert_eq!(run.0.status, Status::Halt(HaltReason::InvalidJump), "{src}");
    }
    // A conditional jump not taken to an invalid target is fine.
    let run = sweep(&b, "PUSH 0 PUSH 100 JUMPI PUSH 1 STOP", &[]);
    assert!(run.0.status.is_success());
}

#[test]
fn stack_bounds_halt() {
    let b = Backends::new();
    let run = sweep(&b, "PUSH 1 ADD", &[]);
    assert_eq!(run.0.status, Status::Halt(HaltReason::StackUnderflow));
    let run = sweep(&b, "loop: JUMPDEST PUSH 1 PUSH @loop JUMP", &[]);
    assert_eq!(run.0.status, Status::Halt(HaltReason::StackOverflow));
    let run = sweep(&b, "PUSH 1 SWAP1", &[]);
    assert_eq!(run.0.status, Status::Halt(HaltReason::StackUnderflow));
    let run = sweep(&b, "PUSH 1 DUP2", &[]);
    assert_eq!(run.0.status, Status::Halt(HaltReason::StackUnderflow));
    // Exactly 1024 items is fine.
    let code: Vec<u8> = std::iter::repeat_n(0x5f, 1024).collect();
    let run = sweep_code(&b, &code, &[]);
    assert!(run.0.status.is_success());
    let code: Vec<u8> = std::iter::repeat_n(0x5f, 1025).collect();
    let run = sweep_code(&b, &code, &[]);
    assert_eq!(run.0.status, Status::Halt(HaltReason::StackOverflow));
}

#[test]
fn gas_opcode_is_exact_mid_block() {
    let b = Backends::new();
    let run = sweep(
        &b,
        "GAS PUSH 1 PUSH 2 ADD POP GAS PUSH 3 MUL PUSH0 MSTORE GAS PUSH 32 MSTORE PUSH 64 PUSH0 RETURN",
        &[],
    );
    assert_eq!(run.0.output.len(), 64);
}

#[test]
fn memory_fast_and_slow_paths() {
    let b = Backends::new();
    let run = sweep(
        &b,
        "PUSH 0x1122334455 PUSH 3 MSTORE PUSH 0xab PUSH 100 MSTORE8
         PUSH 0 MLOAD PUSH 64 MLOAD ADD PUSH 5 MLOAD XOR MSIZE ADD
         PUSH 200 MSTORE MSIZE PUSH0 RETURN",
        &[],
    );
    assert_eq!(run.0.output.len(), 256);
    for src in [
        "PUSH 0x100000000 MLOAD",
        "PUSH 1 PUSH 0xffffffffffffffff MSTORE",
        "PUSH 1 PUSH32 0x8000000000000000000000000000000000000000000000000000000000000000 MSTORE8",
        "PUSH 0x4000000 MLOAD",
        "PUSH 0xffffffe0 MLOAD",
    ] {
        let run = sweep(&b, src, &[]);
        assert_eq!(run.0.status, Status::Halt(HaltReason::OutOfGas), "{src}");
    }
    // Expansion whose gas is affordable with a large limit.
    let run = sweep(
        &b,
        "PUSH 1 PUSH 0x20000 MSTORE MSIZE PUSH0 MSTORE PUSH 32 PUSH0 RETURN",
        &[],
    );
    assert_eq!(returned_word(&run), U256::from(0x20020));
}

#[test]
fn host_operations_match() {
    let b = Backends::new();
    let input: Vec<u8> = (0..70u8).collect();
    sweep(
        &b,
        "PUSH 5 PUSH 1 SSTORE PUSH 1 SLOAD PUSH 9 PUSH 2 TSTORE PUSH 2 TLOAD ADD
         PUSH 0 PUSH 1 SSTORE
         CALLDATASIZE PUSH 3 PUSH 10 CALLDATACOPY PUSH 33 CALLDATALOAD
         PUSH 0x20 PUSH 0 KECCAK256 ADDRESS CALLER CALLVALUE ORIGIN
         PUSH 0xaa PUSH 0xbb PUSH 8 PUSH 2 LOG2 PUSH 4 PUSH 0 LOG0
         PUSH 0xcc BALANCE PUSH 0xcc BALANCE SELFBALANCE CHAINID NUMBER TIMESTAMP
         GASLIMIT BASEFEE COINBASE PREVRANDAO BLOBBASEFEE GASPRICE PC CODESIZE
         PUSH 1 BLOCKHASH PUSH 0 BLOBHASH RETURNDATASIZE PUSH 0xdd EXTCODESIZE
         PUSH 0xdd EXTCODEHASH MSIZE
         ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD ADD
         ADD ADD ADD ADD ADD ADD ADD
         PUSH0 MSTORE PUSH 3 PUSH 4 PUSH 5 MCOPY PUSH 64 PUSH0 RETURN",
        &input,
    );
}

#[test]
fn calls_see_exact_gas() {
    let b = Backends::new();
    // The test host returns the gas the callee got as output.
    for src in [
        "PUSH 32 PUSH 0 PUSH 0 PUSH 0 PUSH 0 PUSH 0xee GAS CALL PUSH 1 ADD PUSH 1 PUSH 2 ADD
         POP POP PUSH 32 PUSH 0 RETURN",
        "PUSH 32 PUSH 0 PUSH 0 PUSH 0 PUSH 1 PUSH 0xee PUSH 100000 CALL
         PUSH 32 PUSH 0 PUSH 0 PUSH 0 PUSH 0xee PUSH 50000 STATICCALL
         PUSH 32 PUSH 0 PUSH 0 PUSH 0 PUSH 0xee GAS DELEGATECALL
         PUSH 32 PUSH 0 PUSH 0 PUSH 0 PUSH 0 PUSH 0xee GAS CALLCODE
         RETURNDATASIZE PUSH 0 PUSH 0 RETURNDATACOPY
         ADD ADD ADD PUSH 0 MSTORE PUSH 64 PUSH 0 RETURN",
        "PUSH 1 PUSH 0 PUSH 0 CREATE PUSH 2 PUSH 0 PUSH 0 PUSH 0 CREATE2 ADD PUSH0 MSTORE PUSH 32 PUSH0 RETURN",
    ] {
        sweep(&b, src, &[]);
    }
}

#[test]
fn sstore_sentry_sees_exact_gas() {
    let b = Backends::new();
    // With about 2300 gas left at the SSTORE both backends must agree on the sentry.
    let code = assemble("PUSH 1 PUSH 1 SSTORE PUSH 1 PUSH 2 ADD POP STOP").unwrap();
    for gas in 2290..2330 {
        b.run(&code, SpecId::Cancun, gas, &[]);
    }
    sweep_code(&b, &code, &[]);
}

#[test]
fn terminators() {
    let b = Backends::new();
    let run = sweep(&b, "PUSH 0xbeef PUSH0 MSTORE PUSH 2 PUSH 30 REVERT", &[]);
    assert_eq!(run.0.status, Status::Revert);
    assert_eq!(&run.0.output[..], &[0xbe, 0xef]);
    let run = sweep(&b, "PUSH 0xee SELFDESTRUCT", &[]);
    assert!(run.0.status.is_success());
    let run = sweep(&b, "PUSH 1 INVALID", &[]);
    assert_eq!(run.0.status, Status::Halt(HaltReason::InvalidOpcode));
    let run = b.run(&[0x60, 0x01, 0x0c], SpecId::Cancun, 1000, &[]);
    assert_eq!(run.0.status, Status::Halt(HaltReason::UndefinedOpcode));
    // CLZ is undefined before Osaka.
    let run = b.run(&[0x60, 0x01, 0x1e], SpecId::Prague, 1000, &[]);
    assert_eq!(run.0.status, Status::Halt(HaltReason::UndefinedOpcode));
    let run = b.run(&[], SpecId::Cancun, 1000, &[]);
    assert_eq!(run.0.gas_left, 1000);
    // Running off the end after JUMPI.
    let run = sweep(&b, "PUSH 0 PUSH 0 JUMPI", &[]);
    assert!(run.0.status.is_success());
}

#[test]
fn static_context_rejects_state_changes() {
    let b = Backends::new();
    for src in [
        "PUSH 1 PUSH 1 SSTORE",
        "PUSH 0 PUSH 0 LOG0",
        "PUSH 1 PUSH 1 TSTORE",
    ] {
        let code = assemble(src).unwrap();
        let bytecode = cevm_runtime::Bytecode::new(code.clone().into());
        let mut msg = message(100_000, &[]);
        msg.is_static = true;
        let mut h1 = TestHost::new(SpecId::Cancun);
        let mut h2 = TestHost::new(SpecId::Cancun);
        use cevm_runtime::Executor;
        let r1 = b.jit.execute(&bytecode, &msg, &mut h1);
        let r2 = b.interp.execute(&bytecode, &msg, &mut h2);
        assert_eq!(r1, r2, "{src}");
        assert_eq!(
            r1.status,
            Status::Halt(HaltReason::StateChangeDuringStaticCall)
        );
    }
}

/// Gas limits of 2^63 and more (simulations pass `u64::MAX`): compiled code
/// keeps gas in a signed counter and sets the excess aside, so GAS, the
/// gas a CALL forwards and the gas left must still be exact.
#[test]
fn gas_limits_above_2_pow_63_are_exact() {
    let backends = Backends::new();
    // GAS stored, a call to itself (the 63/64 rule on a huge amount), GAS
    // again, returned.
    let code = assemble(
        "GAS PUSH0 SSTORE
         PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 ADDRESS GAS CALL POP
         GAS PUSH0 MSTORE PUSH1 32 PUSH0 RETURN",
    )
    .unwrap();
    let edge = 1u64 << 63;
    for gas in [edge - 1, edge, edge + 1, u64::MAX - 1, u64::MAX] {
        let run = backends.run(&code, SpecId::Osaka, gas, &[]);
        // `run` compared status, gas left, output and storage already.
        assert!(run.0.status.is_success(), "gas {gas}: {:?}", run.0.status);
    }
}

/// A loop whose every iteration runs `access` at `offset`, then advances
/// `offset` by `step`, `count` times; afterwards MCOPY and KECCAK256 past
/// the end (runtime expansion after native expansion) and the whole memory
/// returned.
fn growing_loop(access: &str, start: &str, step: u64, count: u64) -> String {
    format!(
        "PUSH {start} PUSH {count}
         loop: JUMPDEST DUP1 ISZERO PUSH @end JUMPI
           {access}
           PUSH 1 SWAP1 SUB SWAP1 PUSH {step} ADD SWAP1 PUSH @loop JUMP
         end: JUMPDEST POP POP
           PUSH 64 PUSH 0 MSIZE MCOPY
           MSIZE PUSH0 KECCAK256 PUSH0 MSTORE
           MSIZE PUSH0 RETURN"
    )
}

/// Memory growing in a loop (expanded inline by compiled code while the
/// runtime's buffer allows, by the runtime past it): gas left, output and
/// halts equal the interpreter's at every gas limit around the amount used,
/// so also where an expansion runs out of gas.
#[test]
fn memory_growth_in_loops_is_exact() {
    let b = Backends::new();
    let accesses = [
        "DUP2 DUP1 MSTORE",
        "DUP2 MLOAD POP",
        "DUP2 DUP1 MSTORE8",
        "DUP2 MLOAD DUP3 MSTORE",
    ];
    for access in accesses {
        for (start, step, count) in [
            ("0", 32, 40),
            ("0", 1, 70),
            ("5", 31, 50),
            ("0", 1000, 30),
            ("0x3000", 4095, 12),
            ("0xfe0", 32, 8),
        ] {
            let src = growing_loop(access, start, step, count);
            let run = sweep(&b, &src, &[]);
            assert!(run.0.status.is_success(), "{src}");
        }
        // Offsets no memory can reach: out of gas at the first access.
        for start in [
            "0xffffff00",
            "0x100000000",
            "0xffffffffffffffe0",
            "0xffffffffffffffff",
            "0x10000000000000000",
            "0x8000000000000000000000000000000000000000000000000000000000000000",
        ] {
            let src = growing_loop(access, start, 32, 3);
            let run = sweep(&b, &src, &[]);
            assert_eq!(run.0.status, Status::Halt(HaltReason::OutOfGas), "{src}");
        }
    }
}

/// Memory a frame grows into reads as zero, also when its buffer was
/// recycled from a frame that wrote all over it.
#[test]
fn grown_memory_reads_zero_after_a_dirty_frame() {
    let b = Backends::new();
    let dirty = assemble(&growing_loop("PUSH0 NOT DUP3 MSTORE", "0", 32, 400)).unwrap();
    let read = or_of_words(400);
    for _ in 0..3 {
        let run = b.run(&dirty, SpecId::Cancun, 10_000_000, &[]);
        assert!(run.0.status.is_success());
        let run = b.run(&read, SpecId::Cancun, 10_000_000, &[]);
        assert_eq!(returned_word(&run), U256::ZERO);
    }
}

/// Straight-line code (each instruction runs once in a frame) running
/// `access` on the top item `count` times, starting at offset `start` and
/// adding a step read from the call data (unknown to the compiler) after
/// each, then `ending`.
fn straight_accesses(access: &str, start: &str, count: usize, ending: &str) -> String {
    let mut src = format!("PUSH0 CALLDATALOAD PUSH {start} ");
    for _ in 0..count {
        src.push_str(access);
        src.push_str(" DUP2 ADD ");
    }
    src.push_str(ending);
    src
}

/// The endings memory growth must be settled by: the end of the frame
/// (STOP), RETURN, REVERT, runtime calls that read memory or gas, GAS and
/// MSIZE, and halts.
const GROWTH_ENDINGS: [&str; 7] = [
    "STOP",
    "POP POP MSIZE PUSH0 RETURN",
    "POP POP GAS PUSH0 MSTORE MSIZE PUSH 32 MSTORE PUSH 64 PUSH0 REVERT",
    "POP POP MSIZE PUSH0 KECCAK256 PUSH0 MSTORE PUSH 32 PUSH0 RETURN",
    "POP POP PUSH 64 PUSH 0 MSIZE MCOPY MSIZE PUSH0 RETURN",
    "INVALID",
    "PUSH 3 JUMP",
];

/// Memory growing in code that runs once (compiled code touches the
/// zeroed-ahead buffer and has the runtime charge for it later, or calls
/// the runtime past it): gas left, output and halts equal the
/// interpreter's at every gas limit around the amount used, so also where
/// an expansion runs out of gas, whatever settles it.
#[test]
fn memory_growth_in_code_that_runs_once_is_exact() {
    let b = Backends::new();
    let accesses = [
        "DUP1 DUP1 MSTORE",
        "DUP1 MLOAD POP",
        "DUP1 DUP1 MSTORE8",
        "DUP1 MLOAD DUP2 MSTORE",
    ];
    let minus_32 = U256::MAX - U256::from(31);
    for access in accesses {
        for (start, step, count) in [
            ("0", U256::from(32), 40),
            ("0", U256::from(1), 70),
            ("5", U256::from(31), 50),
            ("0", U256::from(16), 60),
            ("0", U256::from(1000), 30),
            ("0x3000", U256::from(4095), 12),
            ("0xfe0", U256::from(32), 8),
            ("0x2000", minus_32, 20),
            ("0", U256::ZERO, 3),
        ] {
            let input = step.to_be_bytes::<32>();
            for ending in GROWTH_ENDINGS {
                let src = straight_accesses(access, start, count, ending);
                sweep(&b, &src, &input);
            }
        }
        // Offsets no memory can reach: out of gas at the first access.
        for start in [
            "0xffffff00",
            "0x100000000",
            "0xffffffffffffffe0",
            "0xffffffffffffffff",
            "0x10000000000000000",
            "0x8000000000000000000000000000000000000000000000000000000000000000",
        ] {
            let src = straight_accesses(access, start, 3, "STOP");
            let run = sweep(&b, &src, &U256::from(32).to_be_bytes::<32>());
            assert_eq!(run.0.status, Status::Halt(HaltReason::OutOfGas), "{src}");
        }
    }
}

/// Memory growing in a loop, then each of the endings that settle it.
#[test]
fn memory_growth_in_loops_is_settled_by_every_ending() {
    let b = Backends::new();
    for ending in GROWTH_ENDINGS {
        for (step, count) in [(32, 40), (1000, 30), (4095, 12)] {
            let src = format!(
                "PUSH 1 PUSH0 PUSH {count}
                 loop: JUMPDEST DUP1 ISZERO PUSH @end JUMPI
                   DUP2 DUP1 MSTORE
                   PUSH 1 SWAP1 SUB SWAP1 PUSH {step} ADD SWAP1 PUSH @loop JUMP
                 end: JUMPDEST POP {ending}"
            );
            sweep(&b, &src, &[]);
        }
    }
}

/// Bytes compiled code wrote past the length it has not had charged yet
/// survive the buffer's move to the thread's kept large buffer, which an
/// access past the buffer can cause.
#[test]
fn unsettled_memory_survives_a_move_to_the_large_buffer() {
    let b = Backends::new();
    // Leaves a large buffer (128 KiB) kept for the thread.
    let large = assemble("PUSH 1 PUSH 0x1ffe0 MSTORE STOP").unwrap();
    // Writes a word every 512 bytes up to 16 KiB, then one past 16 KiB
    // (whatever buffer the pool gave it, the last access goes past it),
    // and returns the first 16 KiB + 32.
    let mut src = String::new();
    for i in 0..32u64 {
        src.push_str(&format!("PUSH {} PUSH {} MSTORE ", i + 1, i * 512));
    }
    src.push_str("PUSH 7 PUSH 0x5000 MSTORE PUSH 0x4020 PUSH0 RETURN");
    let write = assemble(&src).unwrap();
    for _ in 0..3 {
        assert!(b
            .run(&large, SpecId::Cancun, 10_000_000, &[])
            .0
            .status
            .is_success());
        let run = b.run(&write, SpecId::Cancun, 10_000_000, &[]);
        assert!(run.0.status.is_success());
        for i in 0..32usize {
            let word = U256::from_be_slice(&run.0.output[i * 512..i * 512 + 32]);
            assert_eq!(word, U256::from(i + 1));
        }
    }
}

/// Memory a frame grows into reads as zero after a frame that wrote all
/// over its buffer and halted before the runtime charged for it.
#[test]
fn grown_memory_reads_zero_after_a_frame_halted_unsettled() {
    let b = Backends::new();
    for halt in [
        "INVALID",
        "PUSH 3 JUMP",
        "PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 CALL",
    ] {
        // All ones over 8 KiB, straight-line and in a loop, then a halt
        // (the CALL with gas enough for everything but the memory).
        let mut straight = String::from("PUSH0 NOT ");
        for i in 0..256u64 {
            straight.push_str(&format!("DUP1 PUSH {} MSTORE ", i * 32));
        }
        straight.push_str(halt);
        let looped = format!(
            "PUSH0 PUSH 256
             loop: JUMPDEST DUP1 ISZERO PUSH @end JUMPI
               PUSH0 NOT DUP3 MSTORE
               PUSH 1 SWAP1 SUB SWAP1 PUSH 32 ADD SWAP1 PUSH @loop JUMP
             end: JUMPDEST POP POP {halt}"
        );
        let read = or_of_words(256);
        for dirty in [straight, looped] {
            let dirty = assemble(&dirty).unwrap_or_else(|e| panic!("{e}: {dirty}"));
            // Around the gas that pays for the static part but not the
            // memory (the CALL then halts where it settles), and plenty.
            for gas in (1_000..8_000).step_by(250).chain([10_000_000]) {
                b.run(&dirty, SpecId::Cancun, gas, &[]);
                let run = b.run(&read, SpecId::Cancun, 10_000_000, &[]);
                assert_eq!(returned_word(&run), U256::ZERO);
            }
        }
    }
}

/// Many CALLDATALOADs at constant offsets (more than a function of code
/// that runs once inlines at other offsets) in straight-line code, in a
/// chain of conditional jumps on them, and in a loop: every word read in
/// place, from the zero-padded tail or as zero, for call data of every
/// length around the offsets.
#[test]
fn calldataload_at_constant_offsets_in_long_code() {
    let b = Backends::new();
    let offsets: Vec<u64> = (0..70).step_by(3).chain([100, 1 << 40]).collect();
    // Each word XORed into an accumulator, then returned.
    let mut straight = String::from("PUSH0 ");
    for o in offsets.iter().chain(offsets.iter().rev()) {
        straight.push_str(&format!(
            "PUSH {o} CALLDATALOAD ADD PUSH {o} CALLDATALOAD XOR "
        ));
    }
    straight.push_str("PUSH0 MSTORE PUSH 32 PUSH0 RETURN");
    // Conditional jumps over the next unit when the word is non-zero.
    let mut chain = String::from("PUSH0 ");
    for (i, o) in offsets.iter().enumerate() {
        chain.push_str(&format!(
            "u{i}: JUMPDEST PUSH {o} CALLDATALOAD PUSH @v{i} JUMPI PUSH 1 ADD v{i}: JUMPDEST PUSH 3 MUL "
        ));
    }
    chain.push_str("PUSH0 MSTORE PUSH 32 PUSH0 RETURN");
    let looped = "PUSH0 PUSH 20
         loop: JUMPDEST PUSH 1 SWAP1 SUB
           PUSH 4 CALLDATALOAD PUSH 36 CALLDATALOAD XOR SWAP1 SWAP2 ADD SWAP1
           DUP1 PUSH @loop JUMPI
         POP PUSH0 MSTORE PUSH 32 PUSH0 RETURN";
    for len in [0usize, 1, 4, 31, 32, 33, 36, 40, 67, 68, 69, 100, 140] {
        let input: Vec<u8> = (0..len).map(|i| 0x5a ^ (i as u8).wrapping_mul(7)).collect();
        for src in [straight.as_str(), chain.as_str(), looped] {
            let run = sweep(&b, src, &input);
            assert!(run.0.status.is_success(), "{:?}: {src}", run.0.status);
        }
    }
}

/// CALLDATALOAD at every offset around the end of call data of every
/// length around 32 bytes, and at offsets of 2^64 and more, with a constant
/// offset in code that runs once and with an offset from the call data in a
/// loop: the word read in place, from the zero-padded tail, or zero.
#[test]
fn calldataload_at_every_offset_around_the_end() {
    let b = Backends::new();
    let huge = [
        "0x10000000000000000",
        "0x10000000000000003",
        "0xffffffffffffffff",
    ];
    for len in [0usize, 1, 5, 31, 32, 33, 40, 63, 64, 65, 100] {
        let input: Vec<u8> = (0..len).map(|i| 0xa0 ^ i as u8).collect();
        let offsets = (0..=len + 34)
            .map(|o| o.to_string())
            .chain(huge.map(String::from));
        for offset in offsets {
            let once = format!("PUSH {offset} CALLDATALOAD PUSH0 MSTORE PUSH 32 PUSH0 RETURN");
            let run = b.run(&assemble(&once).unwrap(), SpecId::Cancun, 100_000, &input);
            assert!(run.0.status.is_success());
        }
        // In a loop, the sum of the words at offsets len - 20 to len + 19
        // (wrapping to offsets near 2^256 when len < 20).
        let looped = "PUSH0 PUSH 40 \
             loop: JUMPDEST PUSH 1 SWAP1 SUB \
             DUP1 CALLDATASIZE ADD PUSH 20 SWAP1 SUB CALLDATALOAD \
             SWAP1 SWAP2 ADD SWAP1 DUP1 PUSH @loop JUMPI \
             POP PUSH0 MSTORE PUSH 32 PUSH0 RETURN";
        let run = b.run(
            &assemble(looped).unwrap(),
            SpecId::Cancun,
            1_000_000,
            &input,
        );
        assert!(run.0.status.is_success(), "{:?}", run.0.status);
    }
}

/// Code that ORs the first `words` words of memory (growing it over them)
/// and returns the OR: zero unless some byte it grows into was not.
fn or_of_words(words: u64) -> Vec<u8> {
    assemble(&format!(
        "PUSH0 PUSH0 PUSH {words}
         loop: JUMPDEST DUP1 ISZERO PUSH @end JUMPI
           DUP2 MLOAD DUP4 OR SWAP3 POP
           PUSH 1 SWAP1 SUB SWAP1 PUSH 32 ADD SWAP1 PUSH @loop JUMP
         end: JUMPDEST POP POP PUSH0 MSTORE PUSH 32 PUSH0 RETURN"
    ))
    .unwrap()
}
