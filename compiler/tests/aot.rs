//! Ahead-of-time libraries: building, loading, running, and refusing bad
//! files; the bounded JIT cache.

mod common;

use cevm_compiler::aot::manifest::{Manifest, HEADER_BYTES};
use cevm_compiler::{AotBuilder, AotError, AotExecutor, AotLibrary, JitExecutor, MissingCode};
use cevm_runtime::primitives::keccak256;
use cevm_runtime::{SpecId, U256};
use common::*;
use std::path::PathBuf;
use std::sync::Arc;

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cevm-aot-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Returns `n`.
fn returns(n: u64) -> Vec<u8> {
    let mut code = push32(U256::from(n));
    code.extend_from_slice(&RETURN_TOP);
    code
}

/// A loop with memory, hashing, storage and arithmetic shims: sums
/// keccak(i) mod 7 for i in 0..50, stores it and returns it.
fn busy() -> Vec<u8> {
    // acc at memory 0x20, i at 0x40
    let src = [
        0x5f, 0x60, 0x40, 0x52, // i = 0
        0x5b, // loop @4: JUMPDEST
        0x60, 0x40, 0x51, 0x5f, 0x52, // mem[0] = i
        0x60, 0x20, 0x5f, 0x20, // keccak(mem[0..32])
        0x60, 0x07, 0x90, 0x06, // MOD 7
        0x60, 0x20, 0x51, 0x01, 0x60, 0x20, 0x52, // acc += h
        0x60, 0x40, 0x51, 0x60, 0x01, 0x01, 0x80, 0x60, 0x40, 0x52, // i += 1 (dup left)
        0x60, 0x32, 0x11, 0x60, 0x04, 0x57, // if 50 > i: jump loop
        0x60, 0x20, 0x51, 0x80, 0x5f, 0x55, // sstore(0, acc)
        0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3, // return acc
    ];
    src.to_vec()
}

#[test]
fn a_library_runs_like_the_interpreter() {
    let dir = scratch("runs");
    let lib_path = dir.join("lib.so");
    let codes = [returns(5), busy(), vec![0x60, 0x01, 0x60, 0x00, 0xfd]];
    // Forks where all three programs are defined (PUSH0, REVERT).
    let specs = [SpecId::Shanghai, SpecId::Cancun, SpecId::Osaka];
    let mut builder = AotBuilder::new();
    for code in &codes {
        for spec in specs {
            builder.add(code, spec).expect("compiles");
        }
    }
    builder
        .add(&codes[0], SpecId::Osaka)
        .expect("duplicate is fine");
    assert_eq!(builder.len(), codes.len() * specs.len());
    builder.link(&lib_path).expect("links");

    let library = Arc::new(AotLibrary::load(&lib_path).expect("loads"));
    assert_eq!(library.manifest().entries.len(), builder.len());
    let aot = AotExecutor::new(MissingCode::Refuse).with_library(library.clone());
    let backends = Backends::new();
    for code in &codes {
        for spec in specs {
            let got = run_on(&aot, code, spec, 1_000_000, &[]);
            let want = backends.run(code, spec, 1_000_000, &[]);
            assert_eq!(class(&got.0), class(&want.0));
            assert_eq!(got.1, want.1);
        }
    }
    assert!(aot.failures().is_empty(), "{:?}", aot.failures());
    assert_eq!(aot.stats().aot_frames, 9);

    // Code the library lacks is refused, not run.
    let missing = returns(6);
    let run = run_on(&aot, &missing, SpecId::Osaka, 100_000, &[]);
    assert!(matches!(run.0.status, cevm_runtime::Status::Halt(_)));
    assert_eq!(aot.failures().len(), 1);
    assert!(matches!(
        library.require(keccak256(&missing), SpecId::Osaka),
        Err(AotError::Missing { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_library_for_another_fork_or_abi_is_refused() {
    let dir = scratch("refused");
    let lib_path = dir.join("cancun.so");
    let code = returns(1);
    let mut builder = AotBuilder::new();
    builder.add(&code, SpecId::Cancun).expect("compiles");
    builder.link(&lib_path).expect("links");
    let library = AotLibrary::load(&lib_path).expect("loads");
    assert!(matches!(
        library.require(keccak256(&code), SpecId::Osaka),
        Err(AotError::SpecMismatch {
            found: SpecId::Cancun,
            expected: SpecId::Osaka
        })
    ));
    drop(library);

    // Rewrite the ABI version in a copy (with a valid checksum): refused.
    let mut bytes = std::fs::read(&lib_path).expect("readable");
    let manifest = builder.manifest();
    let encoded = manifest.encode();
    let at = bytes
        .windows(encoded.len())
        .position(|w| w == encoded.as_slice())
        .expect("the manifest is in the file");
    let mut other = manifest.clone();
    other.abi_version ^= 1;
    bytes[at..at + encoded.len()].copy_from_slice(&other.encode());
    let stale = dir.join("stale.so");
    std::fs::write(&stale, &bytes).expect("writable");
    assert!(matches!(
        AotLibrary::load(&stale),
        Err(AotError::AbiMismatch { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corrupt_and_truncated_files_are_errors() {
    let dir = scratch("corrupt");
    let lib_path = dir.join("ok.so");
    let mut builder = AotBuilder::new();
    builder.add(&returns(3), SpecId::Prague).expect("compiles");
    builder.link(&lib_path).expect("links");
    let bytes = std::fs::read(&lib_path).expect("readable");

    let not_elf = dir.join("text.so");
    std::fs::write(&not_elf, b"hello").expect("writable");
    assert!(matches!(
        AotLibrary::load(&not_elf),
        Err(AotError::Corrupt(_))
    ));
    assert!(matches!(
        AotLibrary::load(dir.join("absent.so")),
        Err(AotError::Io { .. })
    ));
    // Truncated anywhere: an error (from the manifest check or the loader).
    for cut in [4, 64, bytes.len() / 3, bytes.len() / 2, bytes.len() - 16] {
        let path = dir.join(format!("cut{cut}.so"));
        std::fs::write(&path, &bytes[..cut]).expect("writable");
        assert!(AotLibrary::load(&path).is_err(), "cut at {cut} loaded");
    }
    // A corrupted manifest byte: the checksum catches it.
    let encoded = builder.manifest().encode();
    let at = bytes
        .windows(encoded.len())
        .position(|w| w == encoded.as_slice())
        .expect("the manifest is in the file");
    let mut flipped = bytes.clone();
    flipped[at + HEADER_BYTES + 1] ^= 0xff;
    let path = dir.join("flipped.so");
    std::fs::write(&path, &flipped).expect("writable");
    assert!(matches!(AotLibrary::load(&path), Err(AotError::Corrupt(_))));
    assert!(Manifest::find_in(&flipped).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_cache_builds_once_then_loads() {
    let dir = scratch("dircache");
    let code = busy();
    let first = AotExecutor::new(MissingCode::CompileInto(dir.clone()));
    let want = run_on(
        &cevm_interp::Interpreter::new(),
        &code,
        SpecId::Osaka,
        1_000_000,
        &[],
    );
    for _ in 0..2 {
        let got = run_on(&first, &code, SpecId::Osaka, 1_000_000, &[]);
        assert_eq!(got.0, want.0);
    }
    assert_eq!(first.stats().libraries_built, 1);
    assert_eq!(first.stats().aot_frames, 2);

    let second = AotExecutor::new(MissingCode::CompileInto(dir.clone()));
    let got = run_on(&second, &code, SpecId::Osaka, 1_000_000, &[]);
    assert_eq!(got.0, want.0);
    assert_eq!(second.stats().libraries_built, 0);
    assert_eq!(second.stats().libraries_loaded, 1);

    // A corrupt file in the directory is rebuilt. (A new file, not the
    // loaded one overwritten: loaded libraries must never change in place.)
    drop((first, second));
    let path = AotExecutor::library_path(&dir, keccak256(&code), SpecId::Osaka);
    std::fs::remove_file(&path).expect("removable");
    std::fs::write(&path, b"\x7fELF garbage").expect("writable");
    let third = AotExecutor::new(MissingCode::CompileInto(dir.clone()));
    let got = run_on(&third, &code, SpecId::Osaka, 1_000_000, &[]);
    assert_eq!(got.0, want.0);
    assert_eq!(third.stats().libraries_built, 1);
    assert!(third.failures().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_jit_cache_is_bounded() {
    let jit = JitExecutor::with_capacity(2);
    for n in 0..5 {
        let run = run_on(&jit, &returns(n), SpecId::Osaka, 100_000, &[]);
        assert_eq!(returned_word(&run), U256::from(n));
    }
    assert_eq!(jit.cached_count(), 2);
}
