//! Workloads that run (almost) no code, so that what they measure is the
//! cost around the code: validation, fees, warm sets, account and code
//! loading, the frame's set-up, the journal and result building.
//!
//! - `tx/transfer`: a plain value transfer to an account without code;
//! - `tx/stop`: a call to a contract whose code is a single STOP.
//!
//! Both are EIP-1559 transactions as a node meets them: a base fee, a
//! priority fee paid to an existing coinbase, and a gas limit a wallet
//! would set (not the built-in contracts' 2^63 - 1).

use super::{Workload, BENCH_SPEC, SENDER};
use alloy_primitives::{address, Address, Bytes, U256};
use cevm_runtime::opcode::op;
use cevm_runtime::state::{Account, State};
use cevm_runtime::tx::{BlobSchedule, Transaction, TxKind, TxType};
use cevm_runtime::{BlockEnv, Env, TxEnv};

/// The account `tx/transfer` pays (an EOA with a balance).
pub const RECIPIENT: Address = address!("2222222222222222222222222222222222222222");

/// The contract `tx/stop` calls; its code is a single STOP.
pub const STOP_CONTRACT: Address = address!("5705705705705705705705705705705705705705");

/// The block's fee recipient (an existing account).
pub const COINBASE: Address = address!("c0ffee000000000000000000000000000000c0ff");

/// One gwei in wei.
const GWEI: u64 = 1_000_000_000;

/// Every overhead workload, in table order.
pub fn overhead_workloads() -> Vec<Workload> {
    vec![transfer_workload(), stop_workload()]
}

/// `tx/transfer`: 1 ether from [`SENDER`] to [`RECIPIENT`], 21,000 gas.
pub fn transfer_workload() -> Workload {
    let mut tx = eip1559(TxKind::Call(RECIPIENT), 21_000);
    tx.value = U256::from(10u64).pow(U256::from(18));
    workload("tx/transfer", tx)
}

/// `tx/stop`: a call without value or data to [`STOP_CONTRACT`].
pub fn stop_workload() -> Workload {
    workload("tx/stop", eip1559(TxKind::Call(STOP_CONTRACT), 50_000))
}

/// An EIP-1559 transaction from [`SENDER`] (nonce 0) paying at most 2 gwei
/// per gas, 1 gwei of it as priority fee.
fn eip1559(kind: TxKind, gas_limit: u64) -> Transaction {
    let mut tx = Transaction::legacy(SENDER, kind, gas_limit);
    tx.tx_type = TxType::DynamicFee;
    tx.max_fee_per_gas = U256::from(2 * GWEI);
    tx.max_priority_fee_per_gas = U256::from(GWEI);
    tx
}

/// `tx` on a block with a 1 gwei base fee, over a pre-state holding the
/// sender, the recipient, the STOP contract and the coinbase.
fn workload(name: &str, tx: Transaction) -> Workload {
    let ether = U256::from(10u64).pow(U256::from(18));
    let mut pre = State::new();
    pre.insert_account(SENDER, Account::with_balance(ether * U256::from(100)));
    pre.insert_account(RECIPIENT, Account::with_balance(ether));
    pre.insert_account(
        STOP_CONTRACT,
        Account::default()
            .with_nonce(1)
            .with_code(Bytes::from_static(&[op::STOP])),
    );
    pre.insert_account(COINBASE, Account::with_balance(ether));
    let schedule = BlobSchedule::for_spec(BENCH_SPEC);
    let basefee = U256::from(GWEI);
    let env = Env {
        spec: BENCH_SPEC,
        chain_id: 1,
        block: BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(1),
            coinbase: COINBASE,
            gas_limit: U256::from(30_000_000u64),
            basefee,
            blob_base_fee: schedule.blob_base_fee(0),
            excess_blob_gas: Some(0),
            ..BlockEnv::default()
        },
        tx: TxEnv {
            origin: SENDER,
            gas_price: tx.effective_gas_price(basefee),
            blob_hashes: Vec::new(),
        },
    };
    Workload {
        name: name.to_string(),
        env,
        schedule,
        pre,
        tx,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cevm_interp::Interpreter;

    #[test]
    fn transfer_moves_the_value_and_pays_the_coinbase() {
        let w = transfer_workload();
        let mut state = w.pre.clone();
        let outcome = w.run_on(&mut state, &Interpreter::new()).unwrap();
        assert!(outcome.status.is_success());
        assert_eq!(outcome.gas_used, 21_000);
        let ether = U256::from(10u64).pow(U256::from(18));
        assert_eq!(state.balance(&RECIPIENT), ether * U256::from(2));
        // The coinbase earns the priority fee (1 gwei per gas).
        assert_eq!(state.balance(&COINBASE), ether + U256::from(21_000 * GWEI));
        // The sender paid the value and 2 gwei per gas (base fee burnt).
        assert_eq!(
            state.balance(&SENDER),
            ether * U256::from(99) - U256::from(21_000 * 2 * GWEI)
        );
        assert_eq!(state.nonce(&SENDER), 1);
    }

    #[test]
    fn stop_runs_the_single_stop() {
        let w = stop_workload();
        assert_eq!(w.code().as_ref(), &[op::STOP]);
        let outcome = w.run(&Interpreter::new()).unwrap();
        assert!(outcome.status.is_success());
        assert_eq!(outcome.gas_used, 21_000);
        assert!(outcome.output.is_empty());
    }
}
