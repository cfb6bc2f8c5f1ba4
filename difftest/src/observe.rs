//! Running a test case on one backend and recording everything observable.

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use cevm_runtime::tx::transact;
use cevm_runtime::{Executor, Precompiles, SpecId, Status};
use cevm_statetest::case::{self, CaseError};
use cevm_statetest::exec::pre_state;
use cevm_statetest::model::TestCase;
use cevm_statetest::roots::{logs_hash, state_root, RootAccount};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// How a transaction's frame ended, coarsely: the exact halt reason may
/// legitimately differ between backends (per-block versus per-instruction
/// gas checks), the class may not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusClass {
    /// STOP, RETURN, SELFDESTRUCT or the end of the code.
    Success,
    /// REVERT.
    Revert,
    /// An exceptional halt.
    Halt,
    /// The transaction was invalid and did not run.
    Rejected,
}

impl StatusClass {
    /// The class of a frame status.
    pub fn of(status: Status) -> Self {
        match status {
            Status::Success(_) => StatusClass::Success,
            Status::Revert => StatusClass::Revert,
            Status::Halt(_) => StatusClass::Halt,
        }
    }
}

/// An account after the transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountState {
    /// Nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: U256,
    /// Code.
    pub code: Bytes,
    /// Non-zero storage slots.
    pub storage: BTreeMap<U256, U256>,
}

/// Everything a backend's run of a transaction shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Status class.
    pub class: StatusClass,
    /// The exact status, for reports.
    pub status: String,
    /// Gas paid for.
    pub gas_used: u64,
    /// Gas refunded (after the cap).
    pub gas_refunded: u64,
    /// Return or revert data.
    pub output: Bytes,
    /// Logs.
    pub logs: Vec<Log>,
    /// Logs hash (as the state tests compute it).
    pub logs_hash: B256,
    /// State root.
    pub state_root: B256,
    /// Every account afterwards.
    pub accounts: BTreeMap<Address, AccountState>,
}

/// The state root of a set of accounts.
pub fn root_of(accounts: &BTreeMap<Address, AccountState>) -> B256 {
    state_root(accounts.iter().map(|(address, acc)| {
        (
            *address,
            RootAccount {
                nonce: acc.nonce,
                balance: acc.balance,
                code_hash: alloy_primitives::keccak256(&acc.code),
                storage: acc.storage.iter().map(|(k, v)| (*k, *v)).collect(),
            },
        )
    }))
}

/// Runs the only transaction of `case` under `spec` on `executor`.
pub fn observe(
    case: &TestCase,
    spec: SpecId,
    executor: &dyn Executor,
) -> Result<Observation, CaseError> {
    let tx = case::transaction(case, 0, 0, 0)?;
    let env = case::env(case, spec, &tx)?;
    let schedule = case::blob_schedule(case, spec);
    let mut state = pre_state(case)?;
    let precompiles = Precompiles::for_spec(spec);
    let outcome = transact(&mut state, &env, &schedule, &tx, executor, &precompiles);
    let accounts: BTreeMap<Address, AccountState> = state
        .accounts()
        .map(|(address, acc)| {
            (
                *address,
                AccountState {
                    nonce: acc.nonce,
                    balance: acc.balance,
                    code: acc.code.clone(),
                    storage: acc
                        .storage
                        .iter()
                        .filter(|(_, v)| !v.is_zero())
                        .map(|(k, v)| (*k, *v))
                        .collect(),
                },
            )
        })
        .collect();
    let state_root = root_of(&accounts);
    Ok(match outcome {
        Ok(o) => Observation {
            class: StatusClass::of(o.status),
            status: o.status.describe(),
            gas_used: o.gas_used,
            gas_refunded: o.gas_refunded,
            logs_hash: logs_hash(&o.logs),
            output: o.output,
            logs: o.logs,
            state_root,
            accounts,
        },
        Err(e) => Observation {
            class: StatusClass::Rejected,
            status: format!("rejected: {e}"),
            gas_used: 0,
            gas_refunded: 0,
            output: Bytes::new(),
            logs: Vec::new(),
            logs_hash: logs_hash(&[]),
            state_root,
            accounts,
        },
    })
}

/// The accounts as a state-test `post.state` object.
pub fn accounts_json(accounts: &BTreeMap<Address, AccountState>) -> Value {
    let mut out = Map::new();
    for (address, acc) in accounts {
        let storage: Map<String, Value> = acc
            .storage
            .iter()
            .map(|(k, v)| (format!("{k:#x}"), Value::String(format!("{v:#x}"))))
            .collect();
        out.insert(
            format!("{address:#x}"),
            json!({
                "nonce": format!("{:#x}", acc.nonce),
                "balance": format!("{:#x}", acc.balance),
                "code": format!("0x{}", crate::program::hex(&acc.code)),
                "storage": storage,
            }),
        );
    }
    Value::Object(out)
}
