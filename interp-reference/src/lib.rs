//! cevm's reference interpreter: the oracle the compiler is checked against.
//!
//! [`Interpreter`] implements [`cevm_runtime::Executor`] with a plain
//! fetch-check-charge-execute loop written to be read against the Yellow
//! Paper and execution-specs, not for speed. Every fact about an opcode
//! (immediate size, stack inputs and outputs, static gas) comes from
//! [`cevm_runtime::opcode`]. [`tracer`] produces EIP-3155 traces.

#![warn(missing_docs)]

mod instructions;
mod interpreter;
pub mod tracer;

pub use interpreter::Interpreter;
pub use tracer::{Eip3155Writer, Step, Tracer};

#[cfg(test)]
mod interpreter_tests;
#[cfg(test)]
mod test_host;
