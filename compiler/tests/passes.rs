//! The rewrites of the EVM-level passes, each checked twice: what the
//! analysis claims (a folded constant, a width, the targets of a jump, the
//! checks a block keeps) and what the compiled code does with it (the same
//! status, gas, output and effects as the interpreter on boundary inputs).
//! The mutants these tests were checked against are listed in
//! `compiler/tests/README.md`.

mod common;

use cevm_compiler::analysis::Analysis;
use cevm_compiler::passes::fold;
use cevm_compiler::passes::plan::{JumpRoute, Plan};
use cevm_compiler::passes::value::{AbsVal, ValuePool};
use cevm_runtime::asm::assemble;
use cevm_runtime::opcode::{self, op};
use cevm_runtime::{SpecId, U256};
use common::*;
use std::collections::HashMap;

const SPEC: SpecId = SpecId::Osaka;
const GAS: u64 = 10_000_000;

/// A call data word.
fn word(x: U256) -> Vec<u8> {
    x.to_be_bytes::<32>().to_vec()
}

/// What the analysis knows of one value.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Known {
    Const(U256),
    Labels(Vec<u32>),
    Bits(u16),
}

fn known(pool: &ValuePool, v: AbsVal) -> Known {
    match v {
        AbsVal::Const(_) => Known::Const(pool.as_const(v).expect("a constant")),
        AbsVal::Labels(_) => Known::Labels(pool.label_pcs(v).expect("labels")),
        AbsVal::Bits(w) => Known::Bits(w),
    }
}

/// What the analysis says each instruction pushes, by pc.
fn traced(code: &[u8]) -> HashMap<usize, Known> {
    let an = Analysis::new(code, SPEC);
    let mut plan = Plan::new(&an);
    let mut out = HashMap::new();
    for b in 0..an.blocks.len() {
        let trace = plan.facts.trace(&an, b);
        for (ins, v) in an.block_instructions(b).iter().zip(trace) {
            if let Some(v) = v {
                out.insert(ins.pc, known(&plan.facts.pool, v));
            }
        }
    }
    out
}

/// What the analysis knows of the top `n` items on entry to `block`
/// (top first).
fn entry_items(plan: &Plan<'_, '_>, block: usize, n: usize) -> Vec<Known> {
    let entry = plan.facts.blocks[block].entry.as_ref().expect("runs");
    (0..n)
        .map(|d| known(&plan.facts.pool, entry.peek(d)))
        .collect()
}

/// The index of the block starting at the `n`th JUMPDEST of `code`.
fn dest_block(an: &Analysis<'_>, n: usize) -> usize {
    let pc = (0..an.code.len())
        .filter(|&pc| an.jumpdests.is_valid(pc))
        .nth(n)
        .expect("enough JUMPDESTs");
    an.block_at(pc).expect("a block starts there")
}

// ---------------------------------------------------------------- folds

/// Bytecode under construction, with its pc.
#[derive(Default)]
struct Code(Vec<u8>);

impl Code {
    fn push(&mut self, x: U256) {
        self.0.extend(push32(x));
    }
    fn push2(&mut self, x: usize) {
        self.0.extend([op::PUSH2, (x >> 8) as u8, x as u8]);
    }
    fn op(&mut self, o: u8) {
        self.0.push(o);
    }
    /// Ends the block with a jump to a JUMPDEST right after it: what
    /// follows sees the stack's constants as block entry facts.
    fn cut(&mut self) {
        let dest = self.0.len() + 4;
        self.push2(dest);
        self.op(op::JUMP);
        self.op(op::JUMPDEST);
    }
}

/// For the pure `opcode` on each operand list (top first): one program
/// storing every result in memory, half of them folded inside one block,
/// half from constants that entered the block. The analysis must have the
/// interpreter's result as a constant, and compiled code must return it.
fn check_folds(opcode: u8, operands: &[Vec<U256>]) {
    let backends = Backends::new();
    let mut code = Code::default();
    let mut fold_pcs = Vec::new();
    for (i, args) in operands.iter().enumerate() {
        for &a in args.iter().rev() {
            code.push(a);
        }
        if i % 2 == 1 {
            code.cut();
        }
        fold_pcs.push(code.0.len());
        code.op(opcode);
        code.push2(32 * i);
        code.op(op::MSTORE);
    }
    code.0.extend([op::MSIZE, op::PUSH0, op::RETURN]);
    let code = code.0;
    let run = backends.run(&code, SPEC, GAS, &[]);
    let interp = run_on(&backends.interp, &code, SPEC, GAS, &[]);
    assert_eq!(run.0.output, interp.0.output);
    let facts = traced(&code);
    for (i, (&pc, args)) in fold_pcs.iter().zip(operands).enumerate() {
        let want = U256::from_be_slice(&interp.0.output[32 * i..32 * i + 32]);
        assert_eq!(
            facts[&pc],
            Known::Const(want),
            "{opcode:#04x} on {args:?}: the analysis disagrees with the interpreter"
        );
    }
}

fn fold_operands() -> Vec<U256> {
    let mut v: Vec<U256> = edge_words();
    v.truncate(12);
    v.extend([
        U256::MAX,
        U256::MAX - U256::from(1),
        U256::from(1) << 255,
        (U256::from(1) << 160) - U256::from(1),
        U256::from(u64::MAX),
        U256::ZERO - U256::from(7),
    ]);
    v
}

/// The opcodes [`fold::fold`] evaluates that take `n` operands.
fn foldable_with_inputs(n: u8) -> Vec<u8> {
    (0..=255u8)
        .filter(|&o| fold::is_foldable(o))
        .filter(|&o| opcode::info_in(o, SPEC).is_some_and(|i| i.inputs == n))
        .collect()
}

#[test]
fn binary_folds_agree_with_the_interpreter() {
    let words = fold_operands();
    let pairs: Vec<Vec<U256>> = words
        .iter()
        .flat_map(|&a| words.iter().map(move |&b| vec![a, b]))
        .collect();
    let binary = foldable_with_inputs(2);
    assert_eq!(binary.len(), 21);
    for o in binary {
        for part in pairs.chunks(100) {
            check_folds(o, part);
        }
    }
}

#[test]
fn unary_and_ternary_folds_agree_with_the_interpreter() {
    let words = fold_operands();
    let singles: Vec<Vec<U256>> = words.iter().map(|&a| vec![a]).collect();
    for o in foldable_with_inputs(1) {
        check_folds(o, &singles);
    }
    let few = &words[..8];
    let triples: Vec<Vec<U256>> = few
        .iter()
        .flat_map(|&a| few.iter().map(move |&b| (a, b)))
        .flat_map(|(a, b)| words.iter().map(move |&n| vec![a, b, n]))
        .collect();
    for o in foldable_with_inputs(3) {
        for part in triples.chunks(100) {
            check_folds(o, part);
        }
    }
}

// --------------------------------------------------------------- widths

/// Code computing a narrow value from the call data word on top of the
/// stack, and the width the analysis must give it.
const NARROWING: &[(&str, u16)] = &[
    ("PUSH20 0xffffffffffffffffffffffffffffffffffffffff AND", 160),
    ("PUSH8 0xffffffffffffffff AND", 64),
    ("PUSH9 0x01ffffffffffffffff AND", 65),
    ("PUSH1 224 SHR", 32),
    ("PUSH1 192 SHR", 64),
    ("PUSH1 191 SHR", 65),
    ("PUSH1 31 BYTE", 8),
    ("PUSH1 5 LT", 1),
    ("ISZERO", 1),
    ("CLZ", 9),
    ("PUSH1 16 SWAP1 MOD", 5),
    ("PUSH8 0xffffffffffffffff AND PUSH1 3 SWAP1 DIV", 64),
    ("PUSH8 0xffffffffffffffff AND DUP1 ADD", 65),
    ("PUSH8 0xffffffffffffffff AND DUP1 MUL", 128),
    ("PUSH12 0xffffffffffffffffffffffff AND DUP1 MUL", 192),
    ("PUSH1 224 SHR PUSH1 100 SHL", 132),
    ("PUSH1 1 SHR PUSH1 3 SAR", 252),
    ("PUSH1 0x7f AND PUSH0 SIGNEXTEND", 7),
    ("PUSH8 0xffffffffffffffff DUP2 DUP3 ADDMOD", 64),
    ("PUSH1 192 SHR DUP1 PUSH1 224 SHR OR", 64),
    ("PUSH1 1 EXP", 1),
    ("POP CALLER", 160),
    ("POP CALLDATASIZE", 64),
];

/// Each narrowed value crosses a block edge (where the lowering loads
/// only the limbs its width allows), is stored, and is used in arithmetic
/// again; the analysis must have its exact width on entry to the next
/// block, and compiled code must agree with the interpreter on call data
/// at every limb boundary.
#[test]
fn narrowed_widths_cross_blocks_exactly() {
    let backends = Backends::new();
    let mut inputs: Vec<Vec<u8>> = edge_words().into_iter().map(word).collect();
    inputs.push(Vec::new());
    for &(narrow, width) in NARROWING {
        let src = format!(
            "PUSH0 CALLDATALOAD {narrow} PUSH @next JUMP
             next: JUMPDEST DUP1 PUSH0 MSTORE PUSH1 1 ADD PUSH1 32 MSTORE PUSH1 64 PUSH0 RETURN"
        );
        let code = assemble(&src).unwrap();
        let an = Analysis::new(&code, SPEC);
        let plan = Plan::new(&an);
        assert_eq!(
            entry_items(&plan, 1, 1),
            vec![Known::Bits(width)],
            "the width of `{narrow}`"
        );
        for input in &inputs {
            backends.run(&code, SPEC, GAS, input);
        }
    }
}

/// The runtime's narrow outputs (CALLER: 160 bits) cross a block edge
/// intact when they fill their width: run with a caller whose address has
/// every bit set.
#[test]
fn runtime_outputs_fill_their_width() {
    let code = assemble(
        "CALLER ORIGIN PUSH @next JUMP
         next: JUMPDEST POP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN",
    )
    .unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    assert_eq!(
        entry_items(&plan, 1, 2),
        vec![Known::Bits(160), Known::Bits(160)]
    );
    let mut msg = message(GAS, &[]);
    msg.caller = cevm_runtime::Address::repeat_byte(0xff);
    let run = |executor: &dyn cevm_runtime::Executor| {
        let mut host = TestHost::new(SPEC);
        let bytecode = cevm_runtime::Bytecode::new(cevm_runtime::Bytes::copy_from_slice(&code));
        executor.execute(&bytecode, &msg, &mut host)
    };
    let backends = Backends::new();
    let jit = run(&backends.jit);
    assert_eq!(jit, run(&backends.interp));
    assert_eq!(&jit.output[12..], &[0xff; 20]);
}

/// Two paths bring values of different widths to one block: the join
/// keeps the wider, and compiled code reads all of its limbs.
#[test]
fn joined_widths_keep_the_wider_value() {
    let backends = Backends::new();
    let code = assemble(
        "PUSH0 CALLDATALOAD DUP1 PUSH1 1 AND PUSH @wide JUMPI
         PUSH8 0xffffffffffffffff AND PUSH @join JUMP
         wide: JUMPDEST PUSH20 0xffffffffffffffffffffffffffffffffffffffff AND
         join: JUMPDEST PUSH0 MSTORE PUSH1 32 PUSH0 RETURN",
    )
    .unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    let join = dest_block(&an, 1);
    assert_eq!(entry_items(&plan, join, 1), vec![Known::Bits(160)]);
    for x in edge_words() {
        for low in [U256::ZERO, U256::from(1)] {
            backends.run(&code, SPEC, GAS, &word((x >> 1 << 1) | low));
        }
    }
}

// ------------------------------------------------------ jump resolution

/// Call data words that steer the programs below down each path.
fn steering() -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    for x in [0u64, 1, 2, 3, 5, 0xff] {
        out.push(word(U256::from(x)));
    }
    out.push(word(U256::MAX));
    out
}

/// The targets the analysis resolved the jump of `block` to, as the
/// ordinals of their JUMPDESTs.
fn resolved(an: &Analysis<'_>, plan: &Plan<'_, '_>, block: usize) -> Vec<usize> {
    let dests: Vec<usize> = (0..an.code.len())
        .filter(|&pc| an.jumpdests.is_valid(pc))
        .collect();
    plan.facts.blocks[block]
        .exits
        .targets
        .iter()
        .map(|&t| {
            dests
                .iter()
                .position(|&pc| pc == an.blocks[t].start)
                .unwrap()
        })
        .collect()
}

/// A jump the analysis resolved: where each block's jump goes (by the
/// ordinal of the JUMPDEST its block starts at, the entry block as
/// `None`), the targets and how the lowering routes it.
struct Resolution {
    from: Option<usize>,
    targets: Vec<usize>,
    route: fn(&JumpRoute) -> bool,
}

fn jump(from: Option<usize>, targets: Vec<usize>, route: fn(&JumpRoute) -> bool) -> Resolution {
    Resolution {
        from,
        targets,
        route,
    }
}

fn check_resolution(src: &str, expected: &[Resolution]) {
    let code = assemble(src).unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    for r in expected {
        let block = r.from.map_or(0, |n| dest_block(&an, n));
        // The jump ends the block or a block it falls into.
        let mut b = block;
        while !matches!(
            an.blocks[b].terminator,
            cevm_compiler::Terminator::Jump | cevm_compiler::Terminator::JumpI
        ) {
            b += 1;
        }
        assert_eq!(
            resolved(&an, &plan, b),
            r.targets,
            "targets of block{b} in {src}"
        );
        let route = plan.jump_route(b);
        assert!((r.route)(&route), "route of block{b}: {route:?} in {src}");
    }
    let backends = Backends::new();
    for input in steering() {
        for gas in [100, 400, GAS] {
            backends.run(&code, SPEC, gas, &input);
        }
    }
}

fn direct(r: &JumpRoute) -> bool {
    matches!(r, JumpRoute::Direct(_))
}

fn switch(r: &JumpRoute) -> bool {
    matches!(
        r,
        JumpRoute::Switch {
            otherwise_dispatch: false,
            ..
        }
    )
}

fn dispatch(r: &JumpRoute) -> bool {
    matches!(r, JumpRoute::Dispatch)
}

/// A function called from two sites returns to each: a switch of two.
#[test]
fn returns_of_a_shared_function_resolve_to_its_call_sites() {
    check_resolution(
        "PUSH @r1 PUSH0 CALLDATALOAD PUSH1 7 PUSH @f JUMP
         r1: JUMPDEST PUSH @r2 SWAP1 PUSH1 9 PUSH @f JUMP
         r2: JUMPDEST PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
         f:  JUMPDEST ADD SWAP1 JUMP",
        &[
            jump(None, vec![2], direct),
            jump(Some(0), vec![2], direct),
            jump(Some(2), vec![0, 1], switch),
        ],
    );
}

/// A function called from more sites than a block has contexts for
/// destinations: the later callers share contexts by shape, where one
/// return address is a set of several, and each still returns home.
#[test]
fn returns_of_a_function_called_from_many_sites() {
    let sites = 40;
    let mut src = String::from("PUSH0 CALLDATALOAD ");
    for i in 0..sites {
        src.push_str(&format!(
            "PUSH @r{i} SWAP1 PUSH1 {} PUSH @f JUMP r{i}: JUMPDEST ",
            i + 1
        ));
    }
    src.push_str("PUSH0 MSTORE PUSH1 32 PUSH0 RETURN f: JUMPDEST ADD SWAP1 JUMP");
    check_resolution(&src, &[jump(Some(sites), (0..sites).collect(), switch)]);
}

/// Nested calls: `g` calls `f` twice and returns to the entry block's
/// continuation; `f` returns to the two sites inside `g` only.
#[test]
fn nested_calls_return_through_every_level() {
    check_resolution(
        "PUSH @done PUSH0 CALLDATALOAD PUSH @g JUMP
         done: JUMPDEST PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
         g:  JUMPDEST PUSH @g1 SWAP1 PUSH @f JUMP
         g1: JUMPDEST PUSH @g2 SWAP1 PUSH @f JUMP
         g2: JUMPDEST SWAP1 JUMP
         f:  JUMPDEST DUP1 ADD PUSH1 1 ADD SWAP1 JUMP",
        &[
            jump(Some(3), vec![0], direct),
            jump(Some(4), vec![2, 3], switch),
        ],
    );
}

/// A function that branches on its argument before returning, with the
/// return address moved under two arguments (solc's order).
#[test]
fn returns_after_a_branch_inside_the_function() {
    check_resolution(
        "PUSH @r1 PUSH1 3 PUSH0 CALLDATALOAD PUSH @f JUMP
         r1: JUMPDEST PUSH0 MSTORE PUSH @r2 PUSH1 4 PUSH1 5 PUSH @f JUMP
         r2: JUMPDEST PUSH1 32 MSTORE PUSH1 64 PUSH0 RETURN
         f:  JUMPDEST DUP1 PUSH @odd JUMPI ADD SWAP1 JUMP
         odd: JUMPDEST MUL SWAP1 JUMP",
        &[
            jump(Some(2), vec![3], direct),
            jump(Some(3), vec![0, 1], switch),
        ],
    );
}

/// A JUMPI on a constant: never taken, or always (then a direct jump).
#[test]
fn constant_conditions_decide_the_branch() {
    check_resolution(
        "PUSH0 PUSH @a JUMPI PUSH1 1 PUSH @b JUMPI
         a: JUMPDEST PUSH1 1 PUSH0 RETURN
         b: JUMPDEST PUSH1 2 PUSH0 RETURN",
        &[jump(None, vec![], |r| *r == JumpRoute::Never)],
    );
    let code = assemble(
        "PUSH0 PUSH @a JUMPI PUSH1 1 PUSH @b JUMPI
         a: JUMPDEST PUSH1 1 PUSH0 RETURN
         b: JUMPDEST PUSH1 2 PUSH0 RETURN",
    )
    .unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    assert_eq!(resolved(&an, &plan, 1), vec![1]);
    assert!(!plan.facts.reachable(dest_block(&an, 0)), "a never runs");
}

/// A target computed from call data goes through the dispatch; a return
/// address reached through it still runs right.
#[test]
fn computed_targets_use_the_dispatch() {
    check_resolution(
        "PUSH0 CALLDATALOAD PUSH1 0xf8 SHR JUMP
         PUSH0 PUSH0 REVERT
         a: JUMPDEST PUSH @r PUSH @f JUMP
         r: JUMPDEST CALLER PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
         f: JUMPDEST JUMP",
        &[jump(None, vec![], dispatch)],
    );
}

/// A recursive function (depth from the call data): however the analysis
/// resolves its returns, compiled code returns like the interpreter.
#[test]
fn recursion_returns_like_the_interpreter() {
    let code = assemble(
        "PUSH @done PUSH0 CALLDATALOAD PUSH1 7 AND PUSH @f JUMP
         done: JUMPDEST PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
         f: JUMPDEST DUP1 ISZERO PUSH @base JUMPI
            PUSH @back DUP2 PUSH1 1 SWAP1 SUB PUSH @f JUMP
         back: JUMPDEST ADD SWAP1 JUMP
         base: JUMPDEST SWAP1 JUMP",
    )
    .unwrap();
    let backends = Backends::new();
    for input in steering() {
        for gas in [100, 1_000, GAS] {
            backends.run(&code, SPEC, gas, &input);
        }
    }
}

// ------------------------------------------------------- check removal

/// Runs `code` at gas limits around the least it needs to finish (found
/// with the interpreter), so an off-by-one anywhere in the charges shows.
fn around_the_gas_boundary(backends: &Backends, code: &[u8], input: &[u8]) {
    let full = run_on(&backends.interp, code, SPEC, GAS, input);
    let used = GAS - full.0.gas_left;
    for gas in used.saturating_sub(3)..=used + 3 {
        backends.run(code, SPEC, gas, input);
    }
    backends.run(code, SPEC, used / 2, input);
}

/// A loop at static heights keeps no stack check; its header tests the
/// gas (every cycle is bounded), the blocks inside do not.
#[test]
fn static_heights_drop_stack_checks_and_loops_keep_one_gas_test() {
    let code = assemble(
        "PUSH0 CALLDATALOAD PUSH1 0xff AND PUSH0 PUSH1 1
         head: JUMPDEST DUP3 ISZERO PUSH @done JUMPI
         DUP2 DUP2 ADD SWAP2 POP SWAP1 SWAP2 PUSH1 1 SWAP1 SUB SWAP2 PUSH @head JUMP
         done: JUMPDEST POP PUSH0 MSTORE PUSH1 32 PUSH0 RETURN",
    )
    .unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    for b in &plan.blocks {
        assert!(!b.check_underflow && !b.check_overflow, "{b:?}");
    }
    let gas: Vec<bool> = plan.blocks.iter().map(|b| b.check_gas).collect();
    assert_eq!(
        gas,
        vec![false, true, false, true],
        "entry, head, body, done"
    );
    let backends = Backends::new();
    for n in [0u64, 1, 2, 30, 255] {
        around_the_gas_boundary(&backends, &code, &word(U256::from(n)));
    }
}

/// A block entered with 5 or 6 items that reads 6 keeps its underflow
/// check (the height is not provable; more items than an anchor receives
/// as arguments, so no check on the edge covers it), and halts where the
/// interpreter does.
#[test]
fn unprovable_heights_keep_the_underflow_check() {
    let code = assemble(
        "PUSH0 CALLDATALOAD PUSH @five JUMPI PUSH1 1 PUSH1 2 PUSH1 3 PUSH1 4 PUSH1 5 PUSH1 6 PUSH @x JUMP
         five: JUMPDEST PUSH1 1 PUSH1 2 PUSH1 3 PUSH1 4 PUSH1 5 PUSH @x JUMP
         x: JUMPDEST ADD ADD ADD ADD ADD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN",
    )
    .unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    let x = dest_block(&an, 1);
    let entry = plan.facts.blocks[x].entry.as_ref().unwrap();
    assert_eq!((entry.lo, entry.hi), (5, 6));
    assert!(plan.blocks[x].check_underflow);
    assert!(!plan.blocks[x].check_overflow);
    assert!(!plan.blocks[0].check_underflow && !plan.blocks[dest_block(&an, 0)].check_underflow);
    let backends = Backends::new();
    for input in steering() {
        backends.run(&code, SPEC, GAS, &input);
    }
}

/// A loop that grows the stack by one item per round (as many rounds as
/// the call data says) keeps its overflow check: past 1024 items it halts
/// like the interpreter instead of finishing.
#[test]
fn growing_loops_keep_the_overflow_check() {
    let code = assemble(
        "PUSH0 CALLDATALOAD
         l: JUMPDEST PUSH1 1 SWAP1 PUSH1 1 SWAP1 SUB DUP1 PUSH @l JUMPI STOP",
    )
    .unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    let l = dest_block(&an, 0);
    assert!(plan.blocks[l].check_overflow);
    assert!(!plan.blocks[l].check_underflow);
    assert!(!plan.blocks[0].check_overflow);
    let backends = Backends::new();
    for rounds in [1u64, 1000, 1022, 1023, 1024, 1030] {
        backends.run(&code, SPEC, GAS, &word(U256::from(rounds)));
    }
}

/// Blocks that fall into each other are merged into the first one's
/// charge; GAS inside the chain and the halts at every gas limit around
/// the boundary are the interpreter's.
#[test]
fn merged_chains_charge_exactly() {
    let code = assemble(
        "PUSH0 CALLDATALOAD
         a: JUMPDEST PUSH1 2 ADD
         b: JUMPDEST GAS ADD DUP1 MUL
         c: JUMPDEST PUSH1 3 SWAP1 SUB GAS
         d: JUMPDEST PUSH0 MSTORE PUSH1 32 MSTORE PUSH1 64 PUSH0 RETURN",
    )
    .unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    let merged: Vec<bool> = plan.blocks.iter().map(|b| b.merged).collect();
    assert_eq!(merged, vec![false, true, true, true, true]);
    for b in 1..5 {
        assert_eq!(plan.charged_at(b), 0);
    }
    let tests: Vec<bool> = plan.blocks.iter().map(|b| b.check_gas).collect();
    assert_eq!(
        tests,
        vec![false, false, true, true, true],
        "GAS, GAS, RETURN"
    );
    let backends = Backends::new();
    for x in [U256::ZERO, U256::MAX, U256::from(5)] {
        around_the_gas_boundary(&backends, &code, &word(x));
    }
}

/// A runtime call (SSTORE, with its 2300-gas sentry) after a long run of
/// untested blocks tests the counter first.
#[test]
fn runtime_calls_test_the_gas_first() {
    let code = assemble(
        "PUSH0 CALLDATALOAD PUSH @a JUMP
         a: JUMPDEST PUSH1 3 MUL PUSH @b JUMP
         b: JUMPDEST PUSH1 5 ADD PUSH @c JUMP
         c: JUMPDEST PUSH1 1 SSTORE PUSH @d JUMP
         d: JUMPDEST STOP",
    )
    .unwrap();
    let an = Analysis::new(&code, SPEC);
    let plan = Plan::new(&an);
    let tests: Vec<bool> = plan.blocks.iter().map(|b| b.check_gas).collect();
    assert_eq!(tests, vec![false, false, false, true, true], "SSTORE, STOP");
    let backends = Backends::new();
    for x in [U256::ZERO, U256::from(1)] {
        around_the_gas_boundary(&backends, &code, &word(x));
        // Around the sentry: SSTORE needs more than 2300 gas left.
        for gas in 2_300..2_340 {
            backends.run(&code, SPEC, gas, &word(x));
        }
    }
}
