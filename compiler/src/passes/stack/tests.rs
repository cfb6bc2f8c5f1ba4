use super::*;
use cevm_runtime::asm::assemble;
use cevm_runtime::SpecId;

fn facts(src: &str) -> (Vec<u8>, StackFacts, Vec<usize>) {
    let code = assemble(src).expect("assembles");
    let an = Analysis::new(&code, SpecId::Osaka);
    let starts = an.blocks.iter().map(|b| b.start).collect();
    let f = StackFacts::new(&an, Mode::Dispatch);
    (code.to_vec(), f, starts)
}

#[test]
fn return_addresses_resolve_to_their_call_sites() {
    // An internal function called from two sites at different heights;
    // its final JUMP goes back to whichever site called it.
    let src = "
        PUSH1 1 PUSH @ret1 PUSH1 7 PUSH @f JUMP
        ret1: JUMPDEST
        PUSH1 2 PUSH1 3 PUSH @ret2 PUSH1 9 PUSH @f JUMP
        ret2: JUMPDEST STOP
        f: JUMPDEST POP JUMP
    ";
    let (_, f, starts) = facts(src);
    assert!(!f.dynamic_jumps);
    let fi = starts.len() - 1;
    let exits = &f.blocks[fi].exits;
    assert_eq!(exits.targets.len(), 2, "{exits:?}");
    assert!(!exits.dynamic && !exits.invalid);
    // f is entered at heights 3 and 5.
    let entry = f.blocks[fi].entry.as_ref().unwrap();
    assert_eq!((entry.lo, entry.hi), (3, 5));
    assert_eq!(f.blocks[fi].contexts, 2);
}

#[test]
fn returns_get_the_callers_stack_back() {
    // A shared function called from two sites whose deeper items
    // differ (a constant 7 under one call, 9 under the other) and which
    // places its return address under its argument (as solc does). On
    // return each caller sees its own constant, and its own return
    // address deeper down resolves to one target.
    let src = "
        PUSH @end1 PUSH1 7 PUSH1 1 PUSH @r1 SWAP1 PUSH @f JUMP
        r1: JUMPDEST POP POP JUMP
        end1: JUMPDEST PUSH @end2 PUSH1 9 PUSH1 2 PUSH @r2 SWAP1 PUSH @f JUMP
        r2: JUMPDEST POP POP JUMP
        end2: JUMPDEST STOP
        f: JUMPDEST PUSH1 1 ADD SWAP1 JUMP
    ";
    let (_, f, starts) = facts(src);
    assert!(!f.dynamic_jumps);
    let at = |pc: usize| starts.iter().position(|&s| s == pc).unwrap();
    let code = assemble(src).unwrap();
    let pcs: Vec<usize> = (0..code.len()).filter(|&i| code[i] == 0x5b).collect();
    let (r1, r2) = (at(pcs[0]), at(pcs[2]));
    let seven = |b: usize| {
        let e = f.blocks[b].entry.as_ref().unwrap();
        f.pool.as_const(e.peek(1))
    };
    assert_eq!(seven(r1), Some(U256::from(7)));
    assert_eq!(seven(r2), Some(U256::from(9)));
    // Each return site's own JUMP goes to exactly one place.
    assert_eq!(f.blocks[r1].exits.targets.len(), 1);
    assert_eq!(f.blocks[r2].exits.targets.len(), 1);
    assert!(!f.blocks[r1].exits.dynamic && !f.blocks[r2].exits.dynamic);
}

#[test]
fn writes_below_a_return_address_are_seen_on_return() {
    // The caller overwrites an item below the return address after
    // pushing it (SWAP2): the return brings back the new value.
    let src = "
        PUSH1 5 PUSH @r PUSH1 6 SWAP2 POP PUSH @f JUMP
        r: JUMPDEST STOP
        f: JUMPDEST JUMP
    ";
    let (_, f, _) = facts(src);
    let e = f.blocks[1].entry.as_ref().unwrap();
    assert_eq!(f.pool.as_const(e.peek(0)), Some(U256::from(6)));
}

#[test]
fn loops_converge_with_exact_heights() {
    // fibonacci-like loop: counter, a, b; the head is entered at height 3.
    let src = crate::passes::FIBONACCI_LOOP;
    let (_, f, _) = facts(src);
    let head = &f.blocks[1];
    let entry = head.entry.as_ref().unwrap();
    assert_eq!((entry.lo, entry.hi), (3, 3));
    assert!(!f.dynamic_jumps);
    assert_eq!(f.blocks[2].exits.targets, vec![1]);
}

#[test]
fn computed_jumps_reach_every_destination() {
    let src = "
        PUSH0 CALLDATALOAD JUMP
        a: JUMPDEST PUSH1 1 STOP
        b: JUMPDEST STOP
    ";
    let (_, f, _) = facts(src);
    assert!(f.dynamic_jumps);
    assert!(f.blocks[0].exits.dynamic);
    for b in &f.blocks[1..] {
        let e = b.entry.as_ref().unwrap();
        assert_eq!((e.lo, e.hi), (0, STACK_LIMIT as u32));
    }
}

#[test]
fn exact_mode_records_computed_jumps_without_dispatch() {
    let src = "
        PUSH0 CALLDATALOAD JUMP
        a: JUMPDEST PUSH1 1 STOP
    ";
    let code = assemble(src).unwrap();
    let an = Analysis::new(&code, SpecId::Osaka);
    let f = StackFacts::new(&an, Mode::Exact);
    assert!(f.dynamic_jumps && f.blocks[0].exits.dynamic);
    assert!(!f.reachable(1), "nothing foreseen reaches a");
    assert!(computes_jump_target(&an, 0));
}

/// `callers` calls of one shared function, each with a different
/// pattern of jump destinations among the seven items under its return
/// address (so each call is a context of its own).
fn many_callers(callers: usize) -> Vec<u8> {
    let mut src = String::new();
    for i in 0..callers {
        for bit in 0..7 {
            if i & (1 << bit) != 0 {
                src += &format!("PUSH @end{i} ");
            } else {
                src += "PUSH0 ";
            }
        }
        src += &format!("PUSH @r{i} PUSH @f JUMP\n");
        src += &format!("r{i}: JUMPDEST POP POP POP POP POP POP POP PUSH @end{i} JUMP\n");
        src += &format!("end{i}: JUMPDEST\n");
    }
    src += "STOP\nf: JUMPDEST JUMP\n";
    assemble(&src).expect("assembles").to_vec()
}

#[test]
fn the_precise_analysis_gives_up_past_its_contexts() {
    let code = many_callers(MAX_CONTEXTS - 4);
    let an = Analysis::new(&code, SpecId::Osaka);
    let f = StackFacts::solve(&an, Mode::Exact, true, false).expect("precise");
    assert!(!f.dynamic_jumps, "every return resolved");
    let code = many_callers(MAX_CONTEXTS + 4);
    let an = Analysis::new(&code, SpecId::Osaka);
    assert!(StackFacts::solve(&an, Mode::Exact, true, false).is_none());
    // The coarse analysis never gives up.
    assert!(StackFacts::solve(&an, Mode::Exact, false, false).is_some());
}

#[test]
fn the_compiler_gets_the_dispatch_facts_for_a_computed_jump() {
    let code = assemble("PUSH0 CALLDATALOAD JUMP a: JUMPDEST PUSH1 1 STOP").unwrap();
    let an = Analysis::new(&code, SpecId::Osaka);
    let exact = StackFacts::solve(&an, Mode::Exact, true, true);
    assert!(exact.is_none(), "stops at the computed jump");
    let f = StackFacts::for_compiler(&an);
    let dispatch = StackFacts::coarse(&an, Mode::Dispatch);
    assert_eq!(f.mode, Mode::Dispatch);
    assert!(f.dynamic_jumps && f.reachable(1));
    for (a, b) in f.blocks.iter().zip(&dispatch.blocks) {
        assert_eq!((&a.entry, &a.exits), (&b.entry, &b.exits));
    }
}

#[test]
fn return_addresses_are_not_computed_targets() {
    let code = assemble("PUSH1 4 PUSH1 1 SWAP1 JUMP JUMPDEST DUP2 SWAP1 JUMP").unwrap();
    let an = Analysis::new(&code, SpecId::Osaka);
    assert!(!computes_jump_target(&an, 0), "a constant");
    assert!(!computes_jump_target(&an, 1), "an entry item");
    let code = assemble("PUSH1 0x40 MLOAD JUMP").unwrap();
    let an = Analysis::new(&code, SpecId::Osaka);
    assert!(computes_jump_target(&an, 0), "loaded from memory");
}

#[test]
fn constant_conditions_and_invalid_targets() {
    // The condition is 0: the JUMPI never jumps; the next jump's
    // constant target is not a destination.
    let src = "
        PUSH0 PUSH @x JUMPI
        PUSH1 3 JUMP
        x: JUMPDEST STOP
    ";
    let (_, f, _) = facts(src);
    assert!(f.blocks[0].exits.targets.is_empty());
    assert!(f.blocks[0].exits.falls_through);
    assert!(f.blocks[1].exits.invalid);
    assert!(!f.reachable(2), "x is never reached");
}

#[test]
fn underflowing_blocks_stop_the_analysis() {
    let (_, f, _) = facts("ADD PUSH1 4 JUMP JUMPDEST STOP");
    assert!(f.blocks[0].exits.targets.is_empty());
    assert!(!f.reachable(1));
}

#[test]
fn widths_and_constants_reach_the_next_block() {
    let src = "
        PUSH0 CALLDATALOAD PUSH1 0xe0 SHR CALLER PUSH1 5 PUSH @n JUMP
        n: JUMPDEST STOP
    ";
    let (_, f, _) = facts(src);
    let e = f.blocks[1].entry.as_ref().unwrap();
    assert_eq!(e.items.len(), 3);
    assert_eq!(f.pool.width(e.items[0]), 32);
    assert_eq!(f.pool.width(e.items[1]), 160);
    assert_eq!(f.pool.as_const(e.items[2]), Some(U256::from(5)));
}
