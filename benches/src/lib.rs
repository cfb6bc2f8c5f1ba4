//! cevm benchmarks: the side-by-side comparison of cevm's JIT, cevm's
//! interpreter and revm, and the helpers the criterion benches share.
//!
//! Every workload runs as a full transaction under Prague (see
//! [`cevm_statetest::workload`]) on all three backends, so their gas used
//! must agree; a difference is reported with the row. Times are medians of
//! many runs after a warm-up, each run starting from the same pre-state.
//!
//! - [`suite`]: which workloads, and measuring one row;
//! - [`revm_runner`]: the same workload on revm (a dependency of this crate only);
//! - [`native`]: the native Rust reference for the fibonacci loop;
//! - [`report`]: table, JSON and the performance targets.

#![warn(missing_docs)]

pub mod native;
pub mod report;
pub mod revm_runner;
pub mod suite;
