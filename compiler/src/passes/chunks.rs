//! Chunks: the Cranelift functions one contract is compiled into.
//!
//! Register allocation costs more than linear time in the size of a
//! function, so a large contract is cut into chunks of about
//! [`CHUNK_INSTRUCTIONS`] instructions, each its own function, compiled in
//! parallel. A chunk holds whole regions (a region's variables live in one
//! function); an edge into a region of another chunk is a tail call that
//! passes the gas left and the stack height (the stack itself is in memory
//! at such an edge, as at any region entry). A chunk's *entries* are the
//! anchors other chunks, the dispatch or the frame's start enter it at.

use super::cfg::Cfg;
use super::regions::Regions;
use crate::analysis::Analysis;

/// About how many instructions one chunk holds, counting those on a cycle
/// twice (see [`CYCLE_WEIGHT`]).
pub const CHUNK_INSTRUCTIONS: usize = 2500;
/// How much an instruction on a cycle counts towards [`CHUNK_INSTRUCTIONS`].
/// A function with a cycle is compiled with the backtracking register
/// allocator, whose time grows faster than the function (the 17 KB
/// snailtracer contract: 9 % less compile time with chunks of half the
/// size, for 0.7 % more instructions run); code without one, with the
/// single-pass allocator, whose time does not, and whose larger chunks
/// flush the stack less often (the adversarial dup_swap ran 15 % more
/// instructions when cut twice as often).
pub const CYCLE_WEIGHT: usize = 2;
/// About how many blocks one chunk holds (every block a computed jump can
/// enter is a join for the register allocator: their number counts too).
pub const CHUNK_BLOCKS: usize = 300;

/// How large a chunk grows before the next one starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkLimits {
    /// Instructions per chunk (about; those on a cycle count
    /// [`CYCLE_WEIGHT`] times).
    pub instructions: usize,
    /// Blocks per chunk (about).
    pub blocks: usize,
    /// A chunk's function of more Cranelift IR instructions than this keeps
    /// the EVM stack's base in the pinned register (tests set 0 to pin
    /// every function, `usize::MAX` to pin none but the single-pass ones).
    pub pin_above_insts: usize,
}

/// See [`ChunkLimits::pin_above_insts`]. Below it a register of its own is
/// worth more: a small loop (fibonacci's) runs 8 instructions per
/// iteration slower with one register fewer, while in large functions the
/// base, live across every runtime call, was spilled and reloaded before
/// most stack accesses (1,769 reloads in one 25,000-instruction chunk of
/// snailtracer).
pub const PIN_ABOVE_INSTS: usize = 2_000;

impl Default for ChunkLimits {
    fn default() -> Self {
        ChunkLimits {
            instructions: CHUNK_INSTRUCTIONS,
            blocks: CHUNK_BLOCKS,
            pin_above_insts: PIN_ABOVE_INSTS,
        }
    }
}

/// One function of the contract.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chunk {
    /// Its blocks, in lowering order.
    pub blocks: Vec<usize>,
    /// Anchors entered from outside the chunk; an entry's position here is
    /// the number the entering tail call passes.
    pub entries: Vec<usize>,
}

/// The contract's chunks.
#[derive(Clone, Debug, Default)]
pub struct Chunks {
    /// Per block, its chunk (`None` for blocks that never run).
    pub of_block: Vec<Option<usize>>,
    /// The chunks; chunk 0 holds block 0.
    pub chunks: Vec<Chunk>,
}

impl Chunks {
    /// Cuts the blocks of `cfg` (in lowering order) into chunks of about
    /// `limits` (instructions on a cycle weigh [`CYCLE_WEIGHT`]), preferably
    /// right before an anchor. Returns the chunks and the blocks that must
    /// become anchors because they are entered from another chunk.
    pub fn new(
        an: &Analysis<'_>,
        cfg: &Cfg,
        regions: &Regions,
        limits: ChunkLimits,
    ) -> (Self, Vec<usize>) {
        let n = an.blocks.len();
        let mut of_block = vec![None; n];
        let mut chunks: Vec<Chunk> = vec![Chunk::default()];
        let mut size = 0usize;
        let mut count = 0usize;
        for &b in &cfg.order {
            let weight = if cfg.on_cycle[b] { CYCLE_WEIGHT } else { 1 };
            let len = an.blocks[b].instructions.len().max(1) * weight;
            let full = size >= limits.instructions || count >= limits.blocks;
            let overfull = size >= 2 * limits.instructions || count >= 2 * limits.blocks;
            if (full && regions.is_anchor(b)) || overfull {
                chunks.push(Chunk::default());
                size = 0;
                count = 0;
            }
            count += 1;
            let c = chunks.len() - 1;
            of_block[b] = Some(c);
            chunks[c].blocks.push(b);
            size += len;
        }
        // A block entered from another chunk starts a region (the plan
        // adds more anchors until no region straddles two chunks).
        let forced: Vec<usize> = cfg
            .order
            .iter()
            .copied()
            .filter(|&b| cfg.preds[b].iter().any(|&p| of_block[p] != of_block[b]))
            .filter(|&b| !regions.is_anchor(b))
            .collect();
        let mut entered = vec![false; n];
        if n > 0 && of_block[0].is_some() {
            entered[0] = true;
        }
        for &t in &cfg.dispatch_targets {
            entered[t] = true;
        }
        for &b in &cfg.order {
            for &s in &cfg.succs[b] {
                if of_block[s] != of_block[b] {
                    entered[s] = true;
                }
            }
        }
        for &b in &cfg.order {
            if entered[b] {
                if let Some(c) = of_block[b] {
                    chunks[c].entries.push(b);
                }
            }
        }
        (Chunks { of_block, chunks }, forced)
    }

    /// Every entry of every chunk.
    pub fn all_entries(&self) -> Vec<usize> {
        self.chunks
            .iter()
            .flat_map(|c| c.entries.iter().copied())
            .collect()
    }

    /// Whether `block` is entered from outside its chunk.
    pub fn is_entry(&self, block: usize) -> bool {
        self.entry_index(block).is_some()
    }

    /// The entry number of `block` in its chunk, if it is an entry.
    pub fn entry_index(&self, block: usize) -> Option<usize> {
        let c = self.of_block.get(block).copied().flatten()?;
        self.chunks[c].entries.iter().position(|&e| e == block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::stack::{Mode, StackFacts};
    use cevm_runtime::SpecId;

    #[test]
    fn small_code_is_one_chunk() {
        let code = cevm_runtime::asm::assemble("PUSH1 1 PUSH @x JUMP x: JUMPDEST STOP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Exact);
        let cfg = Cfg::new(&an, &facts);
        let regions = Regions::new(&an, &facts, &cfg);
        let (chunks, forced) = Chunks::new(&an, &cfg, &regions, ChunkLimits::default());
        assert!(forced.is_empty());
        assert_eq!(chunks.chunks.len(), 1);
        assert_eq!(chunks.chunks[0].entries, vec![0]);
        assert_eq!(chunks.chunks[0].blocks, vec![0, 1]);
    }

    /// Chunks of `src` cut at `instructions` (and many blocks).
    fn chunk_count(src: &str, instructions: usize) -> usize {
        let code = cevm_runtime::asm::assemble(src).unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Exact);
        let cfg = Cfg::new(&an, &facts);
        let regions = Regions::new(&an, &facts, &cfg);
        let limits = ChunkLimits {
            instructions,
            blocks: 10_000,
            pin_above_insts: PIN_ABOVE_INSTS,
        };
        Chunks::new(&an, &cfg, &regions, limits).0.chunks.len()
    }

    #[test]
    fn code_on_a_cycle_is_cut_into_smaller_chunks() {
        // 40 blocks of 11 instructions each, every block an anchor (a join
        // of two heights); run once, or inside a loop.
        let mut body = String::new();
        for i in 0..40 {
            body.push_str(&format!(
                "PUSH0 CALLDATALOAD PUSH @j{i} JUMPI PUSH1 1 j{i}: JUMPDEST POP \
                 PUSH1 1 PUSH1 1 ADD POP "
            ));
        }
        let once = format!("{body} STOP");
        let looped = format!("top: JUMPDEST {body} PUSH0 CALLDATALOAD PUSH @top JUMPI STOP");
        let (a, b) = (chunk_count(&once, 88), chunk_count(&looped, 88));
        assert!(a >= 3, "{a} chunks");
        assert!(b >= 2 * a - 1, "{b} chunks on a cycle, {a} without");
    }

    #[test]
    fn large_code_is_cut_at_regions_and_edges_become_entries() {
        // A chain of blocks each jumping to the next with one more item:
        // one region, which the chunks cut with forced anchors.
        let mut src = String::new();
        for i in 0..400 {
            src.push_str(&format!("l{i}: JUMPDEST "));
            for _ in 0..10 {
                src.push_str("PUSH1 1 POP ");
            }
            src.push_str(&format!("PUSH1 7 PUSH @l{} JUMP ", i + 1));
        }
        src.push_str("l400: JUMPDEST STOP");
        let code = cevm_runtime::asm::assemble(&src).unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Exact);
        let cfg = Cfg::new(&an, &facts);
        let regions = Regions::new(&an, &facts, &cfg);
        let (chunks, forced) = Chunks::new(&an, &cfg, &regions, ChunkLimits::default());
        assert!(chunks.chunks.len() > 1, "{} chunks", chunks.chunks.len());
        assert!(!forced.is_empty());
        let regions = Regions::with_anchors(&an, &facts, &cfg, &forced, &chunks.all_entries());
        for (c, chunk) in chunks.chunks.iter().enumerate() {
            for &b in &chunk.blocks {
                assert_eq!(chunks.of_block[b], Some(c));
                // Every edge from another chunk lands on an entry.
                for &p in &cfg.preds[b] {
                    if chunks.of_block[p] != Some(c) {
                        assert!(chunks.is_entry(b));
                        assert!(regions.is_anchor(b));
                    }
                }
            }
        }
    }
}
