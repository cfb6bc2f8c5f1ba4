//! Unit tests of the dispatch loop against a host with no accounts: stack
//! and gas checks, the pure instruction families, jumps and tracing.

use crate::test_host::EmptyHost;
use crate::tracer::{Eip3155Writer, Step, Tracer};
use crate::Interpreter;
use cevm_runtime::asm::assemble;
use cevm_runtime::{
    Address, Bytecode, Bytes, Executor, FrameResult, HaltReason, Message, SpecId, Status,
    SuccessReason, U256,
};
use std::sync::{Arc, Mutex};

/// One recorded step: pc, name, gas before, stack.
type Recorded = (usize, String, u64, Vec<U256>);

/// Keeps every step, for inspecting the stack at the end.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Recorded>>>);

impl Tracer for Recorder {
    fn step(&mut self, s: &Step<'_>) {
        self.0
            .lock()
            .unwrap()
            .push((s.pc, s.op_name.to_string(), s.gas, s.stack.to_vec()));
    }
    fn frame_end(&mut self, _: usize, _: u64, _: &FrameResult) {}
}

fn message(gas: u64) -> Message<'static> {
    Message {
        caller: Address::repeat_byte(0x11),
        address: Address::repeat_byte(0xcc),
        code_address: Address::repeat_byte(0xcc),
        value: U256::ZERO,
        input: &[],
        gas_limit: gas,
        is_static: false,
        depth: 0,
        is_create: false,
    }
}

/// Runs raw `code` with `gas` under `spec`; returns the result and the
/// steps (the last step's stack is the final stack when the code ends in STOP).
fn run_bytes(code: Vec<u8>, gas: u64, spec: SpecId) -> (FrameResult, Vec<Recorded>) {
    let recorder = Recorder::default();
    let interp = Interpreter::with_tracer(Box::new(recorder.clone()));
    let code = Bytecode::new(Bytes::from(code));
    let result = interp.execute(&code, &message(gas), &mut EmptyHost::new(spec));
    let steps = recorder.0.lock().unwrap().clone();
    (result, steps)
}

fn run(source: &str) -> (FrameResult, Vec<Recorded>) {
    run_bytes(assemble(source).unwrap(), 1_000_000, SpecId::Osaka)
}

/// The stack when the code stopped.
fn final_stack(source: &str) -> Vec<U256> {
    let (result, steps) = run(source);
    assert_eq!(
        result.status,
        Status::Success(SuccessReason::Stop),
        "{source}"
    );
    steps.last().unwrap().3.clone()
}

fn u(x: u64) -> U256 {
    U256::from(x)
}

#[test]
fn arithmetic_through_the_loop() {
    assert_eq!(final_stack("PUSH1 2 PUSH1 3 ADD"), [u(5)]);
    assert_eq!(final_stack("PUSH1 2 PUSH1 3 SUB"), [u(1)]);
    assert_eq!(final_stack("PUSH1 0 PUSH1 7 DIV"), [u(0)]);
    assert_eq!(final_stack("PUSH1 0 PUSH1 7 MOD"), [u(0)]);
    assert_eq!(final_stack("PUSH1 3 PUSH1 2 PUSH1 5 ADDMOD"), [u(1)]);
    assert_eq!(final_stack("PUSH1 0xff PUSH1 0 SIGNEXTEND"), [U256::MAX]);
    assert_eq!(final_stack("PUSH1 0xff PUSH1 32 SIGNEXTEND"), [u(0xff)]);
    assert_eq!(final_stack("PUSH1 0xff PUSH1 32 BYTE"), [u(0)]);
    assert_eq!(final_stack("PUSH1 1 PUSH2 256 SHL"), [u(0)]);
    assert_eq!(final_stack("PUSH0 NOT PUSH2 256 SAR"), [U256::MAX]);
    assert_eq!(final_stack("PUSH1 1 PUSH1 2 LT"), [u(0)]);
    assert_eq!(final_stack("PUSH0 NOT PUSH1 1 SLT"), [u(0)]);
    assert_eq!(final_stack("PUSH1 1 CLZ"), [u(255)]);
    // SDIV MIN / -1 = MIN.
    let min = U256::from(1) << 255;
    assert_eq!(final_stack("PUSH0 NOT PUSH1 1 PUSH1 255 SHL SDIV"), [min]);
}

#[test]
fn stack_family_reads_sizes_from_the_table() {
    assert_eq!(final_stack("PUSH1 1 PUSH1 2 DUP2"), [u(1), u(2), u(1)]);
    assert_eq!(
        final_stack("PUSH1 1 PUSH1 2 PUSH1 3 SWAP2"),
        [u(3), u(2), u(1)]
    );
    assert_eq!(final_stack("PUSH1 1 PUSH1 2 POP"), [u(1)]);
    let pushes = |n: u64| (1..=n).map(|i| format!("PUSH1 {i} ")).collect::<String>();
    let s = final_stack(&format!("{} DUP16", pushes(16)));
    assert_eq!(s.len(), 17);
    assert_eq!(s[16], u(1));
    let s = final_stack(&format!("{} SWAP16", pushes(17)));
    assert_eq!((s[0], s[16]), (u(17), u(1)));
    assert_eq!(s[1..16], (2..=16).map(u).collect::<Vec<_>>()[..]);
}

#[test]
fn truncated_push_reads_zeros_then_stops() {
    let (result, steps) = run_bytes(vec![0x61, 0xff], 100, SpecId::Osaka);
    assert_eq!(result.status, Status::Success(SuccessReason::Stop));
    assert_eq!(steps.last().unwrap().3, [u(0xff00)]);
    assert_eq!(steps.last().unwrap().0, 3, "STOP past the end of the code");
    assert_eq!(result.gas_left, 97);
}

#[test]
fn static_and_exp_gas() {
    let (r, _) = run("PUSH1 2 PUSH1 3 ADD");
    assert_eq!(1_000_000 - r.gas_left, 9);
    // EXP: 10 static + 50 per exponent byte.
    for (exponent, bytes) in [("0", 0), ("0xff", 1), ("0x100", 2), ("0xffffffff", 4)] {
        let (r, _) = run(&format!("PUSH {exponent} PUSH1 2 EXP"));
        let push_gas = if exponent == "0" { 2 } else { 3 };
        assert_eq!(
            1_000_000 - r.gas_left,
            push_gas + 3 + 10 + 50 * bytes,
            "{exponent}"
        );
    }
    let (r, _) = run("PUSH0 NOT PUSH1 2 EXP");
    assert_eq!(1_000_000 - r.gas_left, 2 + 3 + 3 + 10 + 50 * 32);
}

#[test]
fn gas_pushes_what_is_left_after_its_own_cost() {
    let (r, steps) = run_bytes(assemble("GAS").unwrap(), 100, SpecId::Osaka);
    assert_eq!(r.gas_left, 98);
    assert_eq!(steps.last().unwrap().3, [u(98)]);
}

#[test]
fn out_of_gas_consumes_everything() {
    let (r, _) = run_bytes(assemble("PUSH1 1 PUSH1 2").unwrap(), 5, SpecId::Osaka);
    assert_eq!(r, FrameResult::halt(HaltReason::OutOfGas));
}

#[test]
fn undefined_and_invalid_instructions_halt() {
    let (r, _) = run_bytes(vec![0x0c], 100, SpecId::Osaka);
    assert_eq!(r, FrameResult::halt(HaltReason::UndefinedOpcode));
    let (r, _) = run_bytes(vec![0xfe], 100, SpecId::Osaka);
    assert_eq!(r, FrameResult::halt(HaltReason::InvalidOpcode));
    // CLZ exists from Osaka only.
    let clz = assemble("PUSH1 1 CLZ").unwrap();
    let (r, steps) = run_bytes(clz.clone(), 100, SpecId::Prague);
    assert_eq!(r, FrameResult::halt(HaltReason::UndefinedOpcode));
    assert_eq!(steps.last().unwrap().1, "UNDEFINED(0x1e)");
    let (r, _) = run_bytes(clz, 100, SpecId::Osaka);
    assert!(r.status.is_success());
}

#[test]
fn stack_underflow_and_overflow_halt() {
    let (r, _) = run("PUSH1 1 ADD");
    assert_eq!(r, FrameResult::halt(HaltReason::StackUnderflow));
    let (r, _) = run("PUSH1 1 SWAP1");
    assert_eq!(r, FrameResult::halt(HaltReason::StackUnderflow));
    let (r, _) = run_bytes(vec![0x5f; 1024], 1_000_000, SpecId::Osaka);
    assert!(r.status.is_success());
    let (r, _) = run_bytes(vec![0x5f; 1025], 1_000_000, SpecId::Osaka);
    assert_eq!(r, FrameResult::halt(HaltReason::StackOverflow));
    let mut full_then_dup = vec![0x5f; 1024];
    full_then_dup.push(0x80);
    let (r, _) = run_bytes(full_then_dup, 1_000_000, SpecId::Osaka);
    assert_eq!(r, FrameResult::halt(HaltReason::StackOverflow));
}

#[test]
fn jumps_must_land_on_jumpdest_outside_push_data() {
    assert_eq!(
        final_stack("PUSH @target JUMP INVALID target: JUMPDEST PUSH1 7"),
        [u(7)]
    );
    assert_eq!(
        final_stack("PUSH1 1 PUSH @target JUMPI INVALID target: JUMPDEST PUSH1 7"),
        [u(7)]
    );
    assert_eq!(final_stack("PUSH0 PUSH1 0xff JUMPI PUSH1 7"), [u(7)]);
    // PUSH1 3 JUMP PUSH1 0x5b: offset 3 is a 0x5b byte inside PUSH data.
    let (r, _) = run_bytes(vec![0x60, 0x03, 0x56, 0x60, 0x5b], 100, SpecId::Osaka);
    assert_eq!(r, FrameResult::halt(HaltReason::InvalidJump));
    let (r, _) = run("PUSH0 NOT JUMP");
    assert_eq!(r, FrameResult::halt(HaltReason::InvalidJump));
    assert_eq!(final_stack("PUSH1 1 PC"), [u(1), u(2)]);
}

#[test]
fn trace_lines_are_eip3155() {
    let buffer = SharedBuffer::default();
    let interp = Interpreter::with_tracer(Box::new(Eip3155Writer::new(buffer.clone())));
    let code = Bytecode::new(Bytes::from(assemble("PUSH1 2 PUSH1 3 ADD").unwrap()));
    interp.execute(&code, &message(100), &mut EmptyHost::new(SpecId::Cancun));
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[2]["opName"], "ADD");
    assert_eq!(lines[2]["gas"], "0x5e");
    assert_eq!(lines[2]["gasCost"], "0x3");
    assert_eq!(lines[2]["stack"], serde_json::json!(["0x2", "0x3"]));
    assert_eq!(lines[2]["depth"], 1);
    assert_eq!(lines[3]["opName"], "STOP");
    assert_eq!(lines[4]["gasUsed"], "0x9");
    assert_eq!(lines[4]["pass"], true);
}

/// A `Write` whose bytes the test can read after the interpreter is done.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn memory_family_charges_expansion() {
    // MSTORE at 0: 3 + 3 (pushes) + 3 static + 3 for one word.
    let (r, steps) = run("PUSH1 0x2a PUSH0 MSTORE PUSH0 MLOAD MSIZE");
    assert_eq!(1_000_000 - r.gas_left, 3 + 2 + 3 + 3 + 2 + 3 + 2);
    assert_eq!(steps.last().unwrap().3, [u(0x2a), u(32)]);
    // MSTORE8 at 33 grows memory to two words.
    let (r, steps) = run("PUSH1 0xff PUSH1 33 MSTORE8 MSIZE");
    assert_eq!(1_000_000 - r.gas_left, 3 + 3 + 3 + 6 + 2);
    assert_eq!(steps.last().unwrap().3, [u(64)]);
    // KECCAK256 of nothing.
    let empty_hash = U256::from_be_bytes(cevm_runtime::primitives::KECCAK256_EMPTY.0);
    assert_eq!(final_stack("PUSH0 PUSH0 KECCAK256"), [empty_hash]);
}

#[test]
fn huge_memory_offsets_are_out_of_gas_not_allocation() {
    let huge_gas = 1u64 << 62;
    for source in [
        "PUSH1 1 PUSH5 0x0100000000 MSTORE",
        "PUSH1 1 PUSH8 0xffffffffffffffff MSTORE",
        "PUSH0 NOT MLOAD",
        "PUSH1 32 PUSH0 NOT KECCAK256",
        "PUSH1 32 PUSH0 PUSH6 0x010000000000 MCOPY",
    ] {
        let (r, _) = run_bytes(assemble(source).unwrap(), huge_gas, SpecId::Osaka);
        assert_eq!(r, FrameResult::halt(HaltReason::OutOfGas), "{source}");
    }
    // Just below the cap the cost alone is out of reach of a normal limit.
    let (r, _) = run_bytes(
        assemble("PUSH1 1 PUSH4 0xffffffe0 MSTORE").unwrap(),
        30_000_000,
        SpecId::Osaka,
    );
    assert_eq!(r, FrameResult::halt(HaltReason::OutOfGas));
    // A zero-length access at a huge offset touches nothing.
    let (r, _) = run("PUSH0 PUSH0 NOT KECCAK256 MSIZE");
    assert!(r.status.is_success());
}

#[test]
fn interpreter_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Interpreter>();
}

#[test]
fn random_code_never_panics() {
    // Deterministic xorshift: the same programs every run.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let interp = Interpreter::new();
    for _ in 0..3000 {
        let len = (next() % 64) as usize;
        let code: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                // Bias towards small operands so memory and jumps are exercised.
                if r % 3 == 0 {
                    0x60
                } else {
                    (r >> 8) as u8
                }
            })
            .collect();
        let code = Bytecode::new(Bytes::from(code));
        for spec in SpecId::SUPPORTED {
            let r = interp.execute(&code, &message(100_000), &mut EmptyHost::new(spec));
            assert!(r.gas_left <= 100_000);
            if let Status::Halt(_) = r.status {
                assert_eq!(r.gas_left, 0);
            }
        }
    }
}
