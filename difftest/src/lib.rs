//! Differential fuzzing for cevm.
//!
//! Generated EVM programs ([`generate`]) are placed in a few accounts and
//! called by one transaction ([`scenario`]); the transaction runs on the
//! reference interpreter and on the compiled backend for each fork, and
//! everything observable is compared ([`observe`](mod@observe), [`compare`]): status
//! class, gas used, refund, output, logs and the full post-state. A
//! mismatch is shrunk by delta debugging ([`minimize`]) and written out as
//! an execution-spec-tests state test whose `post` is the interpreter's
//! result ([`differential`]), so that `cevm statetest` passes it on the
//! interpreter and `cevm statetest --backend both` shows the disagreement.
//! [`campaign`] runs many programs in parallel (`cevm fuzz`).
//!
//! Programs are reproducible from `(seed, index)` with a fixed-algorithm
//! PRNG ([`entropy::Xoshiro256`]); the cargo-fuzz target in `fuzz/` drives
//! the same generator from libFuzzer's bytes ([`entropy::ByteSource`]).
//! The tests also compare the interpreter with revm, so that a bug shared
//! by both of our backends still shows up (see `REVM_DIFFERENCES.md`).

#![warn(missing_docs)]

pub mod campaign;
pub mod compare;
pub mod differential;
pub mod entropy;
pub mod fuzz_input;
pub mod generate;
pub mod minimize;
pub mod mutants;
pub mod observe;
pub mod program;
pub mod scenario;
pub mod tx_kind;

pub use campaign::{
    run_campaign, scenario_for, scenario_in_fork, CampaignConfig, CampaignReport, Candidate,
    Finding,
};
pub use compare::{differences, Difference, Field};
pub use differential::{
    compare_backends, compare_executors, compare_tiered, run_reference, DiffError, Mismatch,
};
pub use entropy::{ByteSource, Entropy, Xoshiro256};
pub use generate::generate_scenario;
pub use observe::{observe, AccountState, Observation, StatusClass};
pub use program::{Item, Program};
pub use scenario::Scenario;
pub use tx_kind::{AuthorizationSpec, TxKind};
