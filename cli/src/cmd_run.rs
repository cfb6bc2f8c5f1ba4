//! `cevm run`: owned by the interpreter work (issue 2); see ARCHITECTURE.md.

use anyhow::{bail, Result};
use std::process::ExitCode;

/// Arguments of `cevm run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Bytecode as hex (0x prefix optional).
    hex: Option<String>,
}

/// Executes the code.
pub fn run(_args: RunArgs) -> Result<ExitCode> {
    bail!("cevm run is being built")
}
