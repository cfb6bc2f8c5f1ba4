//! Every benchmark contract in the shared material, compiled ahead of time
//! into one shared library in this process and loaded and run in another
//! (this test binary, spawned again): same status, gas used and output as
//! the reference interpreter.
//!
//! The child also prints, per benchmark, the AOT and JIT run times and the
//! library load time against the JIT compile time (meaningful in release
//! builds: `cargo test --release -p cevm-tests --test aot_benchmarks --
//! --nocapture`).
//!
//! The benchmarks are found through `CEVM_SHARED` or at `../shared` beside
//! the workspace; without them the test says so and passes, except under
//! `CI=true`.

use cevm_compiler::{AotBuilder, AotExecutor, AotLibrary, Compiler, JitExecutor, MissingCode};
use cevm_statetest::workload::{load_paths, Workload};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Names the library the child process loads.
const CHILD_ENV: &str = "CEVM_AOT_TEST_LIBRARY";
/// The test the parent spawns.
const CHILD_TEST: &str = "child_runs_the_benchmarks_from_the_library";

fn workloads() -> Option<Vec<Workload>> {
    let dir = cevm_statetest::shared::require("benchmarks", "the AOT benchmark test")?;
    let workloads = load_paths(&[dir]).expect("benchmark files load");
    assert!(!workloads.is_empty(), "no benchmark workloads found");
    Some(workloads)
}

#[test]
fn benchmarks_agree_when_loaded_from_a_library_built_in_another_process() {
    let Some(workloads) = workloads() else {
        return;
    };
    let started = Instant::now();
    let mut builder = AotBuilder::new();
    for w in &workloads {
        builder.add(&w.code(), w.env.spec).expect("compiles");
    }
    let dir = std::env::temp_dir().join(format!("cevm-aot-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let library = dir.join("benchmarks.so");
    builder.link(&library).expect("links");
    println!(
        "built {} ({} contracts) in {:?}",
        library.display(),
        builder.len(),
        started.elapsed()
    );

    let exe = std::env::current_exe().expect("test binary path");
    let output = Command::new(exe)
        .args(["--exact", CHILD_TEST, "--ignored", "--nocapture"])
        .env(CHILD_ENV, &library)
        .output()
        .expect("spawns itself");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{stderr}"
    );
    // The child's test must really have run (not been filtered away).
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test:\n{stdout}"
    );
}

/// Best of `n` runs of `f`.
fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (T, Duration) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed());
        last = Some(out);
    }
    (last.expect("n > 0"), best)
}

#[test]
#[ignore = "run in a child process by the test above"]
fn child_runs_the_benchmarks_from_the_library() {
    let path = PathBuf::from(std::env::var_os(CHILD_ENV).unwrap_or_else(|| {
        panic!("{CHILD_ENV} is not set: this test is spawned by the AOT benchmark test")
    }));
    let workloads = workloads().expect("the parent found the benchmarks");
    let (library, load_time) = best_of(1, || AotLibrary::load(&path).expect("loads"));
    let library = Arc::new(library);
    println!(
        "loaded {} entries in {load_time:?}",
        library.manifest().entries.len()
    );
    let aot = AotExecutor::new(MissingCode::Refuse).with_library(library);
    let jit = JitExecutor::new();
    let interp = cevm_interp::Interpreter::new();
    // Timing the JIT (and compiling every contract again for it) is for
    // release builds; debug builds only check agreement, to stay quick.
    let timed = !cfg!(debug_assertions);
    if timed {
        println!("benchmark | aot run | jit run | jit compile");
    }
    let mut compile_times = std::collections::HashMap::new();
    for w in &workloads {
        let want = w.run(&interp).expect("runs on the interpreter");
        let (got, aot_time) = best_of(3, || w.run(&aot).expect("runs from the library"));
        assert_eq!(got, want, "{}: AOT differs from the interpreter", w.name);
        if !timed {
            continue;
        }
        let (jit_got, jit_time) = best_of(3, || w.run(&jit).expect("runs on the JIT"));
        assert_eq!(
            jit_got, want,
            "{}: JIT differs from the interpreter",
            w.name
        );
        let code = w.code();
        let compile_time = *compile_times.entry(code.clone()).or_insert_with(|| {
            let compiler = Compiler::new(w.env.spec).expect("compiler");
            best_of(1, || compiler.compile(&code).expect("compiles")).1
        });
        println!(
            "{} | {aot_time:?} | {jit_time:?} | {compile_time:?}",
            w.name
        );
    }
    assert!(aot.failures().is_empty(), "{:?}", aot.failures());
    assert!(aot.stats().aot_frames >= workloads.len() as u64);
}
