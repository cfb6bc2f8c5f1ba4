//! The program generator: seeded, reproducible, stack-aware.
//!
//! A structured program is a sequence of fragments. The generator tracks the
//! stack height it can rely on, pushes operands chosen for each argument's
//! role (see [`operands`]) and keeps the height bounded, so that most
//! programs run to their end (or to an interesting failure) instead of
//! underflowing at the first instruction. Fragments: arithmetic and bitwise
//! operations with edge operands, memory and copies at odd and large
//! offsets, storage and transient storage, logs, KECCAK256, calls of every
//! kind to the other contracts and to precompiles, CREATE/CREATE2 of
//! generated init code, counted loops, forward conditional jumps, computed
//! and invalid jumps, deliberate stack errors and random bytes. Some
//! programs are plain random bytes.

pub mod operands;
pub mod transaction;

use crate::entropy::Entropy;
use crate::program::{Item, Program};
use crate::scenario::{ContractSpec, Scenario, MAX_CONTRACTS};
use crate::tx_kind::TxKind;
use alloy_primitives::U256;
use cevm_runtime::opcode::{self, op, OPCODES};
use operands::{edge_value, operand, roles, Role, Style};

/// Height above which the generator pops before adding more.
const HIGH_WATER: usize = 24;

/// Generates one scenario: 1 to [`MAX_CONTRACTS`] contracts, a gas limit
/// from tight to generous, a value, call data, the transaction kind and
/// sometimes an access list.
pub fn generate_scenario<R: Entropy>(rng: &mut R) -> Scenario {
    let count = 1 + rng.below(MAX_CONTRACTS as u64) as usize;
    let contracts: Vec<ContractSpec> = (0..count)
        .map(|index| {
            let size = match rng.below(4) {
                0 => rng.range(1, 20),
                1 | 2 => rng.range(20, 120),
                _ => rng.range(120, 300),
            } as usize;
            let balance = match rng.below(3) {
                0 => U256::ZERO,
                1 => U256::from(rng.range(1, 100_000)),
                _ => U256::from(10u64).pow(U256::from(18u64)),
            };
            let storage = (0..rng.below(4))
                .map(|_| {
                    (
                        U256::from(rng.below(6)),
                        U256::from(rng.range(1, 3)) * U256::from(rng.range(1, 1000)),
                    )
                })
                .collect();
            ContractSpec {
                program: generate_program(rng, count, index, size),
                balance,
                storage,
            }
        })
        .collect();
    // Tight limits run out of gas inside the program; generous ones let
    // loops and calls finish. The floor covers intrinsic gas (EIP-7623 too)
    // for call data of at most 64 bytes.
    let gas_limit = 25_000
        + match rng.below(16) {
            0 => rng.below(3_000),
            1 => rng.range(3_000, 30_000),
            2 | 3 => rng.range(30_000, 200_000),
            4..=7 => rng.range(200_000, 1_000_000),
            8..=11 => rng.range(1_000_000, 3_000_000),
            _ => rng.range(3_000_000, 8_000_000),
        };
    let value = match rng.below(4) {
        0 => U256::from(rng.range(1, 1_000_000)),
        _ => U256::ZERO,
    };
    let calldata_len = match rng.below(3) {
        0 => 0,
        1 => 32,
        _ => rng.below(65),
    } as usize;
    let calldata = rng.bytes(calldata_len);
    let kind = transaction::generate_kind(rng, count);
    let access_list = transaction::generate_access_list(rng, count);
    let init_len = match (&kind, contracts.first()) {
        (TxKind::Create, Some(c)) => c.program.assemble().len(),
        _ => 0,
    };
    let gas_limit = gas_limit + transaction::extra_gas(&kind, &access_list, init_len);
    Scenario {
        contracts,
        gas_limit,
        value,
        calldata,
        kind,
        access_list,
    }
}

/// The program of contract `own` of `contracts`, about `size` fragments.
pub fn generate_program<R: Entropy>(
    rng: &mut R,
    contracts: usize,
    own: usize,
    size: usize,
) -> Program {
    if rng.chance(1, 12) {
        return Program::raw(random_code(rng, size * 2));
    }
    let wild = rng.chance(1, 6);
    let dangers = u32::from(rng.chance(1, 3));
    let mut g = Gen {
        rng,
        items: Vec::new(),
        height: 0,
        next_label: 0,
        style: Style {
            contracts,
            own,
            wild,
        },
        dangers,
    };
    g.fragments(size, 0);
    g.terminator();
    Program::new(g.items)
}

/// Random bytes, mostly defined opcodes so that something executes.
fn random_code<R: Entropy>(rng: &mut R, len: usize) -> Vec<u8> {
    let defined: Vec<u8> = OPCODES.iter().flatten().map(|i| i.code).collect();
    (0..len.max(1))
        .map(|_| {
            if rng.chance(3, 4) {
                defined[rng.below(defined.len() as u64) as usize]
            } else {
                rng.next_u64() as u8
            }
        })
        .collect()
}

struct Gen<'r, R: Entropy> {
    rng: &'r mut R,
    items: Vec<Item>,
    /// Stack items the code emitted so far can rely on.
    height: usize,
    next_label: u32,
    style: Style,
    /// Fragments still to place that usually end the program at once
    /// (stack errors, bad jumps, random bytes, early terminators): at most
    /// one per program, so that most programs run to their end.
    dangers: u32,
}

/// Opcodes whose arguments and results are plain values.
fn is_pure(code: u8) -> bool {
    (op::ADD..=op::CLZ).contains(&code) && opcode::info(code).is_some()
}

/// Environment and block opcodes (some take an argument, see the roles).
fn is_environment(code: u8) -> bool {
    ((op::ADDRESS..=op::BLOBBASEFEE).contains(&code)
        && !matches!(
            code,
            op::CALLDATACOPY | op::CODECOPY | op::EXTCODECOPY | op::RETURNDATACOPY
        ))
        || matches!(code, op::PC | op::MSIZE | op::GAS)
}

impl<R: Entropy> Gen<'_, R> {
    fn label(&mut self) -> u32 {
        self.next_label += 1;
        self.next_label
    }

    fn push_value(&mut self, value: U256) {
        let word = value.to_be_bytes::<32>();
        let item = if self.rng.chance(1, 10) {
            // A wider PUSH than needed (leading zero bytes).
            let first = word.iter().position(|&b| b != 0).unwrap_or(32);
            let extra = self.rng.below(first as u64 + 1) as usize;
            Item::Push(word[first - extra..].to_vec())
        } else {
            Item::push_word(&word)
        };
        self.items.push(item);
        self.height += 1;
    }

    fn emit(&mut self, code: u8) {
        self.items.push(Item::Op(code));
        if let Some(info) = opcode::info(code) {
            self.height = self.height.saturating_sub(info.inputs as usize) + info.outputs as usize;
        }
    }

    /// Emits `code` with its arguments: the deepest ones may come from the
    /// stack (computed values) for opcodes taking plain values; the others
    /// are pushed, chosen for their role.
    fn op_with_operands(&mut self, code: u8) {
        let Some(info) = opcode::info(code) else {
            self.items.push(Item::Op(code));
            return;
        };
        let n = info.inputs as usize;
        let arg_roles = roles(code);
        let reuse_allowed = arg_roles.is_none() || self.rng.chance(1, 16);
        let from_stack = if reuse_allowed && self.height > 0 && self.rng.chance(1, 2) {
            self.rng.below(n.min(self.height) as u64 + 1) as usize
        } else {
            0
        };
        // Push the arguments from the deepest pushed one to the top.
        for position in (0..n - from_stack).rev() {
            let role = arg_roles.map_or(Role::Value, |r| r[position]);
            if role == Role::CallGas && self.rng.chance(1, 8) {
                self.emit(op::GAS);
                continue;
            }
            let value = operand(self.rng, role, self.style);
            self.push_value(value);
        }
        self.emit(code);
    }

    fn pick_code(&mut self, filter: impl Fn(u8) -> bool) -> u8 {
        let codes: Vec<u8> = OPCODES
            .iter()
            .flatten()
            .map(|i| i.code)
            .filter(|&c| filter(c))
            .collect();
        codes[self.rng.below(codes.len() as u64) as usize]
    }

    fn pick(&mut self, codes: &[u8]) -> u8 {
        codes[self.rng.below(codes.len() as u64) as usize]
    }

    /// About `budget` fragments at nesting `depth`.
    fn fragments(&mut self, budget: usize, depth: u32) {
        let mut left = budget;
        while left > 0 {
            if self.height > HIGH_WATER {
                let pops = self.rng.range(1, (self.height - HIGH_WATER + 4) as u64);
                for _ in 0..pops {
                    self.emit(op::POP);
                }
            }
            if self.dangers > 0 && self.rng.chance(1, left as u64) {
                self.dangers -= 1;
                self.danger();
                left -= 1;
                continue;
            }
            let nested = depth < 2 && left > 6;
            let weights = [
                30,                                       // pure arithmetic
                12,                                       // memory and copies
                8,                                        // storage
                7,                                        // environment
                3,                                        // logs
                6,                                        // calls
                if depth == 0 { 1 } else { 0 },           // creates
                if nested && depth == 0 { 4 } else { 1 }, // loop
                if nested { 4 } else { 0 },               // forward conditional jump
                6,                                        // stack shuffling
            ];
            let used = match self.rng.weighted(&weights) {
                0 => {
                    let code = self.pick_code(is_pure);
                    self.op_with_operands(code);
                    1
                }
                1 => {
                    let code = self.pick(&[
                        op::MLOAD,
                        op::MSTORE,
                        op::MSTORE8,
                        op::MCOPY,
                        op::CALLDATACOPY,
                        op::CODECOPY,
                        op::EXTCODECOPY,
                        op::KECCAK256,
                        op::MSIZE,
                    ]);
                    self.op_with_operands(code);
                    1
                }
                2 => {
                    let code = self.pick(&[op::SLOAD, op::SSTORE, op::TLOAD, op::TSTORE]);
                    self.op_with_operands(code);
                    1
                }
                3 => {
                    let code = self.pick_code(is_environment);
                    self.op_with_operands(code);
                    1
                }
                4 => {
                    let code = self.pick(&[op::LOG0, op::LOG1, op::LOG2, op::LOG3, op::LOG4]);
                    self.op_with_operands(code);
                    1
                }
                5 => {
                    self.call();
                    2
                }
                6 => {
                    self.create(depth);
                    4
                }
                7 => self.counted_loop(left, depth),
                8 => self.forward_skip(left, depth),
                _ => {
                    self.shuffle();
                    1
                }
            };
            left = left.saturating_sub(used);
        }
    }

    /// One fragment that usually ends the program: a bad or computed jump,
    /// random bytes, an early terminator, a stack error, or a
    /// RETURNDATACOPY with arbitrary bounds.
    fn danger(&mut self) {
        match self.rng.below(5) {
            0 => self.odd_jump(),
            1 => {
                let n = self.rng.range(1, 12) as usize;
                let bytes = random_code(self.rng, n);
                self.items.push(Item::Raw(bytes));
            }
            2 => self.terminator(),
            3 => self.stack_error(),
            _ => self.op_with_operands(op::RETURNDATACOPY),
        }
    }

    fn shuffle(&mut self) {
        if self.height == 0 {
            let v = U256::from(self.rng.below(4));
            self.push_value(v);
            return;
        }
        let depth = self.rng.range(1, self.height.min(16) as u64) as u8;
        match self.rng.below(3) {
            0 => self.emit(op::DUP1 + depth - 1),
            1 if self.height >= 2 => {
                let d = self.rng.range(1, (self.height - 1).min(16) as u64) as u8;
                self.emit(op::SWAP1 + d - 1);
            }
            _ => self.emit(op::POP),
        }
    }

    /// A call of any kind, sometimes followed by a copy of the return data.
    fn call(&mut self) {
        let code = self.pick(&[op::CALL, op::CALLCODE, op::DELEGATECALL, op::STATICCALL]);
        self.op_with_operands(code);
        if self.rng.chance(1, 2) {
            self.emit(op::POP);
        }
        if self.rng.chance(1, 3) {
            // RETURNDATACOPY(dest, 0, RETURNDATASIZE): always in bounds.
            self.emit(op::RETURNDATASIZE);
            self.push_value(U256::ZERO);
            let dest = operand(self.rng, Role::MemOffset, self.style);
            self.push_value(dest);
            self.emit(op::RETURNDATACOPY);
        }
    }

    /// Writes generated init code to memory and runs CREATE or CREATE2 on it.
    fn create(&mut self, depth: u32) {
        let init = self.init_code(depth);
        let base = *[0u64, 64, 200]
            .get(self.rng.below(3) as usize)
            .unwrap_or(&0);
        for (k, chunk) in init.chunks(32).enumerate() {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            self.push_value(U256::from_be_bytes(word));
            self.push_value(U256::from(base + 32 * k as u64));
            self.emit(op::MSTORE);
        }
        let create2 = self.rng.chance(1, 2);
        if create2 {
            let salt = operand(self.rng, Role::Salt, self.style);
            self.push_value(salt);
        }
        let len = if self.rng.chance(1, 10) {
            operand(self.rng, Role::MemLength, self.style)
        } else {
            U256::from(init.len())
        };
        self.push_value(len);
        self.push_value(U256::from(base));
        let value = operand(self.rng, Role::CallValue, self.style);
        self.push_value(value);
        self.emit(if create2 { op::CREATE2 } else { op::CREATE });
        if self.rng.chance(1, 2) {
            // Call the new contract (or address zero if the create failed).
            for _ in 0..4 {
                self.push_value(U256::ZERO);
            }
            self.emit(op::DUP5);
            self.emit(op::GAS);
            self.emit(op::STATICCALL);
            self.emit(op::POP);
        }
    }

    /// Init code: a short generated body, then code that returns the
    /// runtime code appended to it; sometimes runtime code starting with
    /// 0xEF (rejected, EIP-3541) or a too-large deployment (EIP-170).
    fn init_code(&mut self, depth: u32) -> Vec<u8> {
        let body_size = self.rng.range(0, 12) as usize;
        let mut body = Gen {
            rng: &mut *self.rng,
            items: Vec::new(),
            height: 0,
            next_label: 0,
            style: self.style,
            dangers: 0,
        };
        body.fragments(body_size, depth + 1);
        for _ in 0..body.height {
            body.items.push(Item::Op(op::POP));
        }
        let mut code = Program::new(body.items).assemble();
        let runtime = match self.rng.below(20) {
            0 => vec![0xef, 0x00],
            1 | 2 => Vec::new(),
            _ => {
                let size = self.rng.range(1, 10) as usize;
                generate_program(self.rng, self.style.contracts, self.style.contracts, size)
                    .assemble()
            }
        };
        let deploy_len = if self.rng.chance(1, 40) {
            0x6001 // one byte over the EIP-170 limit
        } else {
            runtime.len() as u64
        };
        // PUSH2 len, PUSH2 start, PUSH0, CODECOPY, PUSH2 len, PUSH0, RETURN.
        let start = code.len() + 13;
        code.push(op::PUSH2);
        code.extend_from_slice(&(runtime.len() as u16).to_be_bytes());
        code.push(op::PUSH2);
        code.extend_from_slice(&(start as u16).to_be_bytes());
        code.extend_from_slice(&[op::PUSH0, op::CODECOPY, op::PUSH2]);
        code.extend_from_slice(&(deploy_len as u16).to_be_bytes());
        code.extend_from_slice(&[op::PUSH0, op::RETURN]);
        code.extend_from_slice(&runtime);
        code
    }

    /// Generates a body that leaves the stack as it found it: the enclosing
    /// items are out of its reach.
    fn balanced_body(&mut self, budget: usize, depth: u32) {
        let saved = self.height;
        self.height = 0;
        self.fragments(budget, depth);
        for _ in 0..self.height {
            self.items.push(Item::Op(op::POP));
        }
        self.height = saved;
    }

    /// `PUSH n; L: JUMPDEST; body; counter - 1; DUP1; PUSH @L; JUMPI; POP`:
    /// a loop with a bounded trip count (rarely 0, which wraps the counter
    /// and runs until the gas is gone).
    fn counted_loop(&mut self, left: usize, depth: u32) -> usize {
        let budget = self.rng.range(1, (left / 2).clamp(1, 12) as u64) as usize;
        let trips = if self.rng.chance(1, 60) {
            0
        } else if self.rng.chance(1, 8) {
            self.rng.range(7, 40)
        } else {
            self.rng.range(1, 6)
        };
        self.push_value(U256::from(trips));
        let l = self.label();
        self.items.push(Item::Label(l));
        self.balanced_body(budget, depth + 1);
        self.items.extend([
            Item::push_u64(1),
            Item::Op(op::SWAP1),
            Item::Op(op::SUB),
            Item::Op(op::DUP1),
            Item::PushLabel(l),
            Item::Op(op::JUMPI),
            Item::Op(op::POP),
        ]);
        self.height -= 1;
        budget + 2
    }

    /// `cond; PUSH @L; JUMPI; body; L: JUMPDEST`, the condition constant,
    /// computed or read from the environment.
    fn forward_skip(&mut self, left: usize, depth: u32) -> usize {
        let budget = self.rng.range(1, (left / 2).clamp(1, 10) as u64) as usize;
        match self.rng.below(3) {
            0 => {
                let v = U256::from(self.rng.below(2));
                self.push_value(v);
            }
            1 => {
                let code = self.pick(&[op::GAS, op::CALLVALUE, op::CALLDATASIZE, op::MSIZE]);
                self.emit(code);
            }
            _ => {
                let code = self.pick(&[op::LT, op::GT, op::SLT, op::EQ, op::AND]);
                self.op_with_operands(code);
            }
        }
        let l = self.label();
        self.items.push(Item::PushLabel(l));
        self.items.push(Item::Op(op::JUMPI));
        self.height -= 1;
        self.balanced_body(budget, depth + 1);
        self.items.push(Item::Label(l));
        budget + 2
    }

    /// A jump whose target is computed, off by one, inside PUSH data, or random.
    fn odd_jump(&mut self) {
        let l = self.label();
        match self.rng.below(4) {
            0 => {
                // Computed target: label + x - x.
                let x = U256::from(self.rng.below(1000));
                self.items.push(Item::PushLabel(l));
                self.height += 1;
                self.push_value(x);
                self.emit(op::ADD);
                self.push_value(x);
                self.emit(op::SWAP1);
                self.emit(op::SUB);
                self.height -= 1;
                self.items.push(Item::Op(op::JUMP));
                self.items.push(Item::Op(op::INVALID));
                self.items.push(Item::Label(l));
            }
            1 => {
                // One past the JUMPDEST: invalid.
                self.items.push(Item::PushLabel(l));
                self.height += 1;
                self.push_value(U256::from(1u8));
                self.emit(op::ADD);
                self.height -= 1;
                self.items.push(Item::Op(op::JUMP));
                self.items.push(Item::Label(l));
                self.items.push(Item::Op(op::JUMPDEST));
            }
            2 => {
                // A JUMPDEST byte inside PUSH data is not a destination.
                self.items
                    .push(Item::Push(vec![op::JUMPDEST, op::JUMPDEST]));
                self.items.push(Item::Op(op::PC));
                self.push_value(U256::from(2u8));
                self.items.push(Item::Op(op::SWAP1));
                self.items.push(Item::Op(op::SUB));
                self.items.push(Item::Op(op::JUMP));
            }
            _ => {
                let target = edge_value(self.rng);
                self.push_value(target);
                let cond = U256::from(self.rng.below(2));
                self.push_value(cond);
                self.emit(op::SWAP1);
                self.items.push(Item::Op(op::JUMPI));
                self.height -= 2;
            }
        }
    }

    /// Underflow (an opcode with too few items) or overflow (a loop pushing
    /// forever).
    fn stack_error(&mut self) {
        if self.rng.chance(1, 2) {
            let code = self
                .pick_code(|c| opcode::info(c).is_some_and(|i| i.inputs > 0 && i.immediate == 0));
            for _ in 0..self.height {
                self.items.push(Item::Op(op::POP));
            }
            self.items.push(Item::Op(code));
            self.height = 0;
        } else {
            let l = self.label();
            self.items.extend([
                Item::Label(l),
                Item::Op(op::PUSH0),
                Item::PushLabel(l),
                Item::Op(op::JUMP),
            ]);
        }
    }

    /// How the program ends.
    fn terminator(&mut self) {
        match self.rng.weighted(&[12, 14, 30, 14, 4, 10, 3, 3]) {
            0 => {} // run off the end
            1 => self.emit(op::STOP),
            2 => self.op_with_operands(op::RETURN),
            3 => self.op_with_operands(op::REVERT),
            4 => self.emit(op::INVALID),
            5 => self.op_with_operands(op::SELFDESTRUCT),
            6 => {
                let undefined = (0u8..=255)
                    .filter(|&c| opcode::info(c).is_none())
                    .nth(self.rng.below(20) as usize)
                    .unwrap_or(0x0c);
                self.items.push(Item::Op(undefined));
            }
            _ => {
                // Return a stored word: output depends on earlier results.
                self.push_value(U256::from(32u8));
                self.push_value(U256::ZERO);
                self.emit(op::RETURN);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::{ByteSource, Xoshiro256};

    #[test]
    fn every_transaction_kind_is_generated() {
        let mut seen = [0usize; 5];
        for index in 0..400 {
            let s = generate_scenario(&mut Xoshiro256::for_program(11, index));
            let k = match s.kind {
                TxKind::Call => 0,
                TxKind::Create => 1,
                TxKind::Blob { .. } => 2,
                TxKind::SetCode { .. } => 3,
            };
            seen[k] += 1;
            if !s.access_list.is_empty() {
                seen[4] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n >= 10), "kinds seen: {seen:?}");
    }

    #[test]
    fn same_seed_same_scenario() {
        let a = generate_scenario(&mut Xoshiro256::for_program(1, 5));
        let b = generate_scenario(&mut Xoshiro256::for_program(1, 5));
        let c = generate_scenario(&mut Xoshiro256::for_program(1, 6));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn programs_use_many_opcodes() {
        let mut seen = [false; 256];
        for i in 0..300 {
            let s = generate_scenario(&mut Xoshiro256::for_program(9, i));
            for c in &s.contracts {
                for ins in opcode::instructions(&c.program.assemble()) {
                    seen[ins.opcode as usize] = true;
                }
            }
        }
        let defined = OPCODES.iter().flatten().count();
        let covered = OPCODES
            .iter()
            .flatten()
            .filter(|i| seen[i.code as usize])
            .count();
        assert!(covered * 10 >= defined * 9, "{covered} of {defined}");
    }

    #[test]
    fn byte_source_drives_the_generator() {
        let s = generate_scenario(&mut ByteSource::new(&[]));
        assert_eq!(s.contracts.len(), 1);
        let t = generate_scenario(&mut ByteSource::new(&[3, 2, 1, 0, 9, 8, 7]));
        assert_ne!(s, t);
    }
}
