//! Field-by-field comparison of two observations.

use crate::observe::{AccountState, Observation};
use crate::program::hex;
use alloy_primitives::{Address, U256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Which observable differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Success / revert / halt / rejected.
    Status,
    /// Gas paid.
    GasUsed,
    /// Gas refunded.
    Refund,
    /// Return or revert data.
    Output,
    /// Logs.
    Logs,
    /// The state root (with the accounts that differ).
    State,
    /// The compiled backend failed to compile a contract.
    Compile,
}

/// One difference, with a description naming both values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What differs.
    pub field: Field,
    /// Both sides, readable.
    pub detail: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.field, self.detail)
    }
}

/// Most account differences listed per mismatch.
const ACCOUNT_DIFF_LIMIT: usize = 12;

/// The differences between `left` (the reference) and `right`, labelled with
/// the backends' names.
pub fn differences(
    left_name: &str,
    left: &Observation,
    right_name: &str,
    right: &Observation,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |field, detail| out.push(Difference { field, detail });
    if left.class != right.class {
        push(
            Field::Status,
            format!("{left_name} {}, {right_name} {}", left.status, right.status),
        );
    }
    if left.gas_used != right.gas_used {
        push(
            Field::GasUsed,
            format!(
                "{left_name} {}, {right_name} {}",
                left.gas_used, right.gas_used
            ),
        );
    }
    if left.gas_refunded != right.gas_refunded {
        push(
            Field::Refund,
            format!(
                "{left_name} {}, {right_name} {}",
                left.gas_refunded, right.gas_refunded
            ),
        );
    }
    if left.output != right.output {
        push(
            Field::Output,
            format!(
                "{left_name} 0x{}, {right_name} 0x{}",
                short_hex(&left.output),
                short_hex(&right.output)
            ),
        );
    }
    if left.logs != right.logs {
        push(
            Field::Logs,
            format!(
                "{left_name} {} log(s) hash {}, {right_name} {} log(s) hash {}",
                left.logs.len(),
                left.logs_hash,
                right.logs.len(),
                right.logs_hash
            ),
        );
    }
    if left.state_root != right.state_root || left.accounts != right.accounts {
        let accounts = account_differences(&left.accounts, &right.accounts);
        push(
            Field::State,
            format!(
                "root {left_name} {}, {right_name} {}: {}",
                left.state_root,
                right.state_root,
                accounts.join("; ")
            ),
        );
    }
    out
}

fn short_hex(bytes: &[u8]) -> String {
    if bytes.len() <= 64 {
        hex(bytes)
    } else {
        format!("{}...({} bytes)", hex(&bytes[..64]), bytes.len())
    }
}

/// Readable per-account differences (balance, nonce, code, slots).
pub fn account_differences(
    left: &BTreeMap<Address, AccountState>,
    right: &BTreeMap<Address, AccountState>,
) -> Vec<String> {
    let mut out = Vec::new();
    let addresses: BTreeSet<&Address> = left.keys().chain(right.keys()).collect();
    for address in addresses {
        match (left.get(address), right.get(address)) {
            (Some(_), None) => out.push(format!("{address} only on the left")),
            (None, Some(_)) => out.push(format!("{address} only on the right")),
            (Some(l), Some(r)) => {
                if l.balance != r.balance {
                    out.push(format!("{address} balance {} vs {}", l.balance, r.balance));
                }
                if l.nonce != r.nonce {
                    out.push(format!("{address} nonce {} vs {}", l.nonce, r.nonce));
                }
                if l.code != r.code {
                    out.push(format!(
                        "{address} code {} vs {} bytes",
                        l.code.len(),
                        r.code.len()
                    ));
                }
                let keys: BTreeSet<&U256> = l.storage.keys().chain(r.storage.keys()).collect();
                for key in keys {
                    let a = l.storage.get(key).copied().unwrap_or_default();
                    let b = r.storage.get(key).copied().unwrap_or_default();
                    if a != b {
                        out.push(format!("{address}[{key:#x}] {a:#x} vs {b:#x}"));
                    }
                }
            }
            (None, None) => {}
        }
    }
    if out.len() > ACCOUNT_DIFF_LIMIT {
        let more = out.len() - ACCOUNT_DIFF_LIMIT;
        out.truncate(ACCOUNT_DIFF_LIMIT);
        out.push(format!("... {more} more"));
    }
    out
}
