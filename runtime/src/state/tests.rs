use super::*;
use alloy_primitives::{Address, Bytes, Log, LogData, U256};

fn a(n: u8) -> Address {
    Address::with_last_byte(n)
}

fn u(v: u64) -> U256 {
    U256::from(v)
}

fn sample() -> State {
    let mut s = State::new();
    s.insert_account(
        a(1),
        Account::with_balance(u(100))
            .with_nonce(1)
            .with_storage(u(1), u(11)),
    );
    s.insert_account(a(2), Account::default());
    s.begin_transaction();
    s
}

#[test]
fn revert_restores_everything() {
    let mut s = sample();
    s.warm_account(a(1));
    let before_accounts: Vec<_> = {
        let mut v: Vec<_> = s.accounts().map(|(k, v)| (*k, v.clone())).collect();
        v.sort_by_key(|(k, _)| *k);
        v
    };
    let cp = s.checkpoint();
    s.transfer(a(1), a(3), u(40)).unwrap();
    s.increment_nonce(a(1));
    s.set_code(a(2), Bytes::from_static(&[0x00]));
    s.sstore(a(1), u(1), u(0));
    s.sstore(a(1), u(2), u(22));
    s.tstore(a(1), u(5), u(55));
    s.warm_account(a(4));
    s.warm_account(a(1)); // already warm: must stay warm after revert
    s.warm_slot(a(1), u(9));
    s.mark_created(a(3));
    s.touch(a(2));
    s.log(Log {
        address: a(1),
        data: LogData::new_unchecked(vec![], Bytes::new()),
    });
    s.selfdestruct(a(3), a(5), true);
    assert!(s.is_destructed(&a(3)));
    s.create_account(a(9));
    assert!(s.exists(&a(9)));
    s.revert(cp);
    assert!(!s.exists(&a(9)));

    let mut after: Vec<_> = s.accounts().map(|(k, v)| (*k, v.clone())).collect();
    after.sort_by_key(|(k, _)| *k);
    assert_eq!(after, before_accounts);
    assert_eq!(s.tload(&a(1), u(5)), U256::ZERO);
    assert!(s.is_warm(&a(1)));
    assert!(!s.is_warm(&a(4)));
    assert!(!s.is_slot_warm(&a(1), u(9)));
    assert!(!s.is_created_in_tx(&a(3)));
    assert!(!s.is_destructed(&a(3)));
    assert!(!s.is_touched(&a(2)));
    assert!(s.logs().is_empty());
    assert!(!s.exists(&a(3)) && !s.exists(&a(5)));
}

#[test]
fn nested_checkpoints_commit_then_outer_revert() {
    let mut s = sample();
    let outer = s.checkpoint();
    s.sstore(a(1), u(1), u(12));
    let inner = s.checkpoint();
    s.sstore(a(1), u(1), u(13));
    s.commit(inner);
    assert_eq!(s.storage(&a(1), u(1)), u(13));
    let inner2 = s.checkpoint();
    s.sstore(a(1), u(1), u(14));
    s.revert(inner2);
    assert_eq!(s.storage(&a(1), u(1)), u(13));
    s.revert(outer);
    assert_eq!(s.storage(&a(1), u(1)), u(11));
}

#[test]
fn sstore_reports_original_present_new() {
    let mut s = sample();
    let r = s.sstore(a(1), u(1), u(12));
    assert_eq!((r.original, r.present, r.new), (u(11), u(11), u(12)));
    let r = s.sstore(a(1), u(1), u(0));
    assert_eq!((r.original, r.present, r.new), (u(11), u(12), u(0)));
    assert_eq!(s.storage(&a(1), u(1)), u(0));
    // The account keeps the transaction's starting value until it ends.
    assert_eq!(s.account(&a(1)).unwrap().storage[&u(1)], u(11));
    assert_eq!(s.original_storage(&a(1), u(1)), u(11));
    // A reverted write keeps the original.
    let cp = s.checkpoint();
    s.sstore(a(1), u(7), u(1));
    s.revert(cp);
    let r = s.sstore(a(1), u(7), u(2));
    assert_eq!((r.original, r.present), (u(0), u(0)));
    // A new transaction sees the committed value as original.
    s.finish_transaction();
    assert!(!s.account(&a(1)).unwrap().storage.contains_key(&u(1)));
    assert_eq!(s.account(&a(1)).unwrap().storage[&u(7)], u(2));
    s.begin_transaction();
    let r = s.sstore(a(1), u(7), u(3));
    assert_eq!((r.original, r.present), (u(2), u(2)));
}

#[test]
fn transfers_check_balance_and_create_recipient() {
    let mut s = sample();
    assert!(s.transfer(a(1), a(9), u(101)).is_err());
    assert_eq!(s.balance(&a(1)), u(100));
    s.transfer(a(1), a(9), u(0)).unwrap();
    assert!(!s.exists(&a(9)));
    s.transfer(a(1), a(9), u(30)).unwrap();
    assert_eq!(s.balance(&a(9)), u(30));
    s.transfer(a(9), a(9), u(30)).unwrap();
    assert_eq!(s.balance(&a(9)), u(30));
}

#[test]
fn nonce_overflow_is_refused() {
    let mut s = State::new();
    s.insert_account(a(1), Account::default().with_nonce(u64::MAX));
    s.begin_transaction();
    assert_eq!(s.increment_nonce(a(1)), None);
    assert_eq!(s.nonce(&a(1)), u64::MAX);
    s.insert_account(a(2), Account::default().with_nonce(5));
    assert_eq!(s.increment_nonce(a(2)), Some(5));
    assert_eq!(s.nonce(&a(2)), 6);
}

#[test]
fn finish_applies_selfdestructs_only_for_created_accounts() {
    let mut s = sample();
    s.insert_account(
        a(7),
        Account::with_balance(u(5)).with_code(Bytes::from_static(&[0])),
    );
    // Pre-existing account: balance moves, account stays.
    let r = s.selfdestruct(a(7), a(8), true);
    assert!(r.had_value && !r.target_exists && r.target_is_empty && !r.previously_destroyed);
    assert_eq!(s.balance(&a(8)), u(5));
    assert_eq!(s.balance(&a(7)), u(0));
    // Created in this transaction: deleted at the end, balance burnt even to itself.
    s.insert_account(a(6), Account::with_balance(u(3)).with_nonce(1));
    s.mark_created(a(6));
    let r = s.selfdestruct(a(6), a(6), true);
    assert!(r.had_value && r.target_exists && !r.target_is_empty);
    assert_eq!(s.balance(&a(6)), u(0));
    assert!(s.selfdestruct(a(6), a(6), true).previously_destroyed);
    s.finish_transaction();
    assert!(s.exists(&a(7)));
    assert!(!s.exists(&a(6)));
    assert_eq!(s.balance(&a(8)), u(5));
}

#[test]
fn selfdestruct_before_cancun_deletes_every_account() {
    let mut s = sample();
    s.insert_account(
        a(7),
        Account::with_balance(u(5)).with_code(Bytes::from_static(&[0])),
    );
    // Naming itself: the balance is burnt.
    let r = s.selfdestruct(a(7), a(7), false);
    assert!(r.had_value && !r.previously_destroyed);
    assert_eq!(s.balance(&a(7)), u(0));
    assert!(s.selfdestruct(a(7), a(8), false).previously_destroyed);
    s.finish_transaction();
    assert!(!s.exists(&a(7)));
    assert!(!s.exists(&a(8)), "nothing moved, nothing created");
}

#[test]
fn finish_removes_touched_empty_accounts() {
    let mut s = sample();
    s.insert_account(a(3), Account::default());
    s.touch(a(2));
    s.touch(a(1));
    s.finish_transaction();
    assert!(!s.exists(&a(2)), "touched empty account is removed");
    assert!(s.exists(&a(3)), "untouched empty account stays");
    assert!(s.exists(&a(1)));
}

#[test]
fn transient_storage_is_per_transaction() {
    let mut s = sample();
    s.tstore(a(1), u(1), u(2));
    assert_eq!(s.tload(&a(1), u(1)), u(2));
    s.finish_transaction();
    s.begin_transaction();
    assert_eq!(s.tload(&a(1), u(1)), U256::ZERO);
}

#[test]
fn created_account_original_storage_is_zero() {
    let mut s = sample();
    s.mark_created(a(1));
    let r = s.sstore(a(1), u(1), u(5));
    assert_eq!((r.original, r.present), (u(0), u(11)));
}

#[test]
fn slot_record_follows_writes_and_reverts() {
    let mut s = sample();
    // First access: cold, the stored value.
    let load = s.load_slot(a(1), u(1));
    assert_eq!((load.data, load.is_cold), (u(11), true));
    let cp = s.checkpoint();
    let store = s.store_slot(a(1), u(1), u(12));
    assert!(!store.is_cold);
    assert_eq!((store.data.original, store.data.present), (u(11), u(11)));
    assert_eq!(s.load_slot(a(1), u(1)).data, u(12));
    s.revert(cp);
    // The undo reaches the transaction's copy too.
    let load = s.load_slot(a(1), u(1));
    assert_eq!((load.data, load.is_cold), (u(11), false));
    assert_eq!(s.storage(&a(1), u(1)), u(11));

    // A slot first met inside a reverted frame is cold again afterwards,
    // with the same original value.
    let cp = s.checkpoint();
    let store = s.store_slot(a(1), u(4), u(40));
    assert!(store.is_cold);
    s.revert(cp);
    assert!(!s.is_slot_warm(&a(1), u(4)));
    let store = s.store_slot(a(1), u(4), u(41));
    assert!(store.is_cold);
    assert_eq!((store.data.original, store.data.present), (u(0), u(0)));
    assert_eq!(s.storage(&a(1), u(4)), u(41));
}

#[test]
fn replacing_an_account_mid_transaction_drops_its_slot_records() {
    let mut s = sample();
    assert_eq!(s.load_slot(a(1), u(1)).data, u(11));
    s.insert_account(a(1), Account::default().with_storage(u(1), u(99)));
    assert_eq!(s.load_slot(a(1), u(1)).data, u(99));
    s.remove_account(&a(1));
    assert_eq!(s.load_slot(a(1), u(1)).data, u(0));
}

#[test]
fn balance_changes_create_accounts_only_when_needed() {
    let mut s = sample();
    s.add_balance(a(20), u(0));
    s.set_balance(a(21), u(0));
    s.set_nonce(a(22), 0);
    assert!(!s.exists(&a(20)) && !s.exists(&a(21)) && !s.exists(&a(22)));
    assert!(s.sub_balance(a(23), u(1)).is_err());
    assert!(!s.exists(&a(23)));
    let cp = s.checkpoint();
    s.add_balance(a(20), u(5));
    s.set_nonce(a(22), 3);
    assert_eq!((s.balance(&a(20)), s.nonce(&a(22))), (u(5), 3));
    s.revert(cp);
    assert!(!s.exists(&a(20)) && !s.exists(&a(22)));
    let err = s.sub_balance(a(1), u(101)).unwrap_err();
    assert_eq!((err.balance, err.value), (u(100), u(101)));
    assert_eq!(s.balance(&a(1)), u(100));
}

#[test]
fn writes_reach_the_accounts_at_transaction_boundaries() {
    let mut s = sample();
    s.store_slot(a(1), u(2), u(5));
    assert!(s.has_storage(&a(1)));
    // Clearing every non-zero slot is seen before the transaction ends.
    s.store_slot(a(1), u(1), u(0));
    s.store_slot(a(1), u(2), u(0));
    assert!(!s.has_storage(&a(1)));
    s.store_slot(a(2), u(3), u(4));
    assert!(s.has_storage(&a(2)));
    assert!(s.account(&a(2)).unwrap().storage.is_empty());
    // A frame run without finishing its transaction keeps its writes too.
    s.begin_transaction();
    assert_eq!(s.account(&a(2)).unwrap().storage[&u(3)], u(4));
    assert!(s.account(&a(1)).unwrap().storage.is_empty());
    let load = s.load_slot(a(2), u(3));
    assert_eq!((load.data, load.is_cold), (u(4), true));
}
