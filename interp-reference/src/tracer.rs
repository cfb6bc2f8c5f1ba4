//! EIP-3155 execution traces.
//!
//! The interpreter calls a [`Tracer`] before every instruction of every frame
//! (nested frames included) and when each frame ends. [`Eip3155Writer`] turns
//! those calls into the JSON-lines format of EIP-3155: one object per step
//! and, after the outermost frame, one summary object.
//!
//! What `gasCost` holds: the instruction's whole cost, dynamic part included
//! (memory expansion, cold access, SSTORE's transition, the gas a CALL
//! forwards; not the gas a CREATE gives its child), as geth reports it. The
//! interpreter reports a step once that is known; an instruction that halts
//! reports its static gas.

use cevm_runtime::{FrameResult, Status, U256};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

/// The machine state just before one instruction executes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step<'a> {
    /// Offset of the instruction in the code.
    pub pc: usize,
    /// The opcode byte (STOP when running off the end of the code).
    pub opcode: u8,
    /// Mnemonic, or `UNDEFINED(0x..)` for a byte that is not an instruction in the fork.
    pub op_name: Cow<'static, str>,
    /// Gas left before the instruction.
    pub gas: u64,
    /// The instruction's whole cost (see the module documentation).
    pub gas_cost: u64,
    /// Memory size in bytes.
    pub mem_size: usize,
    /// The operand stack, bottom first.
    pub stack: &'a [U256],
    /// The last nested call's return data.
    pub return_data: &'a [u8],
    /// Call depth, 1 for the transaction's frame (EIP-3155 numbering).
    pub depth: usize,
    /// The transaction's refund counter so far, including enclosing frames'.
    pub refund: i64,
}

/// Receives the interpreter's execution events.
///
/// `Send` so that an interpreter holding a tracer can still be moved between threads.
pub trait Tracer: Send {
    /// Called before each instruction.
    fn step(&mut self, step: &Step<'_>);

    /// Called when a frame ends; `depth` is 1 for the outermost frame and
    /// `gas_limit` is the gas the frame started with.
    fn frame_end(&mut self, depth: usize, gas_limit: u64, result: &FrameResult);
}

/// Writes EIP-3155 JSON lines to `W`.
///
/// A write error stops the trace (later events are dropped) and is kept for
/// [`Eip3155Writer::error`], so that tracing never changes execution.
pub struct Eip3155Writer<W: Write> {
    out: W,
    summary: bool,
    line: String,
    error: Option<std::io::Error>,
}

impl<W: Write> Eip3155Writer<W> {
    /// A writer that also emits the summary line after the outermost frame.
    pub fn new(out: W) -> Self {
        Eip3155Writer {
            out,
            summary: true,
            line: String::with_capacity(256),
            error: None,
        }
    }

    /// Whether to write the summary line after the outermost frame (on by
    /// default). A transaction runner that knows the transaction's total gas
    /// turns it off and calls [`Eip3155Writer::write_summary`] itself.
    pub fn with_summary(mut self, summary: bool) -> Self {
        self.summary = summary;
        self
    }

    /// The first write error, if any.
    pub fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes the summary line: `{"output":"0x..","gasUsed":"0x..","pass":..}`
    /// plus `"error"` naming the halt reason or `"revert"` when not successful.
    pub fn write_summary(&mut self, output: &[u8], gas_used: u64, status: Status) {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        line.push_str("{\"output\":\"0x");
        push_hex(&mut line, output);
        let _ = write!(
            line,
            "\",\"gasUsed\":\"{gas_used:#x}\",\"pass\":{}",
            status.is_success()
        );
        if !status.is_success() {
            line.push_str(",\"error\":");
            push_json_string(&mut line, &status.describe());
        }
        line.push('}');
        self.emit(&line);
        self.line = line;
    }

    fn emit(&mut self, line: &str) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self
            .out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
        {
            self.error = Some(e);
        }
    }
}

impl<W: Write + Send> Tracer for Eip3155Writer<W> {
    fn step(&mut self, s: &Step<'_>) {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let _ = write!(
            line,
            "{{\"pc\":{},\"op\":{},\"gas\":\"{:#x}\",\"gasCost\":\"{:#x}\",\"memSize\":{},\"stack\":[",
            s.pc, s.opcode, s.gas, s.gas_cost, s.mem_size
        );
        for (i, item) in s.stack.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            let _ = write!(line, "\"{item:#x}\"");
        }
        let _ = write!(line, "],\"depth\":{}", s.depth);
        if !s.return_data.is_empty() {
            line.push_str(",\"returnData\":\"0x");
            push_hex(&mut line, s.return_data);
            line.push('"');
        }
        let _ = write!(line, ",\"refund\":{},\"opName\":", s.refund);
        push_json_string(&mut line, &s.op_name);
        line.push('}');
        self.emit(&line);
        self.line = line;
    }

    fn frame_end(&mut self, depth: usize, gas_limit: u64, result: &FrameResult) {
        if depth != 1 {
            return;
        }
        if self.summary {
            let used = gas_limit.saturating_sub(result.gas_left);
            self.write_summary(&result.output, used, result.status);
        }
        // The outermost frame is done: make the trace visible even if the
        // writer is buffered and outlives this transaction.
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
    }
}

/// Appends lower-case hex digits of `bytes`.
fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use cevm_runtime::{Bytes, HaltReason, SuccessReason};

    #[test]
    fn step_line_is_eip3155_json() {
        let mut w = Eip3155Writer::new(Vec::new());
        let stack = [U256::from(1), U256::from(0x2a)];
        w.step(&Step {
            pc: 2,
            opcode: 0x01,
            op_name: Cow::Borrowed("ADD"),
            gas: 0x2710,
            gas_cost: 3,
            mem_size: 0,
            stack: &stack,
            return_data: &[],
            depth: 1,
            refund: 0,
        });
        let text = String::from_utf8(w.into_inner()).unwrap();
        assert_eq!(
            text,
            "{\"pc\":2,\"op\":1,\"gas\":\"0x2710\",\"gasCost\":\"0x3\",\"memSize\":0,\
             \"stack\":[\"0x1\",\"0x2a\"],\"depth\":1,\"refund\":0,\"opName\":\"ADD\"}\n"
        );
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["stack"][1], "0x2a");
    }

    #[test]
    fn summary_only_after_outermost_frame() {
        let mut w = Eip3155Writer::new(Vec::new());
        let ok = FrameResult {
            status: Status::Success(SuccessReason::Return),
            gas_left: 40,
            refund: 0,
            output: Bytes::from_static(&[0xab]),
        };
        w.frame_end(2, 100, &ok);
        w.frame_end(1, 100, &ok);
        w.frame_end(1, 100, &FrameResult::halt(HaltReason::OutOfGas));
        let text = String::from_utf8(w.into_inner()).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "{\"output\":\"0xab\",\"gasUsed\":\"0x3c\",\"pass\":true}",
                "{\"output\":\"0x\",\"gasUsed\":\"0x64\",\"pass\":false,\"error\":\"out of gas\"}",
            ]
        );
        let mut quiet = Eip3155Writer::new(Vec::new()).with_summary(false);
        quiet.frame_end(1, 100, &ok);
        assert!(quiet.into_inner().is_empty());
    }

    #[test]
    fn write_errors_are_kept_not_raised() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut w = Eip3155Writer::new(Broken);
        w.write_summary(&[], 0, Status::Revert);
        assert!(w.error().is_some());
    }
}
