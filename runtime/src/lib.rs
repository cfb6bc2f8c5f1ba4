//! cevm runtime: what the reference interpreter and the compiled code share.
//!
//! - [`opcode`]: the opcode table, the single source of truth for opcode facts;
//! - [`spec`]: fork identifiers;
//! - [`frame`]: gas counter, stack and memory of a frame;
//! - [`host`]: the interface from a frame to state and nested frames;
//! - [`executor`]: the interface from the runtime to a backend.
//! - [`gas`]: dynamic gas rules;
//! - [`ops`]: semantics of opcodes that touch memory, the host or nested frames;
//! - [`state`]: the journaled world state, a cache over a [`Database`];
//! - [`database`]: where the world state comes from;
//! - [`evm`]: the `Host` over the state, with message-call and create semantics;
//! - [`cache`]: the bounded cache of what is kept per code hash.

#![warn(missing_docs)]

pub mod analysis;
pub mod asm;
pub mod cache;
pub mod database;
pub mod env;
pub mod evm;
pub mod executor;
pub mod frame;
pub mod gas;
pub mod host;
pub mod message;
pub mod opcode;
pub mod ops;
pub mod precompile;
pub mod precompiles;
pub mod result;
pub mod spec;
pub mod state;
pub mod tx;

pub use alloy_primitives::{self as primitives, Address, Bytes, Log, LogData, B256, U256};
pub use analysis::{JumpTable, JumpTableCache};
pub use database::{AccountInfo, Database, DatabaseError, EmptyDatabase};
pub use env::{BlockEnv, Env, TxEnv};
pub use evm::{CallOutcome, Evm};
pub use executor::{Bytecode, Executor};
pub use frame::{Frame, Gas, Memory, Stack};
pub use host::{AccountLoad, Host, SStoreResult, SelfDestructResult, StateLoad};
pub use message::{CallInputs, CallKind, CreateInputs, CreateScheme, Message};
pub use precompile::{NoPrecompiles, PrecompileOutcome, PrecompileSet};
pub use precompiles::Precompiles;
pub use result::{FrameResult, HaltReason, Status, SuccessReason};
pub use spec::{SpecId, UnknownSpec};
pub use state::{Account, State};
