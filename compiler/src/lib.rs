//! cevm compiler: EVM bytecode to native code with Cranelift.
//!
//! - [`analysis`]: basic blocks with their static gas and stack bounds;
//! - `lower`: Cranelift IR with 256-bit words as four i64 limbs;
//! - [`compile`]: [`Compiler`] and [`CompiledContract`] (JIT, one module per contract);
//! - [`executor`]: [`JitExecutor`], the `cevm_runtime::Executor` running compiled code;
//! - [`aot`]: ahead-of-time compilation to shared libraries, loading and [`aot::AotExecutor`];
//! - [`cache`]: the bounded (least-recently-used) compile cache;
//! - [`shims`]: the `extern "C"` runtime calls compiled code makes;
//! - [`emit`]: text forms for inspection (blocks, IR, machine code, CFG).

#![warn(missing_docs)]

pub mod analysis;
pub mod aot;
pub mod cache;
pub mod compile;
pub mod context;
pub mod emit;
pub mod executor;
mod lower;
pub mod passes;
pub mod shims;

pub use analysis::{Analysis, BlockInfo, JumpTarget, Terminator};
pub use aot::{AotBuilder, AotError, AotExecutor, AotLibrary, MissingCode, AOT_ABI_VERSION};
pub use compile::{ArtifactRequest, Artifacts, CompileError, CompiledContract, Compiler};
pub use executor::{run_compiled, run_entry, JitExecutor};
pub use passes::chunks::ChunkLimits;
