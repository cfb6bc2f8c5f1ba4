//! EIP-3155 traces of nested frames through the real `Evm`: depth, the
//! transaction-wide refund counter and the single summary line.

mod common;

use cevm_interp::{Eip3155Writer, Interpreter};
use cevm_runtime::evm::Evm;
use cevm_runtime::state::Account;
use cevm_runtime::{Bytes, Env, Precompiles, SpecId, U256};
use common::*;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// A `Write` the test reads back after the run.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn nested_frames_are_traced_with_depth_and_refund() {
    // CONTRACT clears slot 0 (refund 4800), then calls OTHER.
    let caller =
        format!("PUSH0 PUSH0 SSTORE PUSH0 PUSH0 PUSH0 PUSH0 PUSH0 PUSH20 {OTHER} GAS CALL STOP");
    let mut state = world(&[(OTHER, "PUSH1 1 POP")]);
    state.insert_account(
        CONTRACT,
        Account::default()
            .with_code(code(&caller))
            .with_nonce(1)
            .with_storage(U256::ZERO, U256::from(1)),
    );
    let buffer = SharedBuffer::default();
    let interpreter = Interpreter::with_tracer(Box::new(Eip3155Writer::new(buffer.clone())));
    let env = Env::new(SpecId::Osaka);
    let precompiles = Precompiles::for_spec(SpecId::Osaka);
    let mut evm = Evm::new(&mut state, &env, &interpreter, &precompiles);
    let outcome = evm.transact_call(CALLER, CONTRACT, U256::ZERO, Bytes::new(), GAS);
    assert!(outcome.result.status.is_success());

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = lines[..lines.len() - 1]
        .iter()
        .map(|l| l["opName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "PUSH0", "PUSH0", "SSTORE", "PUSH0", "PUSH0", "PUSH0", "PUSH0", "PUSH0", "PUSH20",
            "GAS", "CALL", "PUSH1", "POP", "STOP", "STOP"
        ]
    );
    let depths: Vec<u64> = lines[..lines.len() - 1]
        .iter()
        .map(|l| l["depth"].as_u64().unwrap())
        .collect();
    assert_eq!(depths[10..], [1, 2, 2, 2, 1]);
    // The refund from the outer SSTORE shows in the nested frame too.
    assert_eq!(lines[2]["refund"], 0);
    assert_eq!(lines[3]["refund"], 4800);
    assert_eq!(lines[12]["refund"], 4800);
    // gasCost is the whole cost: SSTORE's cold reset (2,100 + 2,900).
    assert_eq!(lines[2]["gasCost"], "0x1388");
    // The callee starts with the gas CALL forwarded.
    let hex = |v: &Value| u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16);
    let callee_gas = hex(&lines[11]["gas"]).unwrap();
    assert!(callee_gas > 9_000_000 && callee_gas < GAS);
    // CALL's cost, as geth reports it: warm-access base and cold surcharge
    // (100 + 2,500) plus the gas it forwards.
    assert_eq!(hex(&lines[10]["gasCost"]).unwrap(), 2_600 + callee_gas);
    // Every other step costs what its `gas` and the next step's differ by.
    for i in [0, 1, 2, 3, 8, 9, 11, 12] {
        let (now, next) = (
            hex(&lines[i]["gas"]).unwrap(),
            hex(&lines[i + 1]["gas"]).unwrap(),
        );
        assert_eq!(hex(&lines[i]["gasCost"]).unwrap(), now - next, "line {i}");
    }

    let summary = lines.last().unwrap();
    assert_eq!(summary["pass"], true);
    assert_eq!(summary["output"], "0x");
    assert_eq!(
        summary["gasUsed"],
        format!("{:#x}", GAS - outcome.result.gas_left)
    );
}
