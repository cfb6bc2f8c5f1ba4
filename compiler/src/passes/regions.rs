//! Regions of static relative stack height.
//!
//! A region starts at an *anchor* block and holds every block whose entry
//! height is the anchor's entry height plus a constant (its *offset*) on
//! every path. Inside a region the lowering keeps stack items in Cranelift
//! variables named by their offset, so values flow between blocks in
//! registers and Cranelift builds the phis. Anchors are block 0, the blocks a
//! dispatch can enter, and every block whose predecessors disagree on the
//! offset (a join of different heights: a function called from several
//! depths, or a loop that grows the stack). Entering an anchor passes its
//! top [`Regions::params`] items and the height as block arguments.

use super::cfg::Cfg;
use super::stack::StackFacts;
use crate::analysis::Analysis;

/// Most items an anchor receives as block arguments; deeper items its
/// region reads stay in the stack memory. Code with a dispatch passes none:
/// nearly every block is an anchor there, and measured (callgrind, on
/// snailtracer) arguments cost more compile time and run time than the
/// loads they save.
pub const MAX_PARAMS: u32 = 4;

/// Where one block sits in its region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    /// The region's anchor block.
    pub anchor: usize,
    /// Entry height minus the anchor's entry height.
    pub offset: i32,
}

/// The region of every reachable block.
#[derive(Clone, Debug)]
pub struct Regions {
    /// Per block; `None` for blocks that never run.
    pub place: Vec<Option<Place>>,
    /// Per anchor: items passed as block arguments (0 for other blocks).
    /// Items at offsets `-params..0` of the region are variables, deeper
    /// ones live in the stack memory.
    pub params: Vec<u32>,
}

impl Regions {
    /// Whether `block` starts a region.
    pub fn is_anchor(&self, block: usize) -> bool {
        self.place[block].is_some_and(|p| p.anchor == block)
    }

    /// Computes the regions of the blocks of `cfg`.
    pub fn new(an: &Analysis<'_>, facts: &StackFacts, cfg: &Cfg) -> Self {
        Self::with_anchors(an, facts, cfg, &[], &[])
    }

    /// The regions when the blocks in `forced` must start one too, and the
    /// anchors in `entered` are also entered from outside the function
    /// (with nothing but the height: they take no arguments).
    pub fn with_anchors(
        an: &Analysis<'_>,
        facts: &StackFacts,
        cfg: &Cfg,
        forced: &[usize],
        entered: &[usize],
    ) -> Self {
        let n = an.blocks.len();
        let mut anchor = vec![false; n];
        if n > 0 {
            anchor[0] = true;
        }
        for &f in forced {
            anchor[f] = true;
        }
        for &t in &cfg.dispatch_targets {
            anchor[t] = true;
        }
        let delta = |b: usize| an.blocks[b].stack_delta;
        let place = loop {
            let mut place: Vec<Option<Place>> = vec![None; n];
            for b in 0..n {
                if anchor[b] && (b == 0 || facts.reachable(b)) {
                    place[b] = Some(Place {
                        anchor: b,
                        offset: 0,
                    });
                }
            }
            // Propagate offsets along edges until nothing changes; a block
            // keeps the first offset it gets (a disagreement is collected
            // below and makes it an anchor in the next round).
            let mut changed = true;
            while changed {
                changed = false;
                for &b in &cfg.order {
                    if anchor[b] || place[b].is_some() {
                        continue;
                    }
                    let from = cfg.preds[b].iter().find_map(|&p| {
                        place[p].map(|pl| Place {
                            anchor: pl.anchor,
                            offset: pl.offset + delta(p),
                        })
                    });
                    if from.is_some() {
                        place[b] = from;
                        changed = true;
                    }
                }
            }
            let mut conflicts = false;
            for &b in &cfg.order {
                if anchor[b] {
                    continue;
                }
                let mut seen: Option<Place> = None;
                for &p in &cfg.preds[b] {
                    let Some(pl) = place[p] else { continue };
                    let c = Place {
                        anchor: pl.anchor,
                        offset: pl.offset + delta(p),
                    };
                    if seen.is_some_and(|s| s != c) {
                        anchor[b] = true;
                        conflicts = true;
                        break;
                    }
                    seen = Some(c);
                }
            }
            if !conflicts {
                break place;
            }
        };
        let mut params = vec![0u32; n];
        // How deep below its anchor's entry each region reads.
        let mut depth = vec![0i32; n];
        for (b, pl) in place.iter().enumerate() {
            if let Some(pl) = pl {
                let reads = an.blocks[b].stack_needed as i32 - pl.offset;
                depth[pl.anchor] = depth[pl.anchor].max(reads);
            }
        }
        for (a, pl) in place.iter().enumerate() {
            if !pl.is_some_and(|p| p.anchor == a) {
                continue;
            }
            // The items every way in guarantees: an entry with fewer items
            // checks the height first, which is only right if the anchor
            // itself needs that many (it would underflow anyway).
            let entered_from_outside = a == 0 || cfg.dispatch_targets.contains(&a);
            let mut guaranteed = if entered_from_outside { 0 } else { u32::MAX };
            for &p in &cfg.preds[a] {
                guaranteed = guaranteed.min(exit_lo(an, facts, p));
            }
            let own = an.blocks[a].stack_needed;
            let safe = own.max(if guaranteed == u32::MAX {
                0
            } else {
                guaranteed
            });
            // Block 0 entered only at the frame's start has nothing below it.
            let only_start =
                a == 0 && cfg.preds[0].is_empty() && !cfg.dispatch_targets.contains(&0);
            params[a] = if only_start || !cfg.dispatch_targets.is_empty() || entered.contains(&a) {
                0
            } else {
                MAX_PARAMS.min(depth[a].max(0) as u32).min(safe)
            };
        }
        Regions { place, params }
    }
}

/// The fewest items the stack holds when `block` ends (its joined entry
/// minimum plus its stack change).
pub fn exit_lo(an: &Analysis<'_>, facts: &StackFacts, block: usize) -> u32 {
    let lo = facts.blocks[block].entry.as_ref().map_or(0, |e| e.lo) as i64;
    (lo + an.blocks[block].stack_delta as i64).max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::stack::Mode;
    use cevm_runtime::asm::assemble;
    use cevm_runtime::SpecId;

    fn regions(src: &str) -> (Regions, Vec<usize>) {
        let code = assemble(src).unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Exact);
        let cfg = Cfg::new(&an, &facts);
        let starts = an.blocks.iter().map(|b| b.start).collect();
        (Regions::new(&an, &facts, &cfg), starts)
    }

    #[test]
    fn a_balanced_loop_is_one_region() {
        let (r, _) = regions(crate::passes::FIBONACCI_LOOP);
        for b in 0..4 {
            assert_eq!(r.place[b].unwrap().anchor, 0, "block {b}");
        }
        assert_eq!(r.place[1].unwrap().offset, 3);
        assert_eq!(r.place[2].unwrap().offset, 3);
        assert_eq!(r.params[0], 0);
    }

    #[test]
    fn a_function_called_at_two_heights_is_an_anchor() {
        let (r, starts) = regions(
            "PUSH1 1 PUSH @ret1 PUSH1 7 PUSH @f JUMP
             ret1: JUMPDEST
             PUSH1 2 PUSH1 3 PUSH @ret2 PUSH1 9 PUSH @f JUMP
             ret2: JUMPDEST STOP
             f: JUMPDEST POP JUMP",
        );
        let f = starts.len() - 1;
        assert!(r.is_anchor(f));
        // f pops its argument and the return address: it reads two items.
        assert_eq!(r.params[f], 2);
        // The return sites are entered only from f: f's region.
        assert_eq!(r.place[1].unwrap().anchor, f);
        assert_eq!(r.place[1].unwrap().offset, -2);
    }

    #[test]
    fn a_loop_that_grows_the_stack_starts_a_region() {
        let (r, _) = regions("loop: JUMPDEST PUSH1 1 PUSH @loop JUMP");
        // Block 0 is an anchor anyway; the back edge disagrees with the
        // entry, which is fine for an anchor.
        assert!(r.is_anchor(0));
    }
}
