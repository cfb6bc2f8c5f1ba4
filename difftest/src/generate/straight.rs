//! Long straight-line blocks: hundreds of instructions without a jump,
//! heavy in DUP and SWAP, the code a compiler splits, keeps in registers
//! and schedules.

use super::operands::{edge_value, near_value};
use super::{is_pure, Gen};
use crate::entropy::Entropy;
use cevm_runtime::opcode::{self, op};

/// Fewest and most instructions of a straight-line block (the compiler
/// splits blocks after 256 instructions).
const LENGTH: (u64, u64) = (200, 500);
/// Most items the block keeps in view while it runs.
const MAX_ITEMS: usize = 24;

impl<R: Entropy> Gen<'_, R> {
    /// One straight-line block; a few of its results stay in view, the
    /// others are folded. Returns the fragment budget used.
    pub(super) fn straight_line(&mut self) -> usize {
        let length = self.rng.range(LENGTH.0, LENGTH.1) as usize;
        let base = self.height;
        let locals = self.rng.range(6, 16) as usize;
        let mut last = edge_value(self.rng);
        for _ in 0..locals {
            last = if self.rng.chance(1, 3) {
                near_value(self.rng, last)
            } else {
                edge_value(self.rng)
            };
            self.push_value(last);
        }
        // Arithmetic without CLZ (undefined before Osaka: it would end the
        // block on two forks of three).
        let arithmetic = |c: u8| is_pure(c) && c != op::CLZ;
        for _ in locals..length {
            let h = self.height;
            match self.rng.below(20) {
                0..=6 if h < MAX_ITEMS => {
                    let k = self.rng.range(1, h.min(16) as u64) as u8;
                    self.emit(op::DUP1 + k - 1);
                }
                7..=13 if h >= 2 => {
                    let k = self.rng.range(1, (h - 1).min(16) as u64) as u8;
                    self.emit(op::SWAP1 + k - 1);
                }
                14..=16 if h >= 3 => {
                    let code = self.pick_code(arithmetic);
                    let inputs = opcode::info(code).map_or(0, |i| i.inputs as usize);
                    if inputs <= h {
                        self.emit(code);
                    } else {
                        self.emit(op::ADD);
                    }
                }
                _ if h >= MAX_ITEMS => self.emit(op::XOR),
                _ => {
                    let v = if self.rng.chance(1, 2) {
                        near_value(self.rng, last)
                    } else {
                        edge_value(self.rng)
                    };
                    last = v;
                    self.push_value(v);
                }
            }
        }
        let keep = base + self.rng.below(4) as usize;
        while self.height > keep {
            self.drop_top();
        }
        4
    }
}
