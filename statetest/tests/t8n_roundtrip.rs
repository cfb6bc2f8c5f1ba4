//! The t8n round trip: every state-test fixture of Cancun, Prague and
//! Osaka in the shared material becomes t8n input (the pre-state as the
//! alloc, the environment, the one transaction with its `secretKey` in
//! geth's JSON form), runs through the transition tool, and its
//! `stateRoot` and `logsHash` must be the fixture's; a transaction the
//! fixture expects to be rejected must show in `rejected`.
//!
//! Cases whose transaction uses the `0x:bigint` notation (a number no
//! transaction encoding can carry) have no t8n form and are counted apart.
//! Without the shared material the test says so and passes, except under
//! `CI=true`.

use cevm_interp::Interpreter;
use cevm_runtime::tx::{Transaction, TxKind, TxType};
use cevm_runtime::SpecId;
use cevm_statetest::case;
use cevm_statetest::model::TestCase;
use cevm_statetest::shared::require;
use cevm_statetest::t8n::{transition, T8nConfig, T8nEnv, T8nTx};
use cevm_statetest::{discover, panic_message};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;

const FORKS: [SpecId; 3] = [SpecId::Cancun, SpecId::Prague, SpecId::Osaka];

/// The transaction in geth's t8n JSON form, signed with `key`.
fn t8n_tx(tx: &Transaction, key: &Value, chain_id: u64) -> Value {
    let mut t = json!({
        "type": format!("{:#x}", tx.tx_type as u8),
        "nonce": format!("{:#x}", tx.nonce),
        "gas": format!("{:#x}", tx.gas_limit),
        "to": match tx.kind { TxKind::Call(to) => json!(to), TxKind::Create => Value::Null },
        "value": format!("{:#x}", tx.value),
        "input": tx.data,
        "secretKey": key,
    });
    if matches!(tx.tx_type, TxType::Legacy | TxType::AccessList) {
        t["gasPrice"] = json!(format!("{:#x}", tx.max_fee_per_gas));
    } else {
        t["maxFeePerGas"] = json!(format!("{:#x}", tx.max_fee_per_gas));
        t["maxPriorityFeePerGas"] = json!(format!("{:#x}", tx.max_priority_fee_per_gas));
    }
    if tx.tx_type != TxType::Legacy {
        t["chainId"] = json!(format!("{chain_id:#x}"));
        t["accessList"] = tx
            .access_list
            .iter()
            .map(|i| json!({"address": i.address, "storageKeys": i.storage_keys}))
            .collect();
    }
    if tx.tx_type == TxType::Blob {
        t["maxFeePerBlobGas"] = json!(format!("{:#x}", tx.max_fee_per_blob_gas));
        t["blobVersionedHashes"] = json!(tx.blob_hashes);
    }
    if tx.tx_type == TxType::SetCode {
        t["authorizationList"] = tx
            .authorization_list
            .iter()
            .map(|a| {
                json!({"chainId": format!("{:#x}", a.chain_id), "address": a.address,
                    "nonce": format!("{:#x}", a.nonce), "yParity": format!("{:#x}", a.y_parity),
                    "r": format!("{:#x}", a.r), "s": format!("{:#x}", a.s)})
            })
            .collect();
    }
    t
}

#[derive(Default)]
struct Counts {
    passed: usize,
    failed: Vec<String>,
    unrepresentable: usize,
}

#[test]
fn t8n_state_roots_match_the_state_test_fixtures() {
    let Some(dir) = require("fixtures/state_tests", "t8n round trip") else {
        return;
    };
    let files = discover(&[dir]).expect("fixtures readable");
    let counts: Mutex<BTreeMap<SpecId, Counts>> = Mutex::default();
    files
        .par_iter()
        .for_each_init(Interpreter::new, |interpreter, path| {
            let text = std::fs::read_to_string(path).expect("fixture readable");
            let raw: BTreeMap<String, Value> =
                serde_json::from_str(&text).expect("fixture is JSON");
            for (name, raw_case) in raw {
                let case: TestCase = serde_json::from_value(raw_case.clone()).expect("state test");
                let chain_id = case
                    .config
                    .as_ref()
                    .and_then(|c| c.chainid)
                    .map_or(1, |id| u64::try_from(id).expect("chain id"));
                let alloc = serde_json::from_value(raw_case["pre"].clone()).expect("pre as alloc");
                let env: T8nEnv = serde_json::from_value(raw_case["env"].clone()).expect("env");
                let key = &raw_case["transaction"]["secretKey"];
                for spec in FORKS {
                    let Some(entries) = case.post.iter().find(|(f, _)| f.parse() == Ok(spec))
                    else {
                        continue;
                    };
                    for entry in entries.1 {
                        let ix = entry.indexes;
                        let id = format!(
                            "{} {name} {spec} d{}g{}v{}",
                            path.display(),
                            ix.data,
                            ix.gas,
                            ix.value
                        );
                        let Ok(tx) = case::transaction(&case, ix.data, ix.gas, ix.value) else {
                            counts
                                .lock()
                                .unwrap()
                                .entry(spec)
                                .or_default()
                                .unrepresentable += 1;
                            continue;
                        };
                        let txs: Vec<T8nTx> =
                            serde_json::from_value(json!([t8n_tx(&tx, key, chain_id)]))
                                .expect("txs");
                        let config = T8nConfig {
                            spec,
                            chain_id,
                            reward: None,
                        };
                        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            transition(&alloc, &env, &txs, &config, interpreter)
                        }));
                        let problem = match run {
                            Err(panic) => {
                                Some(format!("panicked: {}", panic_message(panic.as_ref())))
                            }
                            Ok(Err(e)) => Some(format!("t8n failed: {e}")),
                            Ok(Ok(out)) => {
                                let rejected = !out.result["rejected"].is_null();
                                if out.state_root != entry.hash {
                                    Some(format!(
                                        "stateRoot {} expected {}; rejected {}",
                                        out.state_root, entry.hash, out.result["rejected"]
                                    ))
                                } else if entry.expect_exception.is_some() != rejected {
                                    Some(format!(
                                        "rejected: {}, expected exception: {:?}",
                                        out.result["rejected"], entry.expect_exception
                                    ))
                                } else if !rejected && out.logs_hash != entry.logs {
                                    Some(format!(
                                        "logsHash {} expected {}",
                                        out.logs_hash, entry.logs
                                    ))
                                } else {
                                    None
                                }
                            }
                        };
                        let mut counts = counts.lock().unwrap();
                        let c = counts.entry(spec).or_default();
                        match problem {
                            None => c.passed += 1,
                            Some(why) => c.failed.push(format!("{id}: {why}")),
                        }
                    }
                }
            }
        });
    let counts = counts.into_inner().unwrap();
    let mut failures = Vec::new();
    for (spec, c) in &counts {
        let total = c.passed + c.failed.len();
        println!(
            "t8n round trip {spec}: {}/{total} passed ({:.2}%), {} not representable",
            c.passed,
            100.0 * c.passed as f64 / total.max(1) as f64,
            c.unrepresentable
        );
        failures.extend(c.failed.iter().take(20).cloned());
    }
    assert!(
        failures.is_empty(),
        "{} failures, first:\n{}",
        counts.values().map(|c| c.failed.len()).sum::<usize>(),
        failures.join("\n")
    );
}
