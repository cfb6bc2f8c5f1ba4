//! The t8n outputs: the `result` object (geth's field names and hex
//! encodings) and the post-state alloc.

use super::input::{Alloc, T8nEnv};
use super::sign::PreparedTx;
use crate::model::TestAccount;
use crate::roots::{logs_hash, state_root, RootAccount};
use alloy_consensus::proofs::{
    calculate_receipt_root, calculate_transaction_root, calculate_withdrawals_root,
};
use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom};
use alloy_primitives::{Address, Bloom, Bytes, Log, B256, U256};
use cevm_runtime::state::State;
use cevm_runtime::tx::{TxOutcome, TxType};
use cevm_runtime::{BlockEnv, SpecId};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A transaction that went into the block.
#[derive(Clone, Debug)]
pub struct Included {
    /// The transaction.
    pub prepared: PreparedTx,
    /// What it did.
    pub outcome: TxOutcome,
    /// The block's gas used up to and including it.
    pub cumulative_gas_used: u64,
    /// The gas price it paid.
    pub effective_gas_price: U256,
}

/// A transaction left out, with why.
#[derive(Clone, Debug)]
pub struct Rejected {
    /// Its position in the input.
    pub index: usize,
    /// Why.
    pub error: String,
}

/// The `result` object and the two hashes tests compare.
pub struct BlockResult {
    pub result: Value,
    pub state_root: B256,
    pub logs_hash: B256,
}

fn hex_u64(v: u64) -> String {
    format!("{v:#x}")
}

/// The receipt of `i` in its type's envelope.
fn receipt(i: &Included) -> ReceiptEnvelope {
    let receipt = Receipt {
        status: Eip658Value::Eip658(i.outcome.status.is_success()),
        cumulative_gas_used: i.cumulative_gas_used,
        logs: i.outcome.logs.clone(),
    };
    let with_bloom = ReceiptWithBloom::from(receipt);
    match i.prepared.tx.tx_type {
        TxType::Legacy => ReceiptEnvelope::Legacy(with_bloom),
        TxType::AccessList => ReceiptEnvelope::Eip2930(with_bloom),
        TxType::DynamicFee => ReceiptEnvelope::Eip1559(with_bloom),
        TxType::Blob => ReceiptEnvelope::Eip4844(with_bloom),
        TxType::SetCode => ReceiptEnvelope::Eip7702(with_bloom),
    }
}

fn log_json(log: &Log, i: &Included, index: usize, log_index: usize, number: U256) -> Value {
    json!({
        "address": log.address,
        "topics": log.topics(),
        "data": log.data.data,
        "blockNumber": format!("{number:#x}"),
        "transactionHash": i.prepared.hash,
        "transactionIndex": hex_u64(index as u64),
        "blockHash": B256::ZERO,
        "logIndex": hex_u64(log_index as u64),
        "removed": false,
    })
}

/// Builds the `result` object.
#[allow(clippy::too_many_arguments)]
pub fn block_result(
    state: &State,
    spec: SpecId,
    block: &BlockEnv,
    included: &[Included],
    rejected: &[Rejected],
    gas_used: u64,
    blob_gas_used: u64,
    env: &T8nEnv,
    requests: Option<&[(u8, Bytes)]>,
) -> BlockResult {
    let root = state_root(
        state
            .accounts()
            .map(|(address, acc)| (*address, RootAccount::from(acc))),
    );
    let envelopes: Vec<_> = included
        .iter()
        .map(|i| i.prepared.envelope.clone())
        .collect();
    let receipts: Vec<ReceiptEnvelope> = included.iter().map(receipt).collect();
    let all_logs: Vec<Log> = included
        .iter()
        .flat_map(|i| i.outcome.logs.clone())
        .collect();
    let mut bloom = Bloom::default();
    let mut log_index = 0;
    let mut receipts_json = Vec::new();
    for (index, (i, r)) in included.iter().zip(&receipts).enumerate() {
        bloom.accrue_bloom(r.logs_bloom());
        let logs: Vec<Value> = i
            .outcome
            .logs
            .iter()
            .map(|log| {
                log_index += 1;
                log_json(log, i, index, log_index - 1, block.number)
            })
            .collect();
        let gas_used = i.cumulative_gas_used
            - index
                .checked_sub(1)
                .map_or(0, |p| included[p].cumulative_gas_used);
        receipts_json.push(json!({
            "type": hex_u64(i.prepared.tx.tx_type as u64),
            "root": "0x",
            "status": hex_u64(i.outcome.status.is_success() as u64),
            "cumulativeGasUsed": hex_u64(i.cumulative_gas_used),
            "logsBloom": r.logs_bloom(),
            "logs": if logs.is_empty() { Value::Null } else { Value::Array(logs) },
            "transactionHash": i.prepared.hash,
            "contractAddress": i.outcome.created_address.unwrap_or(Address::ZERO),
            "gasUsed": hex_u64(gas_used),
            "effectiveGasPrice": format!("{:#x}", i.effective_gas_price),
            "blockHash": B256::ZERO,
            "transactionIndex": hex_u64(index as u64),
        }));
    }
    let logs_hash = logs_hash(&all_logs);
    let mut result = json!({
        "stateRoot": root,
        "txRoot": calculate_transaction_root(&envelopes),
        "receiptsRoot": calculate_receipt_root(&receipts),
        "logsHash": logs_hash,
        "logsBloom": bloom,
        "receipts": receipts_json,
        "rejected": if rejected.is_empty() {
            Value::Null
        } else {
            rejected.iter().map(|r| json!({"index": r.index, "error": r.error})).collect()
        },
        "gasUsed": hex_u64(gas_used),
    });
    if spec < SpecId::Paris {
        result["currentDifficulty"] = json!(format!("{:#x}", block.difficulty));
    }
    if spec >= SpecId::London {
        result["currentBaseFee"] = json!(format!("{:#x}", block.basefee));
    }
    if spec >= SpecId::Shanghai {
        let withdrawals: Vec<alloy_eips::eip4895::Withdrawal> = env
            .withdrawals
            .iter()
            .flatten()
            .map(|w| alloy_eips::eip4895::Withdrawal {
                index: u64::try_from(w.index).unwrap_or(u64::MAX),
                validator_index: u64::try_from(w.validator_index).unwrap_or(u64::MAX),
                address: w.address,
                amount: u64::try_from(w.amount).unwrap_or(u64::MAX),
            })
            .collect();
        result["withdrawalsRoot"] = json!(calculate_withdrawals_root(&withdrawals));
    }
    if spec >= SpecId::Cancun {
        result["currentExcessBlobGas"] = json!(hex_u64(block.excess_blob_gas.unwrap_or(0)));
        result["blobGasUsed"] = json!(hex_u64(blob_gas_used));
    }
    if let Some(requests) = requests {
        let mut outer = Sha256::new();
        let mut listed = Vec::new();
        for (kind, data) in requests {
            if data.is_empty() {
                continue;
            }
            let mut request = vec![*kind];
            request.extend_from_slice(data);
            outer.update(Sha256::digest(&request));
            listed.push(Bytes::from(request));
        }
        result["requestsHash"] = json!(B256::from_slice(&outer.finalize()));
        result["requests"] = json!(listed);
    }
    BlockResult {
        result,
        state_root: root,
        logs_hash,
    }
}

/// The post-state as an alloc.
pub fn post_alloc(state: &State) -> Alloc {
    state
        .accounts()
        .map(|(address, acc)| {
            (
                *address,
                TestAccount {
                    balance: acc.balance,
                    nonce: U256::from(acc.nonce),
                    code: acc.code.clone(),
                    storage: acc.storage.iter().map(|(k, v)| (*k, *v)).collect(),
                },
            )
        })
        .collect()
}
