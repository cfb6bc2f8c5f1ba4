//! [`AotLibrary`]: a shared library built by [`super::AotBuilder`], checked
//! and loaded.

use super::manifest::{Manifest, ManifestEntry, HEADER_BYTES, MANIFEST_SYMBOL};
use super::{AotError, AOT_ABI_VERSION};
use crate::context::EntryFn;
use cevm_runtime::{SpecId, B256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A loaded AOT library: its manifest and one native entry per contract.
///
/// The library stays mapped as long as this value lives; share it with an
/// `Arc` while code from it may run.
pub struct AotLibrary {
    path: PathBuf,
    manifest: Manifest,
    entries: HashMap<(B256, SpecId), EntryFn>,
    /// Keeps the code mapped; declared last so the pointers above die first.
    _library: libloading::Library,
}

impl std::fmt::Debug for AotLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AotLibrary")
            .field("path", &self.path)
            .field("entries", &self.manifest.entries.len())
            .finish()
    }
}

impl AotLibrary {
    /// Loads the library at `path`.
    ///
    /// Before the dynamic loader sees the file, it must be a complete ELF
    /// file (headers and segments inside it) holding a well-formed manifest for this build's
    /// [`AOT_ABI_VERSION`]; after loading, the manifest the loader exports
    /// must be the same and every entry symbol must exist. No code of the
    /// library is called here (a library from `cevm compile` has no
    /// initialisers of its own).
    ///
    /// Never modify a library file in place while a process has it loaded
    /// (the mapping would change under it): replace it by renaming, as
    /// [`super::AotBuilder::link`] does.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, AotError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| AotError::io(path, e))?;
        Self::load_read(path, &bytes)
    }

    /// [`AotLibrary::load`] for a caller that has just read the file's
    /// bytes (to check them its own way): the checks run on `bytes`, the
    /// loader maps `path`. Files must only ever be replaced by renaming,
    /// so that `bytes` are what the loader maps.
    pub fn load_read(path: impl AsRef<Path>, bytes: &[u8]) -> Result<Self, AotError> {
        let path = path.as_ref();
        check_elf_extent(bytes)
            .map_err(|why| AotError::Corrupt(format!("{}: {why}", path.display())))?;
        let manifest = Manifest::find_in(bytes)?;
        if manifest.abi_version != AOT_ABI_VERSION {
            return Err(AotError::AbiMismatch {
                found: manifest.abi_version,
                expected: AOT_ABI_VERSION,
            });
        }
        // A path without a slash would make dlopen search the system paths.
        let absolute = std::path::absolute(path).map_err(|e| AotError::io(path, e))?;
        let library = open(&absolute)?;
        let exported = exported_manifest(&library)?;
        if exported != manifest {
            return Err(AotError::Corrupt(
                "the loaded manifest differs from the file's".into(),
            ));
        }
        let mut entries = HashMap::with_capacity(manifest.entries.len());
        for (i, e) in manifest.entries.iter().enumerate() {
            let name = format!("{}\0", ManifestEntry::symbol(i));
            // SAFETY: the symbol is a function the builder defined with the
            // `EntryFn` signature; the manifest and ABI version were checked.
            let entry: EntryFn = unsafe {
                *library
                    .get::<EntryFn>(name.as_bytes())
                    .map_err(|err| AotError::Corrupt(format!("entry {i}: {err}")))?
            };
            entries.insert((e.code_hash, e.spec), entry);
        }
        Ok(AotLibrary {
            path: absolute,
            manifest,
            entries,
            _library: library,
        })
    }

    /// Where the library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the library holds.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The native function for `code_hash` on `spec`, if the library has it.
    pub fn entry(&self, code_hash: B256, spec: SpecId) -> Option<EntryFn> {
        self.entries.get(&(code_hash, spec)).copied()
    }

    /// Like [`Self::entry`], with an error saying why an entry is missing:
    /// the code was compiled for another fork, or not at all.
    pub fn require(&self, code_hash: B256, spec: SpecId) -> Result<EntryFn, AotError> {
        if let Some(entry) = self.entry(code_hash, spec) {
            return Ok(entry);
        }
        match self
            .manifest
            .entries
            .iter()
            .find(|e| e.code_hash == code_hash)
        {
            Some(other) => Err(AotError::SpecMismatch {
                found: other.spec,
                expected: spec,
            }),
            None => Err(AotError::Missing { code_hash, spec }),
        }
    }
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?) as u64)
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Checks that `bytes` is a little-endian 64-bit ELF file whose program
/// and section header tables and loadable segments all lie inside it. The
/// loader maps segments without this check, and touching a mapping past
/// the end of a truncated file kills the process (SIGBUS) instead of
/// returning an error.
fn check_elf_extent(bytes: &[u8]) -> Result<(), String> {
    const PT_LOAD: u32 = 1;
    if !bytes.starts_with(b"\x7fELF") {
        return Err("not an ELF shared library".into());
    }
    if bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return Err("not a little-endian 64-bit ELF file".into());
    }
    let len = bytes.len() as u64;
    let truncated = || "truncated ELF header".to_string();
    let phoff = read_u64(bytes, 0x20).ok_or_else(truncated)?;
    let shoff = read_u64(bytes, 0x28).ok_or_else(truncated)?;
    let phentsize = read_u16(bytes, 0x36).ok_or_else(truncated)?;
    let phnum = read_u16(bytes, 0x38).ok_or_else(truncated)?;
    let shentsize = read_u16(bytes, 0x3a).ok_or_else(truncated)?;
    let shnum = read_u16(bytes, 0x3c).ok_or_else(truncated)?;
    let within = |offset: u64, size: u64| offset.checked_add(size).is_some_and(|end| end <= len);
    if phentsize < 0x38 || !within(phoff, phentsize * phnum) {
        return Err("program headers lie outside the file (truncated?)".into());
    }
    if !within(shoff, shentsize * shnum) {
        return Err("section headers lie outside the file (truncated?)".into());
    }
    for i in 0..phnum {
        let at = (phoff + i * phentsize) as usize;
        let kind = read_u16(bytes, at).ok_or_else(truncated)? as u32
            | ((read_u16(bytes, at + 2).ok_or_else(truncated)? as u32) << 16);
        let offset = read_u64(bytes, at + 0x08).ok_or_else(truncated)?;
        let filesz = read_u64(bytes, at + 0x20).ok_or_else(truncated)?;
        if kind == PT_LOAD && !within(offset, filesz) {
            return Err(format!("segment {i} lies outside the file (truncated?)"));
        }
    }
    Ok(())
}

fn open(path: &Path) -> Result<libloading::Library, AotError> {
    #[cfg(unix)]
    {
        use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
        // RTLD_NOW: an unresolved symbol fails here, not in the middle of a frame.
        // SAFETY: the file carries a valid manifest for this ABI; cevm's
        // libraries run no initialisers of their own.
        unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }
            .map(Into::into)
            .map_err(|e| AotError::Load(e.to_string()))
    }
    #[cfg(not(unix))]
    {
        // SAFETY: as above.
        unsafe { libloading::Library::new(path) }.map_err(|e| AotError::Load(e.to_string()))
    }
}

/// The manifest as the loader sees it.
fn exported_manifest(library: &libloading::Library) -> Result<Manifest, AotError> {
    let name = format!("{MANIFEST_SYMBOL}\0");
    // SAFETY: we only take the symbol's address.
    let base: *const u8 = unsafe {
        *library
            .get::<*const u8>(name.as_bytes())
            .map_err(|e| AotError::Corrupt(format!("no manifest symbol: {e}")))?
    };
    if base.is_null() {
        return Err(AotError::Corrupt("null manifest symbol".into()));
    }
    // SAFETY: the symbol is our data object, whose header was validated in
    // the file; its announced length was validated there too.
    let header = unsafe { std::slice::from_raw_parts(base, HEADER_BYTES) };
    let len = Manifest::announced_len(header)?;
    // SAFETY: as above: the object is `len` bytes long.
    let bytes = unsafe { std::slice::from_raw_parts(base, len) };
    Manifest::decode(bytes)
}
