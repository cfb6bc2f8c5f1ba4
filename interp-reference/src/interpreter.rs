//! The dispatch loop.
//!
//! Per instruction, in this order (execution-specs order for the checks
//! every instruction shares):
//! 1. fetch the byte at `pc` (past the end of the code: STOP);
//! 2. look it up in the fork's opcode table (`None`: undefined instruction);
//! 3. trace the step if a tracer is installed (the step is reported once
//!    its whole cost is known: at the next step, when the nested frame it
//!    starts begins, or when its frame ends);
//! 4. check stack underflow (inputs) and overflow (outputs minus inputs);
//! 5. charge the static gas from the table;
//! 6. execute: the family module pops operands, charges dynamic gas and
//!    pushes results, and says where control goes next.
//!
//! Work that does not change from one instruction to the next is done once:
//! the fork's opcode table (with each opcode's static gas) is resolved once
//! per process and fork, the code's valid jump destinations once per code
//! (cached by code hash), and whether a tracer is installed once per frame
//! (the loop is compiled twice, with and without tracing).

use crate::instructions::{self, Control, Machine};
use crate::tracer::{Step, Tracer};
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op, ForkOp, ForkTable};
use cevm_runtime::{
    Bytecode, Bytes, Executor, Frame, FrameResult, HaltReason, Host, JumpTableCache, Message,
    Stack, Status, U256,
};
use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard};

/// The reference interpreter: runs one frame's code instruction by
/// instruction. Nested frames come back through [`Host::call`] and
/// [`Host::create`] into the same interpreter.
///
/// It keeps the jump tables of the codes it ran (by code hash); it can be
/// shared between threads.
#[derive(Default)]
pub struct Interpreter {
    trace: Option<Mutex<TraceState>>,
    jump_tables: JumpTableCache,
}

/// What tracing needs across frames.
struct TraceState {
    tracer: Box<dyn Tracer>,
    /// The transaction's refund counter as of the last traced step; a nested
    /// frame reads it on entry as the refund of its enclosing frames, so
    /// that each step reports the transaction-wide counter (EIP-3155).
    refund_at_last_step: i64,
    /// The step whose cost is not known yet.
    pending: Option<PendingStep>,
}

/// A traced step waiting for its cost: what [`Step`] reports, owned.
struct PendingStep {
    pc: usize,
    opcode: u8,
    op_name: Cow<'static, str>,
    gas: u64,
    static_gas: u64,
    mem_size: usize,
    stack: Vec<U256>,
    return_data: Bytes,
    depth: usize,
    refund: i64,
}

impl TraceState {
    /// Reports the pending step, if any, with the gas left after it
    /// (`None`: it halted; its static gas is reported).
    fn finish_pending(&mut self, gas_after: Option<u64>) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let gas_cost = gas_after.map_or(p.static_gas, |after| p.gas.saturating_sub(after));
        self.tracer.step(&Step {
            pc: p.pc,
            opcode: p.opcode,
            op_name: p.op_name,
            gas: p.gas,
            gas_cost,
            mem_size: p.mem_size,
            stack: &p.stack,
            return_data: &p.return_data,
            depth: p.depth,
            refund: p.refund,
        });
    }
}

impl std::fmt::Debug for Interpreter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interpreter")
            .field("tracing", &self.trace.is_some())
            .finish()
    }
}

impl Interpreter {
    /// An interpreter without tracing.
    pub fn new() -> Self {
        Interpreter::default()
    }

    /// An interpreter that reports every step of every frame to `tracer`.
    pub fn with_tracer(tracer: Box<dyn Tracer>) -> Self {
        Interpreter {
            trace: Some(Mutex::new(TraceState {
                tracer,
                refund_at_last_step: 0,
                pending: None,
            })),
            jump_tables: JumpTableCache::default(),
        }
    }

    /// Removes and returns the tracer, if any.
    pub fn take_tracer(&mut self) -> Option<Box<dyn Tracer>> {
        self.trace
            .take()
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()).tracer)
    }

    fn lock_trace(trace: &Mutex<TraceState>) -> MutexGuard<'_, TraceState> {
        // A tracer that panicked mid-step leaves nothing inconsistent here.
        trace.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Executor for Interpreter {
    fn execute(&self, code: &Bytecode, msg: &Message, host: &mut dyn Host) -> FrameResult {
        let spec = host.env().spec;
        let mut m = Machine {
            frame: Frame::new(msg, code, spec),
            code: &code.bytes,
            stack: Stack::new(),
            pc: 0,
            jumps: self.jump_tables.get(code),
            output: Bytes::new(),
        };
        let ops = opcode::fork_table(spec);

        let status = match &self.trace {
            None => self.run::<false>(&mut m, host, ops, 0),
            Some(t) => {
                // The refund of the enclosing frames, for traces; zero for a
                // transaction's frame.
                let outer_refund = match msg.depth {
                    0 => 0,
                    _ => Self::lock_trace(t).refund_at_last_step,
                };
                self.run::<true>(&mut m, host, ops, outer_refund)
            }
        };

        let result = match status {
            Status::Success(_) => FrameResult {
                status,
                gas_left: m.frame.gas.remaining,
                refund: m.frame.gas.refunded,
                output: m.output,
            },
            Status::Revert => FrameResult {
                status,
                gas_left: m.frame.gas.remaining,
                refund: 0,
                output: m.output,
            },
            Status::Halt(reason) => FrameResult::halt(reason),
        };
        if let Some(t) = &self.trace {
            let mut trace = Self::lock_trace(t);
            let gas_after = match result.status {
                Status::Success(_) | Status::Revert => Some(result.gas_left),
                Status::Halt(_) => None,
            };
            trace.finish_pending(gas_after);
            trace
                .tracer
                .frame_end(msg.depth + 1, msg.gas_limit, &result);
        }
        result
    }

    fn nested_frame_starts(&self, gas_left: u64) {
        if let Some(t) = &self.trace {
            Self::lock_trace(t).finish_pending(Some(gas_left));
        }
    }
}

impl Interpreter {
    /// Runs the frame's instructions until it ends; returns how. `TRACING`
    /// is a constant so that without a tracer the loop has no tracing code
    /// at all.
    fn run<const TRACING: bool>(
        &self,
        m: &mut Machine<'_>,
        host: &mut dyn Host,
        ops: &ForkTable,
        outer_refund: i64,
    ) -> Status {
        loop {
            match self.step::<TRACING>(m, host, ops, outer_refund) {
                Ok(Control::Continue | Control::Jumped) => {}
                Ok(Control::Exit(status)) => return status,
                Err(reason) => return Status::Halt(reason),
            }
        }
    }

    /// Executes the instruction at `m.pc`; on [`Control::Continue`] the pc
    /// has been moved to the next instruction.
    #[inline(always)]
    fn step<const TRACING: bool>(
        &self,
        m: &mut Machine<'_>,
        host: &mut dyn Host,
        ops: &ForkTable,
        outer_refund: i64,
    ) -> Result<Control, HaltReason> {
        let opcode = m.code.get(m.pc).copied().unwrap_or(op::STOP);
        let op = ops[opcode as usize].as_ref();
        if TRACING {
            if let Some(t) = &self.trace {
                trace_step(&mut Self::lock_trace(t), m, opcode, op, outer_refund);
            }
        }
        let op = op.ok_or(HaltReason::UndefinedOpcode)?;
        let info = &op.info;

        let height = m.stack.len();
        if height < info.inputs as usize {
            return Err(HaltReason::StackUnderflow);
        }
        if height - info.inputs as usize + info.outputs as usize > STACK_LIMIT {
            return Err(HaltReason::StackOverflow);
        }
        m.frame.gas.charge(op.static_gas)?;

        let control = instructions::execute(m, host, opcode, info)?;
        // PUSHn has already stepped over its immediate: the next pc does not
        // wait for the opcode's table entry (a chain of loads per step).
        if let Control::Continue = control {
            m.pc += 1;
        }
        Ok(control)
    }
}

/// Records the state before the instruction at `m.pc`, to be reported
/// when its cost is known; reports the step before it, whose cost is now
/// known (the gas it left is the gas this one starts with).
fn trace_step(
    state: &mut TraceState,
    m: &Machine<'_>,
    opcode: u8,
    op: Option<&ForkOp>,
    outer_refund: i64,
) {
    let refund = outer_refund + m.frame.gas.refunded;
    state.refund_at_last_step = refund;
    let op_name = match op {
        Some(op) => Cow::Borrowed(op.info.name),
        None => Cow::Owned(format!("UNDEFINED(0x{opcode:02x})")),
    };
    state.finish_pending(Some(m.frame.gas.remaining));
    state.pending = Some(PendingStep {
        pc: m.pc,
        opcode,
        op_name,
        gas: m.frame.gas.remaining,
        static_gas: op.map_or(0, |op| op.static_gas),
        mem_size: m.frame.memory.len(),
        stack: m.stack.as_slice().to_vec(),
        return_data: m.frame.return_data.clone(),
        depth: m.frame.msg.depth + 1,
        refund,
    });
}
