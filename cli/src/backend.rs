//! Choosing the backend that runs code.

use cevm_runtime::Executor;

/// Which backend executes code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// The reference interpreter.
    Interp,
    /// Native code compiled just in time with Cranelift (cached by code hash and fork).
    Jit,
}

impl Backend {
    /// A fresh executor of this kind.
    pub fn executor(self) -> Box<dyn Executor + Send + Sync> {
        match self {
            Backend::Interp => Box::new(cevm_interp::Interpreter::new()),
            Backend::Jit => Box::new(cevm_compiler::JitExecutor::new()),
        }
    }
}

/// An executor running code from AOT libraries kept in `dir`: code without
/// a library there is compiled into one (`<code hash>-<fork>.so`) first, so
/// a second run over the same code only loads. See
/// [`cevm_compiler::MissingCode::CompileInto`].
pub fn aot_dir_executor(dir: &std::path::Path) -> Box<dyn Executor + Send + Sync> {
    Box::new(cevm_compiler::AotExecutor::new(
        cevm_compiler::MissingCode::CompileInto(dir.to_path_buf()),
    ))
}
