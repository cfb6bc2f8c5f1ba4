//! Arithmetic, comparison and bitwise opcodes on random and edge operands,
//! checked against ruint-based references and the reference interpreter.

mod common;

use cevm_runtime::opcode::op;
use cevm_runtime::primitives::I256;
use cevm_runtime::{SpecId, U256};
use common::*;

fn signed(x: U256) -> I256 {
    I256::from_raw(x)
}

fn sar_ref(shift: U256, value: U256) -> U256 {
    let negative = value.bit(255);
    if shift >= U256::from(256) {
        return if negative { U256::MAX } else { U256::ZERO };
    }
    let s = shift.to::<usize>();
    if negative {
        !((!value) >> s)
    } else {
        value >> s
    }
}

fn signextend_ref(b: U256, x: U256) -> U256 {
    if b >= U256::from(31) {
        return x;
    }
    let bit = b.to::<usize>() * 8 + 7;
    let mask = (U256::from(1) << (bit + 1)) - U256::from(1);
    if x.bit(bit) {
        x | !mask
    } else {
        x & mask
    }
}

fn bool_word(b: bool) -> U256 {
    U256::from(b as u8)
}

/// The reference for `opcode` on operands in stack order (top first).
fn reference(opcode: u8, a: U256, b: U256, c: U256) -> U256 {
    match opcode {
        op::ADD => a.wrapping_add(b),
        op::MUL => a.wrapping_mul(b),
        op::SUB => a.wrapping_sub(b),
        op::DIV => a.checked_div(b).unwrap_or_default(),
        op::SDIV => {
            if b.is_zero() {
                U256::ZERO
            } else {
                signed(a).wrapping_div(signed(b)).into_raw()
            }
        }
        op::MOD => a.checked_rem(b).unwrap_or_default(),
        op::SMOD => {
            if b.is_zero() {
                U256::ZERO
            } else {
                signed(a).wrapping_rem(signed(b)).into_raw()
            }
        }
        op::ADDMOD => a.add_mod(b, c),
        op::MULMOD => a.mul_mod(b, c),
        op::EXP => a.wrapping_pow(b),
        op::SIGNEXTEND => signextend_ref(a, b),
        op::LT => bool_word(a < b),
        op::GT => bool_word(a > b),
        op::SLT => bool_word(signed(a) < signed(b)),
        op::SGT => bool_word(signed(a) > signed(b)),
        op::EQ => bool_word(a == b),
        op::ISZERO => bool_word(a.is_zero()),
        op::AND => a & b,
        op::OR => a | b,
        op::XOR => a ^ b,
        op::NOT => !a,
        op::BYTE => {
            if a >= U256::from(32) {
                U256::ZERO
            } else {
                U256::from(b.byte(31 - a.to::<usize>()))
            }
        }
        op::SHL => {
            if a >= U256::from(256) {
                U256::ZERO
            } else {
                b << a.to::<usize>()
            }
        }
        op::SHR => {
            if a >= U256::from(256) {
                U256::ZERO
            } else {
                b >> a.to::<usize>()
            }
        }
        op::SAR => sar_ref(a, b),
        op::CLZ => U256::from(a.leading_zeros()),
        _ => unreachable!("not an arithmetic opcode"),
    }
}

const OPS: [(u8, usize); 26] = [
    (op::ADD, 2),
    (op::MUL, 2),
    (op::SUB, 2),
    (op::DIV, 2),
    (op::SDIV, 2),
    (op::MOD, 2),
    (op::SMOD, 2),
    (op::ADDMOD, 3),
    (op::MULMOD, 3),
    (op::EXP, 2),
    (op::SIGNEXTEND, 2),
    (op::LT, 2),
    (op::GT, 2),
    (op::SLT, 2),
    (op::SGT, 2),
    (op::EQ, 2),
    (op::ISZERO, 1),
    (op::AND, 2),
    (op::OR, 2),
    (op::XOR, 2),
    (op::NOT, 1),
    (op::BYTE, 2),
    (op::SHL, 2),
    (op::SHR, 2),
    (op::SAR, 2),
    (op::CLZ, 1),
];

/// Code reading `arity` operands from call data (operand i at 32·i, operand
/// 0 ends on top), applying `opcode` and returning the result.
fn calldata_program(opcode: u8, arity: usize) -> Vec<u8> {
    let mut code = Vec::new();
    for i in (0..arity).rev() {
        code.extend_from_slice(&[0x60, (32 * i) as u8, op::CALLDATALOAD]);
    }
    code.push(opcode);
    code.extend_from_slice(&RETURN_TOP);
    code
}

/// Code pushing the operands as constants.
fn constant_program(opcode: u8, operands: &[U256]) -> Vec<u8> {
    let mut code = Vec::new();
    for x in operands.iter().rev() {
        code.extend(push32(*x));
    }
    code.push(opcode);
    code.extend_from_slice(&RETURN_TOP);
    code
}

fn check(backends: &Backends, opcode: u8, arity: usize, operands: [U256; 3]) {
    let expected = reference(opcode, operands[0], operands[1], operands[2]);
    let input: Vec<u8> = operands[..arity]
        .iter()
        .flat_map(|w| w.to_be_bytes::<32>())
        .collect();
    let code = calldata_program(opcode, arity);
    let run = backends.run(&code, SpecId::Osaka, 1_000_000, &input);
    assert_eq!(
        returned_word(&run),
        expected,
        "opcode {opcode:#04x} operands {:?}",
        &operands[..arity]
    );
}

#[test]
fn random_operands_match_ruint_and_interpreter() {
    let backends = Backends::new();
    let mut rng = Rng(0x5eed_cafe);
    for (opcode, arity) in OPS {
        for _ in 0..150 {
            let mut ops = [rng.word(), rng.word(), rng.word()];
            // Shifts, BYTE and SIGNEXTEND mostly want small first operands.
            if matches!(
                opcode,
                op::SHL | op::SHR | op::SAR | op::BYTE | op::SIGNEXTEND
            ) && rng.next_u64().is_multiple_of(2)
            {
                ops[0] = U256::from(rng.next_u64() % 300);
            }
            check(&backends, opcode, arity, ops);
        }
    }
}

#[test]
fn edge_operands_match_ruint_and_interpreter() {
    let backends = Backends::new();
    let edges = edge_words();
    for (opcode, arity) in OPS {
        for &a in &edges {
            for &b in &edges {
                let c = if arity == 3 {
                    edges[(edges.len() + 3) % edges.len()]
                } else {
                    U256::ZERO
                };
                check(&backends, opcode, arity, [a, b, c]);
                if arity == 1 {
                    break;
                }
            }
        }
    }
}

#[test]
fn signextend_at_every_byte_and_limb_edge() {
    // The lowering picks the limb holding the sign byte: every size, both
    // signs of every byte, and sizes past 31 (including ones above 2^64).
    let backends = Backends::new();
    let mut rng = Rng(7);
    let mut sizes: Vec<U256> = (0..=33u64).map(U256::from).collect();
    sizes.extend([
        U256::from(255),
        U256::from(1u128 << 64),
        (U256::from(1u128 << 64)) + U256::from(3),
        U256::MAX,
    ]);
    let values = [
        U256::MAX,
        U256::from_be_bytes([0x80; 32]),
        U256::from_be_bytes([0x7f; 32]),
        rng.word(),
        rng.word(),
    ];
    for &size in &sizes {
        for &value in &values {
            check(&backends, op::SIGNEXTEND, 2, [size, value, U256::ZERO]);
        }
    }
}

#[test]
fn constant_operands_fold_correctly() {
    let backends = Backends::new();
    let mut rng = Rng(42);
    let edges = edge_words();
    for (opcode, arity) in OPS {
        for i in 0..12 {
            let mut ops = [rng.word(), rng.word(), rng.word()];
            if i < 6 {
                ops[0] = edges[rng.next_u64() as usize % edges.len()];
            }
            let expected = reference(opcode, ops[0], ops[1], ops[2]);
            let code = constant_program(opcode, &ops[..arity]);
            let run = backends.run(&code, SpecId::Osaka, 1_000_000, &[]);
            assert_eq!(
                returned_word(&run),
                expected,
                "opcode {opcode:#04x} {ops:?}"
            );
        }
    }
}

/// Code taking the second operand from call data and pushing the first as
/// a constant (the lowering specialises shifts, BYTE and SIGNEXTEND on it).
fn constant_first_program(opcode: u8, first: U256) -> Vec<u8> {
    let mut code = vec![0x60, 0, op::CALLDATALOAD];
    code.extend(push32(first));
    code.push(opcode);
    code.extend_from_slice(&RETURN_TOP);
    code
}

#[test]
fn constant_amount_on_unknown_value_matches_ruint_and_interpreter() {
    // Every amount across the limb edges and past the word, on values with
    // each sign and random ones.
    let backends = Backends::new();
    let mut rng = Rng(0xb17e);
    let mut amounts: Vec<U256> = (0..=260u64).map(U256::from).collect();
    amounts.extend([
        U256::from(1u128 << 64),
        U256::from(u64::MAX),
        U256::from(1u64 << 63),
        U256::MAX,
    ]);
    let mut values = vec![
        U256::MAX,
        U256::from_be_bytes([0x80; 32]),
        U256::from_be_bytes([0x7f; 32]),
    ];
    values.extend((0..3).map(|_| rng.word()));
    for opcode in [op::SHL, op::SHR, op::SAR, op::BYTE, op::SIGNEXTEND] {
        for &amount in &amounts {
            let code = constant_first_program(opcode, amount);
            for &value in &values {
                let input = value.to_be_bytes::<32>();
                let run = backends.run(&code, SpecId::Osaka, 1_000_000, &input);
                assert_eq!(
                    returned_word(&run),
                    reference(opcode, amount, value, U256::ZERO),
                    "opcode {opcode:#04x} amount {amount} value {value}"
                );
            }
        }
    }
}

#[test]
fn exp_charges_dynamic_gas_like_the_interpreter() {
    let backends = Backends::new();
    for exponent in [U256::ZERO, U256::from(1), U256::from(256), U256::MAX] {
        let code = constant_program(op::EXP, &[U256::from(3), exponent]);
        let run = backends.run(&code, SpecId::Cancun, 100_000, &[]);
        assert_eq!(returned_word(&run), U256::from(3).wrapping_pow(exponent));
        // Exactly enough gas for everything but one unit short: both halt.
        let used = 100_000 - run.0.gas_left;
        backends.run(&code, SpecId::Cancun, used - 1, &[]);
        backends.run(&code, SpecId::Cancun, used, &[]);
    }
}

/// Code applying `opcode` inside a loop that runs twice (so the lowering
/// treats it as code that runs more than once and takes its fast paths):
/// each operand is a constant where `constants` has one, else the next
/// call-data word; the result is stored at memory 0 and returned.
fn looped_program(opcode: u8, constants: &[Option<U256>]) -> Vec<u8> {
    let mut code = vec![0x60, 2]; // the counter
    let head = code.len() as u8;
    code.push(op::JUMPDEST);
    let mut word = constants.iter().filter(|c| c.is_none()).count();
    for c in constants.iter().rev() {
        match c {
            Some(c) => code.extend(push32(*c)),
            None => {
                word -= 1;
                code.extend_from_slice(&[0x60, (32 * word) as u8, op::CALLDATALOAD]);
            }
        }
    }
    code.extend_from_slice(&[opcode, 0x5f, op::MSTORE]);
    // counter - 1, again while not zero
    code.extend_from_slice(&[0x60, 1, op::SWAP1, op::SUB, op::DUP1, 0x60, head, op::JUMPI]);
    code.extend_from_slice(&[op::POP, 0x60, 0x20, 0x5f, op::RETURN]);
    code
}

#[test]
fn looped_add_sub_mul_fast_paths_match_ruint_and_interpreter() {
    // ADD/SUB by a 64-bit constant carry out of line, and MUL tests for a
    // narrow operand at run time, in code that runs more than once: every
    // carry and borrow edge, each operand order, narrow and wide factors.
    let backends = Backends::new();
    let mut rng = Rng(0x100b);
    let mut values = edge_words();
    values.extend([
        U256::from(u64::MAX) << 64,
        (U256::from(1) << 192) - U256::from(1),
        U256::from(1) << 192,
        U256::from(1) << 128,
        U256::MAX - U256::from(1),
    ]);
    values.extend((0..4).map(|_| rng.word()));
    let steps = [1u64, 2, 0x20, 1 << 63, u64::MAX - 1, u64::MAX].map(U256::from);
    let input =
        |ws: &[U256]| -> Vec<u8> { ws.iter().flat_map(|w| w.to_be_bytes::<32>()).collect() };
    for &step in &steps {
        let programs = [
            (op::ADD, looped_program(op::ADD, &[None, Some(step)]), false),
            (op::ADD, looped_program(op::ADD, &[Some(step), None]), true),
            (op::SUB, looped_program(op::SUB, &[None, Some(step)]), false),
        ];
        for (opcode, code, first) in &programs {
            for &x in &values {
                let run = backends.run(code, SpecId::Osaka, 1_000_000, &input(&[x]));
                let (a, b) = if *first { (step, x) } else { (x, step) };
                assert_eq!(
                    returned_word(&run),
                    reference(*opcode, a, b, U256::ZERO),
                    "opcode {opcode:#04x} {a} {b} code {}",
                    common::hex(code)
                );
            }
        }
    }
    let mul = looped_program(op::MUL, &[None, None]);
    for &x in &values {
        for &y in &values {
            let run = backends.run(&mul, SpecId::Osaka, 1_000_000, &input(&[x, y]));
            assert_eq!(returned_word(&run), x.wrapping_mul(y), "MUL {x} {y}");
        }
    }
}
