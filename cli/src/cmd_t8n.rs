//! `cevm t8n`: the state transition tool, with geth's `evm t8n` flags,
//! file formats and exit codes (see `cevm_statetest::t8n`).
//!
//! Inputs are files, or `stdin` for all three in one object
//! `{"alloc": .., "env": .., "txs": ..}`; outputs go to files under
//! `--output.basedir`, or to `stdout`/`stderr` (the outputs sent to the
//! same stream are printed as one object `{"alloc": .., "result": ..}`).
//!
//! Exit codes (geth's): 0 done; 2 execution error; 3 bad configuration
//! (unknown fork, environment missing what the fork needs); 10 bad JSON;
//! 11 a file cannot be read or written; 12 RLP transactions (not read:
//! give them as JSON). Errors are one line on stderr.

use crate::backend::{Backend, TieredArgs};
use cevm_runtime::{SpecId, U256};
use cevm_statetest::t8n::{transition, Alloc, T8nConfig, T8nEnv, T8nTx};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `cevm t8n`.
#[derive(clap::Args)]
pub struct T8nArgs {
    /// The pre-state (`stdin`: from the object on stdin).
    #[arg(long = "input.alloc", default_value = "alloc.json")]
    input_alloc: String,
    /// The block environment (`stdin`: from the object on stdin).
    #[arg(long = "input.env", default_value = "env.json")]
    input_env: String,
    /// The transactions, as JSON (`stdin`: from the object on stdin).
    #[arg(long = "input.txs", default_value = "txs.json")]
    input_txs: String,
    /// Where the result goes: a file under --output.basedir, `stdout` or `stderr`.
    #[arg(long = "output.result", default_value = "result.json")]
    output_result: String,
    /// Where the post-state goes: a file under --output.basedir, `stdout` or `stderr`.
    #[arg(long = "output.alloc", default_value = "alloc.json")]
    output_alloc: String,
    /// Folder for the output files (created if missing).
    #[arg(long = "output.basedir")]
    output_basedir: Option<PathBuf>,
    /// Fork rules (Frontier .. Osaka; geth's names such as Merge work too).
    #[arg(long = "state.fork", default_value = "Osaka")]
    state_fork: String,
    /// Chain id.
    #[arg(long = "state.chainid", default_value_t = 1)]
    state_chainid: u64,
    /// Mining reward for the coinbase in wei; negative for none.
    #[arg(long = "state.reward", default_value = "0", allow_hyphen_values = true)]
    state_reward: String,
    /// The backend that runs code.
    #[arg(long, value_enum, default_value_t = Backend::Interp)]
    backend: Backend,
}

/// An error with geth's exit code.
struct Failure {
    code: u8,
    message: String,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

const EXIT_EVM: u8 = 2;
const EXIT_CONFIG: u8 = 3;
const EXIT_JSON: u8 = 10;
const EXIT_IO: u8 = 11;
const EXIT_RLP: u8 = 12;

/// Runs the transition; errors are printed here with their exit code.
pub fn run(args: T8nArgs) -> anyhow::Result<ExitCode> {
    Ok(match transition_files(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    })
}

fn transition_files(args: &T8nArgs) -> Result<(), Failure> {
    let spec: SpecId = args
        .state_fork
        .parse()
        .map_err(|e| fail(EXIT_CONFIG, format!("--state.fork: {e}")))?;
    let reward: i128 = args.state_reward.trim().parse().map_err(|_| {
        fail(
            EXIT_CONFIG,
            format!("--state.reward: `{}` is not a number", args.state_reward),
        )
    })?;
    let config = T8nConfig {
        spec,
        chain_id: args.state_chainid,
        reward: u128::try_from(reward).ok().map(U256::from),
    };
    let uses_stdin = [&args.input_alloc, &args.input_env, &args.input_txs]
        .iter()
        .any(|s| s.as_str() == "stdin");
    let stdin: Value = if uses_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| fail(EXIT_IO, format!("reading stdin: {e}")))?;
        serde_json::from_str(&text).map_err(|e| fail(EXIT_JSON, format!("stdin: {e}")))?
    } else {
        Value::Null
    };
    if args.input_txs.ends_with(".rlp") {
        return Err(fail(
            EXIT_RLP,
            format!(
                "{}: RLP transactions are not read; give them as JSON",
                args.input_txs
            ),
        ));
    }
    let alloc: Alloc = input(&args.input_alloc, "alloc", &stdin)?;
    let env: T8nEnv = input(&args.input_env, "env", &stdin)?;
    let txs: Vec<T8nTx> = input(&args.input_txs, "txs", &stdin)?;
    // The tiered backend with its defaults (t8n takes no tiering options).
    let executor = args
        .backend
        .executor(&TieredArgs::default())
        .map_err(|e| fail(EXIT_CONFIG, format!("{e:#}")))?;
    let out = transition(&alloc, &env, &txs, &config, executor.as_ref())
        .map_err(|e| fail(e.exit_code(), e.to_string()))?;
    let alloc = serde_json::to_value(&out.alloc).map_err(|e| fail(EXIT_EVM, e.to_string()))?;
    let mut streams: [(&str, serde_json::Map<String, Value>); 2] = [
        ("stdout", Default::default()),
        ("stderr", Default::default()),
    ];
    for (name, target, value) in [
        ("alloc", &args.output_alloc, alloc),
        ("result", &args.output_result, out.result),
    ] {
        match streams.iter_mut().find(|(stream, _)| stream == target) {
            Some((_, object)) => {
                object.insert(name.to_string(), value);
            }
            None => {
                let path = match &args.output_basedir {
                    Some(dir) => dir.join(target),
                    None => PathBuf::from(target),
                };
                write_file(&path, &value)?
            }
        }
    }
    for (stream, object) in streams {
        if object.is_empty() {
            continue;
        }
        let text =
            serde_json::to_string_pretty(&object).map_err(|e| fail(EXIT_EVM, e.to_string()))?;
        if stream == "stdout" {
            println!("{text}");
        } else {
            eprintln!("{text}");
        }
    }
    Ok(())
}

/// Reads input `name` from the file `source`, or from the stdin object.
fn input<T: DeserializeOwned>(source: &str, name: &str, stdin: &Value) -> Result<T, Failure> {
    if source == "stdin" {
        let value = stdin.get(name).cloned().unwrap_or(Value::Null);
        return serde_json::from_value(value)
            .map_err(|e| fail(EXIT_JSON, format!("stdin `{name}`: {e}")));
    }
    let text =
        std::fs::read_to_string(source).map_err(|e| fail(EXIT_IO, format!("{source}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| fail(EXIT_JSON, format!("{source}: {e}")))
}

fn write_file(path: &Path, value: &Value) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| fail(EXIT_IO, format!("{}: {e}", dir.display())))?;
    }
    let text = serde_json::to_string_pretty(value).map_err(|e| fail(EXIT_EVM, e.to_string()))?;
    std::fs::write(path, text + "\n").map_err(|e| fail(EXIT_IO, format!("{}: {e}", path.display())))
}
