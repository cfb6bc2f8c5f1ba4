//! Executing one case on a fresh state and measuring the result.

use crate::case::{account_nonce, CaseError};
use crate::model::{TestAccount, TestCase, TestEnv};
use crate::roots::{logs_hash, state_root, RootAccount};
use alloy_primitives::{Address, B256};
use cevm_runtime::state::{Account, State};
use cevm_runtime::tx::{transact, BlobSchedule, Transaction, TxOutcome};
use cevm_runtime::{Env, Executor, Precompiles, Status};
use std::collections::BTreeMap;

/// What a case produced.
#[derive(Clone, Debug)]
pub struct CaseOutput {
    /// Why the transaction was rejected, if it was.
    pub rejected: Option<String>,
    /// How the transaction's frame ended (`"rejected"` if it did not run).
    pub status: String,
    /// The status class backends must agree on: `success`, `revert`, `halt`
    /// or `rejected` (the exact halt reason may differ between per-instruction
    /// and per-block gas checks).
    pub status_class: &'static str,
    /// Gas the transaction paid for.
    pub gas_used: u64,
    /// Gas refunded (after the cap).
    pub gas_refunded: u64,
    /// Return or revert data.
    pub output: alloy_primitives::Bytes,
    /// The state root afterwards.
    pub state_root: B256,
    /// The logs hash.
    pub logs_hash: B256,
    /// Number of logs.
    pub log_count: usize,
    /// The accounts afterwards.
    pub accounts: BTreeMap<Address, Account>,
}

/// The pre-state of `case` as a runtime [`State`].
pub fn pre_state(case: &TestCase) -> Result<State, CaseError> {
    state_from(&case.pre, &case.env)
}

/// A state holding the accounts of `pre` and the block hashes of `env`.
pub fn state_from(pre: &BTreeMap<Address, TestAccount>, env: &TestEnv) -> Result<State, CaseError> {
    let mut state = State::new();
    for (address, acc) in pre {
        let mut account = Account::with_balance(acc.balance)
            .with_nonce(account_nonce(acc)?)
            .with_code(acc.code.clone());
        for (key, value) in &acc.storage {
            account = account.with_storage(*key, *value);
        }
        state.insert_account(*address, account);
    }
    for (number, hash) in env.known_block_hashes() {
        state.set_block_hash(number, hash);
    }
    Ok(state)
}

/// Runs `tx` of `case` under `env` on `executor`.
pub fn execute_case(
    case: &TestCase,
    env: &Env,
    schedule: &BlobSchedule,
    tx: &Transaction,
    executor: &dyn Executor,
) -> Result<CaseOutput, CaseError> {
    let mut state = pre_state(case)?;
    let precompiles = Precompiles::for_spec(env.spec);
    let result =
        transact(&mut state, env, schedule, tx, executor, &precompiles).map_err(|e| e.to_string());
    Ok(case_output(&state, result))
}

/// The output of a case whose transaction could not even be built (a
/// number in the `0x:bigint` notation): rejected for `reason`, the state
/// left as it was.
pub fn rejected_case(case: &TestCase, reason: String) -> Result<CaseOutput, CaseError> {
    let state = pre_state(case)?;
    Ok(case_output(&state, Err(reason)))
}

/// Measures `state` after a transaction that ended with `result` (or was
/// rejected with the error text).
fn case_output(state: &State, result: Result<TxOutcome, String>) -> CaseOutput {
    let (rejected, status, status_class, gas_used, gas_refunded, output, logs) = match result {
        Ok(outcome) => (
            None,
            outcome.status.describe(),
            match outcome.status {
                Status::Success(_) => "success",
                Status::Revert => "revert",
                Status::Halt(_) => "halt",
            },
            outcome.gas_used,
            outcome.gas_refunded,
            outcome.output,
            outcome.logs,
        ),
        Err(e) => (
            Some(e),
            "rejected".to_string(),
            "rejected",
            0,
            0,
            alloy_primitives::Bytes::new(),
            Vec::new(),
        ),
    };
    let accounts: BTreeMap<Address, Account> =
        state.accounts().map(|(a, acc)| (*a, acc.clone())).collect();
    let root = state_root(
        accounts
            .iter()
            .map(|(address, acc)| (*address, RootAccount::from(acc))),
    );
    CaseOutput {
        rejected,
        status,
        status_class,
        gas_used,
        gas_refunded,
        output,
        state_root: root,
        logs_hash: logs_hash(&logs),
        log_count: logs.len(),
        accounts,
    }
}

impl CaseOutput {
    /// What differs between two backends' runs of the same case: status
    /// class, gas used, refund, output, logs and state root. Empty if they agree.
    pub fn differences(&self, other: &CaseOutput) -> Vec<String> {
        let mut out = Vec::new();
        if self.status_class != other.status_class {
            out.push(format!("status {} vs {}", self.status, other.status));
        }
        if self.gas_used != other.gas_used {
            out.push(format!("gas used {} vs {}", self.gas_used, other.gas_used));
        }
        if self.gas_refunded != other.gas_refunded {
            out.push(format!(
                "refund {} vs {}",
                self.gas_refunded, other.gas_refunded
            ));
        }
        if self.output != other.output {
            out.push(format!("output {} vs {}", self.output, other.output));
        }
        if self.logs_hash != other.logs_hash {
            out.push(format!(
                "logs ({} vs {} log(s))",
                self.log_count, other.log_count
            ));
        }
        if self.state_root != other.state_root {
            out.push(format!(
                "state root {} vs {}",
                self.state_root, other.state_root
            ));
        }
        out
    }

    /// Human-readable differences from the expected post-state (at most a
    /// handful, to keep reports readable).
    pub fn diff_against(&self, expected: &BTreeMap<Address, TestAccount>) -> Vec<String> {
        const LIMIT: usize = 8;
        let mut out = Vec::new();
        for (address, want) in expected {
            match self.accounts.get(address) {
                None => out.push(format!("{address} missing")),
                Some(got) => {
                    if got.balance != want.balance {
                        out.push(format!(
                            "{address} balance {} expected {}",
                            got.balance, want.balance
                        ));
                    }
                    if alloy_primitives::U256::from(got.nonce) != want.nonce {
                        out.push(format!(
                            "{address} nonce {} expected {}",
                            got.nonce, want.nonce
                        ));
                    }
                    if got.code != want.code {
                        out.push(format!(
                            "{address} code {} bytes expected {} bytes",
                            got.code.len(),
                            want.code.len()
                        ));
                    }
                    for (key, value) in &want.storage {
                        let have = got.storage.get(key).copied().unwrap_or_default();
                        if have != *value {
                            out.push(format!(
                                "{address}[{key:#x}] = {have:#x} expected {value:#x}"
                            ));
                        }
                    }
                    for (key, value) in &got.storage {
                        if !value.is_zero() && !want.storage.contains_key(key) {
                            out.push(format!("{address}[{key:#x}] = {value:#x} expected 0"));
                        }
                    }
                }
            }
        }
        for address in self.accounts.keys() {
            if !expected.contains_key(address) {
                out.push(format!("{address} should not exist"));
            }
        }
        if out.len() > LIMIT {
            let more = out.len() - LIMIT;
            out.truncate(LIMIT);
            out.push(format!("... {more} more"));
        }
        out
    }
}
