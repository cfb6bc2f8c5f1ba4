//! A generated test: a few contracts, their pre-state and one transaction,
//! written as an execution-spec-tests state test.
//!
//! The state-test JSON is the single representation that runs: every
//! comparison parses it into `cevm_statetest::model::TestCase` and goes
//! through the same case-building code as `cevm statetest`, so a written
//! reproducer runs exactly what the fuzzer ran.

use crate::program::{hex, Program};
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

/// Gas price of the transaction and base fee of the block.
pub const GAS_PRICE: u64 = 10;
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

/// One generated test: contracts at [`contract_address`]`(i)`, and a call from
/// [`SENDER`] to contract 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The contracts; the first is the transaction's target.
    pub contracts: Vec<ContractSpec>,
    /// Transaction gas limit.
    pub gas_limit: u64,
    /// Value sent with the transaction.
    pub value: U256,
    /// Call data.
    pub calldata: Vec<u8>,
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
            "transaction": {
                "nonce": "0x00",
                "gasPrice": quantity(U256::from(GAS_PRICE)),
                "gasLimit": [quantity(U256::from(self.gas_limit))],
                "to": format!("{:#x}", contract_address(0)),
                "value": [quantity(self.value)],
                "data": [format!("0x{}", hex(&self.calldata))],
                "sender": format!("{SENDER:#x}"),
            },
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
        };
        let case = scenario.to_test_case(SpecId::Prague).unwrap();
        let target = &case.pre[&contract_address(0)];
        assert_eq!(target.code.as_ref(), &[0x60, 0x01, 0x00]);
        assert_eq!(target.storage[&U256::from(1)], U256::from(2));
        assert_eq!(case.transaction.to, Some(contract_address(0)));
        assert_eq!(case.transaction.gas_limit[0], U256::from(100_000));
        assert!(case.post.contains_key("Prague"));
    }
}
