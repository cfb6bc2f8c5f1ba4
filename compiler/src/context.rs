//! The context compiled code runs with, and the exit codes it returns.
//!
//! Native code gets a pointer to a [`JitContext`] and reads or writes its
//! leading plain fields (gas, memory pointer and length, stack length) at the
//! offsets given here; everything else is only touched by the runtime shims.

use crate::shims::{ShimTable, SHIM_TABLE};
use cevm_runtime::{Bytes, Frame, HaltReason, Host, Message, Status, SuccessReason, U256};

/// Exit and return codes shared by native code and the shims.
///
/// A shim returns [`exit::CONTINUE`] when execution goes on, otherwise the
/// code the compiled function then returns.
pub mod exit {
    /// Keep running (shims only).
    pub const CONTINUE: u32 = 0;
    /// STOP or the end of the code.
    pub const STOP: u32 = 1;
    /// RETURN.
    pub const RETURN: u32 = 2;
    /// REVERT.
    pub const REVERT: u32 = 3;
    /// SELFDESTRUCT.
    pub const SELFDESTRUCT: u32 = 4;
    /// First halt code: `HALT_BASE + index` of the [`super::HALT_REASONS`] entry.
    pub const HALT_BASE: u32 = 16;
}

/// Every halt reason, in the order that defines its exit code.
pub const HALT_REASONS: [HaltReason; 16] = [
    HaltReason::OutOfGas,
    HaltReason::StackUnderflow,
    HaltReason::StackOverflow,
    HaltReason::InvalidJump,
    HaltReason::InvalidOpcode,
    HaltReason::UndefinedOpcode,
    HaltReason::StateChangeDuringStaticCall,
    HaltReason::ReturnDataOutOfBounds,
    HaltReason::CodeSizeLimit,
    HaltReason::InvalidCodePrefix,
    HaltReason::InitcodeSizeLimit,
    HaltReason::CreateCollision,
    HaltReason::CallTooDeep,
    HaltReason::OutOfFunds,
    HaltReason::NonceOverflow,
    HaltReason::PrecompileError,
];

/// The exit code for `reason`.
pub fn halt_code(reason: HaltReason) -> u32 {
    let index = HALT_REASONS.iter().position(|r| *r == reason).unwrap_or(0);
    exit::HALT_BASE + index as u32
}

/// The frame status an exit code stands for; `None` for [`exit::CONTINUE`]
/// or a code no native function produces.
pub fn status_of(code: u32) -> Option<Status> {
    Some(match code {
        exit::STOP => Status::Success(SuccessReason::Stop),
        exit::RETURN => Status::Success(SuccessReason::Return),
        exit::REVERT => Status::Revert,
        exit::SELFDESTRUCT => Status::Success(SuccessReason::SelfDestruct),
        c if c >= exit::HALT_BASE => {
            Status::Halt(*HALT_REASONS.get((c - exit::HALT_BASE) as usize)?)
        }
        _ => return None,
    })
}

/// What a running compiled function and its shims share.
///
/// The fields up to [`JitContext::input_tail`] are read (some written) by
/// native code at the offsets in [`offsets`]; shims copy `gas` into the
/// frame before running an operation and back afterwards, and refresh the
/// memory pointer and length. Native code keeps gas and the stack height in
/// registers and writes them here only where the runtime reads them.
#[repr(C)]
pub struct JitContext<'f, 'a> {
    /// Gas left (kept here rather than in the frame so native code can
    /// reach it), at most `i64::MAX`: native code keeps gas in a signed
    /// counter (see [`JitContext::gas_reserve`]).
    pub gas: u64,
    /// Gas above `i64::MAX` the frame was given (simulations often pass
    /// `u64::MAX`): set aside on entry, added back whenever the runtime
    /// sees the gas (shims, GAS, the frame's end). No frame can burn
    /// 2^63 gas, so the counter never needs it.
    pub gas_reserve: u64,
    /// Base of the frame memory.
    pub mem_ptr: *mut u8,
    /// Bytes of memory the frame has touched: the EVM memory size (MSIZE)
    /// is this rounded up to a word. Native code raises it itself when it
    /// reads or writes past it within `mem_zeroed`, without charging gas:
    /// the runtime charges the expansion when it next sees the gas
    /// ([`JitContext::settle_memory`]), before anything observes it.
    pub mem_end: u64,
    /// Bytes of the memory buffer that exist, zero past the frame memory's
    /// length: native code touches memory up to here without the runtime.
    pub mem_zeroed: u64,
    /// Gas the frame memory's length cost (`3·w + w²/512` for its `w`
    /// words): GAS counts an expansion not charged yet as the cost of
    /// `mem_end` less this.
    pub mem_cost: u64,
    /// Stack height, written by native code at each block exit, before each
    /// shim that reads the stack, and at the end.
    pub stack_len: u64,
    /// Target of a computed jump, on its way to the shared dispatch block.
    pub jump_target: u64,
    /// A runtime call's non-zero return code, on its way to the shared exit block.
    pub exit_code: u32,
    /// The runtime functions native code calls (always [`SHIM_TABLE`]); read
    /// by native code, which calls through it instead of linking to symbols.
    pub shims: *const ShimTable,
    /// The call data (CALLDATALOAD reads it inline where it can).
    pub input_ptr: *const u8,
    /// Bytes of call data (CALLDATASIZE).
    pub input_len: u64,
    /// The frame's message: native code reads CALLVALUE, CALLER and
    /// ADDRESS from it (at [`offsets::MSG_VALUE`], [`offsets::MSG_CALLER`],
    /// [`offsets::MSG_ADDRESS`]) rather than from words copied here when
    /// the frame starts, which most frames never read.
    pub msg: *const Message<'a>,
    /// The call data's last 32 bytes (zero-filled in front when it is
    /// shorter), then 32 zero bytes: CALLDATALOAD reads a word that runs
    /// past the end of the call data from here, already zero-padded.
    pub input_tail: [u8; 64],
    /// Base of the 1024-word stack area.
    pub stack: *mut U256,
    /// The frame (message, code, gas, memory, return data).
    pub frame: &'f mut Frame<'a>,
    /// The host.
    pub host: &'f mut dyn Host,
    /// RETURN/REVERT data.
    pub output: Bytes,
}

impl<'f, 'a> JitContext<'f, 'a> {
    /// A context over `frame` and `host` with the stack at `stack`.
    pub fn new(frame: &'f mut Frame<'a>, host: &'f mut dyn Host, stack: *mut U256) -> Self {
        let remaining = frame.gas.remaining;
        let counter = remaining.min(i64::MAX as u64);
        let mut ctx = JitContext {
            gas: counter,
            gas_reserve: remaining - counter,
            mem_ptr: std::ptr::null_mut(),
            mem_end: 0,
            mem_zeroed: 0,
            mem_cost: 0,
            stack_len: 0,
            jump_target: 0,
            exit_code: exit::CONTINUE,
            shims: &SHIM_TABLE,
            input_ptr: frame.msg.input.as_ptr(),
            input_len: frame.msg.input.len() as u64,
            msg: frame.msg,
            input_tail: input_tail(frame.msg.input),
            stack,
            frame,
            host,
            output: Bytes::new(),
        };
        ctx.refresh_memory();
        ctx
    }

    /// Re-reads the memory base, length and zeroed size after the memory
    /// may have grown (the runtime's view: nothing is left to charge).
    #[inline]
    pub fn refresh_memory(&mut self) {
        let memory = &mut self.frame.memory;
        let len = memory.len() as u64;
        self.mem_end = len;
        self.mem_zeroed = memory.zeroed_len() as u64;
        self.mem_cost = cevm_runtime::frame::memory_cost(len / 32);
        self.mem_ptr = memory.as_mut_ptr();
    }

    /// Re-reads the memory buffer's base and zeroed size after it may have
    /// grown (the length and what native code touched are as they were).
    #[inline]
    pub fn refresh_buffer(&mut self) {
        let memory = &mut self.frame.memory;
        self.mem_zeroed = memory.zeroed_len() as u64;
        self.mem_ptr = memory.as_mut_ptr();
    }

    /// Charges the memory native code touched past the frame memory's
    /// length since the runtime last saw it ([`JitContext::mem_end`]) and
    /// raises the length to cover it. The gas must be in the frame
    /// ([`JitContext::gas_to_frame`]). Out of gas means the frame halts:
    /// the EVM would have halted at the access (nothing observable ran
    /// since: native code settles before anything observes gas).
    #[inline]
    pub fn settle_memory(&mut self) -> Result<(), HaltReason> {
        let frame = &mut *self.frame;
        frame.memory.expand_to(&mut frame.gas, self.mem_end)
    }

    /// The exit code of a frame whose native code returned `code`, after
    /// settling the memory it touched without the runtime: a frame ending
    /// successfully pays for it (or halts out of gas: only STOP can end with
    /// some unpaid, the runtime settles before every other ending), and in
    /// any case the frame memory's length covers every byte native code may
    /// have written, which are zeroed again when its buffer is recycled.
    pub fn finish_memory(&mut self, code: u32) -> u32 {
        let end = self.mem_end;
        if end <= self.frame.memory.len() as u64 {
            return code;
        }
        let mut code = code;
        if !matches!(status_of(code), Some(Status::Halt(_)) | None) {
            self.gas_to_frame();
            match self.settle_memory() {
                Ok(()) => {
                    self.gas_from_frame();
                    return code;
                }
                Err(reason) => code = halt_code(reason),
            }
        }
        self.frame.memory.cover_unpaid(end);
        code
    }

    /// Copies native code's gas counter into the frame.
    #[inline]
    pub fn gas_to_frame(&mut self) {
        self.frame.gas.remaining = self.gas + self.gas_reserve;
    }

    /// Copies the frame's gas counter back for native code.
    #[inline]
    pub fn gas_from_frame(&mut self) {
        // The frame only ever spends gas: what it has left is at most what
        // it was given, so the reserve goes first.
        let remaining = self.frame.gas.remaining;
        let counter = remaining.min(i64::MAX as u64);
        self.gas = counter;
        self.gas_reserve = remaining - counter;
    }

    /// All the gas left: the counter and the reserve.
    #[inline]
    pub fn gas_left(&self) -> u64 {
        self.gas + self.gas_reserve
    }
}

/// [`JitContext::input_tail`] for call data `input`.
#[inline]
fn input_tail(input: &[u8]) -> [u8; 64] {
    let mut tail = [0; 64];
    match input.last_chunk::<32>() {
        // A fixed-size copy (most call data is 32 bytes or more).
        Some(last) => tail[..32].copy_from_slice(last),
        None => tail[32 - input.len()..32].copy_from_slice(input),
    }
    tail
}

/// Byte offsets of the fields native code accesses.
pub mod offsets {
    use super::{JitContext, Message};
    use std::mem::offset_of;

    /// [`JitContext::gas`].
    pub const GAS: i32 = offset_of!(JitContext<'static, 'static>, gas) as i32;
    /// [`JitContext::gas_reserve`].
    pub const GAS_RESERVE: i32 = offset_of!(JitContext<'static, 'static>, gas_reserve) as i32;
    /// [`JitContext::mem_ptr`].
    pub const MEM_PTR: i32 = offset_of!(JitContext<'static, 'static>, mem_ptr) as i32;
    /// [`JitContext::mem_end`].
    pub const MEM_END: i32 = offset_of!(JitContext<'static, 'static>, mem_end) as i32;
    /// [`JitContext::mem_zeroed`].
    pub const MEM_ZEROED: i32 = offset_of!(JitContext<'static, 'static>, mem_zeroed) as i32;
    /// [`JitContext::mem_cost`].
    pub const MEM_COST: i32 = offset_of!(JitContext<'static, 'static>, mem_cost) as i32;
    /// [`JitContext::stack_len`].
    pub const STACK_LEN: i32 = offset_of!(JitContext<'static, 'static>, stack_len) as i32;
    /// [`JitContext::jump_target`].
    pub const JUMP_TARGET: i32 = offset_of!(JitContext<'static, 'static>, jump_target) as i32;
    /// [`JitContext::exit_code`].
    pub const EXIT_CODE: i32 = offset_of!(JitContext<'static, 'static>, exit_code) as i32;
    /// [`JitContext::shims`].
    pub const SHIMS: i32 = offset_of!(JitContext<'static, 'static>, shims) as i32;
    /// [`JitContext::input_ptr`].
    pub const INPUT_PTR: i32 = offset_of!(JitContext<'static, 'static>, input_ptr) as i32;
    /// [`JitContext::input_len`].
    pub const INPUT_LEN: i32 = offset_of!(JitContext<'static, 'static>, input_len) as i32;
    /// [`JitContext::msg`].
    pub const MSG: i32 = offset_of!(JitContext<'static, 'static>, msg) as i32;
    /// [`Message::value`] (CALLVALUE, four limbs).
    pub const MSG_VALUE: i32 = offset_of!(Message<'static>, value) as i32;
    /// [`Message::caller`] (CALLER, 20 bytes big-endian).
    pub const MSG_CALLER: i32 = offset_of!(Message<'static>, caller) as i32;
    /// [`Message::address`] (ADDRESS, 20 bytes big-endian).
    pub const MSG_ADDRESS: i32 = offset_of!(Message<'static>, address) as i32;
    /// [`JitContext::input_tail`].
    pub const INPUT_TAIL: i32 = offset_of!(JitContext<'static, 'static>, input_tail) as i32;
}

/// The signature of a compiled contract: `(context, stack base) -> exit code`.
pub type EntryFn = unsafe extern "C" fn(*mut JitContext<'_, '_>, *mut U256) -> u32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_round_trip() {
        for r in HALT_REASONS {
            assert_eq!(status_of(halt_code(r)), Some(Status::Halt(r)));
        }
        assert_eq!(status_of(exit::CONTINUE), None);
        assert_eq!(status_of(exit::REVERT), Some(Status::Revert));
        assert_eq!(status_of(exit::HALT_BASE + 99), None);
    }
}
