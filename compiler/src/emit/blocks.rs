//! `--emit blocks`: per block, the block analysis and what the passes
//! proved about it (resolved jumps, entry stacks, folded constants, narrowed
//! widths, the checks kept or removed, region and chunk).
//!
//! One block reads like this (indented lines, always in this order; lines
//! without anything to say are left out):
//!
//! ```text
//! block4: pc 21..26 instrs 3 gas 12 needs 2 grows 0 delta -2 ends Jump
//!   region: anchor, 2 params; chunk 0, entry 1; contexts 2
//!   stack: height 3..5, needs 2, grows 0: underflow check removed, overflow check removed
//!   gas: charge 12, test deferred
//!   unroll: lowered twice, cycle block4, block5 (header block4; its second copy's loop test left out)
//!   jump: switch block1 (pc 9), block2 (pc 19); else invalid jump
//!   entry (top first): bits 64, label pc 9|19, const 0x7
//!   folds: pc 23 ADD = 0x10
//!   widths: pc 24 CALLER 160
//! ```

use crate::analysis::Terminator;
use crate::passes::plan::{observes_gas, JumpRoute, Plan};
use crate::passes::value::{AbsVal, ValuePool};
use cevm_runtime::opcode;
use std::fmt::Write;

/// Entry items shown per block, from the top.
const SHOWN_ENTRY_ITEMS: usize = 8;

/// The text of `plan`, one paragraph per block.
pub fn describe(plan: &mut Plan<'_, '_>) -> String {
    let an = plan.an;
    let mut out = String::new();
    let runs = (0..an.blocks.len())
        .filter(|&i| plan.facts.reachable(i))
        .count();
    let dispatch = if plan.has_dispatch() {
        format!("dispatch to {} blocks", plan.cfg.dispatch_targets.len())
    } else {
        "no dispatch".to_string()
    };
    let _ = writeln!(
        out,
        "; {} blocks, {runs} run; {} chunk(s); {dispatch}; fork {}",
        an.blocks.len(),
        plan.chunks.chunks.len(),
        an.spec
    );
    for i in 0..an.blocks.len() {
        let b = &an.blocks[i];
        let _ = writeln!(
            out,
            "block{i}: pc {}..{} instrs {} gas {} needs {} grows {} delta {:+} ends {:?}",
            b.start,
            b.end,
            b.instructions.len(),
            b.static_gas,
            b.stack_needed,
            b.max_growth,
            b.stack_delta,
            b.terminator
        );
        if !plan.facts.reachable(i) {
            out.push_str("  never runs: not compiled\n");
            continue;
        }
        region_line(&mut out, plan, i);
        stack_line(&mut out, plan, i);
        gas_line(&mut out, plan, i);
        unroll_line(&mut out, plan, i);
        if matches!(b.terminator, Terminator::Jump | Terminator::JumpI) {
            jump_line(&mut out, plan, i);
        }
        value_lines(&mut out, plan, i);
    }
    out
}

fn region_line(out: &mut String, plan: &Plan<'_, '_>, i: usize) {
    out.push_str("  region: ");
    match plan.regions.place[i] {
        Some(p) if p.anchor == i => {
            let _ = write!(out, "anchor, {} params", plan.regions.params[i]);
        }
        Some(p) => {
            let _ = write!(out, "block{} {:+}", p.anchor, p.offset);
        }
        None => out.push_str("none"),
    }
    if let Some(c) = plan.chunks.of_block[i] {
        let _ = write!(out, "; chunk {c}");
        if let Some(e) = plan.chunks.entry_index(i) {
            let _ = write!(out, ", entry {e}");
        }
    }
    let _ = writeln!(out, "; contexts {}", plan.facts.blocks[i].contexts);
}

fn stack_line(out: &mut String, plan: &Plan<'_, '_>, i: usize) {
    let b = &plan.an.blocks[i];
    let checks = plan.blocks[i];
    let state = |checked: bool| if checked { "checked" } else { "removed" };
    if let Some(e) = &plan.facts.blocks[i].entry {
        let _ = writeln!(
            out,
            "  stack: height {}..{}, needs {}, grows {}: underflow check {}, overflow check {}",
            e.lo,
            e.hi,
            b.stack_needed,
            b.max_growth,
            state(checks.check_underflow),
            state(checks.check_overflow)
        );
    }
}

fn gas_line(out: &mut String, plan: &Plan<'_, '_>, i: usize) {
    let an = plan.an;
    if plan.blocks[i].merged {
        let _ = writeln!(
            out,
            "  gas: {} merged into block{}'s charge and test",
            an.blocks[i].static_gas,
            plan.charged_at(i)
        );
        return;
    }
    // The chain of blocks merged after this one, charged here at once.
    let mut chain = vec![i];
    while let Some(next) = an.block_at(an.blocks[*chain.last().expect("not empty")].end) {
        let last = &an.blocks[*chain.last().expect("not empty")];
        if last.terminator != Terminator::FallThrough || !plan.blocks[next].merged {
            break;
        }
        chain.push(next);
    }
    let total: u64 = chain.iter().map(|&c| an.blocks[c].static_gas).sum();
    let _ = write!(out, "  gas: charge {total}");
    if chain.len() > 1 {
        let merged: Vec<String> = chain[1..].iter().map(|c| format!("block{c}")).collect();
        let _ = write!(out, " (with {})", merged.join(", "));
    }
    match chain.iter().find_map(|&c| test_reason(plan, c)) {
        Some(reason) => {
            let _ = writeln!(out, ", tested: {reason}");
        }
        None => out.push_str(", test deferred\n"),
    }
}

fn unroll_line(out: &mut String, plan: &Plan<'_, '_>, i: usize) {
    let Some(cycle) = plan.unroll.cycle(i) else {
        return;
    };
    let blocks: Vec<String> = cycle.blocks.iter().map(|b| format!("block{b}")).collect();
    let _ = writeln!(
        out,
        "  unroll: lowered twice, cycle {} (header block{}; its second copy's loop test left out)",
        blocks.join(", "),
        cycle.header
    );
}

/// Why block `c` tests the gas counter, if it does.
fn test_reason(plan: &Plan<'_, '_>, c: usize) -> Option<String> {
    if !plan.blocks[c].check_gas {
        return None;
    }
    let an = plan.an;
    if plan.cfg.loop_header[c] {
        return Some("loop header".to_string());
    }
    let observer = an
        .block_instructions(c)
        .iter()
        .find(|ins| opcode::info_in(ins.opcode, an.spec).is_some() && observes_gas(ins.opcode));
    Some(match observer {
        Some(ins) => format!("before {} at pc {}", opcode::name(ins.opcode), ins.pc),
        None => "ends the frame".to_string(),
    })
}

fn jump_line(out: &mut String, plan: &Plan<'_, '_>, i: usize) {
    let an = plan.an;
    let block = |t: usize| format!("block{t} (pc {})", an.blocks[t].start);
    let text = match plan.jump_route(i) {
        JumpRoute::Never => "never taken".to_string(),
        JumpRoute::Direct(t) => format!("direct {}", block(t)),
        JumpRoute::Switch {
            targets,
            otherwise_dispatch,
        } => {
            let list: Vec<String> = targets.iter().map(|&t| block(t)).collect();
            let otherwise = if otherwise_dispatch {
                "dispatch"
            } else {
                "invalid jump"
            };
            format!("switch {}; else {otherwise}", list.join(", "))
        }
        JumpRoute::Dispatch => {
            let known = &plan.facts.blocks[i].exits.targets;
            if known.is_empty() {
                "dispatch (target computed)".to_string()
            } else {
                let list: Vec<String> = known.iter().map(|&t| format!("block{t}")).collect();
                format!("dispatch (known targets {}, all anchors)", list.join(", "))
            }
        }
        JumpRoute::Invalid => "invalid jump (constant not a JUMPDEST)".to_string(),
    };
    let _ = writeln!(out, "  jump: {text}");
}

/// The entry items, folded constants and narrowed widths of block `i`.
fn value_lines(out: &mut String, plan: &mut Plan<'_, '_>, i: usize) {
    let an = plan.an;
    let trace = plan.facts.trace(an, i);
    let pool = &plan.facts.pool;
    if let Some(e) = &plan.facts.blocks[i].entry {
        if e.items.iter().any(|&v| v != crate::passes::value::TOP) {
            let shown: Vec<String> = e
                .items
                .iter()
                .rev()
                .take(SHOWN_ENTRY_ITEMS)
                .map(|&v| value(pool, v))
                .collect();
            let more = e.items.len().saturating_sub(SHOWN_ENTRY_ITEMS);
            let _ = write!(out, "  entry (top first): {}", shown.join(", "));
            if more > 0 {
                let _ = write!(out, ", ... {more} more");
            }
            out.push('\n');
        }
    }
    let mut folds = Vec::new();
    let mut widths = Vec::new();
    for (ins, v) in an.block_instructions(i).iter().zip(&trace) {
        let Some(v) = *v else { continue };
        let name = opcode::name(ins.opcode);
        if crate::passes::fold::is_foldable(ins.opcode) {
            if let Some(c) = pool.as_const(v) {
                folds.push(format!("pc {} {name} = {c:#x}", ins.pc));
                continue;
            }
        }
        let is_push = opcode::info(ins.opcode).is_some_and(|o| o.is_push());
        if let AbsVal::Bits(w) = v {
            if w < 256 && !is_push {
                widths.push(format!("pc {} {name} {w}", ins.pc));
            }
        }
    }
    if !folds.is_empty() {
        let _ = writeln!(out, "  folds: {}", folds.join(", "));
    }
    if !widths.is_empty() {
        let _ = writeln!(out, "  widths: {}", widths.join(", "));
    }
}

/// One abstract value: `const 0x..`, `label pc a|b`, `bits w` or `?`.
pub(super) fn value(pool: &ValuePool, v: AbsVal) -> String {
    match v {
        AbsVal::Const(_) => match pool.as_const(v) {
            Some(c) => format!("const {c:#x}"),
            None => "?".to_string(),
        },
        AbsVal::Labels(_) => {
            let pcs: Vec<String> = pool
                .label_pcs(v)
                .unwrap_or_default()
                .iter()
                .map(u32::to_string)
                .collect();
            format!("label pc {}", pcs.join("|"))
        }
        AbsVal::Bits(w) if w < 256 => format!("bits {w}"),
        AbsVal::Bits(_) => "?".to_string(),
    }
}
