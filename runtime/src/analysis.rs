//! Code analysis both backends need: which bytes are valid jump destinations.

use crate::opcode::op;

/// Valid JUMPDEST positions of a bytecode (JUMPDEST bytes that are not PUSH data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JumpTable {
    bits: Vec<u64>,
    len: usize,
}

impl JumpTable {
    /// Scans `code` once, skipping PUSH immediates.
    pub fn analyze(code: &[u8]) -> Self {
        let mut bits = vec![0u64; code.len().div_ceil(64)];
        let mut pc = 0;
        while pc < code.len() {
            let b = code[pc];
            if b == op::JUMPDEST {
                bits[pc / 64] |= 1 << (pc % 64);
                pc += 1;
            } else if (op::PUSH1..=op::PUSH32).contains(&b) {
                pc += 1 + (b - op::PUSH1 + 1) as usize;
            } else {
                pc += 1;
            }
        }
        JumpTable {
            bits,
            len: code.len(),
        }
    }

    /// Whether `pc` is a valid jump destination.
    #[inline]
    pub fn is_valid(&self, pc: usize) -> bool {
        pc < self.len && self.bits[pc / 64] & (1 << (pc % 64)) != 0
    }

    /// Valid destinations in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len).filter(|&pc| self.is_valid(pc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_data_is_not_a_destination() {
        // PUSH2 0x5b5b JUMPDEST PUSH1 (truncated)
        let t = JumpTable::analyze(&[0x61, 0x5b, 0x5b, 0x5b, 0x60]);
        assert!(!t.is_valid(1) && !t.is_valid(2));
        assert!(t.is_valid(3));
        assert!(!t.is_valid(4) && !t.is_valid(1000));
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![3]);
    }
}
