//! Operand values: what each stack argument of an opcode means, and edge
//! values chosen for that meaning.
//!
//! Stack heights and gas come from `cevm_runtime::opcode`; this module only
//! knows which argument is an offset, a length, an address and so on, so
//! that generated programs run far instead of failing on their first
//! memory access.

use crate::entropy::Entropy;
use crate::scenario::{contract_address, BLOCK_NUMBER, BYSTANDER, COINBASE, SENDER};
use crate::tx_kind::authority_address;
use alloy_primitives::{Address, U256};
use cevm_runtime::opcode::op;

/// What a stack argument is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A plain number.
    Value,
    /// A shift amount (SHL, SHR, SAR).
    Shift,
    /// A byte index (BYTE, SIGNEXTEND).
    ByteIndex,
    /// A memory offset.
    MemOffset,
    /// A memory length.
    MemLength,
    /// An account address.
    Account,
    /// The address a call goes to.
    CallTarget,
    /// A storage or transient-storage key.
    SlotKey,
    /// The gas argument of a call.
    CallGas,
    /// Wei sent by a call or create.
    CallValue,
    /// A block number (BLOCKHASH).
    BlockNumber,
    /// An index into the blob hashes (BLOBHASH).
    BlobIndex,
    /// An offset into call data, code or return data.
    DataOffset,
    /// A CREATE2 salt.
    Salt,
    /// A value written to storage (zero often, so that slots are cleared
    /// and refunds happen).
    StoreValue,
}

use Role::*;

/// The roles of `opcode`'s arguments, top of the stack first; `None` for
/// opcodes whose arguments are all plain values (or that take none).
pub fn roles(opcode: u8) -> Option<&'static [Role]> {
    Some(match opcode {
        op::SHL | op::SHR | op::SAR => &[Shift, Value],
        op::BYTE | op::SIGNEXTEND => &[ByteIndex, Value],
        op::KECCAK256 | op::RETURN | op::REVERT | op::LOG0 => &[MemOffset, MemLength],
        op::LOG1 => &[MemOffset, MemLength, Value],
        op::LOG2 => &[MemOffset, MemLength, Value, Value],
        op::LOG3 => &[MemOffset, MemLength, Value, Value, Value],
        op::LOG4 => &[MemOffset, MemLength, Value, Value, Value, Value],
        op::BALANCE | op::EXTCODESIZE | op::EXTCODEHASH | op::SELFDESTRUCT => &[Account],
        op::CALLDATALOAD => &[DataOffset],
        op::CALLDATACOPY | op::CODECOPY | op::RETURNDATACOPY => &[MemOffset, DataOffset, MemLength],
        op::EXTCODECOPY => &[Account, MemOffset, DataOffset, MemLength],
        op::BLOCKHASH => &[BlockNumber],
        op::BLOBHASH => &[BlobIndex],
        op::MLOAD => &[MemOffset],
        op::MSTORE | op::MSTORE8 => &[MemOffset, Value],
        op::SLOAD | op::TLOAD => &[SlotKey],
        op::SSTORE => &[SlotKey, StoreValue],
        op::TSTORE => &[SlotKey, Value],
        op::MCOPY => &[MemOffset, MemOffset, MemLength],
        op::CREATE => &[CallValue, MemOffset, MemLength],
        op::CREATE2 => &[CallValue, MemOffset, MemLength, Salt],
        op::CALL | op::CALLCODE => &[
            CallGas, CallTarget, CallValue, MemOffset, MemLength, MemOffset, MemLength,
        ],
        op::DELEGATECALL | op::STATICCALL => &[
            CallGas, CallTarget, MemOffset, MemLength, MemOffset, MemLength,
        ],
        _ => return None,
    })
}

/// 2^k as a word (zero for k >= 256).
pub(super) fn pow2(k: u64) -> U256 {
    if k >= 256 {
        U256::ZERO
    } else {
        U256::from(1u8) << (k as usize)
    }
}

/// A number chosen to hit arithmetic edges: 0, 1, powers of two and their
/// neighbours, the sign bit, all ones, small negatives, limb boundaries,
/// addresses, random words.
pub fn edge_value<R: Entropy>(rng: &mut R) -> U256 {
    match rng.below(12) {
        9..=11 => boundary_value(rng),
        0 => U256::from(rng.below(5)),
        1 => {
            let k = *pick(rng, &[1, 8, 31, 32, 63, 64, 65, 127, 128, 160, 192, 255]);
            let base = pow2(k);
            match rng.below(3) {
                0 => base,
                1 => base.wrapping_sub(U256::from(1u8)),
                _ => base.wrapping_add(U256::from(1u8)),
            }
        }
        2 => U256::MAX.wrapping_sub(U256::from(rng.below(4))),
        3 => U256::from(rng.next_u64()),
        4 => U256::from_limbs([
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
        ]),
        5 => {
            let k = rng.below(257);
            pow2(k).wrapping_sub(U256::from(rng.below(2)))
        }
        6 => U256::from(rng.below(300)),
        7 => address_word(&known_address(rng, 4)),
        _ => {
            // A single random limb set, to separate limb-carry bugs.
            let mut limbs = [0u64; 4];
            limbs[rng.below(4) as usize] = rng.next_u64();
            U256::from_limbs(limbs)
        }
    }
}

/// Exponents of the powers of two around which [`boundary_value`] picks:
/// limb and half boundaries (64, 128, 192), the sign bit (255), byte,
/// address and small-word widths, and 256 (which wraps to zero).
const BOUNDARY_POWERS: [u64; 14] = [64, 128, 192, 255, 63, 127, 191, 1, 8, 16, 32, 160, 248, 256];

/// A value at a limb, half or sign boundary: `2^k + d` for `d` in -2..=2
/// and `k` in `BOUNDARY_POWERS`, sometimes negated (two's complement) or
/// inverted, so that `2^256 - 2^k` (high-limb masks), `INT_MIN`, `INT_MAX`
/// and -1 come up as often as their positive neighbours.
pub fn boundary_value<R: Entropy>(rng: &mut R) -> U256 {
    let k = *pick(rng, &BOUNDARY_POWERS);
    let base = pow2(k);
    let d = rng.below(5);
    let v = if d < 2 {
        base.wrapping_sub(U256::from(2 - d))
    } else {
        base.wrapping_add(U256::from(d - 2))
    };
    match rng.below(5) {
        0 => v.wrapping_neg(),
        1 => !v,
        _ => v,
    }
}

/// A second operand close to `x`, for comparisons and carries: equal, one
/// apart, negated, inverted, with the sign bit or a half flipped.
pub fn near_value<R: Entropy>(rng: &mut R, x: U256) -> U256 {
    let one = U256::from(1u8);
    match rng.below(8) {
        0 => x,
        1 => x.wrapping_add(one),
        2 => x.wrapping_sub(one),
        3 => x.wrapping_neg(),
        4 => !x,
        5 => x ^ pow2(255),
        6 => x ^ pow2(127),
        _ => x.wrapping_add(pow2(128)),
    }
}

/// An operand for argument `position` (0 = top) of the pure opcode `code`
/// taken from that opcode family's boundaries: shift amounts around 0,
/// 128, 256 and 2^64; byte indices around 0, 31, 32 and 2^64; SIGNEXTEND
/// sizes at each byte with values whose sign bit sits there; EXP exponents
/// whose byte length (and gas) steps; divisors 0, 1 and -1 against
/// `INT_MIN`; everything else at limb, half and sign boundaries, the second
/// operand often next to the first (`previous`).
pub fn boundary_operand<R: Entropy>(
    rng: &mut R,
    code: u8,
    position: usize,
    previous: Option<U256>,
) -> U256 {
    let small = |rng: &mut R, pool: &[u64]| U256::from(*pick(rng, pool));
    match (code, position) {
        (op::SHL | op::SHR | op::SAR, 0) => match rng.below(8) {
            0 => wide_index(rng),
            1 => U256::MAX,
            2..=4 => small(rng, &[127, 128, 129, 255, 256, 257]),
            _ => small(
                rng,
                &[
                    0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 191, 192, 255, 256, 257,
                ],
            ),
        },
        (op::BYTE, 0) => match rng.below(8) {
            0 => wide_index(rng),
            1 => U256::MAX,
            2..=4 => small(rng, &[31, 32, 33]),
            _ => small(rng, &[0, 1, 7, 8, 15, 16, 23, 24, 30, 31, 32, 33]),
        },
        (op::SIGNEXTEND, 0) => match rng.below(8) {
            0 => wide_index(rng),
            1..=3 => small(rng, &[30, 31, 32, 33]),
            _ => small(rng, &[0, 1, 7, 8, 15, 16, 23, 24, 29, 30, 31, 32, 33]),
        },
        (op::BYTE, 1) => match rng.below(3) {
            // Every byte random: the byte picked (or wrongly picked) shows.
            0 | 1 => U256::from_limbs([
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
            ]),
            _ => boundary_value(rng),
        },
        (op::SIGNEXTEND, 1) => {
            // The sign bit of some byte set, the bytes above it random.
            let byte = rng.below(32) as usize;
            let sign = pow2(8 * byte as u64 + 7);
            let noise = U256::from_limbs([
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
                rng.next_u64(),
            ]);
            let below = sign.wrapping_sub(U256::from(1u8));
            (noise & !below) | sign | (below & U256::from(rng.next_u64()))
        }
        (op::EXP, 1) => match rng.below(3) {
            0 => boundary_value(rng),
            _ => {
                let k = *pick(rng, &[0u64, 1, 7, 8, 15, 16, 63, 64, 255]);
                pow2(k).wrapping_sub(U256::from(rng.below(2)))
            }
        },
        (op::DIV | op::SDIV | op::MOD | op::SMOD, 1) => match rng.below(3) {
            0 => *pick(
                rng,
                &[U256::ZERO, U256::from(1u8), U256::MAX, U256::from(2u8)],
            ),
            _ => boundary_value(rng),
        },
        (op::ADDMOD | op::MULMOD, 2) => match rng.below(3) {
            0 => *pick(rng, &[U256::ZERO, U256::from(1u8), U256::MAX, pow2(255)]),
            _ => boundary_value(rng),
        },
        _ => match previous {
            Some(p) if rng.chance(1, 2) => near_value(rng, p),
            _ => boundary_value(rng),
        },
    }
}

pub(super) fn pick<'a, R: Entropy, T>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u64) as usize]
}

fn address_word(address: &Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

/// One of the scenario's addresses (including the EIP-7702 authorities, which
/// may hold delegations), a precompile, or an address with no account.
pub fn known_address<R: Entropy>(rng: &mut R, contracts: usize) -> Address {
    match rng.below(10) {
        0..=3 => contract_address(rng.below(contracts.max(1) as u64) as usize),
        4 | 5 => {
            let n = *pick(
                rng,
                &[
                    1u16, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0x100,
                ],
            );
            let mut bytes = [0u8; 20];
            bytes[18..].copy_from_slice(&n.to_be_bytes());
            Address::new(bytes)
        }
        6 => *pick(
            rng,
            &[
                SENDER,
                COINBASE,
                BYSTANDER,
                authority_address(0),
                authority_address(1),
                authority_address(2),
            ],
        ),
        7 => contract_address(MAX_CONTRACT_SLOT),
        _ => {
            let mut bytes = [0u8; 20];
            bytes[19] = rng.range(0x20, 0xff) as u8;
            bytes[0] = 0xde;
            Address::new(bytes)
        }
    }
}

/// A contract slot never filled, so calls to it reach an empty account.
const MAX_CONTRACT_SLOT: usize = 0x7f;

/// Offsets that expand memory to absurd sizes (out of gas) or wrap.
const HUGE: [(u64, u64); 10] = [
    // (power of two, added)
    (16, 1),
    (20, 0),
    (25, 0),
    (32, 0),
    (32, 32),
    (63, 0),
    (64, 0),
    (128, 0),
    (255, 0),
    (256, 0),
];

/// A small index (0, 1, 31, 32) plus a high power of two: right in the low
/// limb, wrong as a whole word.
fn wide_index<R: Entropy>(rng: &mut R) -> U256 {
    let low = U256::from(*pick(rng, &[0u64, 1, 31, 32]));
    low | pow2(*pick(rng, &[64u64, 128, 192, 255]))
}

fn huge<R: Entropy>(rng: &mut R) -> U256 {
    let (k, add) = *pick(rng, &HUGE);
    if k == 256 {
        U256::MAX.wrapping_sub(U256::from(rng.below(32)))
    } else {
        pow2(k).wrapping_add(U256::from(add))
    }
}

/// How operands are chosen for one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Contracts in the scenario (call targets).
    pub contracts: usize,
    /// Index of the contract being generated: calls mostly go to later
    /// contracts, so that call graphs are mostly acyclic and recursion
    /// (which burns all gas) stays the exception.
    pub own: usize,
    /// Whether memory offsets and lengths may be huge (out of gas at once);
    /// only some programs get them, so that the others run far.
    pub wild: bool,
}

/// A value for an argument with `role`.
pub fn operand<R: Entropy>(rng: &mut R, role: Role, style: Style) -> U256 {
    let contracts = style.contracts;
    match role {
        Value => edge_value(rng),
        Shift => match rng.below(16) {
            0 => edge_value(rng),
            // Amounts the low limb alone misreads (width): 2^64, 2^128, ...
            1 => wide_index(rng),
            _ => U256::from(*pick(
                rng,
                &[
                    0u64, 1, 2, 7, 8, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 192, 193, 254,
                    255, 256, 257,
                ],
            )),
        },
        ByteIndex => match rng.below(12) {
            0 => edge_value(rng),
            1 => wide_index(rng),
            2 => U256::from(*pick(rng, &[0u64, 1, 30, 31, 32, 33, 255, 256])),
            _ => U256::from(rng.below(34)),
        },
        MemOffset => match rng.below(40) {
            0 if style.wild => huge(rng),
            1..=12 => U256::from(*pick(rng, &[0u64, 1, 31, 32, 33, 63, 64, 96, 1023, 1024])),
            _ => U256::from(rng.below(1100)),
        },
        MemLength => match rng.below(40) {
            0 if style.wild => huge(rng),
            1..=7 => U256::ZERO,
            8..=16 => U256::from(*pick(rng, &[1u64, 31, 32, 33, 64, 65])),
            17..=19 => U256::from(rng.range(300, 5000)),
            _ => U256::from(rng.below(160)),
        },
        Account => {
            if rng.chance(1, 16) {
                // High bits set: only the low 20 bytes may count.
                return address_word(&known_address(rng, contracts))
                    | (U256::from(rng.next_u64()) << 160);
            }
            address_word(&known_address(rng, contracts))
        }
        CallTarget => {
            let later = contracts.saturating_sub(style.own + 1) as u64;
            if later > 0 && rng.chance(7, 10) {
                let index = style.own + 1 + rng.below(later) as usize;
                return address_word(&contract_address(index));
            }
            if rng.chance(1, 2) {
                // A precompile or an account without code.
                let n = 1 + rng.below(0x11);
                return U256::from(n);
            }
            operand(rng, Account, style)
        }
        SlotKey => {
            if rng.chance(1, 8) {
                return edge_value(rng);
            }
            U256::from(rng.below(6))
        }
        CallGas => match rng.below(40) {
            0..=3 => U256::ZERO,
            4..=7 => U256::from(2300u64),
            8..=15 => U256::from(rng.below(100_000)),
            16 => U256::MAX,
            17 => U256::from(u64::MAX),
            _ => U256::from(rng.range(10_000, 150_000)),
        },
        CallValue => match rng.below(12) {
            0 => U256::from(1u8),
            1 => U256::from(rng.below(10_000)),
            2 => pow2(255),
            _ => U256::ZERO,
        },
        BlockNumber => {
            let n = U256::from(BLOCK_NUMBER);
            match rng.below(8) {
                0 => n,
                1 => n - U256::from(256u64),
                2 => n - U256::from(257u64),
                3 => U256::ZERO,
                4 => edge_value(rng),
                _ => n - U256::from(rng.range(1, 256)),
            }
        }
        BlobIndex => {
            if rng.chance(1, 4) {
                edge_value(rng)
            } else {
                U256::from(rng.below(3))
            }
        }
        DataOffset => match rng.below(16) {
            0 if style.wild => huge(rng),
            1 if style.wild => U256::MAX,
            _ => U256::from(rng.below(70)),
        },
        StoreValue => {
            if rng.chance(1, 4) {
                U256::ZERO
            } else {
                edge_value(rng)
            }
        }
        Salt => {
            if rng.chance(1, 2) {
                U256::from(rng.below(3))
            } else {
                edge_value(rng)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::Xoshiro256;
    use cevm_runtime::opcode::info;

    #[test]
    fn roles_match_the_opcode_table_arity() {
        for code in 0..=255u8 {
            if let (Some(r), Some(i)) = (roles(code), info(code)) {
                assert_eq!(r.len(), i.inputs as usize, "{}", i.name);
            }
        }
    }

    #[test]
    fn edge_values_cover_the_extremes() {
        let mut rng = Xoshiro256::new(3);
        let values: Vec<U256> = (0..5000).map(|_| edge_value(&mut rng)).collect();
        assert!(values.contains(&U256::ZERO));
        assert!(values.contains(&U256::MAX));
        assert!(values.contains(&pow2(255)));
        assert!(values.contains(&pow2(64)));
        for k in [64, 128, 192, 255] {
            for v in [pow2(k) - U256::from(1), pow2(k) + U256::from(1)] {
                assert!(values.contains(&v), "2^{k} neighbour missing");
            }
        }
    }
}
