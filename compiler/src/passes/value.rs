//! The abstract value of one stack item and its transfer functions.
//!
//! An item is a known constant, one of a few valid jump destinations (the
//! return addresses solc and Vyper push before calling an internal
//! function), or any value of at most so many significant bits. Constants
//! and destination sets are interned in a [`ValuePool`] so that a value is
//! eight bytes: the stack analysis keeps thousands of abstract stacks.
//!
//! A destination remembers where it was pushed (a *site*: the PUSH in one
//! analysis context) and whether it is *intact*: still at the position it
//! was pushed to, with nothing below it written since. A jump to an intact
//! destination returns to the state of its site (see [`super::stack`]).
//!
//! The order is `Const(c) ⊑ Labels(S ∋ c) ⊑ Bits(w)` with `w` at least the
//! width of every member, and within label sets `S ⊑ S'` when `S'` has every
//! member of `S` (an intact member joined with a broken one is broken);
//! [`ValuePool::join`] is the least upper bound and every transfer function
//! is monotone, so the analysis reaches a fixpoint.

use super::fold;
use cevm_runtime::opcode::op;
use cevm_runtime::U256;
use rustc_hash::FxHashMap as HashMap;

/// Most members a [`AbsVal::Labels`] set holds before it widens to bits.
pub const MAX_LABELS: usize = 64;

/// The site of a destination that was not pushed by a PUSH the analysis
/// saw (a computed constant that happens to be a JUMPDEST).
pub const NO_SITE: u32 = u32::MAX;

/// One possible jump destination of a stack item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    /// The destination.
    pub pc: u32,
    /// Where it was pushed ([`NO_SITE`] if unknown).
    pub site: u32,
    /// Nothing below its boundary has been written since the site (and it
    /// is not a copy). The boundary is the lowest position the item has
    /// occupied: everything below it belongs to whoever will be returned to.
    pub intact: bool,
    /// How many positions above its boundary the item is now (SWAPs move
    /// it; pushes and pops move everything alike).
    pub disp: i16,
}

/// What the analysis knows about one stack item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AbsVal {
    /// Exactly this constant (an index into [`ValuePool`]).
    Const(u32),
    /// One of these jump destinations (a set of [`Label`]s in [`ValuePool`],
    /// at most [`MAX_LABELS`]).
    Labels(u32),
    /// Any value below `2^bits` (`Bits(256)` knows nothing).
    Bits(u16),
}

/// Nothing known.
pub const TOP: AbsVal = AbsVal::Bits(256);

/// Interned constants and destination sets.
#[derive(Debug, Default)]
pub struct ValuePool {
    consts: Vec<U256>,
    const_ids: HashMap<U256, u32>,
    labels: Vec<Box<[Label]>>,
    label_ids: HashMap<Box<[Label]>, u32>,
}

/// Significant bits of `x` (0 for zero).
pub fn bit_width(x: U256) -> u16 {
    x.bit_len() as u16
}

impl ValuePool {
    /// The value of constant `c`.
    pub fn constant(&mut self, c: U256) -> AbsVal {
        if let Some(&id) = self.const_ids.get(&c) {
            return AbsVal::Const(id);
        }
        let id = self.consts.len() as u32;
        self.consts.push(c);
        self.const_ids.insert(c, id);
        AbsVal::Const(id)
    }

    /// The destination `pc` pushed at `site`, intact.
    pub fn label(&mut self, pc: u32, site: u32) -> AbsVal {
        self.intern_labels(vec![Label {
            pc,
            site,
            intact: true,
            disp: 0,
        }])
    }

    /// The constant of `v`, if it has exactly one value.
    pub fn as_const(&self, v: AbsVal) -> Option<U256> {
        match v {
            AbsVal::Const(id) => Some(self.consts[id as usize]),
            AbsVal::Labels(id) => {
                let set = &self.labels[id as usize];
                let pc = set.first()?.pc;
                set.iter().all(|l| l.pc == pc).then(|| U256::from(pc))
            }
            AbsVal::Bits(_) => None,
        }
    }

    /// The values `v` may be, if it is a constant or a destination set
    /// (constants whether or not they are valid destinations).
    pub fn as_targets(&self, v: AbsVal) -> Option<Vec<U256>> {
        match v {
            AbsVal::Const(id) => Some(vec![self.consts[id as usize]]),
            AbsVal::Labels(id) => {
                let mut pcs: Vec<u32> = self.labels[id as usize].iter().map(|l| l.pc).collect();
                pcs.dedup();
                Some(pcs.into_iter().map(U256::from).collect())
            }
            AbsVal::Bits(_) => None,
        }
    }

    /// The destination set of `members` (sorted and interned).
    pub fn labels_of(&mut self, members: Vec<Label>) -> AbsVal {
        self.intern_labels(members)
    }

    /// The members of destination set `id`.
    pub fn label_set(&self, id: u32) -> &[Label] {
        &self.labels[id as usize]
    }

    /// The destination pcs of `v` if it is a destination set.
    pub fn label_pcs(&self, v: AbsVal) -> Option<Vec<u32>> {
        match v {
            AbsVal::Labels(id) => {
                let mut pcs: Vec<u32> = self.labels[id as usize].iter().map(|l| l.pc).collect();
                pcs.dedup();
                Some(pcs)
            }
            _ => None,
        }
    }

    fn intern_labels(&mut self, mut set: Vec<Label>) -> AbsVal {
        set.sort_unstable();
        let set = set.into_boxed_slice();
        if let Some(&id) = self.label_ids.get(&set) {
            return AbsVal::Labels(id);
        }
        let id = self.labels.len() as u32;
        self.labels.push(set.clone());
        self.label_ids.insert(set, id);
        AbsVal::Labels(id)
    }

    /// `v` with `f` applied to each destination (the value itself if it is
    /// not a destination set).
    pub fn map_labels(&mut self, v: AbsVal, f: impl Fn(Label) -> Label) -> AbsVal {
        match v {
            AbsVal::Labels(id) => {
                let set: Vec<Label> = self.labels[id as usize].iter().map(|&l| f(l)).collect();
                if set[..] == self.labels[id as usize][..] {
                    return v;
                }
                self.intern_labels(set)
            }
            _ => v,
        }
    }

    /// `v` with every destination marked no longer intact (a copy, or
    /// something below it written).
    pub fn broken(&mut self, v: AbsVal) -> AbsVal {
        self.map_labels(v, |l| Label { intact: false, ..l })
    }

    /// At most how many significant bits `v` has.
    pub fn width(&self, v: AbsVal) -> u16 {
        match v {
            AbsVal::Const(id) => bit_width(self.consts[id as usize]),
            AbsVal::Labels(id) => self.labels[id as usize]
                .iter()
                .map(|l| 32 - l.pc.leading_zeros() as u16)
                .max()
                .unwrap_or(0),
            AbsVal::Bits(b) => b,
        }
    }

    /// The members of `v` if it is a destination set, or a constant that
    /// `valid` maps to a destination (without a site).
    fn label_members(&self, v: AbsVal, valid: &impl Fn(U256) -> Option<u32>) -> Option<Vec<Label>> {
        match v {
            AbsVal::Const(id) => valid(self.consts[id as usize]).map(|pc| {
                vec![Label {
                    pc,
                    site: NO_SITE,
                    intact: false,
                    disp: 0,
                }]
            }),
            AbsVal::Labels(id) => Some(self.labels[id as usize].to_vec()),
            AbsVal::Bits(_) => None,
        }
    }

    /// The least upper bound of `a` and `b`. `valid` maps a constant to its
    /// pc if it is a valid jump destination: only those join into label sets.
    pub fn join(&mut self, a: AbsVal, b: AbsVal, valid: &impl Fn(U256) -> Option<u32>) -> AbsVal {
        if a == b {
            return a;
        }
        // Without a destination set on either side, no set can come out
        // unless both are destination constants.
        match (a, b) {
            (AbsVal::Bits(x), _) | (_, AbsVal::Bits(x)) if x >= 256 => return TOP,
            (AbsVal::Bits(_), _) | (_, AbsVal::Bits(_)) => {
                return AbsVal::Bits(self.width(a).max(self.width(b)));
            }
            _ => {}
        }
        if let (Some(x), Some(y)) = (self.label_members(a, valid), self.label_members(b, valid)) {
            // Both sorted by (pc, site): merge, one member per (pc, site).
            let mut set: Vec<Label> = Vec::with_capacity(x.len() + y.len());
            let (mut i, mut j) = (0, 0);
            while i < x.len() || j < y.len() {
                let key = |l: &Label| (l.pc, l.site);
                match (x.get(i), y.get(j)) {
                    (Some(l), Some(m)) if key(l) == key(m) => {
                        set.push(Label {
                            intact: l.intact && m.intact && l.disp == m.disp,
                            ..*l
                        });
                        i += 1;
                        j += 1;
                    }
                    (Some(l), Some(m)) if key(l) < key(m) => {
                        set.push(*l);
                        i += 1;
                    }
                    (Some(_), Some(m)) | (None, Some(m)) => {
                        set.push(*m);
                        j += 1;
                    }
                    (Some(l), None) => {
                        set.push(*l);
                        i += 1;
                    }
                    (None, None) => break,
                }
            }
            if set.len() <= MAX_LABELS {
                return self.intern_labels(set);
            }
        }
        AbsVal::Bits(self.width(a).max(self.width(b)))
    }

    /// Whether `a ⊑ b`.
    pub fn leq(&mut self, a: AbsVal, b: AbsVal, valid: &impl Fn(U256) -> Option<u32>) -> bool {
        self.join(a, b, valid) == b
    }

    /// The result of the pure opcode `opcode` on `args` (top first).
    pub fn apply(&mut self, opcode: u8, args: &[AbsVal]) -> AbsVal {
        let consts: Option<Vec<U256>> = args.iter().map(|&a| self.as_const(a)).collect();
        if let Some(c) = consts.and_then(|c| fold::fold(opcode, &c)) {
            return self.constant(c);
        }
        let w: Vec<u16> = args.iter().map(|&a| self.width(a)).collect();
        let c = |i: usize| args.get(i).and_then(|&a| self.as_const(a));
        AbsVal::Bits(result_width(opcode, &w, c(0)).min(256))
    }
}

/// At most how many bits the result of the pure `opcode` has, given its
/// operands' widths `w` (top first) and the top two operands if constant.
/// Anything not listed may be any word.
fn result_width(opcode: u8, w: &[u16], c0: Option<U256>) -> u16 {
    let small = |c: Option<U256>| c.filter(|c| *c < U256::from(256u16)).map(|c| c.to::<u16>());
    match opcode {
        op::ADD => w[0].max(w[1]) + 1,
        op::MUL => w[0] + w[1],
        op::DIV => w[0],
        op::MOD => w[0].min(w[1]),
        op::ADDMOD | op::MULMOD => w[2],
        op::EXP => match c0 {
            // 0^e and 1^e fit one bit; powers of two are one bit set.
            Some(b) if b <= U256::from(1u8) => 1,
            _ => 256,
        },
        op::LT | op::GT | op::SLT | op::SGT | op::EQ | op::ISZERO => 1,
        op::AND => w[0].min(w[1]),
        op::OR | op::XOR => w[0].max(w[1]),
        op::BYTE => 8,
        op::CLZ => 9,
        op::SHL => match small(c0) {
            Some(s) => w[1] + s,
            None if c0.is_some() => 0,
            None => 256,
        },
        op::SHR => match small(c0) {
            Some(s) => w[1].saturating_sub(s),
            None if c0.is_some() => 0,
            None => w[1],
        },
        // SAR keeps the sign: below 2^255 it is a logical shift.
        op::SAR if w[1] < 256 => match small(c0) {
            Some(s) => w[1].saturating_sub(s),
            None if c0.is_some() => 0,
            None => w[1],
        },
        op::SIGNEXTEND => match small(c0) {
            // A value that does not reach the sign bit is unchanged.
            Some(k) if k < 31 && w[1] < 8 * k + 8 => w[1],
            Some(k) if k >= 31 => w[1],
            None if c0.is_some() => w[1],
            _ => 256,
        },
        _ => 256,
    }
}

/// At most how many bits the output of the runtime opcode `opcode` has, as
/// the runtime produces it (addresses, sizes and counters are narrow).
pub fn runtime_output_width(opcode: u8) -> u16 {
    match opcode {
        op::ADDRESS | op::CALLER | op::ORIGIN | op::COINBASE => 160,
        op::CREATE | op::CREATE2 => 160,
        op::CALL | op::CALLCODE | op::DELEGATECALL | op::STATICCALL => 1,
        op::CALLDATASIZE | op::CODESIZE | op::RETURNDATASIZE | op::EXTCODESIZE => 64,
        op::MSIZE | op::GAS | op::PC | op::CHAINID => 64,
        _ => 256,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(c: U256) -> Option<u32> {
        // Destinations of the tests: 10, 20, 30.
        let pc = u32::try_from(c).ok()?;
        [10, 20, 30].contains(&pc).then_some(pc)
    }

    #[test]
    fn constants_fold_and_intern() {
        let mut p = ValuePool::default();
        let a = p.constant(U256::from(2));
        let b = p.constant(U256::from(3));
        assert_eq!(p.constant(U256::from(2)), a);
        let s = p.apply(op::ADD, &[a, b]);
        assert_eq!(p.as_const(s), Some(U256::from(5)));
        let s160 = p.constant(U256::from(160));
        let x = p.apply(op::SHL, &[s160, b]);
        assert_eq!(p.as_const(x), Some(U256::from(3) << 160));
    }

    #[test]
    fn joins_of_destinations_become_label_sets() {
        let mut p = ValuePool::default();
        let (a, b, c) = (
            p.constant(U256::from(10)),
            p.constant(U256::from(20)),
            p.constant(U256::from(30)),
        );
        let ab = p.join(a, b, &valid);
        assert!(matches!(ab, AbsVal::Labels(_)));
        assert_eq!(p.join(b, a, &valid), ab, "join is symmetric");
        let abc = p.join(ab, c, &valid);
        assert_eq!(p.label_pcs(abc), Some(vec![10, 20, 30]));
        assert!(p.leq(a, abc, &valid) && p.leq(ab, abc, &valid));
        assert!(!p.leq(abc, ab, &valid));
        // A constant that is not a destination widens the join to bits.
        let seven = p.constant(U256::from(7));
        assert_eq!(p.join(ab, seven, &valid), AbsVal::Bits(5));
        assert_eq!(p.join(a, TOP, &valid), TOP);
    }

    #[test]
    fn widths_bound_every_result() {
        let mut p = ValuePool::default();
        let x64 = AbsVal::Bits(64);
        let mask = p.constant((U256::from(1) << 160) - U256::from(1));
        assert_eq!(p.apply(op::AND, &[TOP, mask]), AbsVal::Bits(160));
        assert_eq!(p.apply(op::ADD, &[x64, x64]), AbsVal::Bits(65));
        assert_eq!(p.apply(op::MUL, &[x64, x64]), AbsVal::Bits(128));
        assert_eq!(p.apply(op::LT, &[TOP, TOP]), AbsVal::Bits(1));
        let s = p.constant(U256::from(224));
        assert_eq!(p.apply(op::SHR, &[s, TOP]), AbsVal::Bits(32));
        assert_eq!(p.apply(op::SHL, &[s, AbsVal::Bits(32)]), TOP);
        assert_eq!(p.apply(op::SHL, &[s, AbsVal::Bits(8)]), AbsVal::Bits(232));
        assert_eq!(p.apply(op::SAR, &[s, TOP]), TOP, "SAR of a negative word");
        assert_eq!(p.apply(op::SUB, &[x64, x64]), TOP, "SUB may wrap");
        let big = p.constant(U256::from(300));
        assert_eq!(p.apply(op::SHR, &[big, TOP]), AbsVal::Bits(0));
        let k = p.constant(U256::from(3));
        assert_eq!(
            p.apply(op::SIGNEXTEND, &[k, AbsVal::Bits(31)]),
            AbsVal::Bits(31)
        );
        assert_eq!(p.apply(op::SIGNEXTEND, &[k, AbsVal::Bits(32)]), TOP);
    }

    /// Every width rule is checked against concrete values: the result of
    /// the fold never has more bits than the abstract result claims.
    #[test]
    fn width_rules_are_sound_on_samples() {
        let samples: Vec<U256> = [0u64, 1, 2, 3, 7, 8, 31, 32, 255, 256, 1 << 40, u64::MAX]
            .iter()
            .map(|&x| U256::from(x))
            .chain([
                U256::MAX,
                U256::MAX >> 1,
                U256::from(1) << 255,
                U256::from(1) << 128,
            ])
            .collect();
        let ops = [
            op::ADD,
            op::MUL,
            op::SUB,
            op::DIV,
            op::SDIV,
            op::MOD,
            op::SMOD,
            op::EXP,
            op::SIGNEXTEND,
            op::LT,
            op::GT,
            op::SLT,
            op::SGT,
            op::EQ,
            op::AND,
            op::OR,
            op::XOR,
            op::BYTE,
            op::SHL,
            op::SHR,
            op::SAR,
        ];
        let mut p = ValuePool::default();
        for &o in &ops {
            for &x in &samples {
                for &y in &samples {
                    let want = fold::fold(o, &[x, y]).unwrap();
                    // Abstract operands: x as constant or as its width, same for y.
                    let xs = [p.constant(x), AbsVal::Bits(bit_width(x))];
                    let ys = [p.constant(y), AbsVal::Bits(bit_width(y))];
                    for &ax in &xs {
                        for &ay in &ys {
                            let r = p.apply(o, &[ax, ay]);
                            match p.as_const(r) {
                                Some(c) => assert_eq!(c, want, "op {o:#x} {x} {y}"),
                                None => assert!(
                                    bit_width(want) <= p.width(r),
                                    "op {o:#x} on {x}, {y}: {want} wider than {r:?}"
                                ),
                            }
                        }
                    }
                }
            }
        }
    }
}
