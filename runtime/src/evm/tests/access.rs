//! Dynamic gas and static-frame checks of single operations, with the Evm as host.

use super::*;
use crate::ops::{self, CallOperands};
use crate::result::HaltReason;

#[test]
fn account_access_surcharges() {
    let mut state = state_with(&[(0xdd, "PUSH1 1 STOP")]);
    state.insert_account(
        addr(0xdd),
        Account::with_balance(u(9)).with_code(asm("PUSH1 1 STOP")),
    );
    with_frame_and_host(&mut state, SpecId::Cancun, 100_000, |frame, evm| {
        assert_eq!(ops::balance(frame, evm, u(0xdd)).unwrap(), u(9));
        assert_eq!(frame.gas.used(), 2500);
        assert_eq!(ops::extcodesize(frame, evm, u(0xdd)).unwrap(), u(3));
        assert_eq!(frame.gas.used(), 2500, "warm now");
        assert_eq!(ops::extcodehash(frame, evm, u(0xde)).unwrap(), U256::ZERO);
        assert_eq!(frame.gas.used(), 5000);
        // EXTCODECOPY of a cold account: 2500 + memory 3 + copy 3, zero-padded.
        ops::extcodecopy(frame, evm, u(0xdf), U256::ZERO, U256::ZERO, u(32)).unwrap();
        assert_eq!(frame.gas.used(), 5000 + 2506);
        ops::extcodecopy(frame, evm, u(0xdd), U256::ZERO, U256::ZERO, u(32)).unwrap();
        assert_eq!(frame.gas.used(), 7506 + 3);
        assert_eq!(&frame.memory.as_slice()[..4], &[0x60, 0x01, 0x00, 0x00]);
        // SELFBALANCE never pays for access.
        assert_eq!(ops::selfbalance(frame, evm), U256::ZERO);
        assert_eq!(frame.gas.used(), 7509);
    });
}

#[test]
fn log_gas_and_contents() {
    let mut state = state_with(&[]);
    with_frame_and_host(&mut state, SpecId::Cancun, 100_000, |frame, evm| {
        ops::mstore8(frame, U256::ZERO, u(0xab)).unwrap();
        let before = frame.gas.used();
        ops::log(frame, evm, U256::ZERO, u(33), &[u(1), u(2)]).unwrap();
        // One more word of memory (3 + 2*2/512 rounding) and 8 per byte.
        assert_eq!(frame.gas.used() - before, 3 + 33 * 8);
        let logs = evm.state().logs();
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].address, addr(0xcc));
        assert_eq!(logs[0].data.topics().len(), 2);
        assert_eq!(logs[0].data.data.len(), 33);
        assert_eq!(logs[0].data.data[0], 0xab);
        assert_eq!(
            ops::log(frame, evm, U256::ZERO, U256::ZERO, &[U256::ZERO; 5]),
            Err(HaltReason::UndefinedOpcode)
        );
    });
}

#[test]
fn static_frame_rejections_at_the_operation() {
    let mut state = state_with(&[]);
    state.insert_account(addr(0xcc), Account::with_balance(u(5)));
    let env = Env::new(SpecId::Cancun);
    let msg = Message {
        caller: addr(SENDER),
        address: addr(0xcc),
        code_address: addr(0xcc),
        value: U256::ZERO,
        input: &[],
        gas_limit: 1_000_000,
        is_static: true,
        depth: 1,
        is_create: false,
    };
    let code = Bytecode::new(Bytes::from_static(&[0x00]));
    state.begin_transaction();
    let mut evm = Evm::new(&mut state, &env, &TestExecutor, &TestPrecompiles);
    let mut frame = Frame::new(&msg, &code, SpecId::Cancun);
    let z = U256::ZERO;
    let err = Err(HaltReason::StateChangeDuringStaticCall);
    assert_eq!(ops::sstore(&mut frame, &mut evm, z, u(1)), err);
    assert_eq!(ops::tstore(&frame, &mut evm, z, u(1)), err);
    assert_eq!(ops::log(&mut frame, &mut evm, z, z, &[]), err);
    assert_eq!(ops::selfdestruct(&mut frame, &mut evm, u(0xbe)), err);
    assert_eq!(ops::create(&mut frame, &mut evm, z, z, z).map(|_| ()), err);
    assert_eq!(
        ops::create2(&mut frame, &mut evm, z, z, z, z).map(|_| ()),
        err
    );
    let to_be = |value| CallOperands {
        to: u(0xbe),
        value,
        ..CallOperands::default()
    };
    let call_with_value = ops::call(&mut frame, &mut evm, CallKind::Call, &to_be(u(1)));
    assert_eq!(call_with_value.map(|_| ()), err);
    // Allowed: reads, CALL without value, CALLCODE with value (to itself).
    assert_eq!(ops::sload(&mut frame, &mut evm, z), Ok(U256::ZERO));
    assert_eq!(ops::tload(&frame, &mut evm, z), U256::ZERO);
    let ok = ops::call(&mut frame, &mut evm, CallKind::Call, &to_be(z));
    assert_eq!(ok, Ok(true));
    let ok = ops::call(&mut frame, &mut evm, CallKind::CallCode, &to_be(u(1)));
    assert_eq!(ok, Ok(true));
    assert_eq!(evm.state().balance(&addr(0xcc)), u(5));
    assert!(evm.state().logs().is_empty());
}
