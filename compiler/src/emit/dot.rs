//! `--emit dot`: the control-flow graph the passes resolved, as Graphviz
//! DOT. One node per block (pc range, gas, region, the checks it keeps);
//! solid edges for fall-through and resolved jumps (`jump` to one target,
//! `switch` to a few), dashed edges through a shared `dispatch` node for
//! computed jumps, dotted grey nodes for blocks that never run. With several
//! chunks, each is a cluster.

use crate::analysis::Terminator;
use crate::passes::plan::{JumpRoute, Plan};
use std::fmt::Write;

/// The graph of `plan`.
pub fn dot(plan: &Plan<'_, '_>) -> String {
    let an = plan.an;
    let mut out = String::from("digraph cfg {\n  node [shape=box fontname=monospace];\n");
    let clusters = plan.chunks.chunks.len() > 1;
    let mut nodes_of_chunk: Vec<Vec<String>> = vec![Vec::new(); plan.chunks.chunks.len()];
    let mut edges = String::new();
    let mut invalid = false;
    for (i, b) in an.blocks.iter().enumerate() {
        if !plan.facts.reachable(i) {
            let _ = writeln!(
                out,
                "  b{i} [label=\"block{i}\\npc {}..{}\\nnever runs\" style=dotted color=grey];",
                b.start, b.end
            );
            continue;
        }
        let node = format!(
            "  b{i} [label=\"block{i}\\npc {}..{}\\ngas {}\\n{}\\nchecks: {}\"];",
            b.start,
            b.end,
            b.static_gas,
            region(plan, i),
            checks(plan, i)
        );
        match plan.chunks.of_block[i] {
            Some(c) if clusters => nodes_of_chunk[c].push(node),
            _ => {
                out.push_str(&node);
                out.push('\n');
            }
        }
        let exits = &plan.facts.blocks[i].exits;
        if exits.falls_through {
            if let Some(next) = an.block_at(b.end) {
                let _ = writeln!(edges, "  b{i} -> b{next};");
            }
        }
        if !matches!(b.terminator, Terminator::Jump | Terminator::JumpI) {
            continue;
        }
        let mut to_dispatch = false;
        match plan.jump_route(i) {
            JumpRoute::Never => {}
            JumpRoute::Direct(t) => {
                let _ = writeln!(edges, "  b{i} -> b{t} [label=\"jump\"];");
            }
            JumpRoute::Switch {
                targets,
                otherwise_dispatch,
            } => {
                for t in targets {
                    let _ = writeln!(edges, "  b{i} -> b{t} [label=\"switch\"];");
                }
                if otherwise_dispatch {
                    to_dispatch = true;
                } else {
                    invalid = true;
                    let _ = writeln!(edges, "  b{i} -> invalid_jump [style=dashed];");
                }
            }
            JumpRoute::Dispatch => to_dispatch = true,
            JumpRoute::Invalid => {
                invalid = true;
                let _ = writeln!(edges, "  b{i} -> invalid_jump [label=\"jump\"];");
            }
        }
        if to_dispatch {
            let _ = writeln!(edges, "  b{i} -> dispatch [style=dashed];");
        }
    }
    for (c, nodes) in nodes_of_chunk.iter().enumerate() {
        if nodes.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "  subgraph cluster_chunk{c} {{\n  label=\"chunk {c}\";"
        );
        for n in nodes {
            out.push_str(n);
            out.push('\n');
        }
        out.push_str("  }\n");
    }
    out.push_str(&edges);
    if plan.has_dispatch() {
        out.push_str("  dispatch [shape=diamond];\n");
        for &t in &plan.cfg.dispatch_targets {
            let _ = writeln!(out, "  dispatch -> b{t} [style=dashed];");
        }
    }
    if invalid {
        out.push_str("  invalid_jump [shape=octagon];\n");
    }
    out.push_str("}\n");
    out
}

/// `anchor` or `in blockN +k`.
fn region(plan: &Plan<'_, '_>, i: usize) -> String {
    match plan.regions.place[i] {
        Some(p) if p.anchor == i => format!("anchor ({} params)", plan.regions.params[i]),
        Some(p) => format!("in block{} {:+}", p.anchor, p.offset),
        None => "no region".to_string(),
    }
}

/// The checks the block keeps: `under`, `over`, `gas`, or `none`; a merged
/// block's gas is charged by the head of its chain.
fn checks(plan: &Plan<'_, '_>, i: usize) -> String {
    let p = plan.blocks[i];
    let mut kept = Vec::new();
    if p.check_underflow {
        kept.push("under".to_string());
    }
    if p.check_overflow {
        kept.push("over".to_string());
    }
    if p.merged {
        kept.push(format!("gas with block{}", plan.charged_at(i)));
    } else if p.check_gas {
        kept.push("gas".to_string());
    }
    if kept.is_empty() {
        "none".to_string()
    } else {
        kept.join(" ")
    }
}
