//! Stack manipulation: POP, PUSH0..PUSH32, DUP1..DUP16, SWAP1..SWAP16.
//!
//! The PUSH size and the DUP/SWAP depth come from the opcode table: PUSHn
//! has `n` immediate bytes (which it steps over), DUPn reads `n` items and
//! SWAPn reads `n + 1`.

use super::{Control, Machine};
use cevm_runtime::opcode::{op, OpInfo};
use cevm_runtime::{HaltReason, U256};

/// Executes the stack instruction `opcode`, whose table entry is `info`.
#[inline(always)]
pub(crate) fn execute(
    m: &mut Machine<'_>,
    opcode: u8,
    info: &OpInfo,
) -> Result<Control, HaltReason> {
    match opcode {
        op::POP => {
            m.stack.pop()?;
        }
        op::PUSH0..=op::PUSH32 => {
            let size = info.immediate as usize;
            m.stack.push(push_value(m.code, m.pc, size))?;
            // The loop moves on by one byte; the immediate is skipped here.
            m.pc += size;
        }
        op::DUP1..=op::DUP16 => m.stack.dup(info.inputs as usize)?,
        op::SWAP1..=op::SWAP16 => m.stack.swap(info.inputs as usize - 1)?,
        // Dispatch sends only this family here; anything else is treated as
        // undefined rather than panicking.
        _ => return Err(HaltReason::UndefinedOpcode),
    }
    Ok(Control::Continue)
}

/// The `size`-byte big-endian immediate after the opcode at `pc`. Bytes past
/// the end of the code read as zero, so a truncated `PUSH2 0xff` pushes 0xff00.
#[inline(always)]
pub(crate) fn push_value(code: &[u8], pc: usize, size: usize) -> U256 {
    let start = pc + 1;
    match code.get(start..start + size) {
        // Up to eight bytes (nearly every push) fit one machine word.
        Some(immediate) if size <= 8 => {
            U256::from(immediate.iter().fold(0u64, |word, &b| word << 8 | b as u64))
        }
        Some(immediate) => U256::from_be_slice(immediate),
        // The code ends inside the immediate: shift the bytes that exist
        // into place, as if zeros followed them.
        None => {
            let present = code.get(start..).unwrap_or_default();
            U256::from_be_slice(present) << (8 * (size - present.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_reads_big_endian_immediates() {
        assert_eq!(push_value(&[0x60, 0x2a], 0, 1), U256::from(0x2a));
        assert_eq!(push_value(&[0x61, 0x01, 0x02], 0, 2), U256::from(0x0102));
        assert_eq!(push_value(&[0x5f], 0, 0), U256::ZERO);
        let mut push32 = vec![0x7f];
        push32.extend([0xff; 32]);
        assert_eq!(push_value(&push32, 0, 32), U256::MAX);
    }

    #[test]
    fn truncated_push_pads_with_zeros() {
        assert_eq!(push_value(&[0x61, 0xff], 0, 2), U256::from(0xff00));
        assert_eq!(push_value(&[0x00, 0x62], 1, 3), U256::ZERO);
        assert_eq!(push_value(&[0x7f, 0x01], 0, 32), U256::from(1) << 248);
    }
}
