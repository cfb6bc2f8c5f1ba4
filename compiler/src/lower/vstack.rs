//! The virtual stack of the block being lowered.
//!
//! Positions are *region offsets*: stack heights relative to the entry
//! height of the block's region anchor (see [`crate::passes::regions`]).
//! Each position holds a [`Slot`]: the item the block found there on entry
//! (not loaded yet), a constant, or an SSA word computed in the block. DUP,
//! SWAP and POP only move slots. At the end of the block the positions
//! whose item changed are written back: to the region's Cranelift variables
//! for offsets at or above `-params`, to the stack memory below that (the
//! region's deep items live in memory, written through).

use super::word::{self, Word};
use cevm_runtime::U256;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::{FunctionBuilder, Variable};
use std::collections::HashMap;

/// Where a stack item is.
#[derive(Clone, Copy, Debug)]
pub enum Slot {
    /// The item found at region offset `o` on block entry, unchanged.
    Entry(i32),
    /// A constant (PUSH, PC, CODESIZE, folded arithmetic).
    Const(U256),
    /// A value computed in the block.
    Word(Word),
    /// 1 or 0 as an i8 condition (comparisons, ISZERO): a JUMPI branches
    /// on it directly, ISZERO negates it.
    Flag(Value),
}

/// What the stack analysis knows about an entry item.
#[derive(Clone, Copy, Debug)]
pub enum EntryFact {
    /// Always this constant.
    Const(U256),
    /// Always below `2^bits`.
    Bits(u16),
}

/// The region's items as Cranelift variables (four limbs per offset),
/// created on first use and shared by every region: each region defines
/// the ones it uses before using them.
#[derive(Debug, Default)]
pub struct SlotVars {
    vars: HashMap<i32, [Variable; 4]>,
}

impl SlotVars {
    /// The variables of offset `o`.
    pub fn get(&mut self, b: &mut FunctionBuilder, o: i32) -> [Variable; 4] {
        *self
            .vars
            .entry(o)
            .or_insert_with(|| std::array::from_fn(|_| b.declare_var(types::I64)))
    }
}

/// How a block reaches its region's stack memory.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    /// Address of the word at region offset 0 (stack base + anchor height * 32).
    pub base: Value,
    /// Offsets at or above `-params` are variables.
    pub params: i32,
}

/// The block-local stack model.
#[derive(Debug)]
pub struct VStack {
    frame: Frame,
    /// Region offset of `slots[0]`.
    low: i32,
    slots: Vec<Slot>,
    facts: HashMap<i32, EntryFact>,
    loaded: HashMap<i32, Word>,
    /// The canonical zero limb (one value, so joins of zero limbs need no phi).
    zero: Value,
}

impl VStack {
    /// The model on entry to a block at region offset `offset` that reads
    /// `needed` items; `facts` describe entry items by offset.
    pub fn new(
        frame: Frame,
        offset: i32,
        needed: u32,
        facts: HashMap<i32, EntryFact>,
        zero: Value,
    ) -> Self {
        let low = offset - needed as i32;
        VStack {
            frame,
            low,
            slots: (low..offset).map(Slot::Entry).collect(),
            facts,
            loaded: HashMap::new(),
            zero,
        }
    }

    /// Offsets at or above minus this are variables.
    pub fn params(&self) -> i32 {
        self.frame.params
    }

    /// Current height as a region offset.
    pub fn top(&self) -> i32 {
        self.low + self.slots.len() as i32
    }

    /// Pushes a slot.
    pub fn push(&mut self, slot: Slot) {
        self.slots.push(slot);
    }

    /// Pops a slot. The block's entry check (or the analysis) guarantees
    /// the item exists; past the model's bottom the entry item below is
    /// taken, which is where the item is.
    pub fn pop(&mut self) -> Slot {
        match self.slots.pop() {
            Some(s) => s,
            None => {
                self.low -= 1;
                Slot::Entry(self.low)
            }
        }
    }

    /// Makes sure the model covers the top `n` items.
    fn reveal(&mut self, n: usize) {
        while self.slots.len() < n {
            self.low -= 1;
            self.slots.insert(0, Slot::Entry(self.low));
        }
    }

    /// The slot `n` below the top (DUPn+1).
    pub fn peek(&mut self, n: usize) -> Slot {
        self.reveal(n + 1);
        self.slots[self.slots.len() - 1 - n]
    }

    /// SWAPn: exchanges the top with the item `n` below it.
    pub fn swap(&mut self, n: usize) {
        self.reveal(n + 1);
        let len = self.slots.len();
        self.slots.swap(len - 1, len - 1 - n);
    }

    /// The constant in `slot`, if known at compile time.
    pub fn constant(&self, slot: Slot) -> Option<U256> {
        match slot {
            Slot::Const(c) => Some(c),
            Slot::Entry(o) => match self.facts.get(&o) {
                Some(EntryFact::Const(c)) => Some(*c),
                _ => None,
            },
            Slot::Word(_) | Slot::Flag(_) => None,
        }
    }

    /// At most how many low limbs of `slot` can be non-zero.
    fn entry_limbs(&self, o: i32) -> usize {
        match self.facts.get(&o) {
            Some(EntryFact::Bits(bits)) => (*bits as usize).div_ceil(64).max(1),
            _ => 4,
        }
    }

    fn memory_word(&self, b: &mut FunctionBuilder, o: i32, limbs: usize) -> Word {
        let at = o * 32;
        std::array::from_fn(|i| {
            if i < limbs {
                b.ins().load(
                    types::I64,
                    MemFlagsData::trusted(),
                    self.frame.base,
                    at + 8 * i as i32,
                )
            } else {
                self.zero
            }
        })
    }

    /// Writes `w` to the stack memory at region offset `o`.
    pub fn store_memory(&self, b: &mut FunctionBuilder, o: i32, w: Word) {
        let at = o * 32;
        for (i, limb) in w.into_iter().enumerate() {
            b.ins().store(
                MemFlagsData::trusted(),
                limb,
                self.frame.base,
                at + 8 * i as i32,
            );
        }
    }

    /// The value of `slot` as limbs.
    pub fn materialize(
        &mut self,
        b: &mut FunctionBuilder,
        vars: &mut SlotVars,
        slot: Slot,
    ) -> Word {
        match slot {
            Slot::Word(w) => w,
            Slot::Flag(c) => {
                let v = b.ins().uextend(types::I64, c);
                [v, self.zero, self.zero, self.zero]
            }
            Slot::Const(c) => word::const_word(b, c.into_limbs()),
            Slot::Entry(o) => {
                if let Some(EntryFact::Const(c)) = self.facts.get(&o) {
                    return word::const_word(b, c.into_limbs());
                }
                if let Some(&w) = self.loaded.get(&o) {
                    return w;
                }
                let limbs = self.entry_limbs(o);
                let w = if o >= -self.frame.params {
                    let v = vars.get(b, o);
                    std::array::from_fn(|i| {
                        if i < limbs {
                            b.use_var(v[i])
                        } else {
                            self.zero
                        }
                    })
                } else {
                    self.memory_word(b, o, limbs)
                };
                self.loaded.insert(o, w);
                w
            }
        }
    }

    /// The value at region offset `o` (inside or below the model).
    pub fn value_at(&mut self, b: &mut FunctionBuilder, vars: &mut SlotVars, o: i32) -> Word {
        let slot = if o >= self.low {
            self.slots[(o - self.low) as usize]
        } else {
            Slot::Entry(o)
        };
        self.materialize(b, vars, slot)
    }

    /// Writes every position whose item changed back to its variable or
    /// memory word; afterwards each position holds its entry item again
    /// (with the written value remembered).
    pub fn commit(&mut self, b: &mut FunctionBuilder, vars: &mut SlotVars) {
        // Read everything first: a memory write must not clobber an item
        // still to be read.
        let mut writes = Vec::new();
        for (i, &slot) in self.slots.iter().enumerate() {
            let p = self.low + i as i32;
            if matches!(slot, Slot::Entry(o) if o == p) {
                continue;
            }
            writes.push((p, slot));
        }
        let values: Vec<(i32, Word)> = writes
            .into_iter()
            .map(|(p, s)| (p, self.materialize(b, vars, s)))
            .collect();
        for (p, w) in values {
            if p >= -self.frame.params {
                let v = vars.get(b, p);
                for i in 0..4 {
                    b.def_var(v[i], w[i]);
                }
            } else {
                self.store_memory(b, p, w);
            }
            // The position now holds this value, whatever the analysis knew.
            self.facts.remove(&p);
            self.loaded.insert(p, w);
            self.slots[(p - self.low) as usize] = Slot::Entry(p);
        }
    }

    /// Stores the items at offsets `from..to` in the stack memory (the
    /// variables among them; deeper ones are there already). Call after
    /// [`Self::commit`].
    pub fn flush_range(
        &mut self,
        b: &mut FunctionBuilder,
        vars: &mut SlotVars,
        from: i32,
        to: i32,
    ) {
        for o in from.max(-self.frame.params)..to {
            let w = self.value_at(b, vars, o);
            self.store_memory(b, o, w);
        }
    }
}
