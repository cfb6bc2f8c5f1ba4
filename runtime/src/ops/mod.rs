//! Semantics of the opcodes that touch memory, the environment, state or
//! nested frames, shared by the interpreter and (through `extern "C"` shims)
//! by compiled code.
//!
//! Conventions: operands are passed by value in stack order (top first);
//! each operation charges only its dynamic gas (memory expansion, copies,
//! cold surcharges, SSTORE, CALL extras): the backend charges the opcode's
//! static gas from [`crate::opcode`] before calling. Failures are returned as
//! [`HaltReason`](crate::result::HaltReason), never panics.

pub mod environment;
pub mod log;
pub mod memory;
pub mod storage;
pub mod system;

pub use environment::{
    address, address_to_word, balance, basefee, blobbasefee, blobhash, blockhash, calldatacopy,
    calldataload, calldatasize, caller, callvalue, chainid, codecopy, codesize, coinbase,
    extcodecopy, extcodehash, extcodesize, gaslimit, gasprice, number, origin, prevrandao,
    returndatacopy, returndatasize, selfbalance, timestamp, to_address,
};
pub use log::log;
pub use memory::{keccak256_op, mcopy, mload, msize, mstore, mstore8};
pub use storage::{sload, sstore, tload, tstore};
pub use system::{call, call_kind, create, create2, ret, revert, selfdestruct, CallOperands};

#[cfg(test)]
pub(crate) mod test_util {
    use crate::executor::Bytecode;
    use crate::frame::Frame;
    use crate::message::Message;
    use crate::spec::SpecId;
    use alloy_primitives::{Address, Bytes, U256};

    /// A plain call message to `0x..cc` from `0x..11` with `gas` and `input`.
    pub fn message(gas: u64, input: &[u8]) -> Message<'_> {
        Message {
            caller: Address::with_last_byte(0x11),
            address: Address::with_last_byte(0xcc),
            code_address: Address::with_last_byte(0xcc),
            value: U256::ZERO,
            input,
            gas_limit: gas,
            is_static: false,
            depth: 0,
            is_create: false,
        }
    }

    /// Runs `f` on a fresh frame with `gas` and the given call data.
    pub fn with_frame_input<R>(input: &[u8], gas: u64, f: impl FnOnce(&mut Frame) -> R) -> R {
        let msg = message(gas, input);
        let code = Bytecode::new(Bytes::from_static(&[0x60, 0x01, 0x60, 0x02, 0x01, 0x00]));
        let mut frame = Frame::new(&msg, &code, SpecId::Cancun);
        f(&mut frame)
    }

    /// Runs `f` on a fresh frame with `gas` and no call data.
    pub fn with_frame<R>(gas: u64, f: impl FnOnce(&mut Frame) -> R) -> R {
        with_frame_input(&[], gas, f)
    }
}
