//! cevm reference interpreter.
