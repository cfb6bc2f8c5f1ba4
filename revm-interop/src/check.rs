//! Checking the interop end to end: one transaction run on an in-memory
//! state and on a cache over a revm `CacheDB` holding the same accounts,
//! its changes committed to the `CacheDB` through revm's
//! [`DatabaseCommit`], and both outcomes and worlds compared. The
//! `revm_db` example and the tests use it.

use crate::{cache_db_from_state, to_revm_changes, RevmDatabase};
use cevm_runtime::precompile::PrecompileSet;
use cevm_runtime::tx::{self, BlobSchedule, Transaction, TxError, TxOutcome};
use cevm_runtime::{Address, Env, Executor, State, U256};
use revm::database::{CacheDB, EmptyDB};
use revm::{Database as _, DatabaseCommit};
use std::collections::BTreeSet;

/// The two runs of [`compare`].
#[derive(Debug)]
pub struct Comparison {
    /// The outcome on the in-memory state.
    pub in_memory: TxOutcome,
    /// The outcome over the `CacheDB`.
    pub over_revm: TxOutcome,
    /// What differs (status, gas, output, logs, or an account or slot of
    /// the world afterwards); empty when the runs agree.
    pub differences: Vec<String>,
}

impl Comparison {
    /// Whether the runs agree in everything.
    pub fn equal(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Runs `tx` on a copy of `pre` and on a cache over a `CacheDB` filled
/// from `pre`, commits the cache's changes to the `CacheDB` and compares
/// the outcomes and the two worlds afterwards.
pub fn compare(
    pre: &State,
    env: &Env,
    schedule: &BlobSchedule,
    tx: &Transaction,
    executor: &dyn Executor,
    precompiles: &dyn PrecompileSet,
) -> Result<Comparison, TxError> {
    let mut memory = pre.clone();
    let in_memory = tx::transact(&mut memory, env, schedule, tx, executor, precompiles)?;

    let mut pre_copy = pre.clone();
    let mut db = cache_db_from_state(&mut pre_copy, block_window(env));
    let mut cached = State::with_database(RevmDatabase::new(&mut db));
    let over_revm = tx::transact(&mut cached, env, schedule, tx, executor, precompiles)?;
    let changes = to_revm_changes(cached.take_changes());
    drop(cached);
    db.commit(changes);

    let mut differences = Vec::new();
    if in_memory != over_revm {
        differences.push(format!(
            "outcome: in memory {in_memory:?}, over revm {over_revm:?}"
        ));
    }
    differences.extend(world_differences(pre, &memory, &mut db));
    Ok(Comparison {
        in_memory,
        over_revm,
        differences,
    })
}

/// The 256 blocks BLOCKHASH may ask for under `env`.
fn block_window(env: &Env) -> impl Iterator<Item = u64> {
    let current = u64::try_from(env.block.number).unwrap_or(u64::MAX);
    current.saturating_sub(256)..current
}

/// Every account and slot (of `pre` or `after`) where `db` differs from
/// `after`.
fn world_differences(pre: &State, after: &State, db: &mut CacheDB<EmptyDB>) -> Vec<String> {
    let addresses: BTreeSet<Address> = pre
        .accounts()
        .chain(after.accounts())
        .map(|(a, _)| *a)
        .collect();
    let mut differences = Vec::new();
    for address in addresses {
        let expected = after.account(&address);
        let got = match db.basic(address) {
            Ok(info) => info.filter(|info| !info.is_empty() || expected.is_some()),
            Err(never) => match never {},
        };
        let same_info = match (expected, &got) {
            (None, None) => true,
            (Some(e), Some(g)) => {
                e.balance == g.balance && e.nonce == g.nonce && e.code_hash == g.code_hash
            }
            _ => false,
        };
        if !same_info {
            differences.push(format!(
                "account {address}: expected {expected:?}, got {got:?}"
            ));
            continue;
        }
        let keys: BTreeSet<U256> = [pre.account(&address), expected]
            .into_iter()
            .flatten()
            .flat_map(|account| account.storage.keys().copied())
            .collect();
        for key in keys {
            let want = after.storage(&address, key);
            let have = match db.storage(address, key) {
                Ok(value) => value,
                Err(never) => match never {},
            };
            if want != have {
                differences.push(format!(
                    "storage {address}[{key}]: expected {want}, got {have}"
                ));
            }
        }
    }
    differences
}
