//! `cevm t8n` through the command line: inputs from stdin, outputs to
//! stdout as one object, and geth's exit codes with a one-line error for
//! a missing file (11), malformed JSON (10) and an unknown fork (3).

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn t8n(args: &[&str], stdin: &str, dir: &std::path::Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cevm"))
        .arg("t8n")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cevm runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("cevm ends")
}

const SENDER_KEY: &str = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
const SENDER: &str = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";

fn input() -> Value {
    json!({
        "alloc": {
            SENDER: {"balance": "0x10000000000"},
            "0x0000000000000000000000000000000000001000": {"code": "0x4360005500"},
        },
        "env": {
            "currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
            "currentGasLimit": "0x1000000", "currentNumber": "0x5", "currentTimestamp": "0x3e8",
            "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000",
            "currentBaseFee": "0x7", "currentExcessBlobGas": "0x0", "withdrawals": [],
        },
        "txs": [
            {"type": "0x2", "chainId": "0x1", "nonce": "0x0", "maxFeePerGas": "0xa",
             "maxPriorityFeePerGas": "0x1", "gas": "0x30000",
             "to": "0x0000000000000000000000000000000000001000", "value": "0x0", "input": "0x",
             "secretKey": SENDER_KEY},
            {"type": "0x2", "chainId": "0x1", "nonce": "0x7", "maxFeePerGas": "0xa",
             "maxPriorityFeePerGas": "0x1", "gas": "0x30000", "to": null, "value": "0x0",
             "input": "0x", "secretKey": SENDER_KEY},
        ],
    })
}

#[test]
fn runs_a_block_from_stdin_to_stdout() {
    let dir = std::env::temp_dir();
    let stdin_args = [
        "--input.alloc",
        "stdin",
        "--input.env",
        "stdin",
        "--input.txs",
        "stdin",
        "--output.result",
        "stdout",
        "--output.alloc",
        "stdout",
        "--state.fork",
        "Prague",
        "--state.reward",
        "-1",
    ];
    for backend in ["interp", "jit"] {
        let mut args = stdin_args.to_vec();
        args.extend(["--backend", backend]);
        let out = t8n(&args, &input().to_string(), &dir);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        let result = &v["result"];
        // NUMBER stored in slot 0 of the contract.
        let storage = &v["alloc"]["0x0000000000000000000000000000000000001000"]["storage"];
        assert_eq!(storage["0x0"], "0x5", "{v}");
        assert_eq!(v["alloc"][SENDER]["nonce"], "0x1");
        assert_eq!(result["receipts"].as_array().unwrap().len(), 1);
        assert_eq!(result["receipts"][0]["status"], "0x1");
        assert_eq!(result["rejected"][0]["index"], 1);
        for key in [
            "stateRoot",
            "txRoot",
            "receiptsRoot",
            "logsHash",
            "logsBloom",
            "gasUsed",
            "currentBaseFee",
            "currentExcessBlobGas",
            "blobGasUsed",
            "withdrawalsRoot",
            "requestsHash",
        ] {
            assert!(result[key].is_string(), "{key} in {result}");
        }
        assert_eq!(
            result["gasUsed"],
            result["receipts"][0]["cumulativeGasUsed"]
        );
    }
}

#[test]
fn bad_input_gets_one_line_and_geths_exit_code() {
    let dir = std::env::temp_dir().join(format!("cevm-t8n-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.json"), "{").unwrap();
    let cases: [(&[&str], u8, &str); 3] = [
        (&["--input.alloc", "missing.json"], 11, "missing.json"),
        (&["--input.alloc", "bad.json"], 10, "bad.json"),
        (&["--state.fork", "Amsterdam"], 3, "Amsterdam"),
    ];
    for (args, code, names) in cases {
        let out = t8n(args, "", &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code.into()), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert_eq!(stderr.matches(names).count(), 1, "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn other_commands_name_a_missing_path_once() {
    let out = Command::new(env!("CARGO_BIN_EXE_cevm"))
        .args(["bench", "/nonexistent/cevm-x.json"])
        .output()
        .expect("cevm runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(stderr.matches("cevm-x.json").count(), 1, "{stderr}");
}
