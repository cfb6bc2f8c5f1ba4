//! Ahead-of-time compilation: contracts compiled once into a shared library
//! ([`AotBuilder`]), loaded and run later without compiling ([`AotLibrary`],
//! [`AotExecutor`]).
//!
//! The code is the same lowering the JIT uses, emitted position-independent
//! by cranelift-object and linked by the system C compiler (`cc -shared`).
//! It reaches the runtime only through the shim table whose address is in
//! the context ([`crate::shims::ShimTable`]), so it has no undefined symbols
//! of cevm's: any program linking the same runtime ABI can load it. A
//! manifest inside the library ([`manifest`]) names each entry's code hash,
//! fork and the [`AOT_ABI_VERSION`]; a library is checked against it before
//! any of its code is called.

mod build;
mod executor;
mod library;
pub mod manifest;

pub use build::{AotBuilder, LINKER_ENV};
pub use executor::{AotExecutor, AotStats, MissingCode};
pub use library::AotLibrary;
pub use manifest::{Manifest, ManifestEntry};

use crate::context::{exit, offsets, HALT_REASONS};
use crate::shims::{Shim, SHIM_TABLE_ENTRY_BYTES};
use manifest::{fnv1a, FNV_OFFSET};
use std::path::PathBuf;

/// Bump by hand when compiled code's contract with the runtime changes in a
/// way the fingerprint below cannot see (the meaning of a shim argument, say).
const ABI_REVISION: u64 = 11;

const fn mix(hash: u64, value: u64) -> u64 {
    fnv1a(hash, &value.to_le_bytes())
}

/// The runtime ABI compiled code is built against, as a fingerprint taken
/// at compile time of everything it depends on: the context field offsets,
/// the shim table's order and signatures, the exit codes and halt-reason
/// order, the stack limit, the crate version (which versions the opcode
/// table and gas rules baked into code) and a hand-kept revision number. A library
/// whose manifest has another value is refused.
pub const AOT_ABI_VERSION: u64 = {
    let mut h = mix(FNV_OFFSET, ABI_REVISION);
    h = fnv1a(h, env!("CARGO_PKG_VERSION").as_bytes());
    h = mix(h, offsets::GAS as u64);
    h = mix(h, offsets::GAS_RESERVE as u64);
    h = mix(h, offsets::MEM_PTR as u64);
    h = mix(h, offsets::MEM_END as u64);
    h = mix(h, offsets::MEM_ZEROED as u64);
    h = mix(h, offsets::MEM_COST as u64);
    h = mix(h, offsets::STACK_LEN as u64);
    h = mix(h, offsets::JUMP_TARGET as u64);
    h = mix(h, offsets::EXIT_CODE as u64);
    h = mix(h, offsets::SHIMS as u64);
    h = mix(h, offsets::INPUT_PTR as u64);
    h = mix(h, offsets::INPUT_LEN as u64);
    h = mix(h, offsets::MSG as u64);
    h = mix(h, offsets::MSG_VALUE as u64);
    h = mix(h, offsets::MSG_CALLER as u64);
    h = mix(h, offsets::MSG_ADDRESS as u64);
    h = mix(h, offsets::INPUT_TAIL as u64);
    h = mix(h, SHIM_TABLE_ENTRY_BYTES as u64);
    let mut i = 0;
    while i < Shim::ALL.len() {
        h = mix(h, Shim::ALL[i] as u64);
        h = fnv1a(h, Shim::ALL[i].kind().describe().as_bytes());
        i += 1;
    }
    h = mix(h, exit::CONTINUE as u64);
    h = mix(h, exit::STOP as u64);
    h = mix(h, exit::RETURN as u64);
    h = mix(h, exit::REVERT as u64);
    h = mix(h, exit::SELFDESTRUCT as u64);
    h = mix(h, exit::HALT_BASE as u64);
    let mut i = 0;
    while i < HALT_REASONS.len() {
        h = mix(h, HALT_REASONS[i] as u64);
        i += 1;
    }
    h = mix(h, cevm_runtime::frame::STACK_LIMIT as u64);
    h
};

/// Why an AOT library could not be built or loaded.
#[derive(Debug, thiserror::Error)]
pub enum AotError {
    /// Compiling a contract failed.
    #[error(transparent)]
    Compile(#[from] crate::compile::CompileError),
    /// Writing the object file failed.
    #[error("writing the object file: {0}")]
    Object(String),
    /// No C compiler/linker to link the shared library.
    #[error(
        "no C compiler found to link the shared library (tried `{0}`); install one (e.g. gcc or clang) or set {LINKER_ENV}"
    )]
    NoLinker(String),
    /// The linker ran and failed.
    #[error("linking with `{linker}` failed: {stderr}")]
    Link {
        /// The linker command.
        linker: String,
        /// What it printed.
        stderr: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a valid AOT library (truncated, corrupt, or not ours).
    #[error("not a valid cevm AOT library: {0}")]
    Corrupt(String),
    /// The library was built against another runtime ABI.
    #[error(
        "the library was built for runtime ABI {found:#018x}, this cevm has {expected:#018x}; recompile it with this cevm"
    )]
    AbiMismatch {
        /// The ABI in the library.
        found: u64,
        /// This build's ABI.
        expected: u64,
    },
    /// The dynamic loader refused the file.
    #[error("loading the library: {0}")]
    Load(String),
    /// A library holds no entry for what was asked.
    #[error("the library has no entry for code {code_hash} on {spec}")]
    Missing {
        /// The code's hash.
        code_hash: cevm_runtime::B256,
        /// The fork asked for.
        spec: cevm_runtime::SpecId,
    },
    /// The library was compiled for another fork.
    #[error("the library holds code for {found}, not {expected}")]
    SpecMismatch {
        /// A fork in the library.
        found: cevm_runtime::SpecId,
        /// The fork asked for.
        expected: cevm_runtime::SpecId,
    },
}

impl AotError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AotError::Io {
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_version_is_a_nontrivial_fingerprint() {
        assert_ne!(AOT_ABI_VERSION, 0);
        assert_ne!(AOT_ABI_VERSION, FNV_OFFSET);
    }
}
