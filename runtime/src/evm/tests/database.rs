//! The state as a cache over a database: the same results as the in-memory
//! state, each account and slot asked for once, deletions and zeroed slots
//! not read back from the database, changes recorded for the database's
//! owner, and a failing database aborting the transaction untouched.

use super::*;
use crate::database::{AccountInfo, Database, DatabaseError};
use crate::state::{AccountChange, StateChanges};

/// An in-memory state serving as a database, counting the queries and
/// failing those `fail` picks.
struct Recording {
    inner: State,
    accounts_asked: Vec<Address>,
    slots_asked: Vec<(Address, U256)>,
    fail: fn(Address, Option<U256>) -> bool,
}

impl Recording {
    fn new(inner: State) -> Self {
        Recording {
            inner,
            accounts_asked: Vec::new(),
            slots_asked: Vec::new(),
            fail: |_, _| false,
        }
    }
}

impl Database for Recording {
    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DatabaseError> {
        self.accounts_asked.push(address);
        if (self.fail)(address, None) {
            return Err(DatabaseError::msg(format!("account {address} unavailable")));
        }
        self.inner.basic(address)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytes, DatabaseError> {
        self.inner.code_by_hash(code_hash)
    }

    fn storage(&mut self, address: Address, key: U256) -> Result<U256, DatabaseError> {
        self.slots_asked.push((address, key));
        if (self.fail)(address, Some(key)) {
            return Err(DatabaseError::msg(format!("slot {key} unavailable")));
        }
        Database::storage(&mut self.inner, address, key)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DatabaseError> {
        Database::block_hash(&mut self.inner, number)
    }
}

/// Sorted copies of every account, to compare states.
fn snapshot<DB: Database>(state: &State<DB>) -> Vec<(Address, Account)> {
    let mut accounts: Vec<_> = state.accounts().map(|(a, acc)| (*a, acc.clone())).collect();
    accounts.sort_by_key(|(a, _)| *a);
    accounts
}

/// Writes `changes` into the in-memory `state` as a database owner would.
fn commit(state: &mut State, changes: StateChanges) {
    for (
        address,
        AccountChange {
            info,
            storage_reset,
            storage,
        },
    ) in changes
    {
        let Some(info) = info else {
            state.remove_account(&address);
            continue;
        };
        let mut account = match state.account(&address) {
            Some(old) if !storage_reset => old.clone(),
            _ => Account::default(),
        };
        account.balance = info.balance;
        account.nonce = info.nonce;
        account.set_code(info.code.unwrap_or_default());
        for (key, slot) in storage {
            account = account.with_storage(key, slot.present);
        }
        state.insert_account(address, account);
    }
}

/// Slot 1 += 1, slot 2 cleared, 0xbb paid 5 wei, then 0xbb's balance
/// and slot 3 of 0xbb read into slots 4 and 5.
const PROGRAM: &str = "
    PUSH1 1 SLOAD PUSH1 1 ADD PUSH1 1 SSTORE
    PUSH0 PUSH1 2 SSTORE
    PUSH0 PUSH0 PUSH0 PUSH0 PUSH1 5 PUSH1 0xbb GAS CALL POP
    PUSH1 0xbb BALANCE PUSH1 4 SSTORE
    STOP";

fn world() -> State {
    let mut state = state_with(&[]);
    state.insert_account(
        addr(0xcc),
        Account::with_balance(u(100))
            .with_code(asm(PROGRAM))
            .with_storage(u(1), u(41))
            .with_storage(u(2), u(7)),
    );
    state.insert_account(
        addr(0xbb),
        Account::with_balance(u(1)).with_storage(u(3), u(9)),
    );
    state
}

fn run<DB: Database>(state: &mut State<DB>, spec: SpecId) -> Result<CallOutcome, DatabaseError> {
    let env = Env::new(spec);
    let mut evm = Evm::new(state, &env, &TestExecutor, &TestPrecompiles);
    evm.try_transact_call(
        addr(SENDER),
        addr(0xcc),
        U256::ZERO,
        Bytes::new(),
        1_000_000,
    )
}

#[test]
fn a_cache_over_a_database_matches_the_in_memory_state() {
    let mut memory = world();
    let mut cached = State::with_database(Recording::new(world()));
    for _ in 0..2 {
        let expected = run(&mut memory, SpecId::Cancun).unwrap();
        let got = run(&mut cached, SpecId::Cancun).unwrap();
        assert_eq!(got, expected);
    }
    assert_eq!(cached.storage(&addr(0xcc), u(1)), u(43));
    assert_eq!(cached.storage(&addr(0xcc), u(4)), u(11));
    // What the transactions changed, written back, gives the same world.
    let changes = cached.take_changes();
    assert!(cached.take_changes().is_empty(), "taken");
    let mut database = std::mem::replace(&mut cached.database_mut().inner, State::new());
    commit(&mut database, changes);
    assert_eq!(snapshot(&database), snapshot(&memory));
}

#[test]
fn each_account_and_slot_is_asked_for_once() {
    let mut cached = State::with_database(Recording::new(world()));
    run(&mut cached, SpecId::Cancun).unwrap();
    run(&mut cached, SpecId::Cancun).unwrap();
    let db = cached.database();
    let mut accounts = db.accounts_asked.clone();
    accounts.sort();
    accounts.dedup();
    assert_eq!(accounts.len(), db.accounts_asked.len(), "{accounts:?}");
    assert_eq!(
        db.slots_asked.len(),
        3,
        "slots 1, 2 and 4: {:?}",
        db.slots_asked
    );
    // Slot 2 was cleared: the cache knows it is zero without asking.
    assert_eq!(cached.storage(&addr(0xcc), u(2)), U256::ZERO);
}

#[test]
fn a_deleted_account_is_not_read_back() {
    // Before Cancun SELFDESTRUCT deletes any account.
    let mut db = state_with(&[(0xdd, "PUSH1 0xbe SELFDESTRUCT")]);
    db.insert_account(
        addr(0xdd),
        Account::with_balance(u(3))
            .with_code(asm("PUSH1 0xbe SELFDESTRUCT"))
            .with_storage(u(1), u(1)),
    );
    let mut cached = State::with_database(Recording::new(db));
    let env = Env::new(SpecId::Shanghai);
    let mut evm = Evm::new(&mut cached, &env, &TestExecutor, &TestPrecompiles);
    let out = evm
        .try_transact_call(addr(SENDER), addr(0xdd), U256::ZERO, Bytes::new(), 100_000)
        .unwrap();
    assert!(out.result.status.is_success());
    assert!(!cached.exists(&addr(0xdd)));
    cached.load_account(addr(0xdd));
    assert!(!cached.exists(&addr(0xdd)), "not asked again");
    assert_eq!(cached.balance(&addr(0xbe)), u(3));
    let changes = cached.take_changes();
    assert_eq!(changes[&addr(0xdd)].info, None);
    assert!(changes[&addr(0xdd)].storage_reset);
}

#[test]
fn a_failing_database_aborts_the_transaction_and_leaves_the_cache() {
    let mut db = Recording::new(world());
    // Slot 4 is written (and so read) only at the end of the program.
    db.fail = |address, key| address == addr(0xcc) && key == Some(u(4));
    let mut cached = State::with_database(db);
    // Something in the cache already, which must stay.
    cached.load_account(addr(0xbb));
    let before = snapshot(&cached);
    let err = run(&mut cached, SpecId::Cancun).unwrap_err();
    assert_eq!(err.to_string(), "state database: slot 4 unavailable");
    assert_eq!(snapshot(&cached), before);
    assert!(cached.take_changes().is_empty());
    assert!(cached.take_database_error().is_none(), "reported once");

    // Through the transaction entry point too, and the cache still works.
    cached.database_mut().fail = |address, _| address == addr(0xcc);
    let tx = crate::tx::Transaction::legacy(
        addr(SENDER),
        crate::tx::TxKind::Call(addr(0xcc)),
        1_000_000,
    );
    let mut env = Env::new(SpecId::Cancun);
    env.block.gas_limit = u(30_000_000);
    let schedule = crate::tx::BlobSchedule::for_spec(SpecId::Cancun);
    let err = crate::tx::transact(
        &mut cached,
        &env,
        &schedule,
        &tx,
        &TestExecutor,
        &TestPrecompiles,
    )
    .unwrap_err();
    assert!(matches!(err, crate::tx::TxError::Database(_)), "{err}");
    assert_eq!(snapshot(&cached), before);
    cached.database_mut().fail = |_, _| false;
    let mut memory = world();
    assert_eq!(
        run(&mut cached, SpecId::Cancun).unwrap(),
        run(&mut memory, SpecId::Cancun).unwrap()
    );
}

#[test]
fn block_hashes_come_from_the_database() {
    let mut db = State::new();
    db.set_block_hash(99, B256::repeat_byte(9));
    let mut cached = State::with_database(db);
    cached.set_block_hash(98, B256::repeat_byte(8));
    let mut env = Env::new(SpecId::Cancun);
    env.block.number = u(100);
    let mut evm = Evm::new(&mut cached, &env, &TestExecutor, &TestPrecompiles);
    assert_eq!(evm.block_hash(u(99)), B256::repeat_byte(9));
    assert_eq!(evm.block_hash(u(98)), B256::repeat_byte(8));
    assert_eq!(evm.block_hash(u(97)), B256::ZERO);
    assert_eq!(evm.block_hash(u(100)), B256::ZERO, "current block");
}
