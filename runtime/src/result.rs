//! How a frame ends.

use alloy_primitives::Bytes;

/// Why a frame ended successfully.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SuccessReason {
    /// STOP, or running off the end of the code.
    Stop,
    /// RETURN.
    Return,
    /// SELFDESTRUCT.
    SelfDestruct,
}

/// Why a frame halted exceptionally (all its gas is consumed unless noted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum HaltReason {
    /// Not enough gas for the next step.
    #[error("out of gas")]
    OutOfGas,
    /// An instruction needed more stack items than there were.
    #[error("stack underflow")]
    StackUnderflow,
    /// The stack would exceed 1024 items.
    #[error("stack overflow")]
    StackOverflow,
    /// JUMP or JUMPI to a byte that is not a JUMPDEST.
    #[error("invalid jump destination")]
    InvalidJump,
    /// The designated INVALID instruction (0xfe).
    #[error("invalid instruction")]
    InvalidOpcode,
    /// A byte that is not an instruction in this fork.
    #[error("undefined instruction")]
    UndefinedOpcode,
    /// A state change (SSTORE, TSTORE, LOG, CREATE, SELFDESTRUCT, value CALL) in a static frame.
    #[error("state change in a static call")]
    StateChangeDuringStaticCall,
    /// RETURNDATACOPY read past the end of the return data.
    #[error("return data out of bounds")]
    ReturnDataOutOfBounds,
    /// Created code is larger than the EIP-170 limit.
    #[error("created code exceeds the size limit")]
    CodeSizeLimit,
    /// Created code starts with 0xEF (EIP-3541).
    #[error("created code starts with 0xEF")]
    InvalidCodePrefix,
    /// CREATE/CREATE2 init code is larger than the EIP-3860 limit.
    #[error("init code exceeds the size limit")]
    InitcodeSizeLimit,
    /// CREATE/CREATE2 to an address that already has code or a nonce.
    #[error("contract address collision")]
    CreateCollision,
    /// A call or create beyond depth 1024 (gas is returned, not consumed).
    #[error("call depth exceeded")]
    CallTooDeep,
    /// A transfer larger than the sender's balance (gas is returned, not consumed).
    #[error("insufficient balance for transfer")]
    OutOfFunds,
    /// The creator's nonce is at its maximum (gas is returned, not consumed).
    #[error("nonce overflow")]
    NonceOverflow,
    /// A precompile rejected its input.
    #[error("precompile failure")]
    PrecompileError,
}

/// The outcome of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The frame succeeded; its state changes stand.
    Success(SuccessReason),
    /// REVERT: state changes undone, remaining gas returned, output is the revert data.
    Revert,
    /// Exceptional halt: state changes undone.
    Halt(HaltReason),
}

impl Status {
    /// Whether the frame's state changes are kept.
    #[inline]
    pub fn is_success(self) -> bool {
        matches!(self, Status::Success(_))
    }

    /// A short stable name, as printed by the CLI (`"success"`, `"revert"`, `"out of gas"`, ...).
    pub fn describe(self) -> String {
        match self {
            Status::Success(_) => "success".into(),
            Status::Revert => "revert".into(),
            Status::Halt(r) => r.to_string(),
        }
    }
}

/// What a finished frame hands back to its caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameResult {
    /// How the frame ended.
    pub status: Status,
    /// Gas not used (zero after an exceptional halt that consumes all gas).
    pub gas_left: u64,
    /// Net refund counter change made by the frame (EIP-3529), zero unless it succeeded.
    pub refund: i64,
    /// RETURN or REVERT data (for a create, the deployed code on success).
    pub output: Bytes,
}

impl FrameResult {
    /// A result that ends the frame with `status` and no output.
    pub fn new(status: Status, gas_left: u64) -> Self {
        FrameResult {
            status,
            gas_left,
            refund: 0,
            output: Bytes::new(),
        }
    }

    /// An exceptional halt that consumes all gas.
    pub fn halt(reason: HaltReason) -> Self {
        FrameResult::new(Status::Halt(reason), 0)
    }
}
