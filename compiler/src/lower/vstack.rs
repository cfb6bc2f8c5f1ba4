//! The virtual stack of the block being lowered.
//!
//! On block entry the EVM stack is in memory; each entry of the virtual stack
//! says where the item at that position currently is: still in its memory
//! slot (possibly already loaded), a constant, or an SSA word computed in the
//! block. DUP and SWAP only move entries; memory is written on flush, and
//! only for positions whose entry is not already in place.

use super::word::{self, Word};
use cevm_runtime::U256;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::FunctionBuilder;

/// Where a stack item is.
#[derive(Clone, Copy, Debug)]
pub enum Slot {
    /// In memory at word offset `d` from the entry height; `cached` once loaded.
    Mem {
        /// Offset in words from the stack top at block entry (negative: below it).
        d: i64,
        /// The loaded value, if it was loaded in this block.
        cached: Option<Word>,
    },
    /// A constant (PUSH, PC, CODESIZE): constant jump targets are found here.
    Const(U256),
    /// A value computed in the block.
    Word(Word),
}

/// The block-local stack model.
#[derive(Debug, Default)]
pub struct VStack {
    /// Pointer to the stack word at the entry height (one past the entry top).
    top: Option<Value>,
    /// Entry height (i64).
    entry_height: Option<Value>,
    /// Items the block may read below the entry top.
    needed: usize,
    slots: Vec<Slot>,
}

impl VStack {
    /// The model at block entry: `needed` items in memory below `top`.
    pub fn new(top: Value, entry_height: Value, needed: usize) -> Self {
        let slots = (0..needed)
            .map(|j| Slot::Mem {
                d: j as i64 - needed as i64,
                cached: None,
            })
            .collect();
        VStack {
            top: Some(top),
            entry_height: Some(entry_height),
            needed,
            slots,
        }
    }

    /// Word offset from the entry top of position `j` (0 = bottom of the model).
    fn offset_of(&self, j: usize) -> i64 {
        j as i64 - self.needed as i64
    }

    /// Height relative to the entry height.
    pub fn relative_height(&self) -> i64 {
        self.slots.len() as i64 - self.needed as i64
    }

    /// Pushes an entry.
    pub fn push(&mut self, slot: Slot) {
        self.slots.push(slot);
    }

    /// Pops an entry. The block's entry check guarantees the model never
    /// underflows; an empty model yields zero rather than panicking.
    pub fn pop(&mut self) -> Slot {
        self.slots.pop().unwrap_or(Slot::Const(U256::ZERO))
    }

    /// The entry `n` below the top (0 = top) for DUP, loading memory items
    /// once and remembering the loaded value.
    pub fn dup_slot(&mut self, b: &mut FunctionBuilder, n: usize) -> Slot {
        let Some(j) = self.slots.len().checked_sub(n + 1) else {
            return Slot::Const(U256::ZERO);
        };
        match self.slots[j] {
            Slot::Mem { d, cached: None } => {
                let w = self.load(b, d);
                self.slots[j] = Slot::Mem { d, cached: Some(w) };
                Slot::Word(w)
            }
            Slot::Mem {
                cached: Some(w), ..
            } => Slot::Word(w),
            other => other,
        }
    }

    /// SWAPn: exchanges the top with the entry `n` below it.
    pub fn swap(&mut self, n: usize) {
        let len = self.slots.len();
        if n < len {
            self.slots.swap(len - 1, len - 1 - n);
        }
    }

    fn top(&self, b: &mut FunctionBuilder) -> Value {
        match self.top {
            Some(t) => t,
            None => b.ins().iconst(types::I64, 0),
        }
    }

    fn load(&self, b: &mut FunctionBuilder, d: i64) -> Word {
        let top = self.top(b);
        let base = (d * 32) as i32;
        std::array::from_fn(|i| {
            b.ins().load(
                types::I64,
                MemFlagsData::trusted(),
                top,
                base + 8 * i as i32,
            )
        })
    }

    fn store(&self, b: &mut FunctionBuilder, d: i64, w: Word) {
        let top = self.top(b);
        let base = (d * 32) as i32;
        for (i, limb) in w.into_iter().enumerate() {
            b.ins()
                .store(MemFlagsData::trusted(), limb, top, base + 8 * i as i32);
        }
    }

    /// The value of an entry as limbs.
    pub fn materialize(&self, b: &mut FunctionBuilder, slot: Slot) -> Word {
        match slot {
            Slot::Mem {
                cached: Some(w), ..
            } => w,
            Slot::Mem { d, cached: None } => self.load(b, d),
            Slot::Const(c) => word::const_word(b, c.into_limbs()),
            Slot::Word(w) => w,
        }
    }

    /// Writes every entry not already in its memory slot, and returns the
    /// absolute height (i64). Afterwards every entry is a memory entry with
    /// no cached value (runtime calls may change memory).
    pub fn flush(&mut self, b: &mut FunctionBuilder) -> Value {
        // Load everything first: a store must not clobber a slot still to be read.
        let mut pending = Vec::new();
        for j in 0..self.slots.len() {
            let d = self.offset_of(j);
            let slot = self.slots[j];
            if let Slot::Mem { d: at, .. } = slot {
                if at == d {
                    continue;
                }
            }
            pending.push((d, self.materialize(b, slot)));
        }
        for (d, w) in pending {
            self.store(b, d, w);
        }
        for j in 0..self.slots.len() {
            self.slots[j] = Slot::Mem {
                d: self.offset_of(j),
                cached: None,
            };
        }
        let entry = match self.entry_height {
            Some(h) => h,
            None => b.ins().iconst(types::I64, 0),
        };
        b.ins().iadd_imm_s(entry, self.relative_height())
    }

    /// After a runtime call that replaced the top `inputs` items (already
    /// flushed) by `outputs` items in memory.
    pub fn apply_runtime_effect(&mut self, inputs: usize, outputs: usize) {
        for _ in 0..inputs {
            self.slots.pop();
        }
        for _ in 0..outputs {
            let d = self.offset_of(self.slots.len());
            self.slots.push(Slot::Mem { d, cached: None });
        }
    }
}
