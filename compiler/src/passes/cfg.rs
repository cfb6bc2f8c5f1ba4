//! The control-flow graph the stack analysis found: edges between the
//! blocks that can run, the blocks a dispatch can enter, an order to lower
//! them in, and the loop headers (where a gas check keeps every cycle
//! finite).

use super::stack::StackFacts;
use crate::analysis::Analysis;

/// Edges between reachable blocks.
#[derive(Clone, Debug, Default)]
pub struct Cfg {
    /// Successors of each block (fall-through and resolved jump targets;
    /// not the dispatch), sorted.
    pub succs: Vec<Vec<usize>>,
    /// Predecessors of each block through those edges, sorted.
    pub preds: Vec<Vec<usize>>,
    /// Blocks a computed jump can enter through the dispatch (empty when the
    /// code has no dispatch), in code order.
    pub dispatch_targets: Vec<usize>,
    /// Reachable blocks in reverse post-order (depth-first from block 0,
    /// then from each dispatch target not reached yet).
    pub order: Vec<usize>,
    /// Targets of a back edge of that depth-first search: every cycle of
    /// edges contains one.
    pub loop_header: Vec<bool>,
}

impl Cfg {
    /// The graph of `facts` over the blocks of `an`.
    pub fn new(an: &Analysis<'_>, facts: &StackFacts) -> Self {
        let n = an.blocks.len();
        let mut succs = vec![Vec::new(); n];
        let mut preds = vec![Vec::new(); n];
        for (i, info) in an.blocks.iter().enumerate() {
            if !facts.reachable(i) {
                continue;
            }
            let exits = &facts.blocks[i].exits;
            let mut s: Vec<usize> = exits.targets.clone();
            if exits.falls_through {
                if let Some(next) = an.block_at(info.end) {
                    s.push(next);
                }
            }
            s.retain(|&t| facts.reachable(t));
            s.sort_unstable();
            s.dedup();
            for &t in &s {
                preds[t].push(i);
            }
            succs[i] = s;
        }
        for p in &mut preds {
            p.sort_unstable();
            p.dedup();
        }
        let dispatch_targets: Vec<usize> =
            if facts.dynamic_jumps && facts.mode == super::stack::Mode::Dispatch {
                (0..n)
                    .filter(|&i| facts.reachable(i) && an.jumpdests.is_valid(an.blocks[i].start))
                    .collect()
            } else {
                Vec::new()
            };
        let mut cfg = Cfg {
            succs,
            preds,
            dispatch_targets,
            order: Vec::new(),
            loop_header: vec![false; n],
        };
        cfg.search(n, facts);
        cfg
    }

    /// Depth-first search without recursion: post-order, then reversed;
    /// back edges mark loop headers.
    fn search(&mut self, n: usize, facts: &StackFacts) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut mark = vec![Mark::New; n];
        let mut post = Vec::with_capacity(n);
        let mut roots: Vec<usize> = Vec::new();
        if n > 0 && facts.reachable(0) {
            roots.push(0);
        }
        roots.extend(self.dispatch_targets.iter().copied());
        for root in roots {
            if mark[root] != Mark::New {
                continue;
            }
            // (block, index of the next successor to visit)
            let mut stack = vec![(root, 0usize)];
            mark[root] = Mark::Open;
            while let Some(&mut (b, ref mut next)) = stack.last_mut() {
                if let Some(&s) = self.succs[b].get(*next) {
                    *next += 1;
                    match mark[s] {
                        Mark::New => {
                            mark[s] = Mark::Open;
                            stack.push((s, 0));
                        }
                        Mark::Open => self.loop_header[s] = true,
                        Mark::Done => {}
                    }
                } else {
                    mark[b] = Mark::Done;
                    post.push(b);
                    stack.pop();
                }
            }
        }
        post.reverse();
        self.order = post;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::stack::Mode;
    use cevm_runtime::asm::assemble;
    use cevm_runtime::SpecId;

    #[test]
    fn loops_have_headers_and_order_starts_at_entry() {
        let code = assemble(
            "PUSH1 3
             head: JUMPDEST DUP1 ISZERO PUSH @done JUMPI
             PUSH1 1 SWAP1 SUB PUSH @head JUMP
             done: JUMPDEST STOP",
        )
        .unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Exact);
        let cfg = Cfg::new(&an, &facts);
        assert_eq!(cfg.order[0], 0);
        assert_eq!(cfg.order.len(), 4);
        assert!(cfg.loop_header[1], "head");
        assert_eq!(cfg.loop_header.iter().filter(|&&h| h).count(), 1);
        assert_eq!(cfg.preds[1], vec![0, 2]);
        assert_eq!(cfg.succs[1], vec![2, 3]);
        assert!(cfg.dispatch_targets.is_empty());
    }

    #[test]
    fn computed_jumps_make_dispatch_targets() {
        let code = assemble("PUSH0 CALLDATALOAD JUMP a: JUMPDEST STOP b: JUMPDEST STOP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Dispatch);
        let cfg = Cfg::new(&an, &facts);
        assert_eq!(cfg.dispatch_targets, vec![1, 2]);
        assert_eq!(cfg.order.len(), 3);
    }
}
