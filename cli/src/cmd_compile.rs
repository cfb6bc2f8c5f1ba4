//! `cevm compile`: shows what the compiler makes of some code, or with
//! `-o LIB.so` compiles one or more contracts ahead of time into a shared
//! library that `cevm run --aot` (or any program linking the same runtime)
//! loads without compiling.

use crate::input::read_code;
use anyhow::{bail, Context, Result};
use cevm_compiler::emit::{emit, EmitKind};
use cevm_compiler::{AotBuilder, Compiler, AOT_ABI_VERSION};
use cevm_runtime::primitives::keccak256;
use cevm_runtime::SpecId;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// What `--emit` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// Basic blocks and what the optimiser proved about each: resolved jump
    /// targets, entry stack items (constants, widths), folded constants,
    /// the stack and gas checks kept or removed, region and chunk.
    Blocks,
    /// Cranelift IR of the contract's function.
    Clif,
    /// Machine code: Cranelift's disassembly, then the bytes in hex by offset.
    Asm,
    /// The resolved control-flow graph as Graphviz DOT: each block with its
    /// gas, region and kept checks; jumps as direct edges, switches or the
    /// dispatch.
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
    /// Bytecode as hex (0x prefix optional); several with `-o`.
    hex: Vec<String>,
    /// Read bytecode from a file instead (hex text or raw bytes); may be
    /// repeated with `-o`.
    #[arg(long)]
    code_file: Vec<PathBuf>,
    /// Compile ahead of time into this shared library (linked with the
    /// system C compiler: `$CEVM_CC`, `$CC` or `cc`) instead of printing.
    #[arg(short = 'o', long = "output", value_name = "LIB.so")]
    output: Option<PathBuf>,
    /// Fork whose rules apply (any mainnet fork from frontier to osaka).
    #[arg(long, default_value = "osaka")]
    spec: String,
    /// What to print.
    #[arg(long, value_enum, default_value = "blocks")]
    emit: Emit,
}

/// Compiles the code and prints the requested form, or builds a library.
pub fn run(args: CompileArgs) -> Result<ExitCode> {
    let spec: SpecId = args.spec.parse()?;
    let mut codes = Vec::with_capacity(args.hex.len() + args.code_file.len());
    for hex in &args.hex {
        codes.push(read_code(Some(hex), None)?);
    }
    for file in &args.code_file {
        codes.push(read_code(None, Some(file))?);
    }
    if codes.is_empty() {
        bail!("give the code as hex or with --code-file");
    }
    if let Some(out) = &args.output {
        return build_library(&codes, spec, out);
    }
    if codes.len() > 1 {
        bail!("several inputs need -o LIB.so (printing handles one contract)");
    }
    let code = &codes[0];
    let compiler = Compiler::new(spec).context("setting up the code generator")?;
    let text = emit(&compiler, code, args.emit.into()).context("compiling")?;
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Compiles `codes` for `spec` into the shared library `out`.
fn build_library(codes: &[Vec<u8>], spec: SpecId, out: &std::path::Path) -> Result<ExitCode> {
    let started = Instant::now();
    let mut builder = AotBuilder::new();
    for code in codes {
        builder
            .add(code, spec)
            .with_context(|| format!("compiling code {}", keccak256(code)))?;
    }
    let compiled = started.elapsed();
    builder
        .link(out)
        .with_context(|| format!("linking {}", out.display()))?;
    let total = started.elapsed();
    for entry in builder.manifest().entries {
        println!(
            "{} {} ({} bytes)",
            entry.code_hash, entry.spec, entry.code_len
        );
    }
    println!(
        "wrote {} ({} contract(s), {spec}, runtime ABI {AOT_ABI_VERSION:#018x}) in {:.1} ms (compile {:.1} ms, link {:.1} ms)",
        out.display(),
        builder.len(),
        total.as_secs_f64() * 1e3,
        compiled.as_secs_f64() * 1e3,
        (total - compiled).as_secs_f64() * 1e3,
    );
    Ok(ExitCode::SUCCESS)
}
