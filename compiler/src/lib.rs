//! cevm compiler.
