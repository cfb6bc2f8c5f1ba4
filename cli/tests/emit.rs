//! `cevm compile --emit blocks|dot` shows what the optimiser proved, and
//! CLI output into a closed pipe ends the process quietly.

use cevm_runtime::asm::assemble;
use std::process::{Command, Stdio};

/// An internal function `f` (adds its two arguments) called from two
/// sites, each pushing its return address below the arguments as solc
/// does; the first argument is the top 32 bits of the call data.
const CALLS: &str = "
        PUSH @r1 PUSH0 CALLDATALOAD PUSH1 0xe0 SHR PUSH1 7 PUSH @f JUMP
    r1: JUMPDEST PUSH @r2 SWAP1 PUSH1 9 PUSH @f JUMP
    r2: JUMPDEST PUSH0 MSTORE PUSH1 2 PUSH1 30 ADD PUSH0 RETURN
    f:  JUMPDEST ADD SWAP1 JUMP
";

fn hex(code: &[u8]) -> String {
    code.iter().map(|b| format!("{b:02x}")).collect()
}

fn compile(code: &[u8], emit: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cevm"))
        .args(["compile", &hex(code), "--emit", emit])
        .output()
        .expect("cevm runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The paragraph of `block` in `--emit blocks` output.
fn paragraph(text: &str, block: usize) -> Vec<&str> {
    let head = format!("block{block}: ");
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&head));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no {head} in\n{text}"));
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("  ")))
        .collect()
}

fn has(lines: &[&str], want: &str) {
    assert!(
        lines.contains(&want),
        "no line `{want}` in\n{}",
        lines.join("\n")
    );
}

#[test]
fn blocks_show_resolved_returns_removed_checks_folds_and_widths() {
    let code = assemble(CALLS).unwrap();
    let text = compile(&code, "blocks");
    // pcs: r1 = 14, r2 = 25, f = 35.
    assert!(text.starts_with("; 4 blocks, 4 run; 1 chunk(s); no dispatch"));
    let b0 = paragraph(&text, 0);
    has(&b0, "  jump: direct block3 (pc 35)");
    has(&b0, "  widths: pc 7 SHR 32");
    has(
        &b0,
        "  region: anchor, 0 params; chunk 0, entry 0; contexts 1",
    );
    // f returns to either call site: a switch, not the dispatch.
    let f = paragraph(&text, 3);
    has(
        &f,
        "  jump: switch block1 (pc 14), block2 (pc 25); else invalid jump",
    );
    has(
        &f,
        "  stack: height 3..3, needs 3, grows 0: underflow check removed, overflow check removed",
    );
    has(&f, "  region: block0 +3; chunk 0; contexts 2");
    has(&f, "  entry (top first): bits 4, bits 33, label pc 14|25");
    has(&f, "  widths: pc 36 ADD 34");
    // The first return site, in f's region, knows what it got back.
    let r1 = paragraph(&text, 1);
    has(&r1, "  entry (top first): bits 33");
    has(&r1, "  jump: direct block3 (pc 35)");
    // r2 folds 2 + 30 and tests the gas before its RETURN.
    let r2 = paragraph(&text, 2);
    has(&r2, "  folds: pc 32 ADD = 0x20");
    has(&r2, "  gas: charge 17, tested: before RETURN at pc 34");
    has(&b0, "  gas: charge 28, test deferred");
}

#[test]
fn blocks_show_computed_jumps_and_kept_checks() {
    let code = assemble("PUSH0 CALLDATALOAD JUMP a: JUMPDEST ADD STOP").unwrap();
    let text = compile(&code, "blocks");
    has(&paragraph(&text, 0), "  jump: dispatch (target computed)");
    let a = paragraph(&text, 1);
    has(
        &a,
        "  stack: height 0..1024, needs 2, grows 0: underflow check checked, overflow check removed",
    );
}

#[test]
fn dot_has_the_resolved_edges() {
    let code = assemble(CALLS).unwrap();
    let text = compile(&code, "dot");
    for edge in [
        "b0 -> b3 [label=\"jump\"];",
        "b1 -> b3 [label=\"jump\"];",
        "b3 -> b1 [label=\"switch\"];",
        "b3 -> b2 [label=\"switch\"];",
        "b3 -> invalid_jump [style=dashed];",
    ] {
        assert!(text.contains(edge), "no {edge} in\n{text}");
    }
    assert!(!text.contains("dispatch"), "{text}");
    assert!(text.contains("checks: none"), "{text}");
}

/// Runs `cevm args...` with its standard output closed before it writes:
/// it must neither panic nor report an error.
fn into_closed_pipe(args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cevm"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cevm starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("cevm ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let what = format!("cevm {} ... {}", args[0], args[args.len() - 1]);
    assert!(stderr.is_empty(), "{what} wrote to stderr: {stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        const SIGPIPE: i32 = 13;
        assert!(
            out.status.success() || out.status.signal() == Some(SIGPIPE),
            "{what}: {:?}",
            out.status
        );
    }
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // Far more than a pipe buffer of output (64 KiB on Linux).
    let code = hex(&[0x5b; 4000]);
    into_closed_pipe(&["compile", &code, "--emit", "blocks"]);
    into_closed_pipe(&["compile", &code, "--emit", "dot"]);
    into_closed_pipe(&["disasm", &code]);
}
