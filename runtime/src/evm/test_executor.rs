//! A minimal interpreter for the runtime's own tests: enough opcodes to
//! drive the ops and the Evm (the real interpreter lives in another crate).

use crate::analysis::JumpTable;
use crate::executor::{Bytecode, Executor};
use crate::frame::{Frame, Stack};
use crate::host::Host;
use crate::message::Message;
use crate::opcode::{info_in, op};
use crate::ops;
use crate::result::{FrameResult, HaltReason, Status, SuccessReason};
use alloy_primitives::{Bytes, U256};

/// Runs code with the opcodes the runtime tests use.
pub struct TestExecutor;

enum End {
    Stop,
    Return(Bytes),
    Revert(Bytes),
    SelfDestruct,
}

impl Executor for TestExecutor {
    fn execute(&self, code: &Bytecode, msg: &Message, host: &mut dyn Host) -> FrameResult {
        let mut frame = Frame::new(msg, code, host.env().spec);
        let mut stack = Stack::new();
        match run(&mut frame, &mut stack, host) {
            Ok(end) => {
                let (status, output) = match end {
                    End::Stop => (Status::Success(SuccessReason::Stop), Bytes::new()),
                    End::Return(b) => (Status::Success(SuccessReason::Return), b),
                    End::SelfDestruct => {
                        (Status::Success(SuccessReason::SelfDestruct), Bytes::new())
                    }
                    End::Revert(b) => (Status::Revert, b),
                };
                FrameResult {
                    status,
                    gas_left: frame.gas.remaining,
                    refund: frame.gas.refunded,
                    output,
                }
            }
            Err(reason) => FrameResult::halt(reason),
        }
    }
}

fn run(frame: &mut Frame, s: &mut Stack, host: &mut dyn Host) -> Result<End, HaltReason> {
    let code = frame.code.bytes.clone();
    let jumps = JumpTable::analyze(&code);
    let spec = frame.spec;
    let mut pc = 0usize;
    while pc < code.len() {
        let opcode = code[pc];
        let info = info_in(opcode, spec).ok_or(HaltReason::UndefinedOpcode)?;
        frame.gas.charge(info.static_gas(spec))?;
        pc += 1;
        match opcode {
            op::STOP => return Ok(End::Stop),
            op::ADD => {
                let (a, b) = (s.pop()?, s.pop()?);
                s.push(a.wrapping_add(b))?;
            }
            op::SUB => {
                let (a, b) = (s.pop()?, s.pop()?);
                s.push(a.wrapping_sub(b))?;
            }
            op::ISZERO => {
                let a = s.pop()?;
                s.push(U256::from(a.is_zero() as u8))?;
            }
            op::POP => {
                s.pop()?;
            }
            op::KECCAK256 => {
                let (o, l) = (s.pop()?, s.pop()?);
                s.push(ops::keccak256_op(frame, o, l)?)?;
            }
            op::ADDRESS => s.push(ops::address(frame))?,
            op::CALLER => s.push(ops::caller(frame))?,
            op::CALLVALUE => s.push(ops::callvalue(frame))?,
            op::CALLDATALOAD => {
                let o = s.pop()?;
                s.push(ops::calldataload(frame, o))?;
            }
            op::CALLDATASIZE => s.push(ops::calldatasize(frame))?,
            op::CALLDATACOPY => {
                let (m, d, l) = (s.pop()?, s.pop()?, s.pop()?);
                ops::calldatacopy(frame, m, d, l)?;
            }
            op::CODECOPY => {
                let (m, d, l) = (s.pop()?, s.pop()?, s.pop()?);
                ops::codecopy(frame, m, d, l)?;
            }
            op::BALANCE => {
                let a = s.pop()?;
                s.push(ops::balance(frame, host, a)?)?;
            }
            op::SELFBALANCE => s.push(ops::selfbalance(frame, host))?,
            op::EXTCODESIZE => {
                let a = s.pop()?;
                s.push(ops::extcodesize(frame, host, a)?)?;
            }
            op::EXTCODEHASH => {
                let a = s.pop()?;
                s.push(ops::extcodehash(frame, host, a)?)?;
            }
            op::RETURNDATASIZE => s.push(ops::returndatasize(frame))?,
            op::RETURNDATACOPY => {
                let (m, d, l) = (s.pop()?, s.pop()?, s.pop()?);
                ops::returndatacopy(frame, m, d, l)?;
            }
            op::MLOAD => {
                let o = s.pop()?;
                s.push(ops::mload(frame, o)?)?;
            }
            op::MSTORE => {
                let (o, v) = (s.pop()?, s.pop()?);
                ops::mstore(frame, o, v)?;
            }
            op::MSTORE8 => {
                let (o, v) = (s.pop()?, s.pop()?);
                ops::mstore8(frame, o, v)?;
            }
            op::SLOAD => {
                let k = s.pop()?;
                s.push(ops::sload(frame, host, k)?)?;
            }
            op::SSTORE => {
                let (k, v) = (s.pop()?, s.pop()?);
                ops::sstore(frame, host, k, v)?;
            }
            op::TLOAD => {
                let k = s.pop()?;
                s.push(ops::tload(frame, host, k))?;
            }
            op::TSTORE => {
                let (k, v) = (s.pop()?, s.pop()?);
                ops::tstore(frame, host, k, v)?;
            }
            op::JUMP | op::JUMPI => {
                let dest = s.pop()?;
                let taken = opcode == op::JUMP || !s.pop()?.is_zero();
                if taken {
                    let d = usize::try_from(dest).unwrap_or(usize::MAX);
                    if !jumps.is_valid(d) {
                        return Err(HaltReason::InvalidJump);
                    }
                    pc = d;
                }
            }
            op::JUMPDEST => {}
            op::GAS => s.push(U256::from(frame.gas.remaining))?,
            op::PUSH0..=op::PUSH32 => {
                let n = (opcode - op::PUSH0) as usize;
                let mut word = [0u8; 32];
                let end = (pc + n).min(code.len());
                word[32 - n..32 - n + (end - pc)].copy_from_slice(&code[pc..end]);
                s.push(U256::from_be_bytes(word))?;
                pc += n;
            }
            op::DUP1..=op::DUP16 => s.dup((opcode - op::DUP1 + 1) as usize)?,
            op::SWAP1..=op::SWAP16 => s.swap((opcode - op::SWAP1 + 1) as usize)?,
            op::LOG0..=op::LOG4 => {
                let (o, l) = (s.pop()?, s.pop()?);
                let mut topics = Vec::new();
                for _ in 0..(opcode - op::LOG0) {
                    topics.push(s.pop()?);
                }
                ops::log(frame, host, o, l, &topics)?;
            }
            op::CREATE => {
                let (v, o, l) = (s.pop()?, s.pop()?, s.pop()?);
                s.push(ops::create(frame, host, v, o, l)?)?;
            }
            op::CREATE2 => {
                let (v, o, l, salt) = (s.pop()?, s.pop()?, s.pop()?, s.pop()?);
                s.push(ops::create2(frame, host, v, o, l, salt)?)?;
            }
            op::CALL | op::CALLCODE | op::DELEGATECALL | op::STATICCALL => {
                let kind = ops::call_kind(opcode).ok_or(HaltReason::UndefinedOpcode)?;
                let operands = ops::CallOperands::pop(kind, s)?;
                s.push(U256::from(ops::call(frame, host, kind, &operands)?))?;
            }
            op::RETURN => {
                let (o, l) = (s.pop()?, s.pop()?);
                return Ok(End::Return(ops::ret(frame, o, l)?));
            }
            op::REVERT => {
                let (o, l) = (s.pop()?, s.pop()?);
                return Ok(End::Revert(ops::revert(frame, o, l)?));
            }
            op::SELFDESTRUCT => {
                let b = s.pop()?;
                ops::selfdestruct(frame, host, b)?;
                return Ok(End::SelfDestruct);
            }
            op::INVALID => return Err(HaltReason::InvalidOpcode),
            _ => return Err(HaltReason::UndefinedOpcode),
        }
    }
    Ok(End::Stop)
}
