//! Workloads for benchmarks: a pre-state plus one transaction, run once on a
//! given [`Executor`].
//!
//! A workload comes from a benchmark JSON file ([`load_file`]) or from a
//! built-in contract ([`builtin`]). Two JSON shapes are read:
//!
//! - standard state tests (`transaction.data` is a list; the evmone
//!   benchmark suite): each data index is its own workload, named
//!   `file/label` after `_info.labels` (or `file/index` without labels);
//! - state-test-style files without `post` whose `transaction` is a list of
//!   plain transactions with scalar `data`, `gasLimit` and `value` (revmc's
//!   benchmark contracts): `transaction[0]` is the workload, named after
//!   the file.
//!
//! [`overhead`] adds two transactions that run almost no code
//! (`tx/transfer`, `tx/stop`), to measure the cost around the code.
//!
//! [`measure`] times repeated runs (median after a warm-up); `cevm bench`
//! and the comparison binary of `cevm-benches` both use it.
//!
//! Every workload runs as a full transaction under [`BENCH_SPEC`] (Prague):
//! validation, intrinsic gas, the call, refunds and the EIP-7623 floor, so
//! its gas used is the transaction's, which any other EVM computes the same
//! way. Prague rather than Osaka because Osaka caps a transaction's gas at
//! 2^24, below what the benchmarks' gas limits ask for.

pub mod adversarial;
mod builtin;
pub mod measure;
pub mod overhead;

pub use adversarial::adversarial_workloads;
pub use builtin::{builtin, builtin_workloads, n_calldata, BuiltinContract, BUILTIN_CONTRACTS};
pub use overhead::overhead_workloads;

use crate::case::{self, CaseError};
use crate::exec::pre_state;
use crate::model::TestCase;
use alloy_primitives::{Address, Bytes, U256};
use cevm_runtime::asm::AsmError;
use cevm_runtime::state::{Account, State};
use cevm_runtime::tx::{self, BlobSchedule, Transaction, TxError, TxKind};
use cevm_runtime::{BlockEnv, Env, Executor, Precompiles, SpecId, Status, TxEnv};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The fork every workload runs under.
pub const BENCH_SPEC: SpecId = SpecId::Prague;

/// Where built-in and ad-hoc contracts live (as in revmc's benchmark files).
pub const CONTRACT: Address = Address::repeat_byte(0xcc);

/// Who sends the transaction to a built-in contract.
pub const SENDER: Address = Address::repeat_byte(0x11);

/// Gas limit of the block and of the transaction for built-in contracts:
/// as large as the revmc benchmark files use, so no contract runs out.
pub const CALL_GAS_LIMIT: u64 = i64::MAX as u64;

/// Why a workload could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The file could not be read.
    #[error("reading {path}: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        cause: std::io::Error,
    },
    /// A path to search does not exist or cannot be read.
    #[error("collecting benchmark files: {0}")]
    Discover(std::io::Error),
    /// The file is not JSON, or not a state test.
    #[error("{name}: not a benchmark state test: {cause}")]
    Json {
        /// The file or test.
        name: String,
        /// The error.
        cause: serde_json::Error,
    },
    /// The JSON is well formed but lacks what a workload needs.
    #[error("{name}: {reason}")]
    Format {
        /// The file or test.
        name: String,
        /// What is missing.
        reason: String,
    },
    /// The transaction or environment could not be built.
    #[error("{name}: {cause}")]
    Case {
        /// The workload.
        name: String,
        /// The error.
        cause: CaseError,
    },
    /// A built-in contract's assembly did not assemble.
    #[error("{name}: {cause}")]
    Assemble {
        /// The contract.
        name: String,
        /// The error.
        cause: AsmError,
    },
    /// The transaction is invalid for its pre-state (it did not run).
    #[error("{name}: transaction rejected: {cause}")]
    Rejected {
        /// The workload.
        name: String,
        /// Why.
        cause: TxError,
    },
}

/// A pre-state and one transaction to run on it.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Name shown in reports (`fibonacci`, `snailtracer/benchmark`).
    pub name: String,
    /// Fork, block and transaction environment.
    pub env: Env,
    /// Blob parameters (needed by validation even without blobs).
    pub schedule: BlobSchedule,
    /// Accounts before the transaction.
    pub pre: State,
    /// The transaction.
    pub tx: Transaction,
}

/// What one run of a workload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// How the transaction's top frame ended.
    pub status: Status,
    /// Gas the transaction used (after refunds and the EIP-7623 floor).
    pub gas_used: u64,
    /// Return or revert data.
    pub output: Bytes,
}

impl Workload {
    /// The called account, or `None` for a creation.
    pub fn target(&self) -> Option<Address> {
        match self.tx.kind {
            TxKind::Call(address) => Some(address),
            TxKind::Create => None,
        }
    }

    /// The code the transaction runs first: the target's code, or the init
    /// code of a creation. This is what a benchmark compiles.
    pub fn code(&self) -> Bytes {
        match self.tx.kind {
            TxKind::Call(address) => self.pre.code(&address),
            TxKind::Create => self.tx.data.clone(),
        }
    }

    /// The same workload with other call data (and, as it names a different
    /// run, another name).
    pub fn with_input(mut self, name: impl Into<String>, input: Bytes) -> Self {
        self.name = name.into();
        self.tx.data = input;
        self
    }

    /// Runs the transaction once on a copy of the pre-state.
    pub fn run(&self, executor: &dyn Executor) -> Result<RunOutcome, WorkloadError> {
        let mut state = self.pre.clone();
        self.run_on(&mut state, executor)
    }

    /// Runs the transaction once on `state`, which the caller prepared
    /// (normally a clone of [`Workload::pre`]: cloning outside a timed
    /// region keeps the copy out of the measurement). `state` is left as
    /// the transaction left it.
    pub fn run_on(
        &self,
        state: &mut State,
        executor: &dyn Executor,
    ) -> Result<RunOutcome, WorkloadError> {
        let precompiles = Precompiles::for_spec(self.env.spec);
        let outcome = tx::transact(
            state,
            &self.env,
            &self.schedule,
            &self.tx,
            executor,
            &precompiles,
        )
        .map_err(|cause| WorkloadError::Rejected {
            name: self.name.clone(),
            cause,
        })?;
        Ok(RunOutcome {
            status: outcome.status,
            gas_used: outcome.gas_used,
            output: outcome.output,
        })
    }
}

/// A call of `code` at [`CONTRACT`] from [`SENDER`] with `input`, under
/// [`BENCH_SPEC`] on an empty block (number 1, timestamp 1, no base fee) with
/// [`CALL_GAS_LIMIT`] gas at gas price zero.
pub fn call_workload(name: &str, code: Bytes, input: Bytes) -> Workload {
    let mut pre = State::new();
    pre.insert_account(SENDER, Account::with_balance(U256::MAX >> 1));
    pre.insert_account(CONTRACT, Account::default().with_nonce(1).with_code(code));
    let schedule = BlobSchedule::for_spec(BENCH_SPEC);
    let env = Env {
        spec: BENCH_SPEC,
        chain_id: 1,
        block: BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(1),
            gas_limit: U256::from(CALL_GAS_LIMIT),
            blob_base_fee: schedule.blob_base_fee(0),
            excess_blob_gas: Some(0),
            ..BlockEnv::default()
        },
        tx: TxEnv {
            origin: SENDER,
            gas_price: U256::ZERO,
            blob_hashes: Vec::new(),
        },
    };
    let mut tx = Transaction::legacy(SENDER, TxKind::Call(CONTRACT), CALL_GAS_LIMIT);
    tx.data = input;
    Workload {
        name: name.to_string(),
        env,
        schedule,
        pre,
        tx,
    }
}

/// Every workload of the benchmark file at `path`, named after the file's
/// stem.
pub fn load_file(path: &Path) -> Result<Vec<Workload>, WorkloadError> {
    let text = std::fs::read_to_string(path).map_err(|cause| WorkloadError::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    load_json(&stem, &text)
}

/// Every workload of a benchmark file's text; `stem` names them.
pub fn load_json(stem: &str, text: &str) -> Result<Vec<Workload>, WorkloadError> {
    let json_error = |cause| WorkloadError::Json {
        name: stem.to_string(),
        cause,
    };
    let file: Value = serde_json::from_str(text).map_err(json_error)?;
    let Value::Object(tests) = file else {
        return Err(WorkloadError::Format {
            name: stem.to_string(),
            reason: "expected a JSON object of tests".into(),
        });
    };
    let single = tests.len() == 1;
    let mut out = Vec::new();
    for (test_name, test) in tests {
        let base = if single {
            stem.to_string()
        } else {
            format!("{stem}/{test_name}")
        };
        out.extend(test_workloads(&base, test)?);
    }
    Ok(out)
}

/// The workloads of one test object.
fn test_workloads(base: &str, mut test: Value) -> Result<Vec<Workload>, WorkloadError> {
    let format_error = |reason: &str| WorkloadError::Format {
        name: base.to_string(),
        reason: reason.to_string(),
    };
    let object = test
        .as_object_mut()
        .ok_or_else(|| format_error("a test must be a JSON object"))?;
    // Only the pre-state and the transaction matter; expected results (for
    // other forks, or absent) do not.
    object.insert("post".into(), Value::Object(Default::default()));
    let labels = object
        .get("_info")
        .and_then(|info| info.get("labels"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let listed = match object.get_mut("transaction") {
        Some(Value::Array(list)) => {
            let first = list
                .first()
                .cloned()
                .ok_or_else(|| format_error("`transaction` is an empty list"))?;
            Some(first)
        }
        Some(Value::Object(_)) => None,
        _ => return Err(format_error("missing `transaction` object or list")),
    };
    if let Some(mut first) = listed {
        let fields = first
            .as_object_mut()
            .ok_or_else(|| format_error("`transaction[0]` must be an object"))?;
        for key in ["data", "gasLimit", "value"] {
            if let Some(v) = fields.get_mut(key) {
                if !v.is_array() {
                    *v = Value::Array(vec![v.take()]);
                }
            }
        }
        object.insert("transaction".into(), first);
    }
    let case: TestCase = serde_json::from_value(test).map_err(|cause| WorkloadError::Json {
        name: base.to_string(),
        cause,
    })?;
    let pre = pre_state(&case).map_err(|cause| WorkloadError::Case {
        name: base.to_string(),
        cause,
    })?;
    let schedule = case::blob_schedule(&case, BENCH_SPEC);
    let count = case.transaction.data.len();
    let mut out = Vec::with_capacity(count);
    for index in 0..count {
        let name = if count == 1 && labels.is_empty() {
            base.to_string()
        } else {
            let label = labels
                .get(&index.to_string())
                .and_then(Value::as_str)
                .map_or_else(|| index.to_string(), str::to_string);
            format!("{base}/{label}")
        };
        let case_error = |cause| WorkloadError::Case {
            name: name.clone(),
            cause,
        };
        let tx = case::transaction(&case, index, 0, 0).map_err(case_error)?;
        let env = case::env(&case, BENCH_SPEC, &tx).map_err(case_error)?;
        out.push(Workload {
            name,
            env,
            schedule,
            pre: pre.clone(),
            tx,
        });
    }
    Ok(out)
}

/// Every workload of the files under `paths` (folders are searched for
/// `.json` files), in path order.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Workload>, WorkloadError> {
    let files = crate::runner::discover(paths).map_err(WorkloadError::Discover)?;
    let mut out = Vec::new();
    for file in files {
        out.extend(load_file(&file)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
