//! Shared helpers of the differential tests.

#![allow(dead_code)]

pub mod revm_backend;

/// Number of programs a bounded test runs: `default` unless the
/// environment variable `name` says otherwise (long runs), scaled down in
/// unoptimised builds so that `cargo test` stays quick.
pub fn program_count(name: &str, default: u64) -> u64 {
    if let Some(n) = std::env::var(name).ok().and_then(|v| v.parse().ok()) {
        return n;
    }
    if cfg!(debug_assertions) {
        default / 10
    } else {
        default
    }
}

/// The campaign seed: `CEVM_FUZZ_SEED` or a fixed default, so that CI runs
/// are reproducible.
pub fn seed() -> u64 {
    std::env::var("CEVM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x00c0_ffee)
}
