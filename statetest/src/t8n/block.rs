//! Running the block: system calls, the transactions, withdrawals, the
//! mining reward and the Prague requests.

use super::input::{Alloc, T8nEnv, T8nTx};
use super::output::{block_result, post_alloc, BlockResult, Included, Rejected};
use super::sign::prepare;
use super::T8nError;
use crate::case;
use crate::exec::state_from;
use alloy_primitives::{address, b256, Address, Bytes, Log, B256, U256};
use cevm_runtime::evm::Evm;
use cevm_runtime::state::State;
use cevm_runtime::tx::{self, BlobSchedule, TxError};
use cevm_runtime::{BlockEnv, Env, Executor, Precompiles, SpecId, TxEnv};

/// How the block runs.
#[derive(Clone, Copy, Debug)]
pub struct T8nConfig {
    /// Fork rules.
    pub spec: SpecId,
    /// Chain id.
    pub chain_id: u64,
    /// Mining reward for the coinbase (`None`: none, as after the Merge).
    pub reward: Option<U256>,
}

/// What the transition produced.
#[derive(Clone, Debug)]
pub struct T8nOutput {
    /// The `result` object (roots, receipts, rejected, gas).
    pub result: serde_json::Value,
    /// The post-state.
    pub alloc: Alloc,
    /// The state root (also in `result`).
    pub state_root: B256,
    /// The hash of the block's logs (also in `result`).
    pub logs_hash: B256,
}

/// The address system calls come from.
const SYSTEM_ADDRESS: Address = address!("0xfffffffffffffffffffffffffffffffffffffffe");
/// Gas of a system call.
const SYSTEM_CALL_GAS: u64 = 30_000_000;
/// EIP-4788's beacon roots contract.
const BEACON_ROOTS: Address = address!("0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02");
/// EIP-2935's block history contract.
const HISTORY: Address = address!("0x0000F90827F1C53a10cb7A02335B175320002935");
/// EIP-7002's withdrawal request contract.
const WITHDRAWAL_REQUESTS: Address = address!("0x00000961Ef480Eb55e80D19ad83579A64c007002");
/// EIP-7251's consolidation request contract.
const CONSOLIDATION_REQUESTS: Address = address!("0x0000BBdDc7CE488642fb579F8B00f3a590007251");
/// The mainnet deposit contract (EIP-6110).
const DEPOSIT_CONTRACT: Address = address!("0x00000000219ab540356cBB839Cbe05303d7705Fa");
/// keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)").
const DEPOSIT_EVENT: B256 =
    b256!("0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5");
/// Wei per Gwei (withdrawal amounts).
const GWEI: u64 = 1_000_000_000;

/// Runs `txs` as one block on `alloc` under `env`.
pub fn transition(
    alloc: &Alloc,
    env: &T8nEnv,
    txs: &[T8nTx],
    config: &T8nConfig,
    executor: &dyn Executor,
) -> Result<T8nOutput, T8nError> {
    let spec = config.spec;
    if !spec.is_supported() {
        return Err(T8nError::Config(format!("fork {spec} is not supported")));
    }
    let mut state = pre_state(alloc, env)?;
    let schedule = BlobSchedule::for_spec(spec);
    let block = block_env(env, spec, &schedule)?;
    let precompiles = Precompiles::for_spec(spec);
    let block_env_of = |origin, gas_price, blob_hashes| Env {
        spec,
        chain_id: config.chain_id,
        block: block.clone(),
        tx: TxEnv {
            origin,
            gas_price,
            blob_hashes,
        },
    };
    let system_env = block_env_of(SYSTEM_ADDRESS, U256::ZERO, Vec::new());
    let number = u64::try_from(block.number).unwrap_or(u64::MAX);

    if spec >= SpecId::Cancun {
        if let Some(root) = env.parent_beacon_block_root {
            system_call(
                &mut state,
                &system_env,
                executor,
                &precompiles,
                BEACON_ROOTS,
                root.into(),
            );
        }
    }
    if spec >= SpecId::Prague {
        let hashes = env.block.known_block_hashes();
        let parent = hashes
            .iter()
            .find(|(n, _)| Some(*n) == number.checked_sub(1));
        if let Some((_, parent)) = parent {
            system_call(
                &mut state,
                &system_env,
                executor,
                &precompiles,
                HISTORY,
                parent.to_vec().into(),
            );
        }
    }

    let mut included = Vec::new();
    let mut rejected = Vec::new();
    let (mut gas_used, mut blob_gas_used) = (0u64, 0u64);
    let max_blob_gas = schedule.max * cevm_runtime::tx::blob::GAS_PER_BLOB;
    for (index, t) in txs.iter().enumerate() {
        let prepared = match prepare(t, config.chain_id) {
            Ok(prepared) => prepared,
            Err(e) => {
                rejected.push(Rejected {
                    index,
                    error: e.to_string(),
                });
                continue;
            }
        };
        let tx = &prepared.tx;
        if U256::from(gas_used) + U256::from(tx.gas_limit) > block.gas_limit {
            rejected.push(Rejected {
                index,
                error: format!(
                    "gas limit reached: block has {} left, transaction wants {}",
                    block.gas_limit.saturating_sub(U256::from(gas_used)),
                    tx.gas_limit
                ),
            });
            continue;
        }
        if blob_gas_used + tx.blob_gas() > max_blob_gas {
            rejected.push(Rejected {
                index,
                error: format!(
                    "blob gas limit reached: {} of {max_blob_gas} used",
                    blob_gas_used
                ),
            });
            continue;
        }
        let env = block_env_of(
            tx.caller,
            tx.effective_gas_price(block.basefee),
            tx.blob_hashes.clone(),
        );
        match tx::transact(&mut state, &env, &schedule, tx, executor, &precompiles) {
            Ok(outcome) => {
                gas_used += outcome.gas_used;
                blob_gas_used += tx.blob_gas();
                included.push(Included {
                    prepared,
                    outcome,
                    cumulative_gas_used: gas_used,
                    effective_gas_price: env.tx.gas_price,
                });
            }
            Err(TxError::Invalid(e)) => rejected.push(Rejected {
                index,
                error: e.to_string(),
            }),
            Err(TxError::Database(e)) => {
                // The in-memory state has no database; kept for completeness.
                rejected.push(Rejected {
                    index,
                    error: e.to_string(),
                })
            }
        }
    }

    let withdrawals = env.withdrawals.as_deref().unwrap_or_default();
    if spec >= SpecId::Shanghai && !withdrawals.is_empty() {
        state.begin_transaction();
        for w in withdrawals {
            state.add_balance(w.address, w.amount.saturating_mul(U256::from(GWEI)));
            state.touch(w.address);
        }
        state.finish_transaction();
    }
    if let Some(reward) = config.reward {
        state.begin_transaction();
        state.add_balance(block.coinbase, reward);
        if spec >= SpecId::SpuriousDragon {
            state.touch(block.coinbase);
        } else {
            state.create_account(block.coinbase);
        }
        state.finish_transaction();
    }
    let requests = (spec >= SpecId::Prague).then(|| {
        let logs = included.iter().flat_map(|i| &i.outcome.logs);
        vec![
            (0u8, deposit_requests(logs)),
            (
                1,
                system_call(
                    &mut state,
                    &system_env,
                    executor,
                    &precompiles,
                    WITHDRAWAL_REQUESTS,
                    Bytes::new(),
                ),
            ),
            (
                2,
                system_call(
                    &mut state,
                    &system_env,
                    executor,
                    &precompiles,
                    CONSOLIDATION_REQUESTS,
                    Bytes::new(),
                ),
            ),
        ]
    });

    let BlockResult {
        result,
        state_root,
        logs_hash,
    } = block_result(
        &state,
        spec,
        &block,
        &included,
        &rejected,
        gas_used,
        blob_gas_used,
        env,
        requests.as_deref(),
    );
    Ok(T8nOutput {
        result,
        alloc: post_alloc(&state),
        state_root,
        logs_hash,
    })
}

/// The pre-state with the block hashes of `env`.
fn pre_state(alloc: &Alloc, env: &T8nEnv) -> Result<State, T8nError> {
    state_from(alloc, &env.block).map_err(|e| T8nError::Input(format!("alloc: {e}")))
}

/// The block environment, with the base fee and excess blob gas derived
/// from the parent's when not given.
fn block_env(env: &T8nEnv, spec: SpecId, schedule: &BlobSchedule) -> Result<BlockEnv, T8nError> {
    let mut block = env.block.clone();
    if block.current_base_fee.is_none() && spec >= SpecId::London {
        block.current_base_fee = Some(next_base_fee(env)?);
    }
    if block.current_excess_blob_gas.is_none() && spec >= SpecId::Cancun {
        let (Some(excess), Some(used)) = (env.parent_excess_blob_gas, env.parent_blob_gas_used)
        else {
            return Err(T8nError::Config(
                "currentExcessBlobGas or parentExcessBlobGas and parentBlobGasUsed required".into(),
            ));
        };
        let target = schedule.target * cevm_runtime::tx::blob::GAS_PER_BLOB;
        block.current_excess_blob_gas = Some((excess + used).saturating_sub(U256::from(target)));
    }
    if spec >= SpecId::Paris && block.current_random.is_none() {
        return Err(T8nError::Config(
            "currentRandom required from the Merge on".into(),
        ));
    }
    case::block_env(&block, schedule).map_err(|e| T8nError::Input(format!("env: {e}")))
}

/// EIP-1559's base fee after the parent.
fn next_base_fee(env: &T8nEnv) -> Result<U256, T8nError> {
    let (Some(fee), Some(used), Some(limit)) = (
        env.parent_base_fee,
        env.parent_gas_used,
        env.parent_gas_limit,
    ) else {
        return Err(T8nError::Config(
            "currentBaseFee or parentBaseFee, parentGasUsed and parentGasLimit required".into(),
        ));
    };
    let target = limit / U256::from(2);
    if target.is_zero() || used == target {
        return Ok(fee);
    }
    let denominator = U256::from(8);
    Ok(if used > target {
        let delta = (fee * (used - target) / target / denominator).max(U256::from(1));
        fee + delta
    } else {
        fee.saturating_sub(fee * (target - used) / target / denominator)
    })
}

/// Calls `contract` from the system address if it has code; returns its
/// output (empty when it has no code or fails).
fn system_call(
    state: &mut State,
    env: &Env,
    executor: &dyn Executor,
    precompiles: &Precompiles,
    contract: Address,
    input: Bytes,
) -> Bytes {
    if state.code(&contract).is_empty() {
        return Bytes::new();
    }
    let mut evm = Evm::new(state, env, executor, precompiles);
    let outcome = evm.transact_call(SYSTEM_ADDRESS, contract, U256::ZERO, input, SYSTEM_CALL_GAS);
    if outcome.result.status.is_success() {
        outcome.result.output
    } else {
        Bytes::new()
    }
}

/// EIP-6110 deposit requests: the deposit contract's `DepositEvent`s, each
/// pubkey ‖ withdrawal credentials ‖ amount ‖ signature ‖ index.
fn deposit_requests<'a>(logs: impl Iterator<Item = &'a Log>) -> Bytes {
    let mut out = Vec::new();
    for log in logs {
        if log.address != DEPOSIT_CONTRACT || log.topics().first() != Some(&DEPOSIT_EVENT) {
            continue;
        }
        let data = &log.data.data;
        // Five ABI `bytes` fields: offsets in the head, each field a length
        // word and its bytes padded to words.
        let field = |i: usize| -> Option<&[u8]> {
            let offset =
                usize::try_from(U256::from_be_slice(data.get(i * 32..i * 32 + 32)?)).ok()?;
            let len = usize::try_from(U256::from_be_slice(data.get(offset..offset + 32)?)).ok()?;
            data.get(offset + 32..offset + 32 + len)
        };
        for i in 0..5 {
            if let Some(bytes) = field(i) {
                out.extend_from_slice(bytes);
            }
        }
    }
    out.into()
}
