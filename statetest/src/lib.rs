//! cevm state-test runner.
