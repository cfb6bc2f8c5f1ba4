//! The dispatch loop.
//!
//! Per instruction, in this order (execution-specs order for the checks
//! every instruction shares):
//! 1. fetch the byte at `pc` (past the end of the code: STOP);
//! 2. trace the step if a tracer is installed;
//! 3. look it up in the opcode table for the fork (`None`: undefined instruction);
//! 4. check stack underflow (inputs) and overflow (outputs minus inputs);
//! 5. charge the static gas from the table;
//! 6. execute: the family module pops operands, charges dynamic gas and
//!    pushes results, and says where control goes next.

use crate::instructions::{self, Control, Machine};
use crate::tracer::{Step, Tracer};
use cevm_runtime::frame::STACK_LIMIT;
use cevm_runtime::opcode::{self, op, OpInfo};
use cevm_runtime::{
    Bytecode, Bytes, Executor, Frame, FrameResult, HaltReason, Host, JumpTable, Message, Stack,
    Status,
};
use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard};

/// The reference interpreter: runs one frame's code instruction by
/// instruction. Nested frames come back through [`Host::call`] and
/// [`Host::create`] into the same interpreter.
///
/// Without a tracer it holds no state and can be shared between threads.
#[derive(Default)]
pub struct Interpreter {
    trace: Option<Mutex<TraceState>>,
}

/// What tracing needs across frames.
struct TraceState {
    tracer: Box<dyn Tracer>,
    /// The transaction's refund counter as of the last traced step; a nested
    /// frame reads it on entry as the refund of its enclosing frames, so
    /// that each step reports the transaction-wide counter (EIP-3155).
    refund_at_last_step: i64,
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
        Interpreter { trace: None }
    }

    /// An interpreter that reports every step of every frame to `tracer`.
    pub fn with_tracer(tracer: Box<dyn Tracer>) -> Self {
        Interpreter {
            trace: Some(Mutex::new(TraceState {
                tracer,
                refund_at_last_step: 0,
            })),
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
            stack: Stack::new(),
            pc: 0,
            jumps: JumpTable::analyze(&code.bytes),
        };
        // The refund of the enclosing frames, for traces; zero for a transaction's frame.
        let outer_refund = match &self.trace {
            Some(t) if msg.depth > 0 => Self::lock_trace(t).refund_at_last_step,
            _ => 0,
        };

        let (status, output) = loop {
            match self.step(&mut m, host, outer_refund) {
                Ok(Control::Continue) => {}
                Ok(Control::Jump(dest)) => m.pc = dest,
                Ok(Control::Exit(status, output)) => break (status, output),
                Err(reason) => break (Status::Halt(reason), Bytes::new()),
            }
        };

        let result = match status {
            Status::Success(_) => FrameResult {
                status,
                gas_left: m.frame.gas.remaining,
                refund: m.frame.gas.refunded,
                output,
            },
            Status::Revert => FrameResult {
                status,
                gas_left: m.frame.gas.remaining,
                refund: 0,
                output,
            },
            Status::Halt(reason) => FrameResult::halt(reason),
        };
        if let Some(t) = &self.trace {
            Self::lock_trace(t)
                .tracer
                .frame_end(msg.depth + 1, msg.gas_limit, &result);
        }
        result
    }
}

impl Interpreter {
    /// Executes the instruction at `m.pc`; on [`Control::Continue`] the pc
    /// has been moved past it (and its immediate).
    fn step(
        &self,
        m: &mut Machine<'_>,
        host: &mut dyn Host,
        outer_refund: i64,
    ) -> Result<Control, HaltReason> {
        let opcode = m.frame.code.bytes.get(m.pc).copied().unwrap_or(op::STOP);
        let info = opcode::info_in(opcode, m.frame.spec);
        if let Some(t) = &self.trace {
            trace_step(&mut Self::lock_trace(t), m, opcode, info, outer_refund);
        }
        let info = info.ok_or(HaltReason::UndefinedOpcode)?;

        let height = m.stack.len();
        if height < info.inputs as usize {
            return Err(HaltReason::StackUnderflow);
        }
        if height - info.inputs as usize + info.outputs as usize > STACK_LIMIT {
            return Err(HaltReason::StackOverflow);
        }
        m.frame.gas.charge(info.static_gas(m.frame.spec))?;

        let control = instructions::execute(m, host, info)?;
        if let Control::Continue = control {
            m.pc += 1 + info.immediate as usize;
        }
        Ok(control)
    }
}

/// Reports the state before the instruction at `m.pc` to the tracer.
fn trace_step(
    state: &mut TraceState,
    m: &Machine<'_>,
    opcode: u8,
    info: Option<&OpInfo>,
    outer_refund: i64,
) {
    let refund = outer_refund + m.frame.gas.refunded;
    state.refund_at_last_step = refund;
    let op_name = match info {
        Some(i) => Cow::Borrowed(i.name),
        None => Cow::Owned(format!("UNDEFINED(0x{opcode:02x})")),
    };
    state.tracer.step(&Step {
        pc: m.pc,
        opcode,
        op_name,
        gas: m.frame.gas.remaining,
        gas_cost: info.map_or(0, |i| i.static_gas(m.frame.spec)),
        mem_size: m.frame.memory.len(),
        stack: m.stack.as_slice(),
        return_data: &m.frame.return_data,
        depth: m.frame.msg.depth + 1,
        refund,
    });
}
