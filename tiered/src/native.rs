//! `NativeCode`: compiled code of one contract, from the JIT or from a
//! library of the persistent cache, and how a frame runs on it.

use cevm_compiler::context::EntryFn;
use cevm_compiler::{run_compiled, run_entry, AotLibrary, CompiledContract};
use cevm_runtime::{Bytecode, FrameResult, Host, Message, SpecId};

/// Machine code per byte of EVM code, generously: the libraries of the
/// benchmark contracts hold 15–45 bytes of text per code byte.
const JIT_BYTES_PER_CODE_BYTE: u64 = 48;

/// The memory a JIT-compiled contract is assumed to take (Cranelift's JIT
/// does not report it): a page for the module plus
/// `JIT_BYTES_PER_CODE_BYTE` per byte of code.
pub fn jit_bytes_estimate(code_len: usize) -> u64 {
    4096 + JIT_BYTES_PER_CODE_BYTE * code_len as u64
}

/// Native code for one (code hash, fork).
pub(crate) enum NativeCode {
    /// Compiled in this process by the JIT (boxed: the JIT module is
    /// large, and entries are many).
    Jit(Box<CompiledContract>),
    /// Loaded from a library of the persistent cache.
    Library {
        /// Keeps the code mapped while this value lives.
        library: AotLibrary,
        /// The contract's function in it (checked against the manifest).
        entry: EntryFn,
    },
}

impl NativeCode {
    /// Runs `code` (whose compiled form this is, for `spec`) as the frame
    /// for `msg`.
    pub(crate) fn run(
        &self,
        spec: SpecId,
        code: &Bytecode,
        msg: &Message,
        host: &mut dyn Host,
    ) -> FrameResult {
        match self {
            NativeCode::Jit(contract) => run_compiled(contract, code, msg, host),
            NativeCode::Library { library, entry, .. } => {
                let _mapped = library;
                // SAFETY: the library passed the manifest and ABI checks when
                // it was loaded, `entry` is its function for this code hash
                // and fork, and `self` keeps it mapped during the call.
                unsafe { run_entry(*entry, spec, code, msg, host) }
            }
        }
    }
}
