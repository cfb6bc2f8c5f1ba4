//! The program generator: seeded, reproducible, stack-aware.
//!
//! A structured program is a sequence of fragments. The generator tracks the
//! stack height it can rely on, pushes operands chosen for each argument's
//! role (see [`operands`]: limb, half and sign boundaries, shift and byte
//! indices, memory offsets at word boundaries) and keeps the height
//! bounded, so that most programs run to their end (or to an interesting
//! failure) instead of underflowing at the first instruction.
//!
//! Fragments: arithmetic and bitwise operations, memory and copies at odd,
//! large and expansion-boundary offsets, storage and transient storage,
//! logs, KECCAK256, calls of every kind to the other contracts and to
//! precompiles, CREATE/CREATE2 of generated init code, counted loops,
//! forward conditional jumps, computed and invalid jumps, deliberate stack
//! errors and random bytes (see `control` and `calls`); internal functions
//! called the way Solidity calls them, through a pushed return address
//! (`functions`); straight-line blocks of hundreds of instructions
//! (`straight`); stack heights driven to exactly 1024 (`boundary`);
//! values of known width that carry into the next limb, kept across block
//! edges and joins of different stack heights (`widths`). Some programs
//! are plain random bytes.
//!
//! Most programs are *observed* (`digest`): a wrong value must not vanish
//! before anything the comparison sees depends on it. Values the program
//! drops are folded into an accumulator at the bottom of its stack, and
//! before the frame ends the live stack, the memory and the return data are
//! hashed into a digest that the frame returns, reverts with or stores.

mod boundary;
mod calls;
mod control;
mod digest;
mod functions;
mod opaque;
pub mod operands;
mod straight;
pub mod transaction;
mod widths;

use crate::entropy::Entropy;
use crate::program::{Item, Program};
use crate::scenario::{ContractSpec, Scenario, MAX_CONTRACTS};
use crate::tx_kind::TxKind;
use alloy_primitives::U256;
use cevm_runtime::opcode::{self, op, OPCODES};
use functions::Function;
use operands::{near_value, operand, roles, Role, Style};

/// Height above which the generator pops before adding more.
const HIGH_WATER: usize = 24;
/// The same in observed programs: dropped items are folded into the
/// accumulator, which DUP16 and SWAP16 reach only from 15 items above it.
const FOLD_HIGH_WATER: usize = 12;

/// Generates one scenario: 1 to [`MAX_CONTRACTS`] contracts, a gas limit
/// from tight to generous, a value, call data, the transaction kind and
/// sometimes an access list.
pub fn generate_scenario<R: Entropy>(rng: &mut R) -> Scenario {
    let count = 1 + rng.below(MAX_CONTRACTS as u64) as usize;
    let contracts: Vec<ContractSpec> = (0..count)
        .map(|index| {
            // Fragments; observed programs add folds, digests and function
            // bodies, and compile time (which bounds the fuzzer's speed)
            // grows with the instruction count.
            let size = match rng.below(4) {
                0 => rng.range(1, 20),
                1 | 2 => rng.range(15, 45),
                _ => rng.range(45, 90),
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
    let style = Style {
        contracts,
        own,
        wild: rng.chance(1, 6),
    };
    // Callees' failures are seen by their callers: they get dangers more often.
    let dangers = u32::from(rng.chance(1, if own == 0 { 3 } else { 2 }));
    let mut g = Gen::new(rng, style, dangers);
    g.observed = g.rng.chance(7, 8);
    g.long_blocks = u32::from(g.rng.chance(1, 6));
    g.stack_probe = g.rng.chance(1, 8);
    g.clz = g.rng.chance(1, 4);
    if g.observed {
        g.start_accumulator();
    }
    g.fragments(size, 0);
    g.terminator();
    g.finish()
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

/// The generator's state for one program.
pub(crate) struct Gen<'r, R: Entropy> {
    rng: &'r mut R,
    items: Vec<Item>,
    /// Stack items the code emitted so far can rely on: the view of the
    /// current fragment.
    height: usize,
    /// Items below the view that belong to enclosing fragments (loop
    /// counters, ...), above the accumulator if there is one.
    hidden: usize,
    /// Whether a fold accumulator sits right below the hidden items.
    acc: bool,
    /// Whether the program is observed (accumulator and digest).
    observed: bool,
    /// Whether `acc + hidden + height` is the frame's stack height (false
    /// inside function bodies and after random bytes).
    absolute: bool,
    next_label: u32,
    style: Style,
    /// Fragments still to place that usually end the program at once
    /// (stack errors, bad jumps, random bytes, early terminators): at most
    /// one per program, so that most programs run to their end.
    dangers: u32,
    /// Long straight-line blocks still to place.
    long_blocks: u32,
    /// Whether a stack-limit probe is still to place.
    stack_probe: bool,
    /// Whether CLZ may be generated: it is undefined before Osaka, where it
    /// ends the frame, so only some programs use it.
    clz: bool,
    /// Internal functions defined so far.
    functions: Vec<Function>,
    /// The function whose body is being generated (it may call only
    /// functions defined before it: no recursion).
    current_function: Option<usize>,
    /// Function bodies, placed after the program's end.
    deferred: Vec<Item>,
}

/// What the generator knows about the stack at a point of the code; saved
/// and restored around code reached with another stack (function bodies,
/// early terminators).
#[derive(Clone, Copy, Debug)]
struct View {
    height: usize,
    hidden: usize,
    acc: bool,
    absolute: bool,
    dangers: u32,
    current_function: Option<usize>,
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

impl<'r, R: Entropy> Gen<'r, R> {
    fn new(rng: &'r mut R, style: Style, dangers: u32) -> Self {
        Gen {
            rng,
            items: Vec::new(),
            height: 0,
            hidden: 0,
            acc: false,
            observed: false,
            absolute: true,
            next_label: 0,
            style,
            dangers,
            long_blocks: 0,
            stack_probe: false,
            clz: false,
            functions: Vec::new(),
            current_function: None,
            deferred: Vec::new(),
        }
    }

    fn view(&self) -> View {
        View {
            height: self.height,
            hidden: self.hidden,
            acc: self.acc,
            absolute: self.absolute,
            dangers: self.dangers,
            current_function: self.current_function,
        }
    }

    fn set_view(&mut self, v: View) {
        self.height = v.height;
        self.hidden = v.hidden;
        self.acc = v.acc;
        self.absolute = v.absolute;
        self.dangers = v.dangers;
        self.current_function = v.current_function;
    }

    /// The program: the main body, then the function bodies.
    fn finish(mut self) -> Program {
        if !self.deferred.is_empty() {
            // Function bodies are entered only through calls.
            self.items.push(Item::Op(op::STOP));
            self.items.append(&mut self.deferred);
        }
        Program::new(self.items)
    }

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

    /// Pushes an item the generator does not count (a label, a constant of
    /// a fixed shape).
    fn raw_item(&mut self, item: Item) {
        self.items.push(item);
    }

    fn emit(&mut self, code: u8) {
        self.items.push(Item::Op(code));
        if let Some(info) = opcode::info(code) {
            self.height = self.height.saturating_sub(info.inputs as usize) + info.outputs as usize;
        }
    }

    /// Emits `code` with its arguments: the deepest ones may come from the
    /// stack (computed values) for opcodes taking plain values; the others
    /// are pushed, chosen for their role. A plain value is sometimes chosen
    /// close to the one pushed before it (equal, one apart, negated), which
    /// puts comparisons and carries on their boundaries.
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
        let mut previous: Option<U256> = None;
        // Push the arguments from the deepest pushed one to the top.
        for position in (0..n - from_stack).rev() {
            let role = arg_roles.map_or(Role::Value, |r| r[position]);
            if role == Role::CallGas && self.rng.chance(1, 8) {
                self.emit(op::GAS);
                continue;
            }
            let value = match previous {
                Some(p) if role == Role::Value && self.rng.chance(1, 4) => near_value(self.rng, p),
                _ => operand(self.rng, role, self.style),
            };
            if role == Role::Value {
                previous = Some(value);
            }
            // Now and then a value the compiler cannot fold (see `opaque`).
            self.push_operand(value, if is_pure(code) { 4 } else { 8 });
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

    /// A pure opcode (CLZ only if the program may use it).
    fn pure_code(&mut self) -> u8 {
        let clz = self.clz;
        self.pick_code(|c| is_pure(c) && (clz || c != op::CLZ))
    }

    fn pick(&mut self, codes: &[u8]) -> u8 {
        codes[self.rng.below(codes.len() as u64) as usize]
    }

    /// About `budget` fragments at nesting `depth`.
    fn fragments(&mut self, budget: usize, depth: u32) {
        let mut left = budget;
        while left > 0 {
            let high_water = if self.acc {
                FOLD_HIGH_WATER
            } else {
                HIGH_WATER
            };
            if self.height > high_water {
                let drops = self.rng.range(1, (self.height - high_water + 4) as u64);
                for _ in 0..drops {
                    self.drop_top();
                }
            }
            if self.dangers > 0 && self.rng.chance(1, left as u64) {
                self.dangers -= 1;
                self.danger();
                left -= 1;
                continue;
            }
            let nested = depth < 2 && left > 6;
            let top_level = depth == 0 && self.current_function.is_none();
            let stack_limit = self.stack_probe && top_level && self.absolute;
            let weights = [
                30,                                       // pure arithmetic
                12,                                       // memory and copies
                8,                                        // storage
                7,                                        // environment
                3,                                        // logs
                6,                                        // calls
                u32::from(top_level),                     // creates
                if nested && depth == 0 { 4 } else { 1 }, // loop
                if nested { 4 } else { 0 },               // forward conditional jump
                6,                                        // stack shuffling
                if depth < 2 { 3 } else { 0 },            // internal function call
                if self.long_blocks > 0 { 2 } else { 0 }, // long straight-line block
                3,                                        // memory expansion boundary
                u32::from(stack_limit),                   // stack filled to the limit
                8,                                        // boundary operands
                if self.observed { 4 } else { 1 },        // narrow values across edges
            ];
            let used = match self.rng.weighted(&weights) {
                0 => {
                    let code = self.pure_code();
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
                10 => self.call_function(depth),
                11 => {
                    self.long_blocks -= 1;
                    self.straight_line()
                }
                12 => {
                    self.memory_edge();
                    1
                }
                14 => {
                    self.edge_probe();
                    1
                }
                15 => self.narrow_across_edge(depth),
                13 => {
                    self.stack_probe = false;
                    let delta = [-1, 0, 0, 0, 1][self.rng.below(5) as usize];
                    self.stack_limit(delta);
                    4
                }
                _ => {
                    self.shuffle();
                    1
                }
            };
            left = left.saturating_sub(used);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// A scenario running `program` alone with plenty of gas.
    pub(crate) fn alone(program: Program) -> Scenario {
        Scenario {
            contracts: vec![ContractSpec {
                program,
                balance: U256::ZERO,
                storage: Vec::new(),
            }],
            gas_limit: 5_000_000,
            value: U256::ZERO,
            calldata: Vec::new(),
            kind: TxKind::Call,
            access_list: Vec::new(),
        }
    }

    pub(crate) fn style() -> Style {
        Style {
            contracts: 1,
            own: 0,
            wild: false,
        }
    }

    pub(crate) fn output_of(program: Program) -> crate::Observation {
        crate::run_reference(&alone(program), cevm_runtime::SpecId::Osaka).unwrap()
    }

    /// An observed program that pushes `dropped`, drops it, leaves `kept`
    /// on the stack and returns its digest.
    fn digest_program(dropped: u64, kept: u64) -> Program {
        let mut rng = Xoshiro256::new(5);
        let mut g = Gen::new(&mut rng, style(), 0);
        g.observed = true;
        g.start_accumulator();
        g.push_value(U256::from(dropped));
        g.drop_top();
        g.push_value(U256::from(kept));
        return_digest(g)
    }

    /// Seals `g` and returns the digest.
    fn return_digest(mut g: Gen<'_, Xoshiro256>) -> Program {
        g.seal();
        return_top(g)
    }

    /// The program of `g`, ending by returning its top word.
    pub(crate) fn return_top(mut g: Gen<'_, Xoshiro256>) -> Program {
        g.items.extend([
            Item::Op(op::PUSH0),
            Item::Op(op::MSTORE),
            Item::push_u64(32),
            Item::Op(op::PUSH0),
            Item::Op(op::RETURN),
        ]);
        g.finish()
    }

    #[test]
    fn dropped_and_live_values_reach_the_digest() {
        let base = output_of(digest_program(1, 2));
        assert_eq!(base.class, crate::StatusClass::Success, "{}", base.status);
        assert_eq!(base.output.len(), 32);
        assert_ne!(output_of(digest_program(3, 2)).output, base.output);
        assert_ne!(output_of(digest_program(1, 4)).output, base.output);
        assert_eq!(output_of(digest_program(1, 2)).output, base.output);
    }

    #[test]
    fn internal_functions_return_where_they_were_called() {
        // Programs made of function calls only: every call must come back
        // (no invalid jump, no stack error) and the digest be returned.
        let mut returned = 0;
        let mut calls = 0;
        for seed in 0..40 {
            let mut rng = Xoshiro256::new(seed);
            let mut g = Gen::new(&mut rng, style(), 0);
            g.observed = true;
            g.start_accumulator();
            for _ in 0..4 {
                g.call_function(0);
            }
            calls += g.functions.len();
            let o = output_of(return_digest(g));
            if o.class == crate::StatusClass::Success && o.output.len() == 32 {
                returned += 1;
            }
        }
        assert!(calls >= 40, "{calls} functions defined");
        // Function bodies are random fragments: a few run out of gas in a
        // loop or end in a revert; calls must not be what fails.
        assert!(returned >= 36, "{returned} of 40 programs returned");
    }

    #[test]
    fn straight_line_blocks_are_long_and_run() {
        for seed in 0..10 {
            let mut rng = Xoshiro256::new(seed);
            let mut g = Gen::new(&mut rng, style(), 0);
            g.observed = true;
            g.start_accumulator();
            g.straight_line();
            g.terminator();
            let program = g.finish();
            let code = program.assemble();
            let mut run = 0usize;
            let mut longest = 0usize;
            for ins in opcode::instructions(&code) {
                let ends = opcode::info(ins.opcode).is_none_or(|i| i.ends_block)
                    || ins.opcode == op::JUMPDEST;
                run = if ends { 0 } else { run + 1 };
                longest = longest.max(run);
            }
            assert!(longest >= 200, "seed {seed}: longest run {longest}");
            let o = output_of(program);
            assert_ne!(
                o.class,
                crate::StatusClass::Halt,
                "seed {seed}: {}",
                o.status
            );
        }
    }

    #[test]
    fn most_generated_programs_are_observed() {
        let (mut digests, mut programs) = (0, 0);
        for index in 0..200 {
            for c in generate_scenario(&mut Xoshiro256::for_program(3, index)).contracts {
                programs += 1;
                let code = c.program.assemble();
                // MSIZE PUSH0 KECCAK256: the digest of the whole memory.
                if code
                    .windows(3)
                    .any(|w| w == [op::MSIZE, op::PUSH0, op::KECCAK256])
                {
                    digests += 1;
                }
            }
        }
        assert!(digests * 10 >= programs * 7, "{digests} of {programs}");
    }
}
