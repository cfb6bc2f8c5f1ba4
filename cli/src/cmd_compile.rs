//! `cevm compile`: shows what the compiler makes of some code.

use crate::input::read_code;
use anyhow::{Context, Result};
use cevm_compiler::emit::{emit, EmitKind};
use cevm_compiler::Compiler;
use cevm_runtime::SpecId;
use std::path::PathBuf;
use std::process::ExitCode;

/// What `--emit` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// Basic blocks: pc range, static gas, stack needed and growth, terminator.
    Blocks,
    /// Cranelift IR of the contract's function.
    Clif,
    /// Machine code: Cranelift's disassembly, then the bytes in hex by offset.
    Asm,
    /// The control-flow graph as Graphviz DOT, each block with its gas.
    Dot,
}

impl From<Emit> for EmitKind {
    fn from(e: Emit) -> Self {
        match e {
            Emit::Blocks => EmitKind::Blocks,
            Emit::Clif => EmitKind::Clif,
            Emit::Asm => EmitKind::Asm,
            Emit::Dot => EmitKind::Dot,
        }
    }
}

/// Arguments of `cevm compile`.
#[derive(clap::Args)]
pub struct CompileArgs {
    /// Bytecode as hex (0x prefix optional).
    hex: Option<String>,
    /// Read the bytecode from a file instead (hex text or raw bytes).
    #[arg(long)]
    code_file: Option<PathBuf>,
    /// Fork whose rules apply (cancun, prague, osaka).
    #[arg(long, default_value = "osaka")]
    spec: String,
    /// What to print.
    #[arg(long, value_enum, default_value = "blocks")]
    emit: Emit,
}

/// Compiles the code and prints the requested form.
pub fn run(args: CompileArgs) -> Result<ExitCode> {
    let code = read_code(args.hex.as_deref(), args.code_file.as_deref())?;
    let spec: SpecId = args.spec.parse()?;
    anyhow::ensure!(
        spec.is_supported(),
        "fork {spec} is not executed by cevm (use cancun, prague or osaka)"
    );
    let compiler = Compiler::new(spec).context("setting up the code generator")?;
    let text = emit(&compiler, &code, args.emit.into()).context("compiling")?;
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
