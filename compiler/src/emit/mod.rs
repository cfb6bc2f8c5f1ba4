//! Text forms of a compilation for inspection: the blocks with what the
//! passes proved ([`blocks`]), the Cranelift IR, the machine code and the
//! control-flow graph as Graphviz DOT ([`dot`]).

pub mod blocks;
pub mod dot;

use crate::analysis::Analysis;
use crate::compile::{ArtifactRequest, CompileError, Compiler};
use crate::passes::plan::Plan;
use std::fmt::Write;

/// What to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitKind {
    /// The blocks and what the passes proved: resolved jumps, entry
    /// stacks, folds, widths, checks removed, region and chunk.
    Blocks,
    /// The Cranelift IR.
    Clif,
    /// The machine code (Cranelift's disassembly, followed by the bytes).
    Asm,
    /// The resolved control-flow graph as Graphviz DOT.
    Dot,
}

/// Renders `code` compiled by `compiler` as `kind`.
pub fn emit(compiler: &Compiler, code: &[u8], kind: EmitKind) -> Result<String, CompileError> {
    match kind {
        EmitKind::Blocks => {
            let an = Analysis::new(code, compiler.spec());
            Ok(blocks::describe(&mut Plan::with_limits(
                &an,
                compiler.chunk_limits(),
            )))
        }
        EmitKind::Dot => {
            let an = Analysis::new(code, compiler.spec());
            Ok(dot::dot(&Plan::with_limits(&an, compiler.chunk_limits())))
        }
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
