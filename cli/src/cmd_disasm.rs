//! `cevm disasm`.

use crate::input::read_code;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cevm disasm`.
#[derive(clap::Args)]
pub struct DisasmArgs {
    /// Bytecode as hex (0x prefix optional).
    hex: Option<String>,
    /// Read the bytecode from a file instead (hex text or raw bytes).
    #[arg(long)]
    code_file: Option<PathBuf>,
}

/// Prints the disassembly of the code.
pub fn run(args: DisasmArgs) -> Result<ExitCode> {
    let code = read_code(args.hex.as_deref(), args.code_file.as_deref())?;
    print!("{}", cevm_runtime::opcode::disassemble(&code));
    Ok(ExitCode::SUCCESS)
}
