//! Internal functions, called the way Solidity calls them: the caller
//! pushes a return address and the arguments and jumps to the function,
//! which ends by jumping to the address left below its results.
//!
//! These are the shapes an optimiser resolves jumps in: one function called
//! from several sites at different stack heights, calls nested inside
//! function bodies, return addresses that are computed (`label + x - x`,
//! or chosen between two landing sites by a condition, arithmetically or
//! by a branch) and landing sites that jump on through a computed target.
//!
//! In an observed program a function's first argument is its accumulator:
//! what its body drops is folded into it, and it is the first result.

use super::operands::edge_value;
use super::{Gen, View};
use crate::entropy::Entropy;
use crate::program::Item;
use alloy_primitives::U256;
use cevm_runtime::opcode::op;

/// Most internal functions a program defines.
const MAX_FUNCTIONS: usize = 4;

/// An internal function: entry label, arguments (the accumulator
/// included) and results.
#[derive(Clone, Copy, Debug)]
pub(super) struct Function {
    label: u32,
    args: usize,
    results: usize,
}

impl<R: Entropy> Gen<'_, R> {
    /// A call of an internal function (defining it first if the program
    /// has none yet or, sometimes, another one). A function body calls only
    /// functions defined before it. Returns the fragment budget used.
    pub(super) fn call_function(&mut self, depth: u32) -> usize {
        let callable = self.current_function.unwrap_or(self.functions.len());
        let may_define = self.current_function.is_none() && self.functions.len() < MAX_FUNCTIONS;
        let index = if may_define && (callable == 0 || self.rng.chance(1, 3)) {
            self.define_function(depth)
        } else if callable > 0 {
            self.rng.below(callable as u64) as usize
        } else {
            self.shuffle();
            return 1;
        };
        let f = self.functions[index];
        let shape = self.rng.below(8);
        let landing = self.return_address(shape);
        for _ in 0..f.args {
            if self.height >= 2 && self.rng.chance(1, 3) {
                // A copy of a computed value (or of the return address).
                let k = self.rng.range(1, self.height.min(16) as u64) as u8;
                self.emit(op::DUP1 + k - 1);
            } else {
                let v = edge_value(self.rng);
                self.push_value(v);
            }
        }
        self.items.push(Item::PushLabel(f.label));
        self.items.push(Item::Op(op::JUMP));
        // The return address and the arguments are gone, the results are there.
        self.height = self.height - 1 - f.args + f.results;
        self.land(landing);
        3
    }

    /// Pushes the return address for a call of the given shape; returns the
    /// labels the callee may return to.
    fn return_address(&mut self, shape: u64) -> Landing {
        match shape {
            0..=3 => {
                let r = self.label();
                self.items.push(Item::PushLabel(r));
                self.height += 1;
                Landing::One(r)
            }
            4 | 5 => {
                // label + x - x: computed, the same value.
                let r = self.label();
                self.items.push(Item::PushLabel(r));
                self.height += 1;
                self.computed_identity();
                Landing::One(r)
            }
            6 => {
                // r2 + c * (r1 - r2) for a computed c in {0, 1} (unknown to
                // the compiler half the time: a return through the dispatch).
                let (r1, r2, join) = (self.label(), self.label(), self.label());
                self.items.extend([
                    Item::PushLabel(r1),
                    Item::PushLabel(r2),
                    Item::Op(op::SWAP1),
                    Item::Op(op::SUB),
                ]);
                self.height += 1;
                let v = edge_value(self.rng);
                self.push_operand(v, 2);
                self.emit(op::ISZERO);
                if self.rng.chance(1, 2) {
                    self.emit(op::ISZERO);
                }
                self.emit(op::MUL);
                self.items.push(Item::PushLabel(r2));
                self.items.push(Item::Op(op::ADD));
                Landing::Two { r1, r2, join }
            }
            _ => {
                // One landing address, replaced by the other unless a
                // branch on an unknown condition skips that: the two paths
                // join with either address on the stack, and the analysis
                // resolves the return to a set of two destinations.
                // Either address may come first in the code: the join
                // meets the two destination sets in either order.
                let (r1, r2, join) = (self.label(), self.label(), self.label());
                let keep = self.label();
                let (kept, replacement) = if self.rng.chance(1, 2) {
                    (r1, r2)
                } else {
                    (r2, r1)
                };
                self.items.push(Item::PushLabel(kept));
                self.height += 1;
                let c = U256::from(self.rng.below(2));
                self.push_opaque(c);
                self.items.push(Item::PushLabel(keep));
                self.items.push(Item::Op(op::JUMPI));
                self.height -= 1;
                self.items.extend([
                    Item::Op(op::POP),
                    Item::PushLabel(replacement),
                    Item::Label(keep),
                ]);
                Landing::Two { r1, r2, join }
            }
        }
    }

    /// `+ x, - x` on the top item: the same value, computed.
    fn computed_identity(&mut self) {
        let x = U256::from(self.rng.below(1 << 16));
        self.push_operand(x, 4);
        self.emit(op::ADD);
        self.push_value(x);
        self.emit(op::SWAP1);
        self.emit(op::SUB);
    }

    /// The code the callee returns to. Two landing sites each push a marker
    /// (which path was taken) and jump to a join point, the second through
    /// a computed target.
    fn land(&mut self, landing: Landing) {
        match landing {
            Landing::One(r) => self.items.push(Item::Label(r)),
            Landing::Two { r1, r2, join } => {
                for (site, computed) in [(r1, false), (r2, true)] {
                    self.items.push(Item::Label(site));
                    let marker = U256::from(site);
                    self.push_value(marker);
                    self.items.push(Item::PushLabel(join));
                    self.height += 1;
                    if computed {
                        self.computed_identity();
                    }
                    self.items.push(Item::Op(op::JUMP));
                    self.height -= 2;
                }
                self.items.push(Item::Label(join));
                self.height += 1;
            }
        }
    }

    /// Generates a function body (placed after the program's end) and
    /// returns the function's index.
    fn define_function(&mut self, depth: u32) -> usize {
        let label = self.label();
        let observed = self.observed;
        let args = usize::from(observed) + self.rng.below(4) as usize;
        let args = args.max(1);
        let results = 1 + self.rng.below(3) as usize;
        let index = self.functions.len();
        self.functions.push(Function {
            label,
            args,
            results,
        });
        let saved_items = std::mem::replace(&mut self.items, vec![Item::Label(label)]);
        let saved = self.view();
        // The view: the arguments above the accumulator (the first one).
        self.set_view(View {
            height: args - usize::from(observed),
            hidden: 0,
            acc: observed,
            absolute: false,
            dangers: 0,
            current_function: Some(index),
        });
        let budget = self.rng.range(2, 10) as usize;
        self.fragments(budget, depth + 1);
        let values = results - usize::from(observed);
        while self.height > values {
            self.drop_top();
        }
        while self.height < values {
            let v = edge_value(self.rng);
            self.push_value(v);
        }
        // [ret, results..] -> SWAP(results) -> [.., ret] -> JUMP.
        self.items.push(Item::Op(op::SWAP1 + results as u8 - 1));
        self.items.push(Item::Op(op::JUMP));
        let body = std::mem::replace(&mut self.items, saved_items);
        self.deferred.extend(body);
        self.set_view(saved);
        index
    }
}

/// Where a function returns to.
#[derive(Clone, Copy, Debug)]
enum Landing {
    /// One label.
    One(u32),
    /// Two landing sites chosen at run time, joined afterwards.
    Two {
        /// First site.
        r1: u32,
        /// Second site.
        r2: u32,
        /// Where both continue.
        join: u32,
    },
}
