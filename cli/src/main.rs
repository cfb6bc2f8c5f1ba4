//! `cevm`: run, disassemble, compile, test and benchmark EVM code.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod backend;
mod cmd_bench;
mod cmd_compile;
mod cmd_disasm;
mod cmd_fuzz;
mod cmd_replay;
mod cmd_run;
mod cmd_statetest;
mod cmd_t8n;
mod input;
mod replay_stream;

/// cevm: an EVM compiler (Cranelift, JIT) with a reference interpreter.
#[derive(Parser)]
#[command(name = "cevm", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Execute code as a message call on an in-memory state.
    Run(cmd_run::RunArgs),
    /// Print one instruction per line: pc, name, immediate.
    Disasm(cmd_disasm::DisasmArgs),
    /// Show the compiler's view of code: blocks, Cranelift IR, machine code or CFG.
    Compile(cmd_compile::CompileArgs),
    /// Run execution-spec-tests state tests (files or folders) on a backend.
    Statetest(cmd_statetest::StatetestArgs),
    /// Compile time and JIT against interpreter run time, per contract (built-in contracts by default).
    Bench(cmd_bench::BenchArgs),
    /// Differential fuzzing: generated programs on the interpreter and the JIT (or the tiered backend), compared.
    Fuzz(cmd_fuzz::FuzzArgs),
    /// A stream of transactions over thousands of distinct codes, on the
    /// interpreter, the JIT or the tiered backend, checked against the interpreter.
    Replay(cmd_replay::ReplayArgs),
    /// State transition tool with geth's `evm t8n` interface (alloc, env, txs in; result, alloc out).
    T8n(cmd_t8n::T8nArgs),
}

/// Lets a write to a closed pipe end the process quietly, as it does for
/// other Unix tools (`cevm compile ... | head`). Rust ignores SIGPIPE by
/// default, which turns such a write into an error that `print!` panics on.
#[cfg(unix)]
fn default_sigpipe() {
    // SAFETY: called first thing in `main`, before any other thread exists;
    // restoring the default disposition of a signal has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn default_sigpipe() {}

fn main() -> ExitCode {
    default_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, usage errors with exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Run(args) => cmd_run::run(args),
        Command::Disasm(args) => cmd_disasm::run(args),
        Command::Compile(args) => cmd_compile::run(args),
        Command::Statetest(args) => cmd_statetest::run(args),
        Command::Bench(args) => cmd_bench::run(args),
        Command::Fuzz(args) => cmd_fuzz::run(args),
        Command::Replay(args) => cmd_replay::run(args),
        Command::T8n(args) => cmd_t8n::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
