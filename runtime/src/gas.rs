//! Dynamic gas rules of the supported forks (Cancun, Prague, Osaka).
//!
//! Static gas lives in the opcode table ([`crate::opcode`]) and memory
//! expansion in [`crate::frame::Memory::expand`]; this module holds the
//! constants and pure functions for everything else an operation charges at
//! run time. Where an opcode's static gas already covers a warm access
//! (100), the functions here return only the difference.

use alloy_primitives::U256;

/// Gas per word copied (CALLDATACOPY, CODECOPY, EXTCODECOPY, RETURNDATACOPY, MCOPY).
pub const COPY_WORD: u64 = 3;
/// Gas per word hashed by KECCAK256.
pub const KECCAK256_WORD: u64 = 6;
/// Gas per byte of EXP's exponent (EIP-160).
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
/// Refund for clearing a slot (EIP-3529).
pub const SSTORE_CLEARS_SCHEDULE: i64 = 4_800;
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

/// SELFDESTRUCT static cost (already in the opcode table).
pub const SELFDESTRUCT: u64 = 5_000;

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

/// EXP dynamic gas: 50 per byte of the exponent (0 for a zero exponent).
#[inline]
pub fn exp_cost(exponent: U256) -> u64 {
    let bytes = exponent.bit_len().div_ceil(8) as u64;
    bytes * EXP_BYTE
}

/// LOG dynamic gas for `len` bytes of data (topics are static gas).
#[inline]
pub fn log_data_cost(len: u64) -> u64 {
    len.saturating_mul(LOG_DATA_BYTE)
}

/// Init code gas of CREATE and CREATE2 (EIP-3860: 2 per word).
#[inline]
pub fn initcode_cost(len: u64) -> u64 {
    per_word(len, INITCODE_WORD)
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

/// Dynamic gas of an account access by an opcode whose static gas is the
/// warm cost (BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH, CALL family).
#[inline]
pub fn account_access_surcharge(is_cold: bool) -> u64 {
    if is_cold {
        COLD_ACCOUNT_SURCHARGE
    } else {
        0
    }
}

/// Dynamic gas of SLOAD (static is the warm 100).
#[inline]
pub fn sload_surcharge(is_cold: bool) -> u64 {
    if is_cold {
        COLD_SLOAD_SURCHARGE
    } else {
        0
    }
}

/// Full access cost of an account not covered by static gas (EIP-7702
/// delegate of a CALL-family target, SELFDESTRUCT beneficiary when cold).
#[inline]
pub fn account_access_cost(is_cold: bool) -> u64 {
    if is_cold {
        COLD_ACCOUNT_ACCESS
    } else {
        WARM_ACCESS
    }
}

/// SSTORE gas (EIP-2200 with EIP-2929): everything SSTORE charges, since its
/// static gas is zero. `original` is the value at the start of the
/// transaction, `present` the value before this write, `new` the value written.
pub fn sstore_cost(original: U256, present: U256, new: U256, is_cold: bool) -> u64 {
    let base = if original == present && present != new {
        if original.is_zero() {
            SSTORE_SET
        } else {
            SSTORE_RESET
        }
    } else {
        WARM_ACCESS
    };
    if is_cold {
        base + COLD_SLOAD
    } else {
        base
    }
}

/// SSTORE refund counter change (EIP-2200 with EIP-3529); may be negative.
pub fn sstore_refund(original: U256, present: U256, new: U256) -> i64 {
    if present == new {
        return 0;
    }
    let mut refund = 0i64;
    if !original.is_zero() {
        if !present.is_zero() && new.is_zero() {
            // Cleared for the first time since the last non-zero value.
            refund += SSTORE_CLEARS_SCHEDULE;
        }
        if present.is_zero() {
            // An earlier clear in this transaction is being undone.
            refund -= SSTORE_CLEARS_SCHEDULE;
        }
    }
    if original == new {
        // Restored to the value at the start of the transaction: refund the
        // difference between what the first write paid and a warm access.
        refund += if original.is_zero() {
            (SSTORE_SET - WARM_ACCESS) as i64
        } else {
            (SSTORE_RESET - WARM_ACCESS) as i64
        };
    }
    refund
}

/// Whether SSTORE must halt out-of-gas because no more than the 2300-gas
/// sentry is left (EIP-2200), checked before anything else SSTORE does.
#[inline]
pub fn sstore_sentry_fails(gas_remaining: u64) -> bool {
    gas_remaining <= SSTORE_SENTRY
}

/// The most gas a frame with `remaining` gas can pass on (EIP-150: all but one 64th).
#[inline]
pub fn max_call_gas(remaining: u64) -> u64 {
    remaining - remaining / 64
}

/// Gas a CALL-family instruction gives its callee, not counting the stipend:
/// the requested amount capped by the 63/64 rule. `remaining` is what is left
/// after memory expansion and the extra costs of [`call_extra_cost`].
#[inline]
pub fn call_gas(remaining: u64, requested: U256) -> u64 {
    let cap = max_call_gas(remaining);
    match u64::try_from(requested) {
        Ok(r) if r < cap => r,
        _ => cap,
    }
}

/// The CALL family's dynamic gas besides memory and the callee's allowance:
/// cold surcharge of the target, the full access cost of an EIP-7702
/// delegate, 9000 for a value transfer and 25000 for a value transfer that
/// creates an account (CALL only; `transfers_value` is false for
/// DELEGATECALL and STATICCALL).
pub fn call_extra_cost(
    target_is_cold: bool,
    delegation_is_cold: Option<bool>,
    transfers_value: bool,
    creates_account: bool,
) -> u64 {
    let mut cost = account_access_surcharge(target_is_cold);
    if let Some(cold) = delegation_is_cold {
        cost += account_access_cost(cold);
    }
    if transfers_value {
        cost += CALL_VALUE;
        if creates_account {
            cost += NEW_ACCOUNT;
        }
    }
    cost
}

/// SELFDESTRUCT's dynamic gas: 2600 for a cold beneficiary, 25000 when a
/// non-zero balance goes to an account that does not exist or is empty.
pub fn selfdestruct_cost(beneficiary_is_cold: bool, had_value: bool, target_exists: bool) -> u64 {
    let mut cost = if beneficiary_is_cold {
        COLD_ACCOUNT_ACCESS
    } else {
        0
    };
    if had_value && !target_exists {
        cost += NEW_ACCOUNT;
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(initcode_cost(49_152), 3072);
        assert_eq!(create2_hash_cost(100), 24);
        assert_eq!(copy_cost(u64::MAX), u64::MAX.div_ceil(32) * 3);
        assert_eq!(log_data_cost(u64::MAX), u64::MAX);
        assert_eq!(code_deposit_cost(10), 2000);
    }

    #[test]
    fn exp_charges_per_exponent_byte() {
        assert_eq!(exp_cost(U256::ZERO), 0);
        assert_eq!(exp_cost(u(1)), 50);
        assert_eq!(exp_cost(u(255)), 50);
        assert_eq!(exp_cost(u(256)), 100);
        assert_eq!(exp_cost(U256::MAX), 32 * 50);
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
            assert_eq!(sstore_cost(u(o), u(p), u(n), false), gas, "{o} {p} {n}");
            assert_eq!(sstore_refund(u(o), u(p), u(n)), refund, "{o} {p} {n}");
            assert_eq!(
                sstore_cost(u(o), u(p), u(n), true),
                gas + COLD_SLOAD,
                "cold {o} {p} {n}"
            );
        }
    }

    #[test]
    fn sstore_sentry_is_inclusive() {
        assert!(sstore_sentry_fails(2300));
        assert!(sstore_sentry_fails(0));
        assert!(!sstore_sentry_fails(2301));
    }

    #[test]
    fn call_gas_keeps_one_64th() {
        assert_eq!(max_call_gas(64_000), 63_000);
        assert_eq!(call_gas(64_000, U256::MAX), 63_000);
        assert_eq!(call_gas(64_000, u(1000)), 1000);
        assert_eq!(call_gas(63, u(1000)), 63);
        assert_eq!(call_gas(0, u(1000)), 0);
    }

    #[test]
    fn call_extras() {
        assert_eq!(call_extra_cost(false, None, false, false), 0);
        assert_eq!(call_extra_cost(true, None, false, false), 2500);
        assert_eq!(
            call_extra_cost(true, None, true, true),
            2500 + 9000 + 25_000
        );
        assert_eq!(call_extra_cost(false, None, true, false), 9000);
        // Creating an account only costs with a value transfer.
        assert_eq!(call_extra_cost(false, None, false, true), 0);
        assert_eq!(call_extra_cost(false, Some(true), false, false), 2600);
        assert_eq!(call_extra_cost(true, Some(false), false, false), 2600);
    }

    #[test]
    fn selfdestruct_extras() {
        assert_eq!(selfdestruct_cost(false, false, false), 0);
        assert_eq!(selfdestruct_cost(true, false, false), 2600);
        assert_eq!(selfdestruct_cost(false, true, false), 25_000);
        assert_eq!(selfdestruct_cost(true, true, true), 2600);
    }

    #[test]
    fn access_surcharges() {
        assert_eq!(account_access_surcharge(true), 2500);
        assert_eq!(account_access_surcharge(false), 0);
        assert_eq!(sload_surcharge(true), 2000);
        assert_eq!(sload_surcharge(false), 0);
        assert_eq!(MAX_INITCODE_SIZE, 49_152);
    }
}
