//! The contract between the runtime and a backend that runs code.

use crate::host::Host;
use crate::message::Message;
use crate::result::FrameResult;
use alloy_primitives::{keccak256, Bytes, B256};

/// Code to execute, with its hash (the key compiled code is cached under).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bytecode {
    /// The raw bytes.
    pub bytes: Bytes,
    /// keccak256 of `bytes`.
    pub hash: B256,
}

impl Bytecode {
    /// Wraps `bytes`, hashing them.
    pub fn new(bytes: Bytes) -> Self {
        let hash = keccak256(&bytes);
        Bytecode { bytes, hash }
    }

    /// Wraps `bytes` whose hash is already known.
    pub fn with_hash(bytes: Bytes, hash: B256) -> Self {
        Bytecode { bytes, hash }
    }
}

/// A backend: runs one frame's code to completion against a [`Host`].
///
/// Nested frames are started by the code through [`Host::call`] and
/// [`Host::create`], which call back into the same executor.
pub trait Executor {
    /// Runs `code` for `msg`. Must not panic on any input; every failure is a
    /// [`FrameResult`] status.
    fn execute(&self, code: &Bytecode, msg: &Message, host: &mut dyn Host) -> FrameResult;

    /// See [`Host::nested_frame_starts`]: the host passes it on to the
    /// executor running the calling frame (a tracing interpreter). The
    /// default does nothing.
    fn nested_frame_starts(&self, gas_left: u64) {
        let _ = gas_left;
    }
}
