//! Dynamic gas rules of every fork, Frontier to Osaka.
//!
//! Static gas lives in the opcode table ([`crate::opcode`]) and memory
//! expansion in [`crate::frame::Memory::expand`]; this module holds the
//! constants and pure functions for everything else an operation charges at
//! run time, each taking the fork where the rule changed over time. Where
//! an opcode's static gas already covers a warm access (100, from Berlin),
//! the functions here return only the difference.
//!
//! The host reports facts (was the account cold, does it exist, is it
//! empty); whether and how much a fork charges for them is decided here.

use crate::spec::SpecId;
use alloy_primitives::U256;

/// Gas per word copied (CALLDATACOPY, CODECOPY, EXTCODECOPY, RETURNDATACOPY, MCOPY).
pub const COPY_WORD: u64 = 3;
/// Gas per word hashed by KECCAK256.
pub const KECCAK256_WORD: u64 = 6;
/// Gas per byte of EXP's exponent before Spurious Dragon.
pub const EXP_BYTE_FRONTIER: u64 = 10;
/// Gas per byte of EXP's exponent from Spurious Dragon on (EIP-160).
pub const EXP_BYTE: u64 = 50;
/// Gas per byte of LOG data.
pub const LOG_DATA_BYTE: u64 = 8;
/// Gas per LOG topic (already part of LOGn's static gas).
pub const LOG_TOPIC: u64 = 375;

/// A warm account or storage access (EIP-2929).
pub const WARM_ACCESS: u64 = 100;
/// A cold account access (EIP-2929).
pub const COLD_ACCOUNT_ACCESS: u64 = 2600;
/// A cold SLOAD (EIP-2929).
pub const COLD_SLOAD: u64 = 2100;
/// What a cold account access adds on top of a static warm access (2600 - 100).
pub const COLD_ACCOUNT_SURCHARGE: u64 = COLD_ACCOUNT_ACCESS - WARM_ACCESS;
/// What a cold SLOAD adds on top of SLOAD's static warm cost (2100 - 100).
pub const COLD_SLOAD_SURCHARGE: u64 = COLD_SLOAD - WARM_ACCESS;

/// SSTORE that sets a zero slot to non-zero.
pub const SSTORE_SET: u64 = 20_000;
/// SSTORE that changes a non-zero slot, before EIP-2929 took the cold part out.
pub const SSTORE_UPDATE: u64 = 5_000;
/// SSTORE that changes a non-zero slot (EIP-2929: 5000 - 2100).
pub const SSTORE_RESET: u64 = SSTORE_UPDATE - COLD_SLOAD;
/// Refund for clearing a slot before London.
pub const SSTORE_CLEARS_SCHEDULE_LEGACY: i64 = 15_000;
/// Refund for clearing a slot (EIP-3529, from London).
pub const SSTORE_CLEARS_SCHEDULE: i64 = 4_800;
/// A no-op or dirty SSTORE under EIP-1283 (Constantinople).
pub const SSTORE_DIRTY_EIP1283: u64 = 200;
/// A no-op or dirty SSTORE under EIP-2200 (Istanbul): the SLOAD price of EIP-1884.
pub const SSTORE_DIRTY_EIP2200: u64 = 800;
/// SSTORE halts with out-of-gas when no more than this is left (EIP-2200).
pub const SSTORE_SENTRY: u64 = 2_300;

/// CALL/CALLCODE with a non-zero value.
pub const CALL_VALUE: u64 = 9_000;
/// CALL with value, or SELFDESTRUCT with a balance, to an empty account.
pub const NEW_ACCOUNT: u64 = 25_000;
/// Gas added to the callee's allowance when value is transferred.
pub const CALL_STIPEND: u64 = 2_300;

/// CREATE/CREATE2 static cost (already in the opcode table).
pub const CREATE: u64 = 32_000;
/// Gas per word of init code (EIP-3860).
pub const INITCODE_WORD: u64 = 2;
/// Gas per byte of deployed code.
pub const CODE_DEPOSIT_BYTE: u64 = 200;
/// Largest deployable code (EIP-170).
pub const MAX_CODE_SIZE: usize = 24_576;
/// Largest init code (EIP-3860).
pub const MAX_INITCODE_SIZE: usize = 2 * MAX_CODE_SIZE;

/// SELFDESTRUCT static cost from Tangerine Whistle on (already in the opcode table).
pub const SELFDESTRUCT: u64 = 5_000;
/// Refund for the first SELFDESTRUCT of an account in a transaction, before London.
pub const SELFDESTRUCT_REFUND: i64 = 24_000;

/// Number of 32-byte words needed for `len` bytes.
#[inline]
pub fn words(len: u64) -> u64 {
    len.div_ceil(32)
}

/// `per_word` gas for each word of `len` bytes, saturating (a saturated
/// value is out of gas for every real gas limit).
#[inline]
fn per_word(len: u64, per_word: u64) -> u64 {
    words(len).saturating_mul(per_word)
}

/// Copy gas for `len` bytes (3 per word).
#[inline]
pub fn copy_cost(len: u64) -> u64 {
    per_word(len, COPY_WORD)
}

/// KECCAK256 dynamic gas for `len` bytes (6 per word).
#[inline]
pub fn keccak256_cost(len: u64) -> u64 {
    per_word(len, KECCAK256_WORD)
}

/// EXP dynamic gas: per byte of the exponent (0 for a zero exponent), 10
/// before Spurious Dragon and 50 from it on (EIP-160).
#[inline]
pub fn exp_cost(spec: SpecId, exponent: U256) -> u64 {
    let per_byte = if spec >= SpecId::SpuriousDragon {
        EXP_BYTE
    } else {
        EXP_BYTE_FRONTIER
    };
    let bytes = exponent.bit_len().div_ceil(8) as u64;
    bytes * per_byte
}

/// LOG dynamic gas for `len` bytes of data (topics are static gas).
#[inline]
pub fn log_data_cost(len: u64) -> u64 {
    len.saturating_mul(LOG_DATA_BYTE)
}

/// Init code gas of CREATE and CREATE2: 2 per word from Shanghai on
/// (EIP-3860), nothing before.
#[inline]
pub fn initcode_cost(spec: SpecId, len: u64) -> u64 {
    if spec >= SpecId::Shanghai {
        per_word(len, INITCODE_WORD)
    } else {
        0
    }
}

/// The largest init code CREATE and CREATE2 accept: EIP-3860's limit from
/// Shanghai on, none before.
#[inline]
pub fn max_initcode_size(spec: SpecId) -> Option<usize> {
    (spec >= SpecId::Shanghai).then_some(MAX_INITCODE_SIZE)
}

/// CREATE2's extra gas for hashing the init code (6 per word).
#[inline]
pub fn create2_hash_cost(len: u64) -> u64 {
    keccak256_cost(len)
}

/// Code deposit gas for `len` bytes of deployed code.
#[inline]
pub fn code_deposit_cost(len: u64) -> u64 {
    len.saturating_mul(CODE_DEPOSIT_BYTE)
}

/// The largest deployable code: EIP-170's limit from Spurious Dragon on,
/// none before.
#[inline]
pub fn max_code_size(spec: SpecId) -> Option<usize> {
    (spec >= SpecId::SpuriousDragon).then_some(MAX_CODE_SIZE)
}

/// Whether the cold/warm distinction of EIP-2929 prices accesses (Berlin on).
#[inline]
fn charges_cold(spec: SpecId, is_cold: bool) -> bool {
    is_cold && spec >= SpecId::Berlin
}

/// Dynamic gas of an account access by an opcode whose static gas is the
/// warm cost (BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH, CALL family):
/// the cold surcharge from Berlin on; before Berlin the static gas is the
/// whole price.
#[inline]
pub fn account_access_surcharge(spec: SpecId, is_cold: bool) -> u64 {
    if charges_cold(spec, is_cold) {
        COLD_ACCOUNT_SURCHARGE
    } else {
        0
    }
}

/// Dynamic gas of SLOAD: the cold surcharge from Berlin on.
#[inline]
pub fn sload_surcharge(spec: SpecId, is_cold: bool) -> u64 {
    if charges_cold(spec, is_cold) {
        COLD_SLOAD_SURCHARGE
    } else {
        0
    }
}

/// Full access cost of an account not covered by static gas (EIP-7702
/// delegate of a CALL-family target, Prague on).
#[inline]
pub fn account_access_cost(is_cold: bool) -> u64 {
    if is_cold {
        COLD_ACCOUNT_ACCESS
    } else {
        WARM_ACCESS
    }
}

/// How a fork prices SSTORE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SstoreSchedule {
    /// Frontier to Byzantium, and Petersburg: 20000 to make a zero slot
    /// non-zero, 5000 for any other write; 15000 refunded for a clear.
    Legacy,
    /// Net gas metering: EIP-1283 (Constantinople), EIP-2200 (Istanbul),
    /// repriced by EIP-2929 (Berlin) and EIP-3529 (London).
    NetMetered {
        /// A no-op write, or a write to a slot already written in the transaction.
        dirty: u64,
        /// The first change of a non-zero slot.
        reset: u64,
        /// Refund for clearing a slot.
        clear_refund: i64,
    },
}

fn sstore_schedule(spec: SpecId) -> SstoreSchedule {
    use SstoreSchedule::*;
    if spec >= SpecId::London {
        NetMetered {
            dirty: WARM_ACCESS,
            reset: SSTORE_RESET,
            clear_refund: SSTORE_CLEARS_SCHEDULE,
        }
    } else if spec >= SpecId::Berlin {
        NetMetered {
            dirty: WARM_ACCESS,
            reset: SSTORE_RESET,
            clear_refund: SSTORE_CLEARS_SCHEDULE_LEGACY,
        }
    } else if spec >= SpecId::Istanbul {
        NetMetered {
            dirty: SSTORE_DIRTY_EIP2200,
            reset: SSTORE_UPDATE,
            clear_refund: SSTORE_CLEARS_SCHEDULE_LEGACY,
        }
    } else if spec == SpecId::Constantinople {
        NetMetered {
            dirty: SSTORE_DIRTY_EIP1283,
            reset: SSTORE_UPDATE,
            clear_refund: SSTORE_CLEARS_SCHEDULE_LEGACY,
        }
    } else {
        Legacy
    }
}

/// SSTORE gas: everything SSTORE charges, since its static gas is zero.
/// `original` is the value at the start of the transaction, `present` the
/// value before this write, `new` the value written; `is_cold` adds the
/// cold SLOAD cost from Berlin on.
pub fn sstore_cost(spec: SpecId, original: U256, present: U256, new: U256, is_cold: bool) -> u64 {
    let base = match sstore_schedule(spec) {
        SstoreSchedule::Legacy => {
            if present.is_zero() && !new.is_zero() {
                SSTORE_SET
            } else {
                SSTORE_UPDATE
            }
        }
        SstoreSchedule::NetMetered { dirty, reset, .. } => {
            if original == present && present != new {
                if original.is_zero() {
                    SSTORE_SET
                } else {
                    reset
                }
            } else {
                dirty
            }
        }
    };
    if charges_cold(spec, is_cold) {
        base + COLD_SLOAD
    } else {
        base
    }
}

/// SSTORE refund counter change; may be negative under net metering.
pub fn sstore_refund(spec: SpecId, original: U256, present: U256, new: U256) -> i64 {
    let (dirty, reset, clear_refund) = match sstore_schedule(spec) {
        SstoreSchedule::Legacy => {
            return if !present.is_zero() && new.is_zero() {
                SSTORE_CLEARS_SCHEDULE_LEGACY
            } else {
                0
            };
        }
        SstoreSchedule::NetMetered {
            dirty,
            reset,
            clear_refund,
        } => (dirty, reset, clear_refund),
    };
    if present == new {
        return 0;
    }
    let mut refund = 0i64;
    if !original.is_zero() {
        if !present.is_zero() && new.is_zero() {
            // Cleared for the first time since the last non-zero value.
            refund += clear_refund;
        }
        if present.is_zero() {
            // An earlier clear in this transaction is being undone.
            refund -= clear_refund;
        }
    }
    if original == new {
        // Restored to the value at the start of the transaction: refund the
        // difference between what the first write paid and a dirty write.
        refund += if original.is_zero() {
            (SSTORE_SET - dirty) as i64
        } else {
            (reset - dirty) as i64
        };
    }
    refund
}

/// Whether SSTORE must halt out-of-gas because no more than the 2300-gas
/// sentry is left (EIP-2200, from Istanbul on), checked before anything
/// else SSTORE does.
#[inline]
pub fn sstore_sentry_fails(spec: SpecId, gas_remaining: u64) -> bool {
    spec >= SpecId::Istanbul && gas_remaining <= SSTORE_SENTRY
}

/// The most gas a frame with `remaining` gas can pass on (EIP-150: all but one 64th).
#[inline]
pub fn max_call_gas(remaining: u64) -> u64 {
    remaining - remaining / 64
}

/// Gas a CALL-family instruction gives its callee, not counting the
/// stipend. From Tangerine Whistle on (EIP-150) the requested amount is
/// capped by the 63/64 rule; before, the requested amount is given as is
/// (saturated to `u64`), and charging it fails if the caller has less.
/// `remaining` is what is left after memory expansion and the extra costs
/// of [`call_extra_cost`].
#[inline]
pub fn call_gas(spec: SpecId, remaining: u64, requested: U256) -> u64 {
    let requested = u64::try_from(requested).unwrap_or(u64::MAX);
    if spec >= SpecId::TangerineWhistle {
        requested.min(max_call_gas(remaining))
    } else {
        requested
    }
}

/// Gas CREATE and CREATE2 give the init code: all but one 64th of what is
/// left from Tangerine Whistle on (EIP-150), everything before.
#[inline]
pub fn create_gas(spec: SpecId, remaining: u64) -> u64 {
    if spec >= SpecId::TangerineWhistle {
        max_call_gas(remaining)
    } else {
        remaining
    }
}

/// Whether a CALL pays [`NEW_ACCOUNT`]: before Spurious Dragon whenever the
/// target does not exist; from Spurious Dragon on (EIP-161) only when value
/// goes to an account that is missing or empty.
#[inline]
pub fn call_creates_account(
    spec: SpecId,
    transfers_value: bool,
    target_exists: bool,
    target_is_empty: bool,
) -> bool {
    if spec >= SpecId::SpuriousDragon {
        transfers_value && target_is_empty
    } else {
        !target_exists
    }
}

/// The CALL family's dynamic gas besides memory and the callee's allowance:
/// the cold surcharge of the target (Berlin on), the full access cost of an
/// EIP-7702 delegate, 9000 for a value transfer and 25000 when the call
/// creates an account (see [`call_creates_account`]; always false for
/// CALLCODE, DELEGATECALL and STATICCALL).
pub fn call_extra_cost(
    spec: SpecId,
    target_is_cold: bool,
    delegation_is_cold: Option<bool>,
    transfers_value: bool,
    creates_account: bool,
) -> u64 {
    let mut cost = account_access_surcharge(spec, target_is_cold);
    if let Some(cold) = delegation_is_cold {
        cost += account_access_cost(cold);
    }
    if transfers_value {
        cost += CALL_VALUE;
    }
    if creates_account {
        cost += NEW_ACCOUNT;
    }
    cost
}

/// SELFDESTRUCT's dynamic gas: 2600 for a cold beneficiary (Berlin on),
/// and 25000 for creating the beneficiary: from Tangerine Whistle when it
/// does not exist, from Spurious Dragon (EIP-161) when a non-zero balance
/// goes to an account that is missing or empty; nothing before Tangerine
/// Whistle.
pub fn selfdestruct_cost(
    spec: SpecId,
    beneficiary_is_cold: bool,
    had_value: bool,
    target_exists: bool,
    target_is_empty: bool,
) -> u64 {
    let mut cost = if charges_cold(spec, beneficiary_is_cold) {
        COLD_ACCOUNT_ACCESS
    } else {
        0
    };
    let creates = if spec >= SpecId::SpuriousDragon {
        had_value && target_is_empty
    } else if spec >= SpecId::TangerineWhistle {
        !target_exists
    } else {
        false
    };
    if creates {
        cost += NEW_ACCOUNT;
    }
    cost
}

/// SELFDESTRUCT's refund: 24000 for an account not already scheduled for
/// destruction in the transaction, before London (EIP-3529 removed it).
#[inline]
pub fn selfdestruct_refund(spec: SpecId, previously_destroyed: bool) -> i64 {
    if spec < SpecId::London && !previously_destroyed {
        SELFDESTRUCT_REFUND
    } else {
        0
    }
}

/// The most of `gas_used` a transaction gets refunded: a half before
/// London, a fifth from London on (EIP-3529).
#[inline]
pub fn max_refund(spec: SpecId, gas_used: u64) -> u64 {
    if spec >= SpecId::London {
        gas_used / 5
    } else {
        gas_used / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SpecId::*;

    fn u(v: u64) -> U256 {
        U256::from(v)
    }

    #[test]
    fn per_word_costs_round_up() {
        assert_eq!(copy_cost(0), 0);
        assert_eq!(copy_cost(1), 3);
        assert_eq!(copy_cost(32), 3);
        assert_eq!(copy_cost(33), 6);
        assert_eq!(keccak256_cost(64), 12);
        assert_eq!(initcode_cost(Shanghai, 49_152), 3072);
        assert_eq!(initcode_cost(Paris, 49_152), 0);
        assert_eq!(create2_hash_cost(100), 24);
        assert_eq!(copy_cost(u64::MAX), u64::MAX.div_ceil(32) * 3);
        assert_eq!(log_data_cost(u64::MAX), u64::MAX);
        assert_eq!(code_deposit_cost(10), 2000);
    }

    #[test]
    fn exp_charges_per_exponent_byte() {
        assert_eq!(exp_cost(Cancun, U256::ZERO), 0);
        assert_eq!(exp_cost(Cancun, u(1)), 50);
        assert_eq!(exp_cost(Cancun, u(255)), 50);
        assert_eq!(exp_cost(Cancun, u(256)), 100);
        assert_eq!(exp_cost(Cancun, U256::MAX), 32 * 50);
        // EIP-160 raised the price in Spurious Dragon.
        assert_eq!(exp_cost(TangerineWhistle, u(256)), 20);
        assert_eq!(exp_cost(SpuriousDragon, u(256)), 100);
    }

    /// EIP-2200/EIP-3529 transition table, warm slot. The rows are the
    /// (original, present, new) cases of EIP-2200 with costs recomputed for
    /// EIP-2929 (warm read 100, reset 2900) and refunds for EIP-3529 (4800).
    #[test]
    fn sstore_transition_table() {
        let rows: [(u64, u64, u64, u64, i64); 13] = [
            // no-op
            (0, 0, 0, 100, 0),
            (1, 1, 1, 100, 0),
            // fresh slot
            (0, 0, 1, 20_000, 0),
            (1, 1, 2, 2_900, 0),
            (1, 1, 0, 2_900, 4_800),
            // dirty slot
            (0, 1, 2, 100, 0),
            (0, 1, 0, 100, 19_900),
            (1, 2, 3, 100, 0),
            (1, 2, 1, 100, 2_800),
            (1, 0, 2, 100, -4_800),
            (1, 0, 1, 100, -4_800 + 2_800),
            (1, 2, 0, 100, 4_800),
            (1, 0, 0, 100, 0),
        ];
        for (o, p, n, gas, refund) in rows {
            assert_eq!(
                sstore_cost(Cancun, u(o), u(p), u(n), false),
                gas,
                "{o} {p} {n}"
            );
            assert_eq!(
                sstore_refund(Cancun, u(o), u(p), u(n)),
                refund,
                "{o} {p} {n}"
            );
            assert_eq!(
                sstore_cost(Cancun, u(o), u(p), u(n), true),
                gas + COLD_SLOAD,
                "cold {o} {p} {n}"
            );
        }
    }

    /// The same table under the older schedules: EIP-2200 in Istanbul
    /// (dirty 800, reset 5000, clear 15000), EIP-1283 in Constantinople
    /// (dirty 200), Berlin's EIP-2929 prices with the old clear refund, and
    /// the flat Frontier rule in Petersburg.
    /// `(original, present, new)` and the expected `(gas, refund)`.
    type SstoreRow = ((u64, u64, u64), (u64, i64));

    #[test]
    fn sstore_schedules_of_older_forks() {
        // (original, present, new) -> (gas, refund) per fork.
        let istanbul = [
            ((0, 0, 1), (20_000, 0)),
            ((1, 1, 0), (5_000, 15_000)),
            ((0, 1, 0), (800, 19_200)),
            ((1, 2, 1), (800, 4_200)),
            ((1, 0, 1), (800, -15_000 + 4_200)),
            ((1, 1, 1), (800, 0)),
        ];
        let constantinople = [
            ((0, 0, 1), (20_000, 0)),
            ((1, 1, 0), (5_000, 15_000)),
            ((0, 1, 0), (200, 19_800)),
            ((1, 2, 1), (200, 4_800)),
            ((1, 1, 1), (200, 0)),
        ];
        let berlin = [
            ((1, 1, 0), (2_900, 15_000)),
            ((0, 1, 0), (100, 19_900)),
            ((1, 0, 2), (100, -15_000)),
        ];
        // Legacy: only the present and new values count.
        let petersburg = [
            ((0, 0, 1), (20_000, 0)),
            ((1, 1, 0), (5_000, 15_000)),
            ((0, 1, 0), (5_000, 15_000)),
            ((1, 1, 1), (5_000, 0)),
            ((0, 0, 0), (5_000, 0)),
            ((1, 0, 1), (20_000, 0)),
        ];
        let tables: [(SpecId, &[SstoreRow]); 5] = [
            (Istanbul, &istanbul),
            (Constantinople, &constantinople),
            (Berlin, &berlin),
            (Petersburg, &petersburg),
            (Frontier, &petersburg),
        ];
        for (spec, rows) in tables {
            for &((o, p, n), (gas, refund)) in rows {
                assert_eq!(
                    sstore_cost(spec, u(o), u(p), u(n), false),
                    gas,
                    "{spec} {o} {p} {n}"
                );
                assert_eq!(
                    sstore_refund(spec, u(o), u(p), u(n)),
                    refund,
                    "{spec} {o} {p} {n}"
                );
            }
        }
        // Cold slots cost more only from Berlin on.
        assert_eq!(sstore_cost(Istanbul, u(0), u(0), u(1), true), 20_000);
        assert_eq!(sstore_cost(Berlin, u(0), u(0), u(1), true), 22_100);
    }

    #[test]
    fn sstore_sentry_is_inclusive_from_istanbul() {
        assert!(sstore_sentry_fails(Istanbul, 2300));
        assert!(sstore_sentry_fails(Cancun, 0));
        assert!(!sstore_sentry_fails(Cancun, 2301));
        assert!(!sstore_sentry_fails(Constantinople, 2300));
        assert!(!sstore_sentry_fails(Petersburg, 0));
    }

    #[test]
    fn call_gas_keeps_one_64th_from_tangerine_whistle() {
        assert_eq!(max_call_gas(64_000), 63_000);
        assert_eq!(call_gas(Cancun, 64_000, U256::MAX), 63_000);
        assert_eq!(call_gas(Cancun, 64_000, u(1000)), 1000);
        assert_eq!(call_gas(Cancun, 63, u(1000)), 63);
        assert_eq!(call_gas(Cancun, 0, u(1000)), 0);
        assert_eq!(call_gas(TangerineWhistle, 64_000, U256::MAX), 63_000);
        // Before EIP-150 the request is given as is (and may not be affordable).
        assert_eq!(call_gas(Homestead, 64_000, u(64_000)), 64_000);
        assert_eq!(call_gas(Homestead, 10, u(1000)), 1000);
        assert_eq!(call_gas(Frontier, 10, U256::MAX), u64::MAX);
        assert_eq!(create_gas(Homestead, 6400), 6400);
        assert_eq!(create_gas(TangerineWhistle, 6400), 6300);
    }

    #[test]
    fn call_extras() {
        assert_eq!(call_extra_cost(Cancun, false, None, false, false), 0);
        assert_eq!(call_extra_cost(Cancun, true, None, false, false), 2500);
        assert_eq!(
            call_extra_cost(Cancun, true, None, true, true),
            2500 + 9000 + 25_000
        );
        assert_eq!(call_extra_cost(Cancun, false, None, true, false), 9000);
        assert_eq!(
            call_extra_cost(Cancun, false, Some(true), false, false),
            2600
        );
        assert_eq!(
            call_extra_cost(Cancun, true, Some(false), false, false),
            2600
        );
        // No cold surcharge before Berlin.
        assert_eq!(call_extra_cost(Istanbul, true, None, true, false), 9000);
        assert_eq!(call_extra_cost(Frontier, true, None, false, true), 25_000);
    }

    #[test]
    fn call_new_account_rule_follows_eip161() {
        // From Spurious Dragon: value to an empty or missing account.
        assert!(call_creates_account(SpuriousDragon, true, false, true));
        assert!(call_creates_account(Cancun, true, true, true));
        assert!(!call_creates_account(Cancun, false, false, true));
        assert!(!call_creates_account(Cancun, true, true, false));
        // Before: any call to a missing account, value or not.
        assert!(call_creates_account(TangerineWhistle, false, false, true));
        assert!(call_creates_account(Frontier, true, false, true));
        assert!(!call_creates_account(Homestead, true, true, true));
    }

    #[test]
    fn selfdestruct_extras() {
        assert_eq!(selfdestruct_cost(Cancun, false, false, false, true), 0);
        assert_eq!(selfdestruct_cost(Cancun, true, false, false, true), 2600);
        assert_eq!(selfdestruct_cost(Cancun, false, true, false, true), 25_000);
        assert_eq!(selfdestruct_cost(Cancun, true, true, true, false), 2600);
        assert_eq!(selfdestruct_cost(Istanbul, true, true, true, false), 0);
        // An existing empty beneficiary with value: charged from Spurious Dragon.
        assert_eq!(
            selfdestruct_cost(SpuriousDragon, false, true, true, true),
            25_000
        );
        assert_eq!(
            selfdestruct_cost(TangerineWhistle, false, true, true, true),
            0
        );
        // A missing beneficiary: charged in Tangerine Whistle even without value.
        assert_eq!(
            selfdestruct_cost(TangerineWhistle, false, false, false, true),
            25_000
        );
        assert_eq!(selfdestruct_cost(Homestead, true, true, false, true), 0);
        assert_eq!(selfdestruct_refund(Berlin, false), 24_000);
        assert_eq!(selfdestruct_refund(Berlin, true), 0);
        assert_eq!(selfdestruct_refund(London, false), 0);
    }

    #[test]
    fn access_surcharges_from_berlin() {
        assert_eq!(account_access_surcharge(Cancun, true), 2500);
        assert_eq!(account_access_surcharge(Cancun, false), 0);
        assert_eq!(account_access_surcharge(Istanbul, true), 0);
        assert_eq!(sload_surcharge(Berlin, true), 2000);
        assert_eq!(sload_surcharge(Berlin, false), 0);
        assert_eq!(sload_surcharge(Istanbul, true), 0);
        assert_eq!(MAX_INITCODE_SIZE, 49_152);
    }

    #[test]
    fn size_limits_and_refund_cap_per_fork() {
        assert_eq!(max_code_size(TangerineWhistle), None);
        assert_eq!(max_code_size(SpuriousDragon), Some(24_576));
        assert_eq!(max_initcode_size(Paris), None);
        assert_eq!(max_initcode_size(Shanghai), Some(49_152));
        assert_eq!(max_refund(Berlin, 1000), 500);
        assert_eq!(max_refund(London, 1000), 200);
    }
}
