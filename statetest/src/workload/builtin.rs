//! The project's own benchmark contracts (EVM assembly in
//! `benches/contracts/*.easm`), embedded in the binary so that `cevm bench`
//! runs without any files beside it.
//!
//! Each contract reads its size parameter `n` from calldata word 0. The
//! default `n` makes one run take a few milliseconds on the reference
//! interpreter (release build), long enough to time and short enough that
//! `cevm bench` finishes quickly.

use super::{call_workload, Workload, WorkloadError};
use alloy_primitives::{Bytes, U256};
use cevm_runtime::asm::assemble;

/// One built-in benchmark contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinContract {
    /// Short name (`fibonacci`), also the workload's name.
    pub name: &'static str,
    /// What the contract does and what bounds it, in a few words.
    pub summary: &'static str,
    /// The EVM assembly source.
    pub source: &'static str,
    /// The `n` passed in calldata by default.
    pub default_n: u64,
}

/// Every built-in contract, in the order `cevm bench` prints them.
pub const BUILTIN_CONTRACTS: [BuiltinContract; 6] = [
    BuiltinContract {
        name: "fibonacci",
        summary: "256-bit Fibonacci loop: stack arithmetic and jumps",
        source: include_str!("../../../benches/contracts/fibonacci.easm"),
        default_n: 100_000,
    },
    BuiltinContract {
        name: "factorial",
        summary: "n! mod 2^256: a MUL-bound loop",
        source: include_str!("../../../benches/contracts/factorial.easm"),
        default_n: 100_000,
    },
    BuiltinContract {
        name: "keccak_chain",
        summary: "n chained KECCAK256 of one word",
        source: include_str!("../../../benches/contracts/keccak_chain.easm"),
        default_n: 20_000,
    },
    BuiltinContract {
        name: "memory_copy",
        summary: "MCOPY plus a word-by-word MLOAD/MSTORE copy, 1 KiB per round",
        source: include_str!("../../../benches/contracts/memory_copy.easm"),
        default_n: 2_000,
    },
    BuiltinContract {
        name: "storage_loop",
        summary: "SLOAD/SSTORE over 64 warm slots",
        source: include_str!("../../../benches/contracts/storage_loop.easm"),
        default_n: 20_000,
    },
    BuiltinContract {
        name: "call_chain",
        summary: "a contract calling itself n frames deep",
        source: include_str!("../../../benches/contracts/call_chain.easm"),
        default_n: 1_000,
    },
];

/// The built-in contract called `name`.
pub fn builtin(name: &str) -> Option<&'static BuiltinContract> {
    BUILTIN_CONTRACTS.iter().find(|c| c.name == name)
}

/// Calldata holding `n` as word 0, the input every built-in contract reads.
pub fn n_calldata(n: u64) -> Bytes {
    Bytes::from(U256::from(n).to_be_bytes::<32>().to_vec())
}

impl BuiltinContract {
    /// The assembled bytecode.
    pub fn code(&self) -> Result<Bytes, WorkloadError> {
        assemble(self.source)
            .map(Bytes::from)
            .map_err(|cause| WorkloadError::Assemble {
                name: self.name.to_string(),
                cause,
            })
    }

    /// The contract called with `n`, named after the contract.
    pub fn workload(&self, n: u64) -> Result<Workload, WorkloadError> {
        Ok(call_workload(self.name, self.code()?, n_calldata(n)))
    }

    /// The contract called with its default `n`.
    pub fn default_workload(&self) -> Result<Workload, WorkloadError> {
        self.workload(self.default_n)
    }
}

/// Every built-in contract with its default `n`, in table order.
pub fn builtin_workloads() -> Result<Vec<Workload>, WorkloadError> {
    BUILTIN_CONTRACTS
        .iter()
        .map(BuiltinContract::default_workload)
        .collect()
}
