//! The dispatch: where a computed jump goes at run time.
//!
//! Each chunk's function has one dispatch block: a gas check, then a
//! search tree over the pcs of the JUMPDESTs of this chunk a computed jump
//! can enter (conditional branches: an indirect jump per dispatch
//! mispredicted at every new target, and the adversarial computed_jumps,
//! whose jumps each go to a new one, ran 75 % slower through a jump
//! table). A target in another chunk is looked up in the contract's
//! dispatch table, which maps each pc to its chunk and entry number (all
//! ones for pcs that are not such a JUMPDEST), and entered by a tail call.
//! The table replaced a dispatch function holding a search tree over every
//! target of the contract, which was compiled last, alone on one core
//! (computed_jumps: 2,730 targets, 6,500 blocks).

use super::Lowering;
use crate::context::halt_code;
use crate::passes::plan::Plan;
use cevm_runtime::HaltReason;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, GlobalValue, InstBuilder, MemFlagsData, Value};

/// How the dispatch table is laid out: one little-endian element per pc
/// below `len`, holding `chunk << entry_bits | entry`, or all ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TableLayout {
    /// Elements (one per pc, up to the last target).
    pub len: u64,
    /// Low bits holding the entry number.
    pub entry_bits: u32,
    /// Elements are 8 bytes (else 4): only when chunk and entry numbers do
    /// not fit 32 bits together (code far beyond 64 KiB).
    pub wide: bool,
}

impl TableLayout {
    /// Bytes per element.
    pub fn element_bytes(&self) -> u64 {
        if self.wide {
            8
        } else {
            4
        }
    }
}

/// The dispatch table of a contract with computed jumps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DispatchTable {
    /// Its layout, which the code reading it is built for.
    pub layout: TableLayout,
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// Bits needed to write every number below `n` (0 for `n <= 1`).
fn bits_below(n: usize) -> u32 {
    usize::BITS - n.saturating_sub(1).leading_zeros()
}

impl DispatchTable {
    /// The table for `plan`, if its code has computed jumps and several
    /// chunks (one chunk's dispatch needs no table).
    pub fn new(plan: &Plan<'_, '_>) -> Option<Self> {
        if !plan.has_dispatch() || plan.chunks.chunks.len() < 2 {
            return None;
        }
        let chunks = &plan.chunks;
        let most_entries = chunks.chunks.iter().map(|c| c.entries.len()).max();
        let entry_bits = bits_below(most_entries.unwrap_or(0));
        // Chunk numbers leave the all-ones value unused: it is no chunk.
        let chunk_bits = bits_below(chunks.chunks.len() + 1);
        let wide = entry_bits + chunk_bits > 32;
        let mut targets = Vec::new();
        for &t in &plan.cfg.dispatch_targets {
            let (Some(c), Some(n)) = (chunks.of_block[t], chunks.entry_index(t)) else {
                continue;
            };
            targets.push((
                plan.an.blocks[t].start,
                ((c as u64) << entry_bits) | n as u64,
            ));
        }
        // At least one element, so that the data is never empty.
        let len = targets.iter().map(|&(pc, _)| pc + 1).max().unwrap_or(1);
        let layout = TableLayout {
            len: len as u64,
            entry_bits,
            wide,
        };
        let size = layout.element_bytes() as usize;
        let mut bytes = vec![0xff; len * size];
        for (pc, v) in targets {
            bytes[pc * size..(pc + 1) * size].copy_from_slice(&v.to_le_bytes()[..size]);
        }
        Some(DispatchTable { layout, bytes })
    }
}

/// The dispatch table as a function sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TableRef {
    /// The table's address.
    pub data: GlobalValue,
    /// Its layout.
    pub layout: TableLayout,
}

impl Lowering<'_, '_, '_, '_> {
    /// The shared block computed jumps go through (created on first use),
    /// with parameters (target, height).
    pub(super) fn dispatch_block(&mut self) -> Block {
        if let Some(d) = self.dispatch {
            return d;
        }
        let d = self.b.create_block();
        self.b.append_block_param(d, types::I64);
        self.b.append_block_param(d, types::I64);
        self.dispatch = Some(d);
        d
    }

    /// The dispatch: a gas check (a computed jump may close a cycle), then
    /// a search tree over this chunk's dispatch targets, each entered with
    /// the height (code with computed jumps passes no items in registers:
    /// see [`crate::passes::regions`]); any other target is looked up in
    /// the dispatch table and entered by a tail call into its chunk, or is
    /// an invalid jump.
    pub(super) fn emit_dispatch(&mut self) {
        let Some(d) = self.dispatch else {
            return;
        };
        self.b.switch_to_block(d);
        let target = self.b.block_params(d)[0];
        let height = self.b.block_params(d)[1];
        self.check_gas_now();
        let invalid = self.halt_block(halt_code(HaltReason::InvalidJump));
        let mut switch = cranelift_frontend::Switch::new();
        let mut entries = Vec::new();
        for &t in &self.plan.cfg.dispatch_targets {
            if let Some(block) = self.blocks[t] {
                debug_assert_eq!(self.plan.regions.params[t], 0);
                let entry = self.b.create_block();
                switch.set_entry(self.plan.an.blocks[t].start as u128, entry);
                entries.push((block, entry));
            }
        }
        let elsewhere = match self.dispatch_table {
            Some(_) => self.b.create_block(),
            None => invalid,
        };
        switch.emit(&mut self.b, target, elsewhere);
        for (block, entry) in entries {
            self.continue_in(entry);
            self.b.ins().jump(block, &[height.into()]);
        }
        if let Some(table) = self.dispatch_table {
            self.continue_in(elsewhere);
            self.dispatch_elsewhere(table, target, height, invalid);
        }
    }

    /// A computed jump to a target outside this chunk: the table's element
    /// for it, then a tail call into the chunk it names, or an invalid jump
    /// (a pc that is no dispatch target, or beyond the table).
    fn dispatch_elsewhere(
        &mut self,
        table: TableRef,
        target: Value,
        height: Value,
        invalid: Block,
    ) {
        let layout = table.layout;
        // A target of 2^64 or more arrives as all ones: out of the table too.
        let inside = self
            .b
            .ins()
            .icmp_imm_u(IntCC::UnsignedLessThan, target, layout.len as i64);
        let lookup = self.b.create_block();
        self.b.ins().brif(inside, lookup, &[], invalid, &[]);
        self.continue_in(lookup);
        let ptr = self.b.func.dfg.value_type(target);
        let base = self.b.ins().symbol_value(ptr, table.data);
        let shift = layout.element_bytes().trailing_zeros() as i64;
        let offset = self.b.ins().ishl_imm_u(target, shift);
        let at = self.b.ins().iadd(base, offset);
        let flags = MemFlagsData::trusted().with_readonly();
        let element = if layout.wide {
            self.b.ins().load(types::I64, flags, at, 0)
        } else {
            let e = self.b.ins().load(types::I32, flags, at, 0);
            self.b.ins().uextend(types::I64, e)
        };
        let chunk = self.b.ins().ushr_imm_u(element, layout.entry_bits as i64);
        let mask = (1u64 << layout.entry_bits).wrapping_sub(1);
        let entry = self.b.ins().band_imm_s(element, mask as i64);
        // This chunk's targets are all in the tree: only other chunks here.
        let mut switch = cranelift_frontend::Switch::new();
        let mut calls = Vec::new();
        for c in (0..self.chunks.len()).filter(|&c| c != self.chunk) {
            let case = self.b.create_block();
            switch.set_entry(c as u128, case);
            calls.push((c, case));
        }
        switch.emit(&mut self.b, chunk, invalid);
        for (c, case) in calls {
            self.continue_in(case);
            let which = self.b.ins().ireduce(types::I32, entry);
            let gas = self.b.use_var(self.gas);
            let stack_base = self.stack_base();
            let f = self.chunks[c];
            self.b
                .ins()
                .return_call(f, &[self.ctx_ptr, stack_base, gas, height, which]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Analysis;
    use crate::passes::chunks::ChunkLimits;
    use cevm_runtime::asm::assemble;
    use cevm_runtime::SpecId;

    fn element(t: &DispatchTable, pc: usize) -> u64 {
        let size = t.layout.element_bytes() as usize;
        let mut b = [0u8; 8];
        b[..size].copy_from_slice(&t.bytes[pc * size..(pc + 1) * size]);
        u64::from_le_bytes(b)
    }

    #[test]
    fn bits_below_counts_the_bits_of_the_largest_number() {
        assert_eq!(bits_below(0), 0);
        assert_eq!(bits_below(1), 0);
        assert_eq!(bits_below(2), 1);
        assert_eq!(bits_below(3), 2);
        assert_eq!(bits_below(4), 2);
        assert_eq!(bits_below(5), 3);
        assert_eq!(bits_below(1 << 20), 20);
    }

    #[test]
    fn code_without_computed_jumps_has_no_table() {
        let code = assemble("PUSH @x JUMP x: JUMPDEST STOP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        assert!(DispatchTable::new(&Plan::new(&an)).is_none());
    }

    #[test]
    fn every_target_maps_to_its_chunk_and_entry_and_nothing_else_does() {
        let code = assemble(
            "PUSH0 CALLDATALOAD JUMP \
             a: JUMPDEST PUSH1 1 STOP b: JUMPDEST PUSH1 2 STOP c: JUMPDEST PUSH1 3 STOP \
             d: JUMPDEST PUSH1 4 STOP",
        )
        .unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        // One chunk: its dispatch needs no table.
        assert!(DispatchTable::new(&Plan::new(&an)).is_none());
        for blocks in [1, 2] {
            let limits = ChunkLimits {
                instructions: 1,
                blocks,
                pin_above_insts: 0,
            };
            let plan = Plan::with_limits(&an, limits);
            assert!(plan.chunks.chunks.len() > 1);
            let table = DispatchTable::new(&plan).unwrap();
            let layout = table.layout;
            assert!(!layout.wide);
            let mut targets = 0;
            for pc in 0..layout.len as usize {
                let v = element(&table, pc);
                let block = an.block_at(pc).filter(|b| an.blocks[*b].start == pc);
                match block.filter(|b| plan.cfg.dispatch_targets.contains(b)) {
                    Some(b) => {
                        targets += 1;
                        let chunk = plan.chunks.of_block[b].unwrap() as u64;
                        let entry = plan.chunks.entry_index(b).unwrap() as u64;
                        assert_eq!(v >> layout.entry_bits, chunk, "pc {pc}");
                        assert_eq!(v & ((1 << layout.entry_bits) - 1), entry, "pc {pc}");
                    }
                    None => {
                        assert_eq!(v, u32::MAX as u64, "pc {pc}");
                        // All ones is no chunk.
                        let chunks = plan.chunks.chunks.len() as u64;
                        assert!(v >> layout.entry_bits >= chunks);
                    }
                }
            }
            assert_eq!(targets, 4);
        }
    }
}
