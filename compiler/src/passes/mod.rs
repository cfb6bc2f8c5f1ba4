//! Analyses and optimisations between the block split ([`crate::analysis`])
//! and the lowering. Each module does one job:
//!
//! - [`fold`]: compile-time evaluation of the pure opcodes;
//! - [`value`]: the abstract value of a stack item (constant, jump
//!   destinations, width) and its transfer functions;
//! - [`stack`]: abstract interpretation of the stack over the control-flow
//!   graph: reachable blocks, entry heights and values, resolved jumps;
//! - [`cfg`](mod@cfg): the resolved edges, the lowering order and the loop headers;
//! - [`regions`]: regions of static relative height, whose stack items
//!   pass between blocks in registers;
//! - [`chunks`]: the Cranelift functions a large contract is cut into;
//! - [`unroll`]: the small loops lowered twice;
//! - [`plan`]: all of the above, and the stack and gas checks each block keeps.

pub mod cfg;
pub mod chunks;
pub mod fold;
pub mod plan;
pub mod regions;
pub mod stack;
pub mod unroll;
pub mod value;

/// The loop of revmc's fibonacci code (n from the call data): a two-block
/// cycle whose round permutes its items, the passes' common test case.
#[cfg(test)]
pub(crate) const FIBONACCI_LOOP: &str = "PUSH0 CALLDATALOAD PUSH0 PUSH1 1
     head: JUMPDEST DUP3 ISZERO PUSH @done JUMPI
     DUP2 DUP2 ADD SWAP2 POP SWAP1 SWAP2 PUSH1 1 SWAP1 SUB SWAP2 PUSH @head JUMP
     done: JUMPDEST STOP";
