//! Text forms of a compilation for inspection: the block analysis, the
//! Cranelift IR, the machine code and the control-flow graph as Graphviz DOT.

use crate::analysis::{Analysis, JumpTarget, Terminator};
use crate::compile::{ArtifactRequest, CompileError, Compiler};
use std::fmt::Write;

/// What to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitKind {
    /// The block analysis: pc range, static gas, stack needed and growth.
    Blocks,
    /// The Cranelift IR.
    Clif,
    /// The machine code (Cranelift's disassembly, followed by the bytes).
    Asm,
    /// The control-flow graph as Graphviz DOT.
    Dot,
}

/// Renders `code` compiled by `compiler` as `kind`.
pub fn emit(compiler: &Compiler, code: &[u8], kind: EmitKind) -> Result<String, CompileError> {
    match kind {
        EmitKind::Blocks => Ok(Analysis::new(code, compiler.spec()).describe()),
        EmitKind::Dot => Ok(dot(&Analysis::new(code, compiler.spec()))),
        EmitKind::Clif => {
            let request = ArtifactRequest {
                clif: true,
                asm: false,
            };
            let (_, a) = compiler.compile_with(code, request)?;
            Ok(a.clif.unwrap_or_default())
        }
        EmitKind::Asm => {
            let request = ArtifactRequest {
                clif: false,
                asm: true,
            };
            let (_, a) = compiler.compile_with(code, request)?;
            let mut out = String::new();
            match a.asm {
                Some(text) => {
                    out.push_str("; disassembly (Cranelift VCode listing)\n");
                    out.push_str(&text);
                }
                None => out.push_str("; no disassembly available\n"),
            }
            if let Some(bytes) = a.code {
                let _ = writeln!(out, "; machine code, {} bytes (hex by offset)", bytes.len());
                for (i, chunk) in bytes.chunks(16).enumerate() {
                    let _ = write!(out, "{:08x}:", i * 16);
                    for b in chunk {
                        let _ = write!(out, " {b:02x}");
                    }
                    out.push('\n');
                }
            }
            Ok(out)
        }
    }
}

/// The CFG: one node per block labelled with its pc range and static gas;
/// solid edges for fall-through and constant jumps, a dashed edge to a
/// shared `dispatch` node for computed jumps.
pub fn dot(analysis: &Analysis<'_>) -> String {
    let mut out = String::from("digraph cfg {\n  node [shape=box fontname=monospace];\n");
    let mut uses_dispatch = false;
    for (i, b) in analysis.blocks.iter().enumerate() {
        let _ = writeln!(
            out,
            "  b{i} [label=\"block{i}\\npc {}..{}\\ngas {}\\nneeds {} grows {}\\n{:?}\"];",
            b.start, b.end, b.static_gas, b.stack_needed, b.max_growth, b.terminator
        );
        if b.falls_through() {
            if let Some(next) = analysis.block_at(b.end) {
                let _ = writeln!(out, "  b{i} -> b{next};");
            }
        }
        if matches!(b.terminator, Terminator::Jump | Terminator::JumpI) {
            match b.jump_target {
                JumpTarget::Static(pc) => {
                    if let Some(t) = analysis.block_at(pc) {
                        let _ = writeln!(out, "  b{i} -> b{t} [label=\"jump\"];");
                    }
                }
                JumpTarget::StaticInvalid => {
                    let _ = writeln!(out, "  b{i} -> invalid_jump [label=\"jump\"];");
                }
                JumpTarget::Dynamic => {
                    uses_dispatch = true;
                    let _ = writeln!(out, "  b{i} -> dispatch [style=dashed];");
                }
                JumpTarget::None => {}
            }
        }
    }
    if uses_dispatch {
        out.push_str("  dispatch [shape=diamond];\n");
        for (i, b) in analysis.blocks.iter().enumerate() {
            if analysis.jumpdests.is_valid(b.start) {
                let _ = writeln!(out, "  dispatch -> b{i} [style=dashed];");
            }
        }
    }
    out.push_str("}\n");
    out
}
