//! [`AotBuilder`]: compiles contracts to object code and links them into one
//! shared library with the system C compiler.

use super::manifest::{Manifest, ManifestEntry, MANIFEST_SYMBOL};
use super::{AotError, AOT_ABI_VERSION};
use crate::analysis::Analysis;
use crate::compile::{define_contract, ArtifactRequest, CompileError, Compiler};
use cevm_runtime::primitives::keccak256;
use cevm_runtime::SpecId;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_module::{default_libcall_names, DataDescription, Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// Environment variable naming the C compiler used to link libraries
/// (checked before `CC`; the default is `cc`). It may carry arguments.
pub const LINKER_ENV: &str = "CEVM_CC";

/// Collects compiled contracts and links them into one shared library.
///
/// Each contract becomes one object file (so each gets the optimisation
/// level the JIT would give it); [`AotBuilder::link`] adds the manifest and
/// runs `cc -shared`.
#[derive(Default)]
pub struct AotBuilder {
    compilers: HashMap<SpecId, Compiler>,
    entries: Vec<ManifestEntry>,
    objects: Vec<Vec<u8>>,
}

impl std::fmt::Debug for AotBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AotBuilder")
            .field("entries", &self.entries)
            .finish()
    }
}

impl AotBuilder {
    /// An empty library.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of contracts added.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no contract was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Compiles `code` for `spec` into the library. Adding the same code
    /// for the same fork twice keeps one entry.
    pub fn add(&mut self, code: &[u8], spec: SpecId) -> Result<(), AotError> {
        let code_hash = keccak256(code);
        if self
            .entries
            .iter()
            .any(|e| e.code_hash == code_hash && e.spec == spec)
        {
            return Ok(());
        }
        let code_len = u32::try_from(code.len())
            .map_err(|_| AotError::Corrupt(format!("code of {} bytes is too long", code.len())))?;
        let compiler = match self.compilers.entry(spec) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Compiler::new_pic(spec)?),
        };
        let index = self.entries.len();
        // A panic in the code generator (a bug) becomes an error.
        let object = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let analysis = Analysis::new(code, spec);
            let isas = compiler.isas();
            let mut module = object_module(isas.optimising.clone(), &format!("cevm_aot_{index}"))?;
            define_contract(
                &mut module,
                isas,
                compiler.chunk_limits(),
                &analysis,
                &ManifestEntry::symbol(index),
                Linkage::Export,
                ArtifactRequest::default(),
            )?;
            emit(module)
        }))
        .map_err(|_| CompileError::Codegen("the code generator panicked".into()))??;
        self.objects.push(object);
        self.entries.push(ManifestEntry {
            code_hash,
            spec,
            code_len,
        });
        Ok(())
    }

    /// The manifest the library will carry.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            abi_version: AOT_ABI_VERSION,
            entries: self.entries.clone(),
        }
    }

    /// Links everything added into the shared library `out` (replaced
    /// atomically: readers never see a half-written file).
    pub fn link(&self, out: &Path) -> Result<(), AotError> {
        let scratch = ScratchDir::new()?;
        let mut inputs = Vec::with_capacity(self.objects.len() + 1);
        let manifest_object = self.manifest_object()?;
        for (i, bytes) in std::iter::once(&manifest_object)
            .chain(&self.objects)
            .enumerate()
        {
            let path = scratch.path.join(format!("{i}.o"));
            std::fs::write(&path, bytes).map_err(|e| AotError::io(&path, e))?;
            inputs.push(path);
        }
        let partial = sibling_temp(out);
        let result = run_linker(&inputs, &partial)
            .and_then(|()| std::fs::rename(&partial, out).map_err(|e| AotError::io(out, e)));
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }

    fn manifest_object(&self) -> Result<Vec<u8>, AotError> {
        let isa = match self.compilers.values().next() {
            Some(c) => c.isas().optimising.clone(),
            None => Compiler::new_pic(SpecId::LATEST)?.isas().optimising.clone(),
        };
        let mut module = object_module(isa, "cevm_aot_manifest")?;
        let id = module
            .declare_data(MANIFEST_SYMBOL, Linkage::Export, false, false)
            .map_err(CompileError::from)?;
        let mut data = DataDescription::new();
        data.define(self.manifest().encode().into_boxed_slice());
        data.set_align(8);
        module.define_data(id, &data).map_err(CompileError::from)?;
        emit(module)
    }
}

fn object_module(isa: OwnedTargetIsa, name: &str) -> Result<ObjectModule, AotError> {
    let builder =
        ObjectBuilder::new(isa, name, default_libcall_names()).map_err(CompileError::from)?;
    Ok(ObjectModule::new(builder))
}

fn emit(module: ObjectModule) -> Result<Vec<u8>, AotError> {
    module
        .finish()
        .emit()
        .map_err(|e| AotError::Object(e.to_string()))
}

/// The linker command: `$CEVM_CC`, else `$CC`, else `cc`, split on spaces.
fn linker_command() -> Vec<String> {
    let configured = std::env::var(LINKER_ENV)
        .ok()
        .or_else(|| std::env::var("CC").ok())
        .filter(|s| !s.trim().is_empty());
    match configured {
        Some(s) => s.split_whitespace().map(str::to_owned).collect(),
        None => vec!["cc".to_owned()],
    }
}

fn run_linker(inputs: &[PathBuf], out: &Path) -> Result<(), AotError> {
    let command = linker_command();
    let (program, extra) = command
        .split_first()
        .ok_or_else(|| AotError::NoLinker(String::new()))?;
    let output = Command::new(program)
        .args(extra)
        .arg("-shared")
        // Cranelift's objects carry no GNU-stack note; without this the
        // library would ask for an executable stack, which loaders refuse.
        .arg("-Wl,-z,noexecstack")
        .arg("-o")
        .arg(out)
        .args(inputs)
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                AotError::NoLinker(command.join(" "))
            } else {
                AotError::io(program, e)
            }
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(AotError::Link {
            linker: command.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let n = UNIQUE.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}-{n}", std::process::id())
}

/// A temporary name next to `out`, so the final rename stays on one file system.
fn sibling_temp(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "lib".into());
    out.with_file_name(format!(".{name}.{}.tmp", unique_suffix()))
}

/// A directory for the object files, removed when dropped.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn new() -> Result<Self, AotError> {
        let path = std::env::temp_dir().join(format!("cevm-aot-{}", unique_suffix()));
        std::fs::create_dir_all(&path).map_err(|e| AotError::io(&path, e))?;
        Ok(ScratchDir { path })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
