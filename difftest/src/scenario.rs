//! A generated test: a few contracts, their pre-state and one transaction,
//! written as an execution-spec-tests state test.
//!
//! The state-test JSON is the single representation that runs: every
//! comparison parses it into `cevm_statetest::model::TestCase` and goes
//! through the same case-building code as `cevm statetest`, so a written
//! reproducer runs exactly what the fuzzer ran.

use crate::program::{hex, Program};
use crate::tx_kind::TxKind;
use alloy_primitives::{Address, B256, U256};
use cevm_runtime::SpecId;
use cevm_statetest::model::TestCase;
use serde_json::{json, Map, Value};

/// The sender of every generated transaction (an EOA).
pub const SENDER: Address = Address::new([
    0xa1, 0x1c, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x5e,
]);

/// The block's fee recipient.
pub const COINBASE: Address = Address::new([
    0xc0, 0x1b, 0xba, 0x5e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/// An account with a balance and no code (a value-transfer and
/// SELFDESTRUCT target that exists).
pub const BYSTANDER: Address = Address::new([
    0xbb, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
]);

/// Most contracts a scenario has.
pub const MAX_CONTRACTS: usize = 4;

/// Gas price of a legacy or EIP-2930 transaction, and the max fee per gas
/// of the others.
pub const GAS_PRICE: u64 = 10;
/// Max priority fee per gas of EIP-1559-style transactions (below the gap
/// between [`GAS_PRICE`] and [`BASE_FEE`], so that the effective price is
/// `BASE_FEE + PRIORITY_FEE`).
pub const PRIORITY_FEE: u64 = 2;
/// Base fee per gas of the block.
pub const BASE_FEE: u64 = 7;
/// The block number (BLOCKHASH can see blocks 0..=NUMBER-1).
pub const BLOCK_NUMBER: u64 = 300;

/// The address of contract `index` (the transaction calls contract 0).
pub fn contract_address(index: usize) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0xc0;
    bytes[1] = 0xde;
    bytes[19] = index as u8;
    Address::new(bytes)
}

/// A contract of the pre-state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractSpec {
    /// The code.
    pub program: Program,
    /// Balance in wei.
    pub balance: U256,
    /// Storage slots set before the transaction (non-zero values).
    pub storage: Vec<(U256, U256)>,
}

/// One generated test: contracts at [`contract_address`]`(i)`, and one
/// transaction from [`SENDER`] (by default a call of contract 0; see
/// [`TxKind`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The contracts; the first is the transaction's target.
    pub contracts: Vec<ContractSpec>,
    /// Transaction gas limit.
    pub gas_limit: u64,
    /// Value sent with the transaction.
    pub value: U256,
    /// Call data (unused by a creation, whose data is the init code).
    pub calldata: Vec<u8>,
    /// The kind of transaction.
    pub kind: TxKind,
    /// The EIP-2930 access list (empty: none).
    pub access_list: Vec<(Address, Vec<B256>)>,
}

/// The expected result written into a reproducer's `post` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostExpectation {
    /// The fork.
    pub spec: SpecId,
    /// State root after the transaction.
    pub state_root: B256,
    /// Logs hash.
    pub logs_hash: B256,
    /// The full post-state (optional, explains a root mismatch).
    pub state: Option<Value>,
}

fn quantity(v: U256) -> String {
    format!("{v:#x}")
}

impl Scenario {
    /// The pre-state section: sender, bystander and contracts.
    fn pre_json(&self) -> Value {
        let mut pre = Map::new();
        pre.insert(
            format!("{SENDER:#x}"),
            json!({
                "balance": quantity(U256::from(10u64).pow(U256::from(24u64))),
                "nonce": "0x00",
                "code": "0x",
                "storage": {}
            }),
        );
        pre.insert(
            format!("{BYSTANDER:#x}"),
            json!({"balance": "0x0de0b6b3a7640000", "nonce": "0x00", "code": "0x", "storage": {}}),
        );
        for (i, c) in self.contracts.iter().enumerate() {
            if i == 0 && self.kind == TxKind::Create {
                continue;
            }
            let storage: Map<String, Value> = c
                .storage
                .iter()
                .filter(|(_, v)| !v.is_zero())
                .map(|(k, v)| (quantity(*k), Value::String(quantity(*v))))
                .collect();
            pre.insert(
                format!("{:#x}", contract_address(i)),
                json!({
                    "balance": quantity(c.balance),
                    "nonce": "0x01",
                    "code": format!("0x{}", hex(&c.program.assemble())),
                    "storage": storage
                }),
            );
        }
        Value::Object(pre)
    }

    /// The transaction section.
    fn transaction_json(&self) -> Value {
        let to = match &self.kind {
            TxKind::Create => String::new(),
            TxKind::SetCode { to, .. } => format!("{to:#x}"),
            TxKind::Call | TxKind::Blob { .. } => format!("{:#x}", contract_address(0)),
        };
        let data = match (&self.kind, self.contracts.first()) {
            (TxKind::Create, Some(init)) => init.program.assemble(),
            (TxKind::Create, None) => Vec::new(),
            _ => self.calldata.clone(),
        };
        let mut tx = json!({
            "nonce": "0x00",
            "gasLimit": [quantity(U256::from(self.gas_limit))],
            "to": to,
            "value": [quantity(self.value)],
            "data": [format!("0x{}", hex(&data))],
            "sender": format!("{SENDER:#x}"),
        });
        let Some(obj) = tx.as_object_mut() else {
            return tx;
        };
        if self.kind.is_dynamic_fee() {
            obj.insert(
                "maxFeePerGas".into(),
                quantity(U256::from(GAS_PRICE)).into(),
            );
            obj.insert(
                "maxPriorityFeePerGas".into(),
                quantity(U256::from(PRIORITY_FEE)).into(),
            );
        } else {
            obj.insert("gasPrice".into(), quantity(U256::from(GAS_PRICE)).into());
        }
        if !self.access_list.is_empty() {
            let list: Vec<Value> = self
                .access_list
                .iter()
                .map(|(address, keys)| {
                    json!({
                        "address": format!("{address:#x}"),
                        "storageKeys": keys.iter().map(|k| format!("{k:#x}")).collect::<Vec<_>>(),
                    })
                })
                .collect();
            obj.insert("accessLists".into(), json!([list]));
        }
        match &self.kind {
            TxKind::Blob {
                hashes,
                max_fee_per_blob_gas,
            } => {
                obj.insert(
                    "maxFeePerBlobGas".into(),
                    quantity(U256::from(*max_fee_per_blob_gas)).into(),
                );
                obj.insert(
                    "blobVersionedHashes".into(),
                    hashes.iter().map(|h| format!("{h:#x}")).collect(),
                );
            }
            TxKind::SetCode { authorizations, .. } => {
                let list: Vec<Value> = authorizations
                    .iter()
                    .map(|spec| {
                        let a = spec.signed();
                        json!({
                            "chainId": quantity(a.chain_id),
                            "address": format!("{:#x}", a.address),
                            "nonce": quantity(a.nonce),
                            "v": quantity(a.y_parity),
                            "r": quantity(a.r),
                            "s": quantity(a.s),
                        })
                    })
                    .collect();
                obj.insert("authorizationList".into(), Value::Array(list));
            }
            TxKind::Call | TxKind::Create => {}
        }
        tx
    }

    /// The test as a state-test case (one JSON object, not yet wrapped in a
    /// file). `post` lists the expected results per fork; for running, the
    /// forks may have placeholder roots.
    pub fn to_json(&self, post: &[PostExpectation], info: Option<Value>) -> Value {
        let mut post_map = Map::new();
        for p in post {
            let mut entry = json!({
                "hash": format!("{:#x}", p.state_root),
                "logs": format!("{:#x}", p.logs_hash),
                "indexes": {"data": 0, "gas": 0, "value": 0},
            });
            if let (Some(state), Some(obj)) = (&p.state, entry.as_object_mut()) {
                obj.insert("state".into(), state.clone());
            }
            if let Some(entries) = post_map
                .entry(p.spec.name().to_string())
                .or_insert_with(|| Value::Array(Vec::new()))
                .as_array_mut()
            {
                entries.push(entry);
            }
        }
        let mut case = json!({
            "env": {
                "currentCoinbase": format!("{COINBASE:#x}"),
                "currentGasLimit": "0x055d4a80",
                "currentNumber": quantity(U256::from(BLOCK_NUMBER)),
                "currentTimestamp": "0x03e8",
                "currentDifficulty": "0x00",
                "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000",
                "currentBaseFee": quantity(U256::from(BASE_FEE)),
                "currentExcessBlobGas": "0x00"
            },
            "pre": self.pre_json(),
            "transaction": self.transaction_json(),
            "post": post_map,
            "config": {"chainid": "0x01"}
        });
        if let (Some(info), Some(obj)) = (info, case.as_object_mut()) {
            obj.insert("_info".into(), info);
        }
        case
    }

    /// The test as the runner's model, with a placeholder post entry for
    /// `spec` (roots are not needed to execute).
    pub fn to_test_case(&self, spec: SpecId) -> Result<TestCase, serde_json::Error> {
        let placeholder = PostExpectation {
            spec,
            state_root: B256::ZERO,
            logs_hash: B256::ZERO,
            state: None,
        };
        serde_json::from_value(self.to_json(&[placeholder], None))
    }

    /// Total number of program items over all contracts (the minimizer's measure).
    pub fn size(&self) -> usize {
        self.contracts.iter().map(|c| c.program.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Item;

    #[test]
    fn round_trips_through_the_runner_model() {
        let scenario = Scenario {
            contracts: vec![ContractSpec {
                program: Program::new(vec![Item::push_u64(1), Item::Op(0x00)]),
                balance: U256::from(5),
                storage: vec![(U256::from(1), U256::from(2))],
            }],
            gas_limit: 100_000,
            value: U256::from(3),
            calldata: vec![0xab],
            kind: TxKind::Call,
            access_list: Vec::new(),
        };
        let case = scenario.to_test_case(SpecId::Prague).unwrap();
        let target = &case.pre[&contract_address(0)];
        assert_eq!(target.code.as_ref(), &[0x60, 0x01, 0x00]);
        assert_eq!(target.storage[&U256::from(1)], U256::from(2));
        assert_eq!(case.transaction.to, Some(contract_address(0)));
        assert_eq!(case.transaction.gas_limit[0], U256::from(100_000));
        assert!(case.post.contains_key("Prague"));
    }

    #[test]
    fn every_transaction_kind_reaches_the_runner_as_its_type() {
        use crate::tx_kind::{authority_address, AuthorizationSpec};
        use cevm_runtime::tx::TxType;
        let base = Scenario {
            contracts: vec![ContractSpec {
                program: Program::new(vec![Item::push_u64(1), Item::Op(0x00)]),
                balance: U256::ZERO,
                storage: Vec::new(),
            }],
            gas_limit: 100_000,
            value: U256::ZERO,
            calldata: vec![0xab],
            kind: TxKind::Call,
            access_list: Vec::new(),
        };
        let tx_of = |s: &Scenario| {
            let case = s.to_test_case(SpecId::Prague).unwrap();
            cevm_statetest::case::transaction(&case, 0, 0, 0).unwrap()
        };
        assert_eq!(tx_of(&base).tx_type, TxType::Legacy);

        let listed = Scenario {
            access_list: vec![(BYSTANDER, vec![B256::ZERO])],
            ..base.clone()
        };
        let tx = tx_of(&listed);
        assert_eq!(tx.tx_type, TxType::AccessList);
        assert_eq!(tx.access_list[0].address, BYSTANDER);

        let create = Scenario {
            kind: TxKind::Create,
            ..base.clone()
        };
        let case = create.to_test_case(SpecId::Prague).unwrap();
        assert!(!case.pre.contains_key(&contract_address(0)));
        let tx = tx_of(&create);
        assert_eq!(tx.kind, cevm_runtime::tx::TxKind::Create);
        assert_eq!(tx.data.as_ref(), &[0x60, 0x01, 0x00]);

        let blob = Scenario {
            kind: TxKind::Blob {
                hashes: vec![B256::repeat_byte(1)],
                max_fee_per_blob_gas: 2,
            },
            ..base.clone()
        };
        let tx = tx_of(&blob);
        assert_eq!(tx.tx_type, TxType::Blob);
        assert_eq!(tx.blob_hashes, vec![B256::repeat_byte(1)]);
        assert_eq!(tx.max_fee_per_gas, U256::from(GAS_PRICE));
        assert_eq!(tx.max_priority_fee_per_gas, U256::from(PRIORITY_FEE));

        let auth = AuthorizationSpec {
            key: 1,
            chain_id: 1,
            delegate: contract_address(0),
            nonce: 0,
        };
        let set_code = Scenario {
            kind: TxKind::SetCode {
                authorizations: vec![auth],
                to: authority_address(1),
            },
            ..base
        };
        let tx = tx_of(&set_code);
        assert_eq!(tx.tx_type, TxType::SetCode);
        assert_eq!(
            tx.kind,
            cevm_runtime::tx::TxKind::Call(authority_address(1))
        );
        assert_eq!(
            cevm_runtime::tx::recover_authority(&tx.authorization_list[0]),
            Some(authority_address(1))
        );
    }
}
