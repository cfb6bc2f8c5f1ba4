//! Instruction semantics, one module per family (as revm's
//! `interpreter/instructions`).
//!
//! Arithmetic, bitwise, stack and control-flow semantics are written here,
//! independently of the compiler. Families that touch memory, the
//! environment, state or nested frames pop their operands here and call the
//! shared [`cevm_runtime::ops`].
//!
//! When a family's `execute` runs, the loop has already checked the stack
//! against the opcode table and charged the static gas.

pub(crate) mod arithmetic;
pub(crate) mod bitwise;
pub(crate) mod control;
pub(crate) mod environment;
pub(crate) mod log;
pub(crate) mod memory;
pub(crate) mod stack;
pub(crate) mod storage;
pub(crate) mod system;

use cevm_runtime::opcode::{op, OpInfo};
use cevm_runtime::{Bytes, Frame, HaltReason, Host, JumpTable, Stack, Status};
use std::sync::Arc;

/// A running frame as the interpreter holds it.
pub(crate) struct Machine<'a> {
    /// Message, code, gas, memory and return data (shared with the runtime's ops).
    pub frame: Frame<'a>,
    /// The code's bytes (the same as `frame.code`'s, one indirection closer).
    pub code: &'a [u8],
    /// The operand stack.
    pub stack: Stack,
    /// Offset of the instruction executing.
    pub pc: usize,
    /// Valid jump destinations of the code (shared by every frame running it).
    pub jumps: Arc<JumpTable>,
    /// RETURN/REVERT data, set by the instruction that ends the frame.
    pub output: Bytes,
}

/// Where execution goes after an instruction.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Control {
    /// To the next instruction.
    Continue,
    /// To [`Machine::pc`], which the jump set (to an offset already
    /// checked to be a JUMPDEST).
    Jumped,
    /// The frame ends normally (STOP, RETURN, REVERT, SELFDESTRUCT); its
    /// output, if any, is in [`Machine::output`].
    Exit(Status),
}

/// Executes `opcode`, whose table entry is `info`.
///
/// The dispatch reads the opcode byte as fetched rather than `info.code`
/// (the same value): the jump then does not wait for the table entry.
#[inline(always)]
pub(crate) fn execute(
    m: &mut Machine<'_>,
    host: &mut dyn Host,
    opcode: u8,
    info: &OpInfo,
) -> Result<Control, HaltReason> {
    match opcode {
        op::ADD..=op::SIGNEXTEND | op::CLZ => arithmetic::execute(m, opcode),
        op::LT..=op::SAR => bitwise::execute(m, opcode),
        op::POP | op::PUSH0..=op::SWAP16 => stack::execute(m, opcode, info),
        op::STOP | op::JUMP | op::JUMPI | op::PC | op::GAS | op::JUMPDEST | op::INVALID => {
            control::execute(m, opcode)
        }
        op::KECCAK256 | op::MLOAD | op::MSTORE | op::MSTORE8 | op::MSIZE | op::MCOPY => {
            memory::execute(m, opcode)
        }
        op::ADDRESS..=op::BLOBBASEFEE => environment::execute(m, host, opcode),
        op::SLOAD | op::SSTORE | op::TLOAD | op::TSTORE => storage::execute(m, host, opcode),
        op::LOG0..=op::LOG4 => log::execute(m, host, info),
        op::CREATE..=op::SELFDESTRUCT => system::execute(m, host, opcode),
        // Bytes the table does not define never get here (the loop halts on
        // them first); this arm keeps the match total without a panic.
        _ => Err(HaltReason::UndefinedOpcode),
    }
}
