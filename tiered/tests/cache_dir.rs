//! The persistent cache directory: entries survive the executor, corrupt
//! ones are ignored and rebuilt, the size is bounded, and executors on
//! threads or in separate processes can share one directory.

mod common;

use cevm_runtime::primitives::keccak256;
use cevm_runtime::Bytes;
use cevm_tiered::{
    CacheConfig, CodeKey, DeterministicTiers, DiskCache, TieredConfig, TieredExecutor,
};
use common::*;
use std::path::Path;
use std::process::Command;

/// `n` distinct codes (Fibonacci with different trailing metadata).
fn codes(n: u32) -> Vec<Bytes> {
    (0..n).map(|tag| variant(&fib_code(), tag)).collect()
}

fn key(code: &Bytes) -> CodeKey {
    (keccak256(code), SPEC)
}

/// Runs every code twice through a deterministic tiered executor on
/// `dir`: the first frame is interpreted and makes the code hot (unless
/// its entry is loaded at first sight), the second runs what the compiler
/// threads produced.
fn run_twice(dir: &Path, codes: &[Bytes]) -> TieredExecutor {
    run_twice_with(cached_config(1, dir), codes)
}

fn run_twice_with(config: TieredConfig, codes: &[Bytes]) -> TieredExecutor {
    let tiered = TieredExecutor::new(config).unwrap();
    let executor = DeterministicTiers(tiered.clone());
    for code in codes {
        let w = direct_workload(code.clone(), 50);
        assert_agrees(&w, &executor);
        assert_agrees(&w, &executor);
    }
    tiered.wait_idle();
    tiered
}

/// Entries and temporary files in `dir`.
fn listing(dir: &Path) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.into_iter().partition(|n| !n.starts_with('.'))
}

/// Every code has an intact entry that loads.
fn assert_all_load(dir: &Path, codes: &[Bytes]) {
    let cache = DiskCache::open(dir, u64::MAX).unwrap();
    for code in codes {
        match cache.load(&key(code)) {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no entry for {}", key(code).0),
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn a_second_executor_loads_what_the_first_compiled() {
    let dir = scratch("reload");
    let codes = codes(3);
    let first = run_twice(&dir, &codes);
    let stats = first.stats();
    assert_eq!((stats.compiles, stats.cache_stores), (3, 3), "{stats:?}");
    assert_eq!(stats.native_frames, 3);
    drop(first);
    let (entries, temps) = listing(&dir);
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert!(temps.is_empty(), "{temps:?}");

    // Entries are loaded when a code is first met: every frame is native.
    let second = run_twice(&dir, &codes);
    let stats = second.stats();
    assert_eq!(stats.compiles, 0, "{stats:?}");
    assert_eq!(stats.cache_loads, 3, "{stats:?}");
    assert_eq!(stats.native_frames, 6, "{stats:?}");
    assert!(second.failures().is_empty(), "{:?}", second.failures());

    // Loaded by a compiler thread instead: a code's first frame runs on
    // whichever tier is ready when it starts (interpreted, unless the load
    // won the race), the second natively.
    let third = run_twice_with(
        TieredConfig {
            background_cache_loads: true,
            ..cached_config(1, &dir)
        },
        &codes,
    );
    let stats = third.stats();
    assert_eq!(stats.compiles, 0, "{stats:?}");
    assert_eq!(stats.cache_loads, 3, "{stats:?}");
    assert!(stats.native_frames >= 3, "{stats:?}");
    assert_eq!(
        stats.native_frames + stats.interpreted_frames,
        6,
        "{stats:?}"
    );
}

#[test]
fn corrupt_truncated_and_foreign_entries_are_ignored_and_rebuilt() {
    let dir = scratch("corrupt");
    let codes = codes(4);
    drop(run_twice(&dir, &codes));
    let cache = DiskCache::open(&dir, u64::MAX).unwrap();
    let paths: Vec<_> = codes.iter().map(|c| cache.path_for(&key(c))).collect();
    drop(cache);
    // 0: one bit flipped in the middle (inside the machine code).
    let mut bytes = std::fs::read(&paths[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&paths[0], &bytes).unwrap();
    // 1: truncated to half.
    let bytes = std::fs::read(&paths[1]).unwrap();
    std::fs::write(&paths[1], &bytes[..bytes.len() / 2]).unwrap();
    // 2: foreign: an intact entry, but for another code.
    std::fs::copy(&paths[3], &paths[2]).unwrap();
    // 3: left intact.

    let tiered = run_twice(&dir, &codes);
    let stats = tiered.stats();
    assert_eq!(stats.cache_rejected, 3, "{stats:?} {:?}", tiered.failures());
    assert_eq!(stats.cache_stores, 3, "rebuilt: {stats:?}");
    assert_eq!(stats.cache_loads, 1, "{stats:?}");
    // The intact entry runs natively at once, the rebuilt ones after their
    // first (interpreted) frame.
    assert_eq!(stats.native_frames, 2 + 3, "{stats:?}");
    let failures = tiered.failures().join("\n");
    assert!(failures.contains("checksum"), "{failures}");
    assert!(failures.contains("holds no code"), "{failures}");
    drop(tiered);
    assert_all_load(&dir, &codes);
}

#[test]
fn the_directory_stays_within_its_size_bound() {
    let dir = scratch("bounded");
    let codes = codes(6);
    drop(run_twice(&dir, &codes[..1]));
    let (entries, _) = listing(&dir);
    let entry_size = std::fs::metadata(dir.join(&entries[0])).unwrap().len();
    // Room for about three entries.
    let bound = entry_size * 3 + entry_size / 2;
    let tiered = TieredExecutor::new(TieredConfig {
        cache: Some(CacheConfig {
            dir: dir.clone(),
            max_bytes: bound,
        }),
        ..config(1)
    })
    .unwrap();
    let executor = DeterministicTiers(tiered.clone());
    for code in &codes {
        let w = direct_workload(code.clone(), 50);
        assert_agrees(&w, &executor);
        assert_agrees(&w, &executor);
        // Keep modification times apart so "least recently used" is clear.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    tiered.wait_idle();
    let (entries, _) = listing(&dir);
    let total: u64 = entries
        .iter()
        .map(|n| std::fs::metadata(dir.join(n)).unwrap().len())
        .sum();
    assert!(total <= bound, "{total} > {bound}");
    assert!(entries.len() < 6, "{entries:?}");
    // The newest entry is kept, the oldest went first.
    let cache = DiskCache::open(&dir, u64::MAX).unwrap();
    assert!(cache.load(&key(&codes[5])).unwrap().is_some());
    assert!(cache.load(&key(&codes[0])).unwrap().is_none());
}

#[test]
fn executors_on_several_threads_share_one_directory() {
    let dir = scratch("threads");
    let codes = codes(6);
    std::thread::scope(|s| {
        for t in 0..4 {
            let dir = dir.clone();
            let codes = codes.clone();
            s.spawn(move || {
                // Each thread starts at another code, so that builds of
                // the same entry overlap in time across threads.
                let mut order = codes.clone();
                order.rotate_left(t);
                drop(run_twice(&dir, &order));
            });
        }
    });
    let (entries, temps) = listing(&dir);
    assert_eq!(entries.len(), 6, "{entries:?}");
    assert!(temps.is_empty(), "{temps:?}");
    assert_all_load(&dir, &codes);
    let fresh = run_twice(&dir, &codes);
    assert_eq!(fresh.stats().compiles, 0, "{:?}", fresh.stats());
    assert_eq!(fresh.stats().cache_loads, 6);
}

/// The child process of [`two_processes_share_one_directory`]: runs the
/// codes through the cache directory named by the environment.
#[test]
#[ignore = "run by two_processes_share_one_directory in a child process"]
fn child_process_uses_the_cache() {
    let dir = std::env::var("CEVM_TIERED_CHILD_DIR").expect("started by the parent test");
    let offset: usize = std::env::var("CEVM_TIERED_CHILD_OFFSET")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut order = codes(8);
    order.rotate_left(offset);
    for _ in 0..3 {
        drop(run_twice(Path::new(&dir), &order));
    }
}

#[test]
fn two_processes_share_one_directory() {
    let dir = scratch("processes");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|i| {
            Command::new(&exe)
                .args([
                    "child_process_uses_the_cache",
                    "--exact",
                    "--ignored",
                    "--test-threads=1",
                ])
                .env("CEVM_TIERED_CHILD_DIR", &dir)
                .env("CEVM_TIERED_CHILD_OFFSET", (i * 3).to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child process failed");
    }
    let codes = codes(8);
    let (entries, temps) = listing(&dir);
    assert_eq!(entries.len(), 8, "{entries:?}");
    assert!(temps.is_empty(), "{temps:?}");
    assert_all_load(&dir, &codes);
    let fresh = run_twice(&dir, &codes);
    assert_eq!(fresh.stats().compiles, 0, "{:?}", fresh.stats());
    assert_eq!(fresh.stats().cache_loads, 8);
}
