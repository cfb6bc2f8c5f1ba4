//! Executing a valid transaction: nonce and up-front fees, warm sets,
//! EIP-7702 authorizations, the top-level frame, refunds, the EIP-7623
//! floor, the coinbase's fee and the end-of-transaction cleanup.

use super::authorization::recover_authority;
use super::blob::BlobSchedule;
use super::error::{InvalidTransaction, TxError};
use super::intrinsic::{PER_AUTH_BASE_COST, PER_EMPTY_ACCOUNT_COST};
use super::types::{Transaction, TxKind};
use super::validate::{validate, SenderAccount};
use crate::database::Database;
use crate::env::Env;
use crate::evm::{create_address, delegation_designator, delegation_target, Evm};
use crate::executor::Executor;
use crate::gas;
use crate::message::{CallInputs, CallKind, CreateInputs, CreateScheme};
use crate::precompile::PrecompileSet;
use crate::result::Status;
use crate::spec::SpecId;
use crate::state::State;
use alloy_primitives::{Address, Bytes, Log, U256};

/// What an executed transaction did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// How the top-level frame ended.
    pub status: Status,
    /// Gas the sender paid for (after the refund and the EIP-7623 floor).
    pub gas_used: u64,
    /// Gas refunded (after the cap).
    pub gas_refunded: u64,
    /// Return or revert data (empty for a successful creation).
    pub output: Bytes,
    /// Logs (empty unless the frame succeeded).
    pub logs: Vec<Log>,
    /// The new contract's address, for a successful creation.
    pub created_address: Option<Address>,
}

/// Validates and executes `tx` on `state` under `env`, with the blob
/// parameters of `schedule`, running code on `executor`.
///
/// `env.tx` must describe `tx` (origin, effective gas price, blob hashes)
/// and `env.block.blob_base_fee` must follow `schedule`. A rejected
/// transaction leaves `state` untouched, and so does one given up because
/// a query to the state's database failed ([`TxError::Database`]).
pub fn transact<DB: Database>(
    state: &mut State<DB>,
    env: &Env,
    schedule: &BlobSchedule,
    tx: &Transaction,
    executor: &dyn Executor,
    precompiles: &dyn PrecompileSet,
) -> Result<TxOutcome, TxError> {
    let sender = tx.caller;
    state.begin_transaction();
    // Readers see only what the state has loaded: the accounts validation
    // and the fee payment read without changing them first.
    state.load_account(sender);
    state.load_account(env.block.coinbase);
    if let Some(error) = state.take_database_error() {
        state.abort_transaction();
        return Err(error.into());
    }
    let account = state.account(&sender);
    let valid = validate(
        tx,
        env,
        schedule,
        SenderAccount {
            balance: account.map_or(U256::ZERO, |a| a.balance),
            nonce: account.map_or(0, |a| a.nonce),
            code: account.map_or(&[], |a| &a.code),
        },
    )?;
    let price = valid.effective_gas_price;

    // Validation checked balance >= gas_limit * max_fee + blob fees + value,
    // which covers this; should it fail anyway, nothing has changed yet.
    let upfront = U256::from(tx.gas_limit) * price + valid.blob_fee;
    state
        .sub_balance(sender, upfront)
        .map_err(|e| InvalidTransaction::InsufficientFunds {
            balance: e.balance,
            needed: upfront,
        })?;
    state.increment_nonce(sender);

    // EIP-2929 warm set: sender, target, access list, and from Shanghai the
    // coinbase (EIP-3651). The precompiles are warm too: `Evm` knows them.
    // Before Berlin warmth costs nothing.
    state.warm_account(sender);
    if env.spec >= SpecId::Shanghai {
        state.warm_account(env.block.coinbase);
    }
    for item in &tx.access_list {
        state.warm_account(item.address);
        for key in &item.storage_keys {
            state.warm_slot(item.address, U256::from_be_bytes(key.0));
        }
    }

    let gas = tx.gas_limit - valid.intrinsic_gas;
    let mut refund: u64 = 0;
    let mut created_address = None;
    let result = match tx.kind {
        TxKind::Create => {
            let address = create_address(sender, tx.nonce);
            state.warm_account(address);
            let mut evm = Evm::new(state, env, executor, precompiles);
            let result = evm.run_create(
                CreateInputs {
                    caller: sender,
                    scheme: CreateScheme::Create,
                    value: tx.value,
                    init_code: tx.data.clone(),
                    gas_limit: gas,
                },
                address,
            );
            if result.status.is_success() {
                created_address = Some(address);
            }
            result
        }
        TxKind::Call(target) => {
            state.warm_account(target);
            if !tx.authorization_list.is_empty() {
                refund += apply_authorizations(state, env, tx);
            }
            if env.spec >= SpecId::Prague {
                let code = state.account(&target).map_or(&[][..], |a| &a.code);
                if let Some(delegate) = delegation_target(code) {
                    state.warm_account(delegate);
                }
            }
            let mut evm = Evm::new(state, env, executor, precompiles);
            evm.run_call(CallInputs {
                kind: CallKind::Call,
                caller: sender,
                target,
                code_address: target,
                value: tx.value,
                input: &tx.data,
                gas_limit: gas,
                is_static: false,
            })
        }
    };
    if let Some(error) = state.take_database_error() {
        state.abort_transaction();
        return Err(error.into());
    }
    if result.status.is_success() {
        refund = refund.saturating_add(u64::try_from(result.refund.max(0)).unwrap_or(0));
    }
    let logs = state.take_logs();

    let used_before_refund = tx.gas_limit - result.gas_left;
    let gas_refunded = refund.min(gas::max_refund(env.spec, used_before_refund));
    let gas_used = (used_before_refund - gas_refunded).max(valid.floor_gas);
    let gas_left = tx.gas_limit - gas_used;
    state.add_balance(sender, U256::from(gas_left) * price);

    // The coinbase gets the priority fee; the base fee (London on) and the
    // blob fee are burnt.
    let priority = price.saturating_sub(env.base_fee());
    let fee = U256::from(gas_used) * priority;
    let coinbase = env.block.coinbase;
    if env.spec < SpecId::SpuriousDragon {
        // Before EIP-161 paying the coinbase creates it, even for nothing.
        state.create_account(coinbase);
        state.add_balance(coinbase, fee);
    } else if !fee.is_zero() {
        state.add_balance(coinbase, fee);
    } else if state.exists(&coinbase) && state.is_empty_or_missing(&coinbase) {
        // Execution-specs delete an existing empty coinbase that earned nothing.
        state.touch(coinbase);
    }
    state.finish_transaction();

    Ok(TxOutcome {
        status: result.status,
        gas_used,
        gas_refunded,
        output: if created_address.is_some() {
            Bytes::new()
        } else {
            result.output
        },
        logs,
        created_address,
    })
}

/// Applies the EIP-7702 authorization list; returns the refund earned by
/// authorities that already existed. Invalid tuples are skipped.
fn apply_authorizations<DB: Database>(state: &mut State<DB>, env: &Env, tx: &Transaction) -> u64 {
    let mut refund = 0;
    let chain_id = U256::from(env.chain_id);
    for auth in &tx.authorization_list {
        if !auth.chain_id.is_zero() && auth.chain_id != chain_id {
            continue;
        }
        if auth.nonce >= U256::from(u64::MAX) {
            continue;
        }
        let Some(authority) = recover_authority(auth) else {
            continue;
        };
        state.warm_account(authority);
        let code = state.code(&authority);
        if !code.is_empty() && delegation_target(&code).is_none() {
            continue;
        }
        if U256::from(state.nonce(&authority)) != auth.nonce {
            continue;
        }
        if state.exists(&authority) {
            refund += PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST;
        }
        let new_code = if auth.address.is_zero() {
            Bytes::new()
        } else {
            delegation_designator(auth.address)
        };
        state.set_code(authority, new_code);
        state.increment_nonce(authority);
        state.touch(authority);
    }
    refund
}
