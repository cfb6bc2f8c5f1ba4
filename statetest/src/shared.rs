//! Finding the shared material (fixtures and benchmarks) beside the checkout.
//!
//! It lives in `CEVM_SHARED` if set, else in `../shared` next to the
//! workspace root. It is never part of the repository, so tests that need it
//! skip (saying so) when it is absent, except under CI (`CI=true`), where
//! its absence is an error.

use std::path::PathBuf;

/// The shared folder: `CEVM_SHARED`, or `../shared` beside the workspace.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("CEVM_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// Whether we run under CI (`CI=true`), where missing material is an error.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `relative` inside the shared folder if it exists. Otherwise prints a
/// `SKIPPED` line naming what `test` needed and returns `None`, or, under CI,
/// panics: a test run that silently skips its fixtures must not pass there.
pub fn require(relative: &str, test: &str) -> Option<PathBuf> {
    let path = shared_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        !under_ci(),
        "CI=true but {} is missing (needed by {test}); set CEVM_SHARED",
        path.display()
    );
    eprintln!(
        "SKIPPED {test}: {} not found (set CEVM_SHARED to the shared material)",
        path.display()
    );
    None
}
