//! The manifest inside every AOT library: which code, for which fork, built
//! against which runtime ABI, is the function `cevm_aot_entry_<i>`.
//!
//! It is one read-only data object (symbol [`MANIFEST_SYMBOL`]) without
//! relocations, so the same bytes can be found by scanning the file before
//! it is loaded and read through `dlsym` after. Layout, little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | [`MAGIC`] |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 4 | entry count `n` |
//! | 8 | runtime ABI version ([`super::AOT_ABI_VERSION`]) |
//! | 40 × n | entries: code hash (32), fork id (1), zero (3), code length (4) |
//! | 8 | FNV-1a checksum of everything before it |

use super::AotError;
use cevm_runtime::{SpecId, B256};

/// The manifest's first bytes.
pub const MAGIC: [u8; 8] = *b"CEVMAOT\0";
/// Version of the manifest layout itself.
pub const FORMAT_VERSION: u32 = 1;
/// The exported symbol of the manifest data object.
pub const MANIFEST_SYMBOL: &str = "cevm_aot_manifest";
/// Bytes before the first entry.
pub const HEADER_BYTES: usize = 24;
/// Bytes per entry.
pub const ENTRY_BYTES: usize = 40;
/// Most entries a manifest may declare (bounds what a corrupt count makes us read).
pub const MAX_ENTRIES: usize = 1 << 20;

/// One compiled contract in a library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Keccak-256 of the code.
    pub code_hash: B256,
    /// The fork the code was compiled for.
    pub spec: SpecId,
    /// Length of the code in bytes.
    pub code_len: u32,
}

impl ManifestEntry {
    /// The exported function symbol of the entry at `index`.
    pub fn symbol(index: usize) -> String {
        format!("cevm_aot_entry_{index}")
    }
}

/// What a library holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The runtime ABI the code was built against.
    pub abi_version: u64,
    /// The contracts, in symbol order.
    pub entries: Vec<ManifestEntry>,
}

/// FNV-1a, 64 bit: a checksum (not a defence against tampering: a library
/// is native code and is trusted once it is loaded).
pub(crate) const fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// FNV-1a's starting value.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

impl Manifest {
    /// The encoded manifest.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.abi_version.to_le_bytes());
        for e in &self.entries {
            out.extend_from_slice(e.code_hash.as_slice());
            out.push(e.spec as u8);
            out.extend_from_slice(&[0; 3]);
            out.extend_from_slice(&e.code_len.to_le_bytes());
        }
        let sum = fnv1a(FNV_OFFSET, &out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Bytes of the encoded manifest.
    pub fn encoded_len(&self) -> usize {
        Self::len_for(self.entries.len())
    }

    fn len_for(entries: usize) -> usize {
        HEADER_BYTES + entries * ENTRY_BYTES + 8
    }

    /// The total encoded length announced by a header, if `header` starts
    /// like a manifest.
    pub fn announced_len(header: &[u8]) -> Result<usize, AotError> {
        if header.len() < HEADER_BYTES || header[..8] != MAGIC {
            return Err(AotError::Corrupt("manifest magic not found".into()));
        }
        let format = u32::from_le_bytes(header[8..12].try_into().unwrap_or_default());
        if format != FORMAT_VERSION {
            return Err(AotError::Corrupt(format!(
                "manifest format {format}, expected {FORMAT_VERSION}"
            )));
        }
        let count = u32::from_le_bytes(header[12..16].try_into().unwrap_or_default()) as usize;
        if count > MAX_ENTRIES {
            return Err(AotError::Corrupt(format!("{count} entries is implausible")));
        }
        Ok(Self::len_for(count))
    }

    /// Decodes and checks a manifest starting at `bytes[0]` (trailing bytes
    /// are ignored).
    pub fn decode(bytes: &[u8]) -> Result<Manifest, AotError> {
        let len = Self::announced_len(bytes)?;
        let Some(bytes) = bytes.get(..len) else {
            return Err(AotError::Corrupt("manifest is truncated".into()));
        };
        let (body, sum) = bytes.split_at(len - 8);
        let sum = u64::from_le_bytes(sum.try_into().unwrap_or_default());
        if fnv1a(FNV_OFFSET, body) != sum {
            return Err(AotError::Corrupt("manifest checksum mismatch".into()));
        }
        let abi_version = u64::from_le_bytes(body[16..24].try_into().unwrap_or_default());
        let entries = body[HEADER_BYTES..]
            .chunks_exact(ENTRY_BYTES)
            .map(|e| {
                let spec = SpecId::ALL
                    .iter()
                    .copied()
                    .find(|s| *s as u8 == e[32])
                    .ok_or_else(|| AotError::Corrupt(format!("unknown fork id {}", e[32])))?;
                Ok(ManifestEntry {
                    code_hash: B256::from_slice(&e[..32]),
                    spec,
                    code_len: u32::from_le_bytes(e[36..40].try_into().unwrap_or_default()),
                })
            })
            .collect::<Result<_, AotError>>()?;
        Ok(Manifest {
            abi_version,
            entries,
        })
    }

    /// Finds and decodes the manifest in the bytes of a library file.
    pub fn find_in(file: &[u8]) -> Result<Manifest, AotError> {
        let mut last_error = None;
        let mut from = 0;
        // A vectorised substring search: a naive one costs a quarter of a
        // millisecond per large library, more than the rest of a load.
        while let Some(at) = memchr::memmem::find(&file[from..], &MAGIC) {
            match Manifest::decode(&file[from + at..]) {
                Ok(m) => return Ok(m),
                Err(e) => last_error = Some(e),
            }
            from += at + 1;
        }
        Err(last_error.unwrap_or_else(|| {
            AotError::Corrupt("no cevm manifest in the file (not an AOT library)".into())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            abi_version: 0x1234_5678_9abc_def0,
            entries: vec![
                ManifestEntry {
                    code_hash: B256::repeat_byte(7),
                    spec: SpecId::Cancun,
                    code_len: 10,
                },
                ManifestEntry {
                    code_hash: B256::repeat_byte(9),
                    spec: SpecId::Osaka,
                    code_len: 24576,
                },
            ],
        }
    }

    #[test]
    fn round_trips_and_is_found_inside_other_bytes() {
        let m = sample();
        let bytes = m.encode();
        assert_eq!(bytes.len(), m.encoded_len());
        assert_eq!(Manifest::decode(&bytes).unwrap(), m);
        let mut file = b"\x7fELF junk CEVMAOT\0 not a manifest".to_vec();
        file.extend_from_slice(&bytes);
        file.extend_from_slice(b"trailing");
        assert_eq!(Manifest::find_in(&file).unwrap(), m);
    }

    #[test]
    fn corruption_is_an_error() {
        let bytes = sample().encode();
        for cut in [0, 10, HEADER_BYTES, bytes.len() - 1] {
            assert!(Manifest::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[HEADER_BYTES + 3] ^= 1;
        assert!(matches!(
            Manifest::decode(&flipped),
            Err(AotError::Corrupt(_))
        ));
        assert!(Manifest::find_in(b"no manifest here").is_err());
    }
}
