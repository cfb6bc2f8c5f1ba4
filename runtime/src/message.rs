//! Messages: the inputs of call and create frames.

use alloy_primitives::{Address, Bytes, U256};

/// The CALL family member that started a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// CALL, or a transaction to an account.
    Call,
    /// CALLCODE.
    CallCode,
    /// DELEGATECALL.
    DelegateCall,
    /// STATICCALL.
    StaticCall,
}

/// How a new contract's address is derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreateScheme {
    /// CREATE or a creation transaction: `keccak(rlp([sender, nonce]))[12..]`.
    Create,
    /// CREATE2 (EIP-1014): `keccak(0xff ++ sender ++ salt ++ keccak(init_code))[12..]`.
    Create2 {
        /// The salt.
        salt: U256,
    },
}

/// A request to run a message call (from an opcode or a transaction).
///
/// The call data is borrowed: a CALL's input is the calling frame's memory,
/// which nothing changes while the callee runs, so no frame copies it (a
/// deep call chain would otherwise allocate and copy once per frame).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallInputs<'a> {
    /// Which CALL family member.
    pub kind: CallKind,
    /// CALLER inside the callee.
    pub caller: Address,
    /// The account whose storage and balance the callee uses (ADDRESS).
    pub target: Address,
    /// The account whose code runs.
    pub code_address: Address,
    /// For CALL/CALLCODE the value transferred; for DELEGATECALL the
    /// inherited apparent value (nothing moves).
    pub value: U256,
    /// Call data.
    pub input: &'a [u8],
    /// Gas given to the callee (stipend included).
    pub gas_limit: u64,
    /// Whether the callee runs in a static context.
    pub is_static: bool,
}

impl CallInputs<'_> {
    /// Whether the call moves `value` from caller to target.
    #[inline]
    pub fn transfers_value(&self) -> bool {
        matches!(self.kind, CallKind::Call | CallKind::CallCode) && !self.value.is_zero()
    }
}

/// A request to create a contract (from an opcode or a transaction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateInputs {
    /// The creating account.
    pub caller: Address,
    /// Address derivation.
    pub scheme: CreateScheme,
    /// Endowment.
    pub value: U256,
    /// Init code.
    pub init_code: Bytes,
    /// Gas given to the init code.
    pub gas_limit: u64,
}

/// What a frame's code sees of the message that started it (the call data
/// borrowed, see [`CallInputs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// CALLER.
    pub caller: Address,
    /// ADDRESS: the account whose storage is used.
    pub address: Address,
    /// The account the code was loaded from (differs from `address` for CALLCODE/DELEGATECALL).
    pub code_address: Address,
    /// CALLVALUE.
    pub value: U256,
    /// Call data (empty for create frames).
    pub input: &'a [u8],
    /// Gas available to the frame.
    pub gas_limit: u64,
    /// Whether state changes are forbidden.
    pub is_static: bool,
    /// Call depth, 0 for the transaction's frame.
    pub depth: usize,
    /// Whether this frame runs init code.
    pub is_create: bool,
}
