//! Delta debugging (ddmin) over a scenario's program items, so that a
//! reproducer shows only what the bug needs.

use crate::program::Program;
use crate::scenario::Scenario;
use crate::tx_kind::TxKind;
use alloy_primitives::U256;

/// Shrinks `scenario` while `still_fails` holds, trying at most `budget`
/// candidates. Steps, repeated while any succeeds: empty the code of each
/// contract other than the target; ddmin over each contract's items; clear
/// call data, value, the transaction kind (to a plain call), the access
/// list and pre-set storage.
pub fn minimize(
    scenario: &Scenario,
    still_fails: &mut dyn FnMut(&Scenario) -> bool,
    budget: usize,
) -> Scenario {
    let mut best = scenario.clone();
    let mut tries = 0usize;
    let mut attempt = |candidate: &Scenario, best: &mut Scenario, tries: &mut usize| -> bool {
        if *tries >= budget || candidate == best {
            return false;
        }
        *tries += 1;
        if still_fails(candidate) {
            *best = candidate.clone();
            true
        } else {
            false
        }
    };
    loop {
        let before = best.clone();
        for index in 1..best.contracts.len() {
            if !best.contracts[index].program.is_empty() {
                let mut candidate = best.clone();
                candidate.contracts[index].program = Program::default();
                attempt(&candidate, &mut best, &mut tries);
            }
        }
        for index in 0..best.contracts.len() {
            ddmin_contract(&mut best, index, &mut |c, b| attempt(c, b, &mut tries));
        }
        let mut candidate = best.clone();
        candidate.calldata.clear();
        attempt(&candidate, &mut best, &mut tries);
        let mut candidate = best.clone();
        candidate.value = U256::ZERO;
        attempt(&candidate, &mut best, &mut tries);
        if best.kind != TxKind::Call {
            let mut candidate = best.clone();
            candidate.kind = TxKind::Call;
            attempt(&candidate, &mut best, &mut tries);
        }
        if !best.access_list.is_empty() {
            let mut candidate = best.clone();
            candidate.access_list.clear();
            attempt(&candidate, &mut best, &mut tries);
        }
        for index in 0..best.contracts.len() {
            if !best.contracts[index].storage.is_empty() {
                let mut candidate = best.clone();
                candidate.contracts[index].storage.clear();
                attempt(&candidate, &mut best, &mut tries);
            }
        }
        if best == before || tries >= budget {
            return best;
        }
    }
}

/// ddmin over the items of contract `index`: remove chunks of halving size.
fn ddmin_contract(
    best: &mut Scenario,
    index: usize,
    attempt: &mut dyn FnMut(&Scenario, &mut Scenario) -> bool,
) {
    let mut chunks = 2usize;
    loop {
        let len = best.contracts[index].program.items.len();
        if len == 0 {
            return;
        }
        let chunks_now = chunks.min(len);
        let size = len.div_ceil(chunks_now);
        let mut removed_any = false;
        let mut start = 0;
        while start < best.contracts[index].program.items.len() {
            let items = &best.contracts[index].program.items;
            let end = (start + size).min(items.len());
            let mut candidate = best.clone();
            candidate.contracts[index].program.items.drain(start..end);
            if attempt(&candidate, best) {
                removed_any = true;
                // The next chunk now starts at `start`.
            } else {
                start = end;
            }
        }
        if removed_any {
            chunks = chunks.saturating_sub(1).max(2);
        } else if size == 1 {
            return;
        } else {
            chunks = (chunks * 2).min(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::Item;
    use crate::scenario::ContractSpec;
    use alloy_primitives::Address;

    #[test]
    fn shrinks_to_the_items_that_matter() {
        let items: Vec<Item> = (0..50u64).map(Item::push_u64).collect();
        let scenario = Scenario {
            contracts: vec![
                ContractSpec {
                    program: Program::new(items),
                    balance: U256::ZERO,
                    storage: vec![(U256::from(1), U256::from(1))],
                },
                ContractSpec {
                    program: Program::new(vec![Item::push_u64(7)]),
                    balance: U256::ZERO,
                    storage: Vec::new(),
                },
            ],
            gas_limit: 100_000,
            value: U256::from(5),
            calldata: vec![1, 2, 3],
            kind: TxKind::Create,
            access_list: vec![(Address::ZERO, Vec::new())],
        };
        // "Fails" while items 13 and 37 are both present in contract 0.
        let mut fails = |s: &Scenario| {
            let items = &s.contracts[0].program.items;
            items.contains(&Item::push_u64(13)) && items.contains(&Item::push_u64(37))
        };
        let small = minimize(&scenario, &mut fails, 10_000);
        assert_eq!(
            small.contracts[0].program.items,
            vec![Item::push_u64(13), Item::push_u64(37)]
        );
        assert!(small.contracts[1].program.is_empty());
        assert!(small.calldata.is_empty());
        assert_eq!(small.kind, TxKind::Call);
        assert!(small.access_list.is_empty());
        assert_eq!(small.value, U256::ZERO);
        assert!(small.contracts[0].storage.is_empty());
    }
}
