//! cevm benchmarks.
