//! `cevm run`: executes code as one message call on an in-memory state.
//!
//! Setup: the code is installed at [`CONTRACT`] (nonce 1), the call comes
//! from [`CALLER`], which holds [`CALLER_BALANCE`] wei. It is a message call,
//! not a transaction: no intrinsic gas, fees, refund cap or gas-limit cap
//! apply, and `--gas` (default [`DEFAULT_GAS`]) is the frame's whole gas. The
//! block environment is empty (timestamp 0, base fee 0) on chain 1; its number
//! is `--block-number`, by default one past the highest `--block-hash` given
//! (so that BLOCKHASH sees them) or 0.
//!
//! Exit code: 0 when the call succeeds, 1 when it reverts or halts, 2 for
//! bad input.

use crate::backend::{describe_tiered, Backend, TieredArgs};
use crate::input::{parse_hex, read_code};
use anyhow::{bail, Context, Result};
use cevm_interp::{Eip3155Writer, Interpreter};
use cevm_runtime::evm::{CallOutcome, Evm};
use cevm_runtime::state::{Account, State};
use cevm_runtime::{
    Address, Bytes, Env, Executor, Log, Precompiles, SpecId, Status, SuccessReason, B256, U256,
};
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the code runs.
pub const CONTRACT: Address = Address::repeat_byte(0xcc);
/// Who calls it.
pub const CALLER: Address = Address::repeat_byte(0x11);
/// The caller's balance: 2^255 wei, enough for any `--value` a test needs.
pub const CALLER_BALANCE: U256 = U256::from_limbs([0, 0, 0, 1 << 63]);
/// Gas given to the call without `--gas`: a mainnet-sized block gas limit.
pub const DEFAULT_GAS: u64 = 30_000_000;

/// Arguments of `cevm run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Bytecode as hex (0x prefix optional).
    hex: Option<String>,
    /// Read the bytecode from a file instead (hex text or raw bytes).
    #[arg(long)]
    code_file: Option<PathBuf>,
    /// Call data as hex.
    #[arg(long, default_value = "")]
    input: String,
    /// Gas given to the call.
    #[arg(long, default_value_t = DEFAULT_GAS)]
    gas: u64,
    /// Wei sent with the call (decimal or 0x hex).
    #[arg(long, default_value = "0")]
    value: String,
    /// Fork rules: any mainnet fork from frontier to osaka.
    #[arg(long, default_value = "osaka")]
    spec: String,
    /// The hash BLOCKHASH gives for block N (repeatable); other blocks read as zero.
    #[arg(long, value_name = "N=HASH")]
    block_hash: Vec<String>,
    /// The current block's number [default: one past the highest --block-hash, else 0].
    #[arg(long, value_name = "N")]
    block_number: Option<u64>,
    /// Backend that runs the code.
    #[arg(long, value_enum, default_value_t = Backend::Interp)]
    backend: Backend,
    #[command(flatten)]
    tiered: TieredArgs,
    /// Run the code from this AOT library (built by `cevm compile -o`)
    /// instead of a backend; code created at run time is JIT-compiled.
    #[arg(long, value_name = "LIB.so", conflicts_with_all = ["backend", "trace"])]
    aot: Option<PathBuf>,
    /// Write an EIP-3155 trace (JSON lines) to stderr (interpreter only).
    #[arg(long)]
    trace: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

/// What `cevm run` executes: everything but the backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRequest {
    /// The code installed at [`CONTRACT`].
    pub code: Bytes,
    /// Call data.
    pub input: Bytes,
    /// Gas limit of the call.
    pub gas: u64,
    /// Value sent.
    pub value: U256,
    /// Fork rules.
    pub spec: SpecId,
    /// The current block's number.
    pub block_number: u64,
    /// Hashes of earlier blocks, for BLOCKHASH.
    pub block_hashes: Vec<(u64, B256)>,
}

impl RunRequest {
    /// Validates the command-line arguments.
    fn from_args(args: &RunArgs) -> Result<Self> {
        let code = read_code(args.hex.as_deref(), args.code_file.as_deref())?;
        let input = parse_hex("--input", &args.input)?;
        let value: U256 = args
            .value
            .trim()
            .parse()
            .with_context(|| format!("--value: `{}` is not a number", args.value))?;
        let spec: SpecId = args.spec.parse()?;
        let block_hashes = args
            .block_hash
            .iter()
            .map(|arg| parse_block_hash(arg))
            .collect::<Result<Vec<_>>>()?;
        let block_number = args.block_number.unwrap_or_else(|| {
            block_hashes
                .iter()
                .map(|(n, _)| n.saturating_add(1))
                .max()
                .unwrap_or(0)
        });
        Ok(RunRequest {
            code: code.into(),
            input: input.into(),
            gas: args.gas,
            value,
            spec,
            block_number,
            block_hashes,
        })
    }
}

/// `N=HASH` of `--block-hash`.
fn parse_block_hash(arg: &str) -> Result<(u64, B256)> {
    let (number, hash) = arg
        .split_once('=')
        .with_context(|| format!("--block-hash: `{arg}` is not N=HASH"))?;
    let number = number
        .trim()
        .parse()
        .with_context(|| format!("--block-hash: `{number}` is not a block number"))?;
    let bytes = parse_hex("--block-hash", hash)?;
    if bytes.len() != 32 {
        bail!("--block-hash: `{hash}` is not 32 bytes");
    }
    Ok((number, B256::from_slice(&bytes)))
}

/// Runs `req` on `executor` against a fresh state and returns the call's
/// result and logs.
pub fn execute(executor: &dyn Executor, req: &RunRequest) -> CallOutcome {
    let mut state = State::new();
    for (number, hash) in &req.block_hashes {
        state.set_block_hash(*number, *hash);
    }
    state.insert_account(CALLER, Account::with_balance(CALLER_BALANCE));
    state.insert_account(
        CONTRACT,
        Account::default().with_code(req.code.clone()).with_nonce(1),
    );
    let mut env = Env::new(req.spec);
    env.block.number = U256::from(req.block_number);
    let precompiles = Precompiles::for_spec(req.spec);
    let mut evm = Evm::new(&mut state, &env, executor, &precompiles);
    evm.transact_call(CALLER, CONTRACT, req.value, req.input.clone(), req.gas)
}

/// Executes the code and prints the result.
pub fn run(args: RunArgs) -> Result<ExitCode> {
    let req = RunRequest::from_args(&args)?;
    args.tiered
        .check_used_with(args.backend == Backend::Tiered && args.aot.is_none())?;
    let mut tiered = None;
    let executor: Box<dyn Executor> = match &args.aot {
        Some(lib) => aot_executor(lib, &req)?,
        None if args.backend == Backend::Tiered => {
            if args.trace {
                bail!("--trace needs --backend interp: compiled code has no per-instruction steps");
            }
            let executor = args.tiered.executor()?;
            tiered = Some(executor.clone());
            Box::new(executor)
        }
        None => backend_executor(&args)?,
    };
    let outcome = execute(executor.as_ref(), &req);
    if let Some(tiered) = tiered {
        // Let queued compilations finish, so the cache keeps them.
        tiered.wait_idle();
        eprintln!("{}", describe_tiered(&tiered.stats()));
        for failure in tiered.failures() {
            eprintln!("tiered: {failure}");
        }
    }
    let report = Report::new(&req, &outcome);
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(if outcome.result.status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The executor `--backend` (and `--trace`) ask for.
fn backend_executor(args: &RunArgs) -> Result<Box<dyn Executor>> {
    Ok(match (args.backend, args.trace) {
        (Backend::Interp, true) => Box::new(Interpreter::with_tracer(Box::new(
            Eip3155Writer::new(BufWriter::new(std::io::stderr())),
        ))),
        (Backend::Jit | Backend::Tiered, true) => {
            bail!("--trace needs --backend interp: compiled code has no per-instruction steps")
        }
        (backend, false) => backend.executor(&args.tiered)?,
    })
}

/// An executor for the library at `lib`, which must hold `req`'s code for
/// its fork (a library for another fork or runtime ABI is refused).
fn aot_executor(lib: &std::path::Path, req: &RunRequest) -> Result<Box<dyn Executor>> {
    let library = cevm_compiler::AotLibrary::load(lib)
        .with_context(|| format!("loading {}", lib.display()))?;
    let hash = cevm_runtime::primitives::keccak256(&req.code);
    library
        .require(hash, req.spec)
        .with_context(|| format!("{} cannot run this code", lib.display()))?;
    Ok(Box::new(
        cevm_compiler::AotExecutor::new(cevm_compiler::MissingCode::Jit)
            .with_library(std::sync::Arc::new(library)),
    ))
}

/// The printed result.
struct Report<'a> {
    status: Status,
    gas_used: u64,
    gas_left: u64,
    refund: i64,
    output: &'a [u8],
    logs: &'a [Log],
}

impl<'a> Report<'a> {
    fn new(req: &RunRequest, outcome: &'a CallOutcome) -> Self {
        let r = &outcome.result;
        Report {
            status: r.status,
            gas_used: req.gas.saturating_sub(r.gas_left),
            gas_left: r.gas_left,
            refund: r.refund,
            output: &r.output,
            logs: &outcome.logs,
        }
    }

    /// The status as printed: `success`, `revert` or the halt reason.
    fn status_text(&self) -> String {
        self.status.describe()
    }

    /// How a successful frame ended (`stop`, `return`, `selfdestruct`).
    fn success_reason(&self) -> Option<&'static str> {
        match self.status {
            Status::Success(SuccessReason::Stop) => Some("stop"),
            Status::Success(SuccessReason::Return) => Some("return"),
            Status::Success(SuccessReason::SelfDestruct) => Some("selfdestruct"),
            _ => None,
        }
    }

    fn to_json(&self) -> serde_json::Value {
        let logs: Vec<serde_json::Value> = self
            .logs
            .iter()
            .map(|log| {
                serde_json::json!({
                    "address": format!("{:#x}", log.address),
                    "topics": log.topics().iter().map(|t| format!("{t:#x}")).collect::<Vec<_>>(),
                    "data": hex(&log.data.data),
                })
            })
            .collect();
        serde_json::json!({
            "status": self.status_text(),
            "success": self.status.is_success(),
            "gas_used": self.gas_used,
            "gas_left": self.gas_left,
            "refund": self.refund,
            "output": hex(self.output),
            "logs": logs,
        })
    }

    fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let status = match self.success_reason() {
            Some(reason) => format!("{} ({reason})", self.status_text()),
            None => self.status_text(),
        };
        let _ = writeln!(out, "status:   {status}");
        let _ = writeln!(out, "gas used: {}", self.gas_used);
        let _ = writeln!(out, "gas left: {}", self.gas_left);
        let _ = writeln!(out, "refund:   {}", self.refund);
        let _ = writeln!(out, "output:   {}", hex(self.output));
        let _ = writeln!(out, "logs:     {}", self.logs.len());
        for (i, log) in self.logs.iter().enumerate() {
            let _ = writeln!(out, "  [{i}] address {:#x}", log.address);
            for t in log.topics() {
                let _ = writeln!(out, "      topic {t:#x}");
            }
            let _ = writeln!(out, "      data  {}", hex(&log.data.data));
        }
        out
    }
}

/// `0x`-prefixed lower-case hex.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(hex: &str) -> RunArgs {
        RunArgs {
            hex: Some(hex.into()),
            code_file: None,
            input: String::new(),
            gas: DEFAULT_GAS,
            value: "0".into(),
            spec: "osaka".into(),
            block_hash: Vec::new(),
            block_number: None,
            backend: Backend::Interp,
            tiered: TieredArgs::default(),
            aot: None,
            trace: false,
            json: true,
        }
    }

    fn run_hex(hex: &str) -> (RunRequest, CallOutcome) {
        let req = RunRequest::from_args(&args(hex)).unwrap();
        let outcome = execute(&Interpreter::new(), &req);
        (req, outcome)
    }

    #[test]
    fn returns_output_and_gas_as_json() {
        // PUSH1 0x2a PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
        let (req, outcome) = run_hex("602a5f5260205ff3");
        let json = Report::new(&req, &outcome).to_json();
        assert_eq!(json["status"], "success");
        assert_eq!(json["output"], format!("0x{:064x}", 0x2a));
        // 3 + 2 + 3 + 3 (memory) + 3 + 2 + 0
        assert_eq!(json["gas_used"], 16);
        assert_eq!(json["gas_left"], DEFAULT_GAS - 16);
        assert_eq!(json["refund"], 0);
        assert_eq!(json["logs"], serde_json::json!([]));
    }

    #[test]
    fn reports_logs_and_reverts() {
        // PUSH1 0xab PUSH0 MSTORE8 PUSH1 7 PUSH1 1 PUSH0 LOG1
        let (req, outcome) = run_hex("60ab5f5360076001 5fa1".replace(' ', "").as_str());
        let json = Report::new(&req, &outcome).to_json();
        assert_eq!(json["logs"][0]["data"], "0xab");
        assert_eq!(json["logs"][0]["address"], format!("{CONTRACT:#x}"));
        assert_eq!(json["logs"][0]["topics"][0], format!("{:#066x}", 7));
        // PUSH1 1 PUSH0 REVERT
        let (req, outcome) = run_hex("60015ffd");
        let report = Report::new(&req, &outcome);
        assert_eq!(report.to_json()["status"], "revert");
        assert_eq!(report.to_json()["output"], "0x00");
        assert!(report.to_text().starts_with("status:   revert\n"));
    }

    #[test]
    fn block_hashes_reach_blockhash() {
        // PUSH1 7 BLOCKHASH PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
        let mut a = args("600740 5f52 60205ff3".replace(' ', "").as_str());
        let hash = format!("0x{}", "ab".repeat(32));
        a.block_hash = vec![format!("7={hash}")];
        let req = RunRequest::from_args(&a).unwrap();
        assert_eq!(req.block_number, 8);
        let outcome = execute(&Interpreter::new(), &req);
        assert_eq!(Report::new(&req, &outcome).to_json()["output"], hash);
        a.block_number = Some(7);
        let req = RunRequest::from_args(&a).unwrap();
        let outcome = execute(&Interpreter::new(), &req);
        let zero = format!("0x{}", "00".repeat(32));
        assert_eq!(
            Report::new(&req, &outcome).to_json()["output"],
            zero,
            "current block"
        );
        a.block_hash = vec!["7=0x12".into()];
        let err = RunRequest::from_args(&a).unwrap_err().to_string();
        assert!(err.contains("not 32 bytes"), "{err}");
        a.block_hash = vec!["seven".into()];
        let err = RunRequest::from_args(&a).unwrap_err().to_string();
        assert!(err.contains("N=HASH"), "{err}");
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let err = |a: RunArgs| RunRequest::from_args(&a).unwrap_err().to_string();
        assert!(err(args("0x6")).contains("odd-length"));
        assert!(err(args("0xzz")).contains("invalid hex"));
        let mut a = args("00");
        a.spec = "EIP150".into();
        assert_eq!(
            RunRequest::from_args(&a).map(|r| r.spec).ok(),
            Some(SpecId::TangerineWhistle)
        );
        let mut a = args("00");
        a.spec = "amsterdam".into();
        assert!(err(a).contains("unknown fork"));
        let mut a = args("00");
        a.value = "lots".into();
        assert!(err(a).contains("--value"));
        let mut a = args("00");
        a.input = "0x1".into();
        assert!(err(a).contains("--input"));
    }
}
