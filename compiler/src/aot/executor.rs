//! [`AotExecutor`]: runs frames from AOT libraries.

use super::{AotBuilder, AotError, AotLibrary};
use crate::cache::{BoundedCache, DEFAULT_CACHE_ENTRIES};
use crate::executor::{run_entry, JitExecutor};
use cevm_runtime::{Bytecode, Executor, FrameResult, HaltReason, Host, Message, SpecId, B256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What [`AotExecutor`] does with a frame whose code is in none of its
/// libraries (for example init code a contract builds at run time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MissingCode {
    /// Refuse to run it: the frame halts (out of gas) and the refusal is
    /// recorded in [`AotExecutor::failures`]. For deployments that must
    /// never compile at run time.
    Refuse,
    /// Compile it with the JIT (cached like [`JitExecutor`]'s code).
    Jit,
    /// Compile it into a one-contract library in this directory
    /// (`<code hash>-<fork>.so`), then load and run that. A later run finds
    /// the library there and only loads it: the directory is a persistent
    /// compile cache. A file there that is corrupt or built for another
    /// runtime ABI is rebuilt.
    CompileInto(PathBuf),
}

/// Frame counts of an [`AotExecutor`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AotStats {
    /// Frames run from a library.
    pub aot_frames: u64,
    /// Frames run by the JIT ([`MissingCode::Jit`]).
    pub jit_frames: u64,
    /// Libraries compiled into the directory ([`MissingCode::CompileInto`]).
    pub libraries_built: u64,
    /// Libraries loaded from the directory.
    pub libraries_loaded: u64,
}

/// Runs frames as native code loaded from AOT libraries.
///
/// Code is looked up by (code hash, fork) in the libraries given with
/// [`AotExecutor::with_library`], in order; code found in none is handled
/// as [`MissingCode`] says. Libraries loaded from a directory are kept in
/// a least-recently-used cache of bounded size.
pub struct AotExecutor {
    libraries: Vec<Arc<AotLibrary>>,
    missing: MissingCode,
    jit: JitExecutor,
    loaded: Mutex<BoundedCache<(B256, SpecId), Arc<AotLibrary>>>,
    failures: Mutex<Vec<String>>,
    aot_frames: AtomicU64,
    jit_frames: AtomicU64,
    built: AtomicU64,
    loaded_count: AtomicU64,
}

impl std::fmt::Debug for AotExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AotExecutor")
            .field("libraries", &self.libraries)
            .field("missing", &self.missing)
            .finish()
    }
}

impl AotExecutor {
    /// An executor without libraries that handles all code as `missing` says.
    pub fn new(missing: MissingCode) -> Self {
        AotExecutor {
            libraries: Vec::new(),
            missing,
            jit: JitExecutor::new(),
            loaded: Mutex::new(BoundedCache::new(DEFAULT_CACHE_ENTRIES)),
            failures: Mutex::default(),
            aot_frames: AtomicU64::new(0),
            jit_frames: AtomicU64::new(0),
            built: AtomicU64::new(0),
            loaded_count: AtomicU64::new(0),
        }
    }

    /// Adds a library to look code up in.
    pub fn with_library(mut self, library: Arc<AotLibrary>) -> Self {
        self.libraries.push(library);
        self
    }

    /// Keeps at most `entries` libraries loaded from the directory.
    pub fn with_capacity(self, entries: usize) -> Self {
        AotExecutor {
            loaded: Mutex::new(BoundedCache::new(entries)),
            ..self
        }
    }

    /// Errors met so far (each made its frame halt).
    pub fn failures(&self) -> Vec<String> {
        let mut all = self.failures.lock().map(|f| f.clone()).unwrap_or_default();
        all.extend(self.jit.failures());
        all
    }

    /// Frame and library counts so far.
    pub fn stats(&self) -> AotStats {
        AotStats {
            aot_frames: self.aot_frames.load(Ordering::Relaxed),
            jit_frames: self.jit_frames.load(Ordering::Relaxed),
            libraries_built: self.built.load(Ordering::Relaxed),
            libraries_loaded: self.loaded_count.load(Ordering::Relaxed),
        }
    }

    /// The path of the one-contract library for `code_hash` on `spec` in `dir`.
    pub fn library_path(dir: &Path, code_hash: B256, spec: SpecId) -> PathBuf {
        dir.join(format!("{code_hash:x}-{}.so", spec.name()))
    }

    /// The directory library for `code`, loading or building it as needed.
    pub fn library_in(
        &self,
        dir: &Path,
        code: &Bytecode,
        spec: SpecId,
    ) -> Result<Arc<AotLibrary>, AotError> {
        let key = (code.hash, spec);
        if let Some(lib) = self.lock_loaded().get(&key) {
            return Ok(lib);
        }
        let path = Self::library_path(dir, code.hash, spec);
        let library = match AotLibrary::load(&path) {
            Ok(lib) if lib.entry(code.hash, spec).is_some() => {
                self.loaded_count.fetch_add(1, Ordering::Relaxed);
                lib
            }
            // Absent, stale (another ABI), corrupt or wrong: (re)build it.
            _ => {
                std::fs::create_dir_all(dir).map_err(|e| AotError::io(dir, e))?;
                let mut builder = AotBuilder::new();
                builder.add(&code.bytes, spec)?;
                builder.link(&path)?;
                self.built.fetch_add(1, Ordering::Relaxed);
                AotLibrary::load(&path)?
            }
        };
        let library = Arc::new(library);
        Ok(self.lock_loaded().insert(key, library))
    }

    fn lock_loaded(
        &self,
    ) -> std::sync::MutexGuard<'_, BoundedCache<(B256, SpecId), Arc<AotLibrary>>> {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn refuse(&self, code: &Bytecode, why: String) -> FrameResult {
        if let Ok(mut f) = self.failures.lock() {
            f.push(format!("{}: {why}", code.hash));
        }
        FrameResult::halt(HaltReason::OutOfGas)
    }
}

impl Executor for AotExecutor {
    fn execute(&self, code: &Bytecode, msg: &Message, host: &mut dyn Host) -> FrameResult {
        let spec = host.env().spec;
        for library in &self.libraries {
            if let Some(entry) = library.entry(code.hash, spec) {
                self.aot_frames.fetch_add(1, Ordering::Relaxed);
                // SAFETY: the library was checked against this ABI when
                // loaded and outlives the call (`self` holds it).
                return unsafe { run_entry(entry, spec, code, msg, host) };
            }
        }
        match &self.missing {
            MissingCode::Refuse => self.refuse(
                code,
                format!("code is in no loaded AOT library for {spec}; refused"),
            ),
            MissingCode::Jit => {
                self.jit_frames.fetch_add(1, Ordering::Relaxed);
                self.jit.execute(code, msg, host)
            }
            MissingCode::CompileInto(dir) => match self.library_in(dir, code, spec) {
                Ok(library) => match library.entry(code.hash, spec) {
                    Some(entry) => {
                        self.aot_frames.fetch_add(1, Ordering::Relaxed);
                        // SAFETY: as above; `library` lives until the call returns.
                        unsafe { run_entry(entry, spec, code, msg, host) }
                    }
                    None => self.refuse(code, "the built library lacks its entry".into()),
                },
                Err(e) => self.refuse(code, e.to_string()),
            },
        }
    }
}
