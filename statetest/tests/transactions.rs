//! Transaction execution rules on hand-written cases, run on the reference
//! interpreter: fees, refunds and their cap, the EIP-7623 floor, rejection,
//! reverts, creation, EIP-7702 authorizations and blob fees.

use cevm_interp::Interpreter;
use cevm_runtime::primitives::{keccak256, Address, Bytes, B256, U256};
use cevm_runtime::state::{Account, State};
use cevm_runtime::tx::{
    transact, Authorization, BlobSchedule, InvalidTransaction, Transaction, TxError, TxKind,
    TxOutcome, TxType,
};
use cevm_runtime::{Env, Precompiles, SpecId, Status};

const SENDER: Address = Address::repeat_byte(0x11);
const CONTRACT: Address = Address::repeat_byte(0xcc);
const COINBASE: Address = Address::repeat_byte(0xc0);
const BASE_FEE: u64 = 7;
const ETHER: u64 = 1_000_000_000_000_000_000;

fn state_with(code: &[u8]) -> State {
    let mut state = State::new();
    state.insert_account(SENDER, Account::with_balance(U256::from(ETHER)));
    if !code.is_empty() {
        state.insert_account(
            CONTRACT,
            Account::default().with_code(Bytes::copy_from_slice(code)),
        );
    }
    state
}

fn call(gas_limit: u64, price: u64) -> Transaction {
    let mut tx = Transaction::legacy(SENDER, TxKind::Call(CONTRACT), gas_limit);
    tx.max_fee_per_gas = U256::from(price);
    tx.max_priority_fee_per_gas = U256::from(price);
    tx
}

fn run(state: &mut State, spec: SpecId, tx: &Transaction) -> Result<TxOutcome, InvalidTransaction> {
    let schedule = BlobSchedule::for_spec(spec);
    let mut env = Env::new(spec);
    env.block.gas_limit = U256::from(30_000_000u64);
    env.block.basefee = U256::from(BASE_FEE);
    env.block.coinbase = COINBASE;
    env.block.blob_base_fee = schedule.blob_base_fee(0);
    env.tx.origin = tx.caller;
    env.tx.gas_price = tx.effective_gas_price(env.block.basefee);
    env.tx.blob_hashes = tx.blob_hashes.clone();
    let precompiles = Precompiles::for_spec(spec);
    transact(
        state,
        &env,
        &schedule,
        tx,
        &Interpreter::new(),
        &precompiles,
    )
    .map_err(|e| match e {
        TxError::Invalid(invalid) => invalid,
        TxError::Database(e) => panic!("the in-memory state has no database: {e}"),
    })
}

fn balance(state: &State, address: Address) -> U256 {
    state.balance(&address)
}

#[test]
fn value_transfer_pays_gas_and_priority_fee() {
    let mut state = state_with(&[]);
    let mut tx = call(50_000, 10);
    tx.value = U256::from(1000);
    let out = run(&mut state, SpecId::Cancun, &tx).unwrap();
    assert_eq!(
        out.status,
        Status::Success(cevm_runtime::SuccessReason::Stop)
    );
    assert_eq!(out.gas_used, 21_000);
    assert_eq!(
        balance(&state, SENDER),
        U256::from(ETHER - 21_000 * 10 - 1000)
    );
    assert_eq!(balance(&state, CONTRACT), U256::from(1000));
    // Only the priority part (10 - 7) goes to the coinbase; the base fee is burnt.
    assert_eq!(balance(&state, COINBASE), U256::from(21_000 * 3));
    assert_eq!(state.nonce(&SENDER), 1);
}

#[test]
fn refund_is_capped_at_a_fifth_of_gas_used() {
    // Clears ten non-zero slots: each SSTORE costs 5000 (cold) and earns 4800.
    let mut code = Vec::new();
    for slot in 0..10u8 {
        code.extend_from_slice(&[0x60, 0x00, 0x60, slot, 0x55]);
    }
    code.push(0x00);
    let mut state = state_with(&code);
    let mut contract = Account::default().with_code(Bytes::from(code));
    for slot in 0..10u64 {
        contract = contract.with_storage(U256::from(slot), U256::from(1));
    }
    state.insert_account(CONTRACT, contract);
    let out = run(&mut state, SpecId::Cancun, &call(200_000, BASE_FEE)).unwrap();
    let used_before_refund = 21_000 + 10 * (3 + 3 + 5000);
    assert_eq!(out.gas_refunded, used_before_refund / 5);
    assert_eq!(out.gas_used, used_before_refund - used_before_refund / 5);
    assert_eq!(state.storage(&CONTRACT, U256::from(3)), U256::ZERO);
}

#[test]
fn calldata_floor_from_prague() {
    let mut tx = call(30_000, BASE_FEE);
    tx.kind = TxKind::Call(Address::repeat_byte(0x77));
    tx.data = Bytes::from(vec![1u8; 100]);
    let cancun = run(&mut state_with(&[]), SpecId::Cancun, &tx).unwrap();
    assert_eq!(cancun.gas_used, 21_000 + 100 * 16);
    let prague = run(&mut state_with(&[]), SpecId::Prague, &tx).unwrap();
    assert_eq!(prague.gas_used, 21_000 + 10 * 400);
}

#[test]
fn rejected_transaction_changes_nothing() {
    let mut state = state_with(&[0x00]);
    let before: Vec<_> = {
        let mut v: Vec<_> = state.accounts().map(|(a, acc)| (*a, acc.clone())).collect();
        v.sort_by_key(|(a, _)| *a);
        v
    };
    let mut tx = call(50_000, 10);
    tx.nonce = 3;
    assert!(matches!(
        run(&mut state, SpecId::Prague, &tx),
        Err(InvalidTransaction::NonceMismatch { tx: 3, state: 0 })
    ));
    let mut after: Vec<_> = state.accounts().map(|(a, acc)| (*a, acc.clone())).collect();
    after.sort_by_key(|(a, _)| *a);
    assert_eq!(before, after);
}

#[test]
fn revert_keeps_the_fee_and_the_nonce_but_not_the_value() {
    // PUSH1 0 PUSH1 0 REVERT
    let mut state = state_with(&[0x60, 0x00, 0x60, 0x00, 0xfd]);
    let mut tx = call(50_000, BASE_FEE);
    tx.value = U256::from(5);
    let out = run(&mut state, SpecId::Osaka, &tx).unwrap();
    assert_eq!(out.status, Status::Revert);
    assert_eq!(out.gas_used, 21_006);
    assert_eq!(balance(&state, CONTRACT), U256::ZERO);
    assert_eq!(
        balance(&state, SENDER),
        U256::from(ETHER - 21_006 * BASE_FEE)
    );
    assert_eq!(state.nonce(&SENDER), 1);
    // Zero priority fee: the absent coinbase is not created.
    assert!(!state.exists(&COINBASE));
}

#[test]
fn creation_deploys_at_the_sender_nonce_address() {
    // Init code: MSTORE8(0, 0x42); RETURN(0, 1).
    let init = [0x60, 0x42, 0x60, 0x00, 0x53, 0x60, 0x01, 0x60, 0x00, 0xf3];
    let mut state = state_with(&[]);
    let mut tx = call(100_000, BASE_FEE);
    tx.kind = TxKind::Create;
    tx.data = Bytes::copy_from_slice(&init);
    let out = run(&mut state, SpecId::Cancun, &tx).unwrap();
    let address = SENDER.create(0);
    assert_eq!(out.created_address, Some(address));
    let account = state.account(&address).expect("created");
    assert_eq!(account.code.as_ref(), &[0x42]);
    assert_eq!(account.nonce, 1);
    // 53000 + data (8 non-zero, 2 zero bytes) + 2 (one init-code word)
    // + 4 PUSH1 + MSTORE8 with one word of memory + 200 per deployed byte.
    assert_eq!(
        out.gas_used,
        53_000 + 8 * 16 + 2 * 4 + 2 + 4 * 3 + (3 + 3) + 200
    );
}

fn sign(key: &k256::ecdsa::SigningKey, mut auth: Authorization) -> Authorization {
    let mut payload = Vec::new();
    alloy_rlp::Encodable::encode(&auth.chain_id, &mut payload);
    alloy_rlp::Encodable::encode(&auth.address, &mut payload);
    alloy_rlp::Encodable::encode(&auth.nonce, &mut payload);
    let mut msg = vec![0x05];
    alloy_rlp::Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut msg);
    msg.extend_from_slice(&payload);
    let (sig, recid) = key
        .sign_prehash_recoverable(keccak256(&msg).as_slice())
        .unwrap();
    let bytes = sig.to_bytes();
    auth.r = U256::from_be_slice(&bytes[..32]);
    auth.s = U256::from_be_slice(&bytes[32..]);
    auth.y_parity = U256::from(recid.to_byte());
    auth
}

fn address_of(key: &k256::ecdsa::SigningKey) -> Address {
    let point = key.verifying_key().to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

#[test]
fn set_code_transaction_delegates_and_runs_the_delegate() {
    let key = k256::ecdsa::SigningKey::from_slice(&[0x24; 32]).unwrap();
    let authority = address_of(&key);
    // The delegate stores 1 at slot 0 of whoever runs it.
    let delegate = Address::repeat_byte(0xde);
    let mut state = state_with(&[]);
    state.insert_account(
        delegate,
        Account::default().with_code(Bytes::from_static(&[0x60, 0x01, 0x60, 0x00, 0x55, 0x00])),
    );
    state.insert_account(authority, Account::with_balance(U256::from(1)));
    let good = sign(
        &key,
        Authorization {
            chain_id: U256::from(1),
            address: delegate,
            nonce: U256::ZERO,
            ..Default::default()
        },
    );
    // Wrong chain: skipped.
    let other_chain = sign(
        &key,
        Authorization {
            chain_id: U256::from(5),
            address: CONTRACT,
            nonce: U256::from(1),
            ..Default::default()
        },
    );
    let mut tx = call(200_000, BASE_FEE);
    tx.tx_type = TxType::SetCode;
    tx.kind = TxKind::Call(authority);
    tx.authorization_list = vec![good, other_chain];
    let out = run(&mut state, SpecId::Prague, &tx).unwrap();
    assert!(out.status.is_success());
    let account = state.account(&authority).unwrap();
    let mut designator = vec![0xef, 0x01, 0x00];
    designator.extend_from_slice(delegate.as_slice());
    assert_eq!(account.code.as_ref(), designator.as_slice());
    assert_eq!(account.nonce, 1);
    assert_eq!(state.storage(&authority, U256::ZERO), U256::from(1));
    // Intrinsic 21000 + 2 * 25000, then PUSH1, PUSH1 and a cold 0 -> 1
    // SSTORE; the existing authority refunds 12500 (below the cap).
    let executed = 21_000 + 2 * 25_000 + 3 + 3 + 22_100;
    assert_eq!(out.gas_refunded, 12_500);
    assert_eq!(out.gas_used, executed - 12_500);
    // The same transaction is invalid before Prague.
    let mut state = state_with(&[]);
    assert_eq!(
        run(&mut state, SpecId::Cancun, &tx).unwrap_err(),
        InvalidTransaction::TypeNotSupported(4)
    );
}

#[test]
fn blob_fee_is_burnt_up_front() {
    let mut state = state_with(&[]);
    let mut tx = call(21_000, 10);
    tx.tx_type = TxType::Blob;
    tx.kind = TxKind::Call(Address::repeat_byte(0x77));
    tx.max_priority_fee_per_gas = U256::from(1);
    tx.max_fee_per_blob_gas = U256::from(5);
    let mut hash = B256::ZERO;
    hash.0[0] = 1;
    tx.blob_hashes = vec![hash];
    let out = run(&mut state, SpecId::Cancun, &tx).unwrap();
    assert_eq!(out.gas_used, 21_000);
    // Price = min(10, 7 + 1) = 8; blob base fee 1 per blob gas.
    assert_eq!(
        balance(&state, SENDER),
        U256::from(ETHER - 21_000 * 8 - 131_072)
    );
    assert_eq!(balance(&state, COINBASE), U256::from(21_000));
}
