//! [`DiskCache`]: the persistent code cache, a directory of one-contract
//! AOT libraries that several processes may share.
//!
//! An entry is `<code hash>-<fork>-<runtime ABI>.so`: a library built by
//! [`AotBuilder`] (whose manifest repeats the hash, fork and ABI) followed
//! by a trailer, [`TRAILER_BYTES`] long: the CRC-32 of everything before
//! it (4 bytes, then 4 zero bytes), that length (8 bytes) and
//! [`TRAILER_MAGIC`], little-endian. The dynamic loader ignores bytes past
//! the ELF file's sections, and the trailer lets a load check the whole
//! file, machine code included, before the loader sees it. CRC-32 catches
//! truncation and every burst of flipped bits up to 32 bits long at
//! gigabytes per second (a Keccak over the 0.1–0.5 MB libraries of large
//! contracts cost a noticeable part of a load); it is no defence against
//! tampering, and needs none: whoever can write the directory can write
//! native code anyway.
//!
//! Sharing rules, which keep the directory consistent without locks:
//! - an entry is written under a unique temporary name in the directory
//!   and renamed into place, so a reader sees a complete file or none;
//! - a file is never modified in place (a process may have it mapped);
//! - an entry that fails any check (trailer, ELF extent, manifest, ABI,
//!   code hash and fork) is never loaded: it is rebuilt and renamed over;
//! - the size bound is kept by deleting the least recently used entries
//!   (loads refresh a file's modification time), which is safe while
//!   another process has them mapped; a process that finds an entry gone
//!   compiles it again.

use crate::table::Key;
use crate::TieredError;
use cevm_compiler::aot::Manifest;
use cevm_compiler::context::EntryFn;
use cevm_compiler::{AotBuilder, AotError, AotLibrary, AOT_ABI_VERSION};
use cevm_runtime::primitives::hex;
use cevm_runtime::{SpecId, B256};
use rustc_hash::FxHashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// The trailer's last bytes.
pub const TRAILER_MAGIC: [u8; 8] = *b"CEVMCRC1";
/// Bytes of the trailer: CRC-32 and padding (8), length (8), magic (8).
pub const TRAILER_BYTES: usize = 24;
/// Temporary files older than this are left over from a process that
/// died while writing; sweeps delete them.
const STALE_TEMP: Duration = Duration::from_secs(3600);
/// A sweep deletes entries until the directory is this fraction of its
/// bound, so that the next few stores do not sweep again.
const SWEEP_TO_PERCENT: u64 = 90;

/// Why a cache entry was not used.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// The file is not a complete, intact entry for this key and this
    /// build's runtime ABI. It was not loaded.
    #[error("{path}: cache entry ignored: {why}")]
    Rejected {
        /// The entry.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// Building or writing the entry failed.
    #[error(transparent)]
    Build(#[from] AotError),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// A loaded entry: the library and the contract's function in it.
pub struct LoadedEntry {
    /// The library (keeps the code mapped).
    pub library: AotLibrary,
    /// The contract's native function.
    pub entry: EntryFn,
    /// The file's size.
    pub bytes: u64,
}

/// The cache directory.
pub struct DiskCache {
    dir: PathBuf,
    max_bytes: u64,
    /// The directory's size as last swept plus what this process stored
    /// since (other processes' stores are seen at the next sweep).
    approx_bytes: AtomicU64,
    /// Keys with an entry for this ABI, from the listing at start-up plus
    /// this process's stores: the codes worth loading at first sight.
    index: Mutex<FxHashSet<Key>>,
    sweeping: Mutex<()>,
}

impl std::fmt::Debug for DiskCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskCache")
            .field("dir", &self.dir)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

/// What a file name in the directory says.
enum FileKind {
    /// An entry (of any runtime ABI).
    Entry { key: Key, abi: u64 },
    /// A temporary file of a writer.
    Temporary,
    /// Something else: never touched.
    Other,
}

fn classify(name: &str) -> FileKind {
    if name.starts_with('.') && (name.ends_with(".partial") || name.ends_with(".tmp")) {
        return FileKind::Temporary;
    }
    let Some(stem) = name.strip_suffix(".so") else {
        return FileKind::Other;
    };
    let mut parts = stem.split('-');
    let (Some(hash), Some(fork), Some(abi), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return FileKind::Other;
    };
    let hash = match hex::decode(hash) {
        Ok(bytes) if bytes.len() == 32 => B256::from_slice(&bytes),
        _ => return FileKind::Other,
    };
    let (Ok(spec), Ok(abi)) = (fork.parse::<SpecId>(), u64::from_str_radix(abi, 16)) else {
        return FileKind::Other;
    };
    // Only the canonical spelling is ours (the parser takes aliases too).
    if spec.name() != fork {
        return FileKind::Other;
    }
    FileKind::Entry {
        key: (hash, spec),
        abi,
    }
}

/// The file name of the entry for `key` under this build's ABI.
pub fn entry_name(key: &Key) -> String {
    format!(
        "{}-{}-{AOT_ABI_VERSION:016x}.so",
        hex::encode(key.0),
        key.1.name()
    )
}

/// Checks the trailer of an entry's bytes.
fn check_trailer(bytes: &[u8]) -> Result<(), String> {
    let Some(body_len) = bytes.len().checked_sub(TRAILER_BYTES) else {
        return Err("shorter than its trailer (truncated?)".into());
    };
    let (body, trailer) = bytes.split_at(body_len);
    if trailer[16..] != TRAILER_MAGIC {
        return Err("no checksum trailer (truncated, or not written by cevm)".into());
    }
    let announced = u64::from_le_bytes(trailer[8..16].try_into().unwrap_or_default());
    if announced != body_len as u64 {
        return Err(format!(
            "trailer announces {announced} bytes, the file holds {body_len}"
        ));
    }
    if trailer[..8] != checksum(body) {
        return Err("checksum mismatch (corrupt)".into());
    }
    Ok(())
}

/// CRC-32 of `body` and four zero bytes.
fn checksum(body: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out[..4].copy_from_slice(&crc32fast::hash(body).to_le_bytes());
    out
}

fn trailer_for(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(TRAILER_BYTES);
    out.extend_from_slice(&checksum(body));
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&TRAILER_MAGIC);
    out
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

impl DiskCache {
    /// Opens (creating it if needed) the cache in `dir`, holding at most
    /// `max_bytes`, and lists the entries it has for this build.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> Result<Self, TieredError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| TieredError::Io {
            path: dir.clone(),
            source,
        })?;
        let cache = DiskCache {
            dir,
            max_bytes,
            approx_bytes: AtomicU64::new(0),
            index: Mutex::default(),
            sweeping: Mutex::new(()),
        };
        let listing = cache.list().map_err(|source| TieredError::Io {
            path: cache.dir.clone(),
            source,
        })?;
        let mut total = 0;
        let mut index = FxHashSet::default();
        for file in &listing {
            total += file.bytes;
            if file.abi == AOT_ABI_VERSION {
                index.insert(file.key);
            }
        }
        cache.approx_bytes.store(total, Ordering::Relaxed);
        *cache.index.lock().unwrap_or_else(|p| p.into_inner()) = index;
        if total > max_bytes {
            cache.sweep();
        }
        Ok(cache)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry for `key` lives.
    pub fn path_for(&self, key: &Key) -> PathBuf {
        self.dir.join(entry_name(key))
    }

    /// Whether the directory had an entry for `key` at start-up (or this
    /// process stored one since).
    pub fn contains(&self, key: &Key) -> bool {
        self.index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(key)
    }

    /// Loads the entry for `key`: `Ok(None)` if there is none, an error if
    /// there is one that fails a check (it is not loaded).
    pub fn load(&self, key: &Key) -> Result<Option<LoadedEntry>, EntryError> {
        let path = self.path_for(key);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(EntryError::Io { path, source }),
        };
        let rejected = |why: String| EntryError::Rejected {
            path: path.clone(),
            why,
        };
        check_trailer(&bytes).map_err(rejected)?;
        // The manifest says what the library holds before the loader maps
        // it: an entry for another code or ABI is never loaded.
        let manifest = Manifest::find_in(&bytes).map_err(|e| rejected(e.to_string()))?;
        if manifest.abi_version != AOT_ABI_VERSION {
            return Err(rejected(format!(
                "built for runtime ABI {:#018x}, not {AOT_ABI_VERSION:#018x}",
                manifest.abi_version
            )));
        }
        if !manifest
            .entries
            .iter()
            .any(|e| e.code_hash == key.0 && e.spec == key.1)
        {
            return Err(rejected(format!("holds no code {} for {}", key.0, key.1)));
        }
        let size = bytes.len() as u64;
        let library = match AotLibrary::load_read(&path, &bytes) {
            Ok(library) => library,
            // Deleted by another process's sweep since it was read.
            Err(AotError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None)
            }
            Err(e) => return Err(rejected(e.to_string())),
        };
        let entry = library
            .entry(key.0, key.1)
            .ok_or_else(|| rejected(format!("holds no code {} for {}", key.0, key.1)))?;
        // A load is a use: the least recently used entries go first.
        if let Ok(file) = std::fs::File::options().write(true).open(&path) {
            let _ = file.set_modified(SystemTime::now());
        }
        Ok(Some(LoadedEntry {
            library,
            entry,
            bytes: size,
        }))
    }

    /// Compiles `code` for `key.1` into a new entry, renames it into place
    /// and loads it.
    pub fn store(&self, key: &Key, code: &[u8]) -> Result<LoadedEntry, EntryError> {
        let mut builder = AotBuilder::new();
        builder.add(code, key.1)?;
        let path = self.path_for(key);
        let temp = self.dir.join(format!(
            ".{}.{}-{}.partial",
            entry_name(key),
            std::process::id(),
            UNIQUE.fetch_add(1, Ordering::Relaxed)
        ));
        let written = self.write_entry(&builder, &temp, &path);
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        let size = written?;
        self.index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(*key);
        let total = self.approx_bytes.fetch_add(size, Ordering::Relaxed) + size;
        if total > self.max_bytes {
            self.sweep();
        }
        match self.load(key)? {
            Some(loaded) => Ok(loaded),
            // Swept away by another process at once: the directory is
            // too small for its users.
            None => Err(EntryError::Io {
                path,
                source: std::io::ErrorKind::NotFound.into(),
            }),
        }
    }

    /// Links `builder` to `temp`, appends the trailer and renames it to
    /// `path`. Returns the entry's size.
    fn write_entry(
        &self,
        builder: &AotBuilder,
        temp: &Path,
        path: &Path,
    ) -> Result<u64, EntryError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| EntryError::Io { path, source }
        };
        builder.link(temp)?;
        let body = std::fs::read(temp).map_err(io(temp))?;
        let trailer = trailer_for(&body);
        let mut file = std::fs::File::options()
            .append(true)
            .open(temp)
            .map_err(io(temp))?;
        file.write_all(&trailer).map_err(io(temp))?;
        drop(file);
        std::fs::rename(temp, path).map_err(io(path))?;
        Ok((body.len() + TRAILER_BYTES) as u64)
    }

    /// Deletes least recently used entries (of any ABI) until the
    /// directory is under its bound, and temporary files left by dead
    /// writers. One sweep at a time per process; a sweep racing another
    /// process's only deletes a little more than needed.
    pub fn sweep(&self) {
        let Ok(_one) = self.sweeping.try_lock() else {
            return;
        };
        let Ok(mut files) = self.list() else {
            return;
        };
        files.sort_by_key(|f| f.modified);
        let mut total: u64 = files.iter().map(|f| f.bytes).sum();
        let target = self.max_bytes / 100 * SWEEP_TO_PERCENT;
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        for file in &files {
            if total <= target {
                break;
            }
            if std::fs::remove_file(&file.path).is_ok() {
                total = total.saturating_sub(file.bytes);
                index.remove(&file.key);
            }
        }
        self.approx_bytes.store(total, Ordering::Relaxed);
    }

    /// The entries in the directory (deleting stale temporary files).
    fn list(&self) -> std::io::Result<Vec<ListedFile>> {
        let now = SystemTime::now();
        let mut out = Vec::new();
        for item in std::fs::read_dir(&self.dir)? {
            let Ok(item) = item else { continue };
            let name = item.file_name();
            let Some(name) = name.to_str() else { continue };
            let kind = classify(name);
            if matches!(kind, FileKind::Other) {
                continue;
            }
            // Gone already (another process's sweep or rename): skip.
            let Ok(meta) = item.metadata() else { continue };
            let modified = meta.modified().unwrap_or(now);
            match kind {
                FileKind::Temporary => {
                    let age = now.duration_since(modified).unwrap_or_default();
                    if age > STALE_TEMP {
                        let _ = std::fs::remove_file(item.path());
                    }
                }
                FileKind::Entry { key, abi } => out.push(ListedFile {
                    path: item.path(),
                    key,
                    abi,
                    bytes: meta.len(),
                    modified,
                }),
                FileKind::Other => {}
            }
        }
        Ok(out)
    }
}

struct ListedFile {
    path: PathBuf,
    key: Key,
    abi: u64,
    bytes: u64,
    modified: SystemTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_left_alone() {
        let key = (B256::repeat_byte(0xab), SpecId::Petersburg);
        let name = entry_name(&key);
        assert!(name.contains("-ConstantinopleFix-"), "{name}");
        match classify(&name) {
            FileKind::Entry { key: k, abi } => {
                assert_eq!(k, key);
                assert_eq!(abi, AOT_ABI_VERSION);
            }
            _ => panic!("{name} not recognised"),
        }
        assert!(matches!(classify("notes.txt"), FileKind::Other));
        assert!(matches!(classify("abc-Prague-12.so"), FileKind::Other));
        let alias = name.replace("ConstantinopleFix", "petersburg");
        assert!(matches!(classify(&alias), FileKind::Other));
        assert!(matches!(
            classify(&format!(".{name}.12-0.partial")),
            FileKind::Temporary
        ));
    }

    #[test]
    fn trailer_detects_truncation_and_flips() {
        let body = b"\x7fELF pretend library".to_vec();
        let mut file = body.clone();
        file.extend_from_slice(&trailer_for(&body));
        check_trailer(&file).unwrap();
        assert!(check_trailer(&file[..file.len() - 1]).is_err());
        assert!(check_trailer(&file[..10]).is_err());
        let mut flipped = file.clone();
        flipped[3] ^= 0x40;
        assert!(check_trailer(&flipped).unwrap_err().contains("checksum"));
        let mut longer = body.clone();
        longer.push(0);
        longer.extend_from_slice(&file[body.len()..]);
        assert!(check_trailer(&longer).is_err());
    }
}
