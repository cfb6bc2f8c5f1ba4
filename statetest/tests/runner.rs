//! The runner on hand-written fixture files: passing, failing and
//! unreadable cases are each counted as such, under old and new forks.

use cevm_runtime::primitives::{Address, B256, KECCAK256_EMPTY, U256};
use cevm_statetest::roots::{logs_hash, state_root, RootAccount};
use cevm_statetest::{run_file, CaseStatus, FileReport, KnownFailures, RunOptions, Summary};
use std::path::PathBuf;

const SENDER: &str = "0x1111111111111111111111111111111111111111";
const RECIPIENT: &str = "0x2222222222222222222222222222222222222222";
const COINBASE: &str = "0x3333333333333333333333333333333333333333";
const START: u64 = 1_000_000_000;

fn account(balance: u64, nonce: u64) -> RootAccount {
    RootAccount {
        nonce,
        balance: U256::from(balance),
        code_hash: KECCAK256_EMPTY,
        storage: Vec::new(),
    }
}

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

/// The root after a 100-wei transfer at gas price 10 (base fee 7).
fn transfer_root() -> B256 {
    state_root([
        (addr(SENDER), account(START - 21_000 * 10 - 100, 1)),
        (addr(RECIPIENT), account(100, 0)),
        (addr(COINBASE), account(21_000 * 3, 0)),
    ])
}

fn pre_root() -> B256 {
    state_root([(addr(SENDER), account(START, 0))])
}

fn fixture(post: &str) -> String {
    format!(
        r#"{{"transfer": {{
          "env": {{"currentCoinbase": "{COINBASE}", "currentGasLimit": "0x1000000",
                  "currentNumber": "0x01", "currentTimestamp": "0x03e8",
                  "currentDifficulty": "0x00", "currentBaseFee": "0x07",
                  "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000000000",
                  "currentExcessBlobGas": "0x00"}},
          "pre": {{"{SENDER}": {{"nonce": "0x00", "balance": "{START:#x}", "code": "0x", "storage": {{}}}}}},
          "transaction": {{"nonce": "0x00", "gasPrice": "0x0a", "gasLimit": ["0x5208", "0x1000"],
                          "to": "{RECIPIENT}", "value": ["0x64"], "data": ["0x"],
                          "sender": "{SENDER}", "secretKey": "0x01"}},
          "post": {post},
          "config": {{"chainid": "0x01"}}
        }}}}"#
    )
}

fn entry(hash: B256, gas: usize, exception: Option<&str>) -> String {
    let exception = exception
        .map(|e| format!(r#", "expectException": "{e}""#))
        .unwrap_or_default();
    format!(
        r#"{{"hash": "{hash}", "logs": "{}", "indexes": {{"data": 0, "gas": {gas}, "value": 0}}{exception}}}"#,
        logs_hash(&[])
    )
}

fn run(name: &str, text: &str, options: &RunOptions) -> FileReport {
    let dir = std::env::temp_dir().join(format!("cevm-statetest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let report = run_file(&path, &cevm_interp::Interpreter::new(), options);
    std::fs::remove_file(&path).unwrap();
    report
}

fn statuses(report: &FileReport) -> Vec<&CaseStatus> {
    report.cases.iter().map(|c| &c.status).collect()
}

#[test]
fn matching_root_passes_and_wrong_root_fails() {
    let post = format!(
        r#"{{"Cancun": [{}], "Prague": [{}]}}"#,
        entry(transfer_root(), 0, None),
        entry(B256::repeat_byte(1), 0, None)
    );
    let report = run("pass.json", &fixture(&post), &RunOptions::default());
    assert!(report.error.is_none());
    let s = statuses(&report);
    assert_eq!(s[0], &CaseStatus::Passed);
    assert!(matches!(s[1], CaseStatus::Failed(reason) if reason.contains("state root")));
}

#[test]
fn expected_rejection_passes_only_when_rejected() {
    // Gas index 1 is below the intrinsic gas: the transaction is invalid.
    let post = format!(
        r#"{{"Cancun": [{}, {}], "Osaka": [{}]}}"#,
        entry(
            pre_root(),
            1,
            Some("TransactionException.INTRINSIC_GAS_TOO_LOW")
        ),
        entry(pre_root(), 1, None),
        entry(
            pre_root(),
            0,
            Some("TransactionException.INTRINSIC_GAS_TOO_LOW")
        )
    );
    let report = run("reject.json", &fixture(&post), &RunOptions::default());
    let s = statuses(&report);
    assert_eq!(s[0], &CaseStatus::Passed);
    assert!(matches!(s[1], CaseStatus::Failed(r) if r.contains("rejected")));
    assert!(
        matches!(s[2], CaseStatus::Failed(r) if r.contains("expected the transaction to be rejected"))
    );
}

#[test]
fn every_fork_runs_and_fork_option_filters() {
    // Before London there is no base fee: the coinbase gets the whole price.
    let before_london = state_root([
        (addr(SENDER), account(START - 21_000 * 10 - 100, 1)),
        (addr(RECIPIENT), account(100, 0)),
        (addr(COINBASE), account(21_000 * 10, 0)),
    ]);
    let post = format!(
        r#"{{"Frontier": [{}], "Berlin": [{}], "Shanghai": [{}], "Cancun": [{}]}}"#,
        entry(before_london, 0, None),
        entry(before_london, 0, None),
        entry(transfer_root(), 0, None),
        entry(transfer_root(), 0, None)
    );
    let report = run("forks.json", &fixture(&post), &RunOptions::default());
    let mut summary = Summary::default();
    summary.add(&report, &KnownFailures::none());
    for fork in ["Frontier", "Berlin", "Shanghai", "Cancun"] {
        assert_eq!(summary.forks[fork].passed, 1, "{fork}");
    }
    assert_eq!(summary.skipped(), 0);
    let only_prague = RunOptions {
        fork: Some(cevm_runtime::SpecId::Prague),
        filter: None,
    };
    assert!(run("forks2.json", &fixture(&post), &only_prague)
        .cases
        .is_empty());
    let filtered = RunOptions {
        fork: None,
        filter: Some("no-such-test".into()),
    };
    assert!(run("forks3.json", &fixture(&post), &filtered)
        .cases
        .is_empty());
}

#[test]
fn bigint_numbers_make_rejected_transactions() {
    // Value 1 is 2^264, written in the `0x:bigint` notation: the transaction
    // cannot be encoded, so it is rejected and the state stays as it was.
    let reject = |hash: B256, exception: &str| {
        format!(
            r#"{{"hash": "{hash}", "logs": "{}", "indexes": {{"data": 0, "gas": 0, "value": 1}}{exception}}}"#,
            logs_hash(&[])
        )
    };
    let post = format!(
        r#"{{"Berlin": [{}, {}], "Cancun": [{}]}}"#,
        reject(pre_root(), r#", "expectException": "TR_RLP_WRONGVALUE""#),
        reject(pre_root(), ""),
        entry(transfer_root(), 0, None)
    );
    let text = fixture(&post).replace(
        r#""value": ["0x64"]"#,
        r#""value": ["0x64", "0x:bigint 0x01000000000000000000000000000000000000000000000000000000000000000000"]"#,
    );
    let report = run("bigint.json", &text, &RunOptions::default());
    assert!(report.error.is_none(), "{:?}", report.error);
    let s = statuses(&report);
    assert_eq!(s[0], &CaseStatus::Passed);
    assert!(matches!(s[1], CaseStatus::Failed(r) if r.contains("bigint")));
    assert_eq!(s[2], &CaseStatus::Passed);
}

#[test]
fn bad_files_and_bad_cases_are_errors_not_panics() {
    let report = run("malformed.json", "{\"t\": [", &RunOptions::default());
    assert!(report.error.as_deref().unwrap().contains("cannot parse"));

    let post = format!(r#"{{"Amsterdam": [{}]}}"#, entry(pre_root(), 0, None));
    let report = run("fork.json", &fixture(&post), &RunOptions::default());
    assert!(report.error.as_deref().unwrap().contains("unknown fork"));

    let bad_hex = fixture(&format!(
        r#"{{"Cancun": [{}]}}"#,
        entry(pre_root(), 0, None)
    ))
    .replace(r#""data": ["0x"]"#, r#""data": ["0xzz"]"#);
    let report = run("hex.json", &bad_hex, &RunOptions::default());
    assert!(report.error.is_some());

    let post = format!(r#"{{"Cancun": [{}]}}"#, entry(pre_root(), 7, None));
    let report = run("index.json", &fixture(&post), &RunOptions::default());
    assert!(matches!(statuses(&report)[0], CaseStatus::Failed(r) if r.contains("out of range")));

    let mut summary = Summary::default();
    summary.add(
        &run("malformed2.json", "[]", &RunOptions::default()),
        &KnownFailures::none(),
    );
    assert_eq!(summary.failed(), 1);
    assert_eq!(summary.unexpected_failures().count(), 1);
}
