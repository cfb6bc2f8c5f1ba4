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
    /// Blocks that can run more than once in a frame: on a cycle of edges,
    /// counting a computed jump through the dispatch as an edge to every
    /// dispatch target.
    pub on_cycle: Vec<bool>,
    /// The strongly connected component of each block (blocks on one
    /// cycle share the number; the dispatch counts as a block).
    pub component: Vec<usize>,
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
            on_cycle: vec![false; n],
            component: vec![usize::MAX; n],
        };
        cfg.search(n, facts);
        (cfg.on_cycle, cfg.component) = cfg.cycles(facts);
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

    /// Which blocks lie on a cycle: the strongly connected components
    /// (Tarjan's algorithm, without recursion) of the edges plus one node
    /// for the dispatch, entered by every computed jump and leaving to every
    /// dispatch target.
    fn cycles(&self, facts: &StackFacts) -> (Vec<bool>, Vec<usize>) {
        let n = self.succs.len();
        let dispatch = n;
        let succs_of = |v: usize| -> &[usize] {
            if v == dispatch {
                &self.dispatch_targets
            } else {
                &self.succs[v]
            }
        };
        let jumps_to_dispatch = |v: usize| {
            v < n
                && !self.dispatch_targets.is_empty()
                && facts.reachable(v)
                && facts.blocks[v].exits.dynamic
        };
        const NONE: usize = usize::MAX;
        let mut index = vec![NONE; n + 1];
        let mut low = vec![0usize; n + 1];
        let mut on_stack = vec![false; n + 1];
        let mut stack = Vec::new();
        let mut on_cycle = vec![false; n];
        let mut component_of = vec![usize::MAX; n];
        let mut components = 0;
        let mut next_index = 0;
        // (node, next successor position; the dispatch edge comes last)
        let mut work: Vec<(usize, usize)> = Vec::new();
        for root in 0..=n {
            if index[root] != NONE || (root < n && !facts.reachable(root)) {
                continue;
            }
            work.push((root, 0));
            index[root] = next_index;
            low[root] = next_index;
            next_index += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut pos)) = work.last_mut() {
                let succs = succs_of(v);
                let extra = usize::from(jumps_to_dispatch(v));
                if *pos < succs.len() + extra {
                    let w = if *pos < succs.len() {
                        succs[*pos]
                    } else {
                        dispatch
                    };
                    *pos += 1;
                    if index[w] == NONE {
                        index[w] = next_index;
                        low[w] = next_index;
                        next_index += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut component = Vec::new();
                    loop {
                        let w = stack.pop().expect("the root is on the stack");
                        on_stack[w] = false;
                        component.push(w);
                        if w == v {
                            break;
                        }
                    }
                    let cyclic = component.len() > 1 || (v < n && self.succs[v].contains(&v));
                    for &w in &component {
                        if w < n {
                            component_of[w] = components;
                        }
                    }
                    components += 1;
                    if cyclic {
                        for w in component {
                            if w < n {
                                on_cycle[w] = true;
                            }
                        }
                    }
                }
            }
        }
        (on_cycle, component_of)
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

    #[test]
    fn cycles_are_loops_and_computed_jumps_between_dispatch_targets() {
        // A loop, then straight-line code.
        let code = assemble(
            "PUSH1 3
             head: JUMPDEST PUSH1 1 SWAP1 SUB DUP1 PUSH @head JUMPI
             after: JUMPDEST POP STOP",
        )
        .unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Exact);
        let cfg = Cfg::new(&an, &facts);
        assert_eq!(cfg.on_cycle, vec![false, true, false]);

        // Straight-line code with a forward jump: no cycle.
        let code = assemble("PUSH @a JUMP a: JUMPDEST PUSH @b JUMP b: JUMPDEST STOP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Exact);
        assert!(Cfg::new(&an, &facts).on_cycle.iter().all(|&c| !c));

        // A computed jump from a dispatch target can reach itself.
        let code = assemble(
            "PUSH0 CALLDATALOAD JUMP a: JUMPDEST PUSH0 CALLDATALOAD JUMP b: JUMPDEST STOP",
        )
        .unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Dispatch);
        let cfg = Cfg::new(&an, &facts);
        assert_eq!(cfg.on_cycle, vec![false, true, false]);

        // Computed jumps only from the entry: each target runs once.
        let code = assemble("PUSH0 CALLDATALOAD JUMP a: JUMPDEST STOP b: JUMPDEST STOP").unwrap();
        let an = Analysis::new(&code, SpecId::Osaka);
        let facts = StackFacts::new(&an, Mode::Dispatch);
        assert!(Cfg::new(&an, &facts).on_cycle.iter().all(|&c| !c));
    }
}
