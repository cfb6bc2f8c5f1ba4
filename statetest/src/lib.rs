//! cevm state-test runner.
//!
//! Reads Ethereum execution-spec-tests state tests (JSON), runs every post
//! entry of every fork (Frontier to Osaka; the fixtures' names `EIP150`,
//! `EIP158`, `ConstantinopleFix` and `Merge` included) on a backend given
//! as an [`Executor`](cevm_runtime::Executor) factory, and compares the state
//! root and the logs hash with the expected ones. Unreadable files count as
//! failed. Files run in parallel (rayon).

#![warn(missing_docs)]

pub mod case;
pub mod exec;
pub mod known;
pub mod model;
pub mod report;
pub mod roots;
pub mod runner;
pub mod shared;
pub mod t8n;
pub mod workload;

pub use known::{KnownFailures, KnownFailuresError};
pub use report::{CaseId, CaseResult, CaseStatus, FileReport, ForkCounts, Summary};
pub use runner::{
    discover, panic_message, run_file, run_file_compared, run_file_each, run_files,
    run_files_compared, BackendFactory, CaseRun, RunOptions,
};
