//! Runs a generated scenario on revm (a third, independent EVM) and records
//! the same observables as `cevm_difftest::observe`.
//!
//! Harness choices that differ from revm's defaults are listed in
//! `difftest/REVM_DIFFERENCES.md`.

use cevm_difftest::observe::root_of;
use cevm_difftest::scenario::{BASE_FEE, BLOCK_NUMBER, COINBASE};
use cevm_difftest::{AccountState, Observation, Scenario, StatusClass};
use cevm_runtime::tx::{Transaction, TxKind as OurTxKind, TxType};
use cevm_runtime::SpecId;
use cevm_statetest::roots::logs_hash;
use revm::bytecode::Bytecode;
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::context_interface::either::Either;
use revm::context_interface::transaction::{
    AccessList, AccessListItem, Authorization, SignedAuthorization,
};
use revm::database::{AccountState as DbAccountState, CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId as RevmSpec;
use revm::primitives::{Address, Bytes, TxKind, B256, U256};
use revm::state::AccountInfo;
use revm::{Context, DatabaseCommit, ExecuteEvm, MainBuilder, MainContext};
use std::collections::BTreeMap;

/// revm's id of `spec`; `None` for Constantinople, whose EIP-1283 rules
/// revm does not implement (Petersburg replaced it before mainnet ran it).
pub fn revm_spec(spec: SpecId) -> Option<RevmSpec> {
    Some(match spec {
        SpecId::Frontier => RevmSpec::FRONTIER,
        SpecId::Homestead => RevmSpec::HOMESTEAD,
        SpecId::TangerineWhistle => RevmSpec::TANGERINE,
        SpecId::SpuriousDragon => RevmSpec::SPURIOUS_DRAGON,
        SpecId::Byzantium => RevmSpec::BYZANTIUM,
        SpecId::Constantinople => return None,
        SpecId::Petersburg => RevmSpec::PETERSBURG,
        SpecId::Istanbul => RevmSpec::ISTANBUL,
        SpecId::Berlin => RevmSpec::BERLIN,
        SpecId::London => RevmSpec::LONDON,
        SpecId::Paris => RevmSpec::MERGE,
        SpecId::Shanghai => RevmSpec::SHANGHAI,
        SpecId::Cancun => RevmSpec::CANCUN,
        SpecId::Prague => RevmSpec::PRAGUE,
        SpecId::Osaka => RevmSpec::OSAKA,
    })
}

/// The forks revm can be compared under: every fork but Constantinople.
pub fn revm_forks() -> Vec<SpecId> {
    SpecId::ALL
        .into_iter()
        .filter(|s| revm_spec(*s).is_some())
        .collect()
}

/// Most blobs one transaction may carry (EIP-4844, EIP-7691, EIP-7594).
fn max_blobs_per_tx(spec: SpecId) -> u64 {
    if spec == SpecId::Prague {
        9
    } else {
        6
    }
}

/// revm's EIP-4844 blob base fee update fraction for the fork.
fn blob_fraction(spec: SpecId) -> u64 {
    if spec >= SpecId::Prague {
        5_007_716
    } else {
        3_338_477
    }
}

fn code_of(bytes: &Bytes) -> Bytecode {
    // 0xEF-prefixed bytes that are not a valid EIP-7702 designator are plain
    // legacy code to revm too; `new_raw` would panic on them.
    Bytecode::new_raw_checked(bytes.clone()).unwrap_or_else(|_| Bytecode::new_legacy(bytes.clone()))
}

/// The transaction the state-test runner builds, as revm's `TxEnv`.
fn revm_tx(t: &Transaction) -> Result<TxEnv, String> {
    let small = |v: U256| -> Result<u128, String> { u128::try_from(v).map_err(|e| e.to_string()) };
    let access_list = t
        .access_list
        .iter()
        .map(|item| AccessListItem {
            address: item.address,
            storage_keys: item.storage_keys.clone(),
        })
        .collect::<Vec<_>>();
    let authorizations = t
        .authorization_list
        .iter()
        .map(|a| -> Result<SignedAuthorization, String> {
            Ok(SignedAuthorization::new_unchecked(
                Authorization {
                    chain_id: a.chain_id,
                    address: a.address,
                    nonce: u64::try_from(a.nonce).map_err(|e| e.to_string())?,
                },
                u8::try_from(a.y_parity).map_err(|e| e.to_string())?,
                a.r,
                a.s,
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Built field by field: the builder refuses some invalid transactions
    // (a blob transaction without blobs) that revm's validation must see.
    let dynamic = !matches!(t.tx_type, TxType::Legacy | TxType::AccessList);
    Ok(TxEnv {
        tx_type: t.tx_type as u8,
        caller: t.caller,
        gas_limit: t.gas_limit,
        gas_price: small(t.max_fee_per_gas)?,
        kind: match t.kind {
            OurTxKind::Create => TxKind::Create,
            OurTxKind::Call(to) => TxKind::Call(to),
        },
        value: t.value,
        data: t.data.clone(),
        nonce: t.nonce,
        chain_id: Some(1),
        access_list: AccessList(access_list),
        gas_priority_fee: if dynamic {
            Some(small(t.max_priority_fee_per_gas)?)
        } else {
            None
        },
        blob_hashes: t.blob_hashes.clone(),
        max_fee_per_blob_gas: small(t.max_fee_per_blob_gas)?,
        authorization_list: authorizations.into_iter().map(Either::Left).collect(),
    })
}

/// Runs `scenario` under `spec` on revm. `Err` when revm reports a
/// database error (which an in-memory database never does).
pub fn observe_revm(scenario: &Scenario, spec: SpecId) -> Result<Observation, String> {
    let revm_spec = revm_spec(spec).ok_or_else(|| format!("revm does not implement {spec}"))?;
    let case = scenario.to_test_case(spec).map_err(|e| e.to_string())?;
    let mut db = CacheDB::new(EmptyDB::default());
    for (address, acc) in &case.pre {
        let nonce = u64::try_from(acc.nonce).map_err(|e| e.to_string())?;
        let code = code_of(&acc.code);
        let info = AccountInfo::new(acc.balance, nonce, code.hash_slow(), code);
        db.insert_account_info(*address, info);
        for (k, v) in &acc.storage {
            db.insert_account_storage(*address, *k, *v)
                .map_err(|e| format!("{e:?}"))?;
        }
    }
    // Our state-test runner (like the fixtures it runs) knows no block
    // hashes: BLOCKHASH is zero. EmptyDB would answer keccak(number).
    for n in BLOCK_NUMBER.saturating_sub(300)..BLOCK_NUMBER {
        db.cache.block_hashes.insert(U256::from(n), B256::ZERO);
    }

    let mut block = BlockEnv {
        number: U256::from(BLOCK_NUMBER),
        beneficiary: COINBASE,
        timestamp: U256::from(1000u64),
        gas_limit: 90_000_000,
        basefee: BASE_FEE,
        difficulty: U256::ZERO,
        prevrandao: Some(B256::from(U256::from(0x20000u64))),
        ..BlockEnv::default()
    };
    block.blob_excess_gas_and_price = Some(BlobExcessGasAndPrice::new(0, blob_fraction(spec)));

    let ours = cevm_statetest::case::transaction(&case, 0, 0, 0).map_err(|e| e.to_string())?;
    let tx = revm_tx(&ours)?;

    let outcome = {
        let mut evm = Context::mainnet()
            .with_db(&mut db)
            .with_block(block)
            .modify_cfg_chained(|cfg| {
                cfg.set_spec_and_mainnet_gas_params(revm_spec);
                cfg.chain_id = 1;
                // revm skips the per-transaction blob cap unless told it.
                cfg.set_max_blobs_per_tx(max_blobs_per_tx(spec));
            })
            .build_mainnet();
        evm.transact(tx)
    };
    let (class, status, gas_used, refunded, output, logs) = match outcome {
        Ok(r) => {
            db.commit(r.state);
            match r.result {
                ExecutionResult::Success {
                    reason,
                    gas,
                    logs,
                    output,
                } => {
                    let bytes = match output {
                        Output::Call(b) => b,
                        Output::Create(..) => Bytes::new(),
                    };
                    (
                        StatusClass::Success,
                        format!("{reason:?}"),
                        gas.tx_gas_used(),
                        gas.inner_refunded(),
                        bytes,
                        logs,
                    )
                }
                ExecutionResult::Revert { gas, output, .. } => (
                    StatusClass::Revert,
                    "revert".into(),
                    gas.tx_gas_used(),
                    gas.inner_refunded(),
                    output,
                    Vec::new(),
                ),
                ExecutionResult::Halt { reason, gas, .. } => (
                    StatusClass::Halt,
                    format!("{reason:?}"),
                    gas.tx_gas_used(),
                    gas.inner_refunded(),
                    Bytes::new(),
                    Vec::new(),
                ),
            }
        }
        Err(e) => (
            StatusClass::Rejected,
            format!("rejected: {e:?}"),
            0,
            0,
            Bytes::new(),
            Vec::new(),
        ),
    };

    let mut accounts: BTreeMap<Address, AccountState> = BTreeMap::new();
    for (address, acc) in &db.cache.accounts {
        let info = &acc.info;
        let code = info
            .code
            .as_ref()
            .map(|c| c.original_bytes())
            .unwrap_or_default();
        // From Spurious Dragon touched empty accounts are deleted (EIP-161);
        // CacheDB keeps them. Before, an empty account is part of the state.
        let empty = info.nonce == 0 && info.balance.is_zero() && code.is_empty();
        let cleared = empty && spec >= SpecId::SpuriousDragon;
        if cleared || matches!(acc.account_state, DbAccountState::NotExisting) {
            continue;
        }
        accounts.insert(
            *address,
            AccountState {
                nonce: info.nonce,
                balance: info.balance,
                code,
                storage: acc
                    .storage
                    .iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(k, v)| (*k, *v))
                    .collect(),
            },
        );
    }
    Ok(Observation {
        class,
        status,
        gas_used,
        gas_refunded: refunded,
        logs_hash: logs_hash(&logs),
        output,
        logs,
        state_root: root_of(&accounts),
        accounts,
    })
}
