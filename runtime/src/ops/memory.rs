//! Memory opcodes: MLOAD, MSTORE, MSTORE8, MCOPY, MSIZE and KECCAK256.

use crate::frame::Frame;
use crate::gas;
use crate::result::HaltReason;
use alloy_primitives::{keccak256, U256};

/// Converts a length already proven to fit memory (the range was expanded) to `u64`.
#[inline]
pub(crate) fn len_u64(len: usize) -> u64 {
    len as u64
}

/// MLOAD: the word at `offset`.
#[inline]
pub fn mload(frame: &mut Frame, offset: U256) -> Result<U256, HaltReason> {
    let (off, _) = frame
        .memory
        .expand(&mut frame.gas, offset, U256::from(32))?;
    Ok(frame.memory.word(off))
}

/// MSTORE: stores `value` as a big-endian word at `offset`.
#[inline]
pub fn mstore(frame: &mut Frame, offset: U256, value: U256) -> Result<(), HaltReason> {
    let (off, _) = frame
        .memory
        .expand(&mut frame.gas, offset, U256::from(32))?;
    frame.memory.set_word(off, value);
    Ok(())
}

/// MSTORE8: stores the low byte of `value` at `offset`.
#[inline]
pub fn mstore8(frame: &mut Frame, offset: U256, value: U256) -> Result<(), HaltReason> {
    let (off, _) = frame.memory.expand(&mut frame.gas, offset, U256::from(1))?;
    frame.memory.set(off, &[value.byte(0)]);
    Ok(())
}

/// MSIZE: memory size in bytes.
#[inline]
pub fn msize(frame: &Frame) -> U256 {
    U256::from(frame.memory.len())
}

/// MCOPY (EIP-5656): copies `len` bytes from `src` to `dst`; memory expands
/// to cover both ranges and the copy costs 3 gas per word.
pub fn mcopy(frame: &mut Frame, dst: U256, src: U256, len: U256) -> Result<(), HaltReason> {
    if len.is_zero() {
        return Ok(());
    }
    let (Ok(dst), Ok(src), Ok(len)) = (u64::try_from(dst), u64::try_from(src), u64::try_from(len))
    else {
        return Err(HaltReason::OutOfGas);
    };
    let end = dst.max(src).checked_add(len).ok_or(HaltReason::OutOfGas)?;
    frame.gas.charge(gas::copy_cost(len))?;
    frame.memory.expand_to(&mut frame.gas, end)?;
    frame
        .memory
        .copy_within(dst as usize, src as usize, len as usize);
    Ok(())
}

/// KECCAK256: the hash of `len` bytes at `offset`.
pub fn keccak256_op(frame: &mut Frame, offset: U256, len: U256) -> Result<U256, HaltReason> {
    let (off, len) = frame.memory.expand(&mut frame.gas, offset, len)?;
    frame.gas.charge(gas::keccak256_cost(len_u64(len)))?;
    let hash = keccak256(frame.memory.slice(off, len));
    Ok(U256::from_be_bytes(hash.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::with_frame;

    #[test]
    fn mstore_mload_roundtrip_and_gas() {
        with_frame(1_000, |frame| {
            mstore(frame, U256::from(1), U256::from(0xabcd)).unwrap();
            // Two words touched: 3*2 + 4/512.
            assert_eq!(frame.gas.used(), 6);
            assert_eq!(mload(frame, U256::from(1)).unwrap(), U256::from(0xabcd));
            assert_eq!(msize(frame), U256::from(64));
            mstore8(frame, U256::from(64), U256::from(0x1ff)).unwrap();
            assert_eq!(frame.memory.as_slice()[64], 0xff);
            assert_eq!(msize(frame), U256::from(96));
            assert_eq!(mload(frame, U256::MAX), Err(HaltReason::OutOfGas));
        });
    }

    #[test]
    fn mcopy_overlapping_and_gas() {
        with_frame(1_000, |frame| {
            mstore(frame, U256::ZERO, U256::from_be_slice(&[1, 2, 3, 4])).unwrap();
            let before = frame.gas.used();
            // Copy 4 bytes from 28 to 30 (overlapping), reaching 34 -> 2 words.
            mcopy(frame, U256::from(30), U256::from(28), U256::from(4)).unwrap();
            assert_eq!(&frame.memory.as_slice()[28..34], &[1, 2, 1, 2, 3, 4]);
            assert_eq!(frame.gas.used() - before, 3 + 3);
            // Zero length touches nothing even at huge offsets.
            mcopy(frame, U256::MAX, U256::MAX, U256::ZERO).unwrap();
            assert_eq!(
                mcopy(frame, U256::MAX, U256::ZERO, U256::from(1)),
                Err(HaltReason::OutOfGas)
            );
        });
    }

    #[test]
    fn keccak_of_empty_and_gas() {
        with_frame(1_000, |frame| {
            let h = keccak256_op(frame, U256::from(5), U256::ZERO).unwrap();
            assert_eq!(h, U256::from_be_bytes(alloy_primitives::KECCAK256_EMPTY.0));
            assert_eq!(frame.gas.used(), 0);
            keccak256_op(frame, U256::ZERO, U256::from(33)).unwrap();
            assert_eq!(frame.gas.used(), 6 + 12);
        });
    }
}
