//! Environment opcodes: message and block fields, call data, code, return
//! data, balances and other accounts' code.

use crate::frame::Frame;
use crate::gas;
use crate::host::Host;
use crate::ops::memory::len_u64;
use crate::result::HaltReason;
use crate::spec::SpecId;
use alloy_primitives::{Address, B256, U256};

/// The low 20 bytes of a stack word as an address.
#[inline]
pub fn to_address(word: U256) -> Address {
    Address::from_word(B256::from(word))
}

/// An address as a stack word.
#[inline]
pub fn address_to_word(address: Address) -> U256 {
    U256::from_be_bytes(address.into_word().0)
}

/// ADDRESS.
#[inline]
pub fn address(frame: &Frame) -> U256 {
    address_to_word(frame.msg.address)
}

/// CALLER.
#[inline]
pub fn caller(frame: &Frame) -> U256 {
    address_to_word(frame.msg.caller)
}

/// CALLVALUE.
#[inline]
pub fn callvalue(frame: &Frame) -> U256 {
    frame.msg.value
}

/// CALLDATASIZE.
#[inline]
pub fn calldatasize(frame: &Frame) -> U256 {
    U256::from(frame.msg.input.len())
}

/// CODESIZE.
#[inline]
pub fn codesize(frame: &Frame) -> U256 {
    U256::from(frame.code.bytes.len())
}

/// RETURNDATASIZE.
#[inline]
pub fn returndatasize(frame: &Frame) -> U256 {
    U256::from(frame.return_data.len())
}

/// ORIGIN.
#[inline]
pub fn origin(host: &dyn Host) -> U256 {
    address_to_word(host.env().tx.origin)
}

/// GASPRICE.
#[inline]
pub fn gasprice(host: &dyn Host) -> U256 {
    host.env().tx.gas_price
}

/// COINBASE.
#[inline]
pub fn coinbase(host: &dyn Host) -> U256 {
    address_to_word(host.env().block.coinbase)
}

/// TIMESTAMP.
#[inline]
pub fn timestamp(host: &dyn Host) -> U256 {
    host.env().block.timestamp
}

/// NUMBER.
#[inline]
pub fn number(host: &dyn Host) -> U256 {
    host.env().block.number
}

/// PREVRANDAO (EIP-4399, from Paris); before Paris the same opcode is
/// DIFFICULTY and reads the block's difficulty.
#[inline]
pub fn prevrandao(host: &dyn Host) -> U256 {
    let env = host.env();
    if env.spec >= SpecId::Paris {
        U256::from_be_bytes(env.block.prevrandao.0)
    } else {
        env.block.difficulty
    }
}

/// GASLIMIT (the block's).
#[inline]
pub fn gaslimit(host: &dyn Host) -> U256 {
    host.env().block.gas_limit
}

/// CHAINID.
#[inline]
pub fn chainid(host: &dyn Host) -> U256 {
    U256::from(host.env().chain_id)
}

/// BASEFEE.
#[inline]
pub fn basefee(host: &dyn Host) -> U256 {
    host.env().block.basefee
}

/// BLOBBASEFEE (EIP-7516).
#[inline]
pub fn blobbasefee(host: &dyn Host) -> U256 {
    host.env().block.blob_base_fee
}

/// BLOBHASH (EIP-4844): the versioned hash at `index`, zero past the end.
pub fn blobhash(host: &dyn Host, index: U256) -> U256 {
    let hashes = &host.env().tx.blob_hashes;
    match usize::try_from(index) {
        Ok(i) if i < hashes.len() => U256::from_be_bytes(hashes[i].0),
        _ => U256::ZERO,
    }
}

/// BLOCKHASH: the hash of block `number`, zero outside the last 256 blocks.
pub fn blockhash(host: &mut dyn Host, number: U256) -> U256 {
    U256::from_be_bytes(host.block_hash(number).0)
}

/// CALLDATALOAD: 32 bytes of call data at `offset`, zero-padded.
pub fn calldataload(frame: &Frame, offset: U256) -> U256 {
    let input = &frame.msg.input;
    let Ok(start) = usize::try_from(offset) else {
        return U256::ZERO;
    };
    if start >= input.len() {
        return U256::ZERO;
    }
    let mut word = [0u8; 32];
    let avail = (input.len() - start).min(32);
    word[..avail].copy_from_slice(&input[start..start + avail]);
    U256::from_be_bytes(word)
}

/// Charges memory expansion and copy gas for a copy of `len` bytes to
/// `mem_offset`; returns the destination range.
fn expand_for_copy(
    frame: &mut Frame,
    mem_offset: U256,
    len: U256,
) -> Result<(usize, usize), HaltReason> {
    let (off, len) = frame.memory.expand(&mut frame.gas, mem_offset, len)?;
    frame.gas.charge(gas::copy_cost(len_u64(len)))?;
    Ok((off, len))
}

/// CALLDATACOPY.
pub fn calldatacopy(
    frame: &mut Frame,
    mem_offset: U256,
    data_offset: U256,
    len: U256,
) -> Result<(), HaltReason> {
    let (off, len) = expand_for_copy(frame, mem_offset, len)?;
    if len > 0 {
        let input = frame.msg.input;
        frame.memory.set_padded(off, input, data_offset, len);
    }
    Ok(())
}

/// CODECOPY.
pub fn codecopy(
    frame: &mut Frame,
    mem_offset: U256,
    code_offset: U256,
    len: U256,
) -> Result<(), HaltReason> {
    let (off, len) = expand_for_copy(frame, mem_offset, len)?;
    if len > 0 {
        let code = frame.code.bytes.clone();
        frame.memory.set_padded(off, &code, code_offset, len);
    }
    Ok(())
}

/// RETURNDATACOPY: halts if the range reaches past the return data (EIP-211).
pub fn returndatacopy(
    frame: &mut Frame,
    mem_offset: U256,
    data_offset: U256,
    len: U256,
) -> Result<(), HaltReason> {
    let (off, n) = expand_for_copy(frame, mem_offset, len)?;
    let end = data_offset.checked_add(len);
    match end {
        Some(end) if end <= U256::from(frame.return_data.len()) => {}
        _ => return Err(HaltReason::ReturnDataOutOfBounds),
    }
    if n > 0 {
        let start = data_offset.to::<usize>();
        let data = frame.return_data.clone();
        frame.memory.set(off, &data[start..start + n]);
    }
    Ok(())
}

/// BALANCE.
pub fn balance(frame: &mut Frame, host: &mut dyn Host, address: U256) -> Result<U256, HaltReason> {
    let load = host.balance(to_address(address));
    frame
        .gas
        .charge(gas::account_access_surcharge(frame.spec, load.is_cold))?;
    Ok(load.data)
}

/// SELFBALANCE (the executing account is always warm).
pub fn selfbalance(frame: &Frame, host: &mut dyn Host) -> U256 {
    host.balance(frame.msg.address).data
}

/// EXTCODESIZE (an EIP-7702 designator is measured as itself).
pub fn extcodesize(
    frame: &mut Frame,
    host: &mut dyn Host,
    address: U256,
) -> Result<U256, HaltReason> {
    let load = host.code(to_address(address));
    frame
        .gas
        .charge(gas::account_access_surcharge(frame.spec, load.is_cold))?;
    Ok(U256::from(load.data.len()))
}

/// EXTCODEHASH: zero for an account that does not exist or is empty.
pub fn extcodehash(
    frame: &mut Frame,
    host: &mut dyn Host,
    address: U256,
) -> Result<U256, HaltReason> {
    let load = host.code_hash(to_address(address));
    frame
        .gas
        .charge(gas::account_access_surcharge(frame.spec, load.is_cold))?;
    Ok(U256::from_be_bytes(load.data.0))
}

/// EXTCODECOPY.
pub fn extcodecopy(
    frame: &mut Frame,
    host: &mut dyn Host,
    address: U256,
    mem_offset: U256,
    code_offset: U256,
    len: U256,
) -> Result<(), HaltReason> {
    let load = host.code(to_address(address));
    frame
        .gas
        .charge(gas::account_access_surcharge(frame.spec, load.is_cold))?;
    let (off, len) = expand_for_copy(frame, mem_offset, len)?;
    if len > 0 {
        frame.memory.set_padded(off, &load.data, code_offset, len);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::{with_frame, with_frame_input};
    use alloy_primitives::{address, Bytes};

    #[test]
    fn address_word_roundtrip() {
        let a = address!("0x00000000000000000000000000000000deadbeef");
        assert_eq!(address_to_word(a), U256::from(0xdeadbeefu64));
        // High bytes are dropped.
        assert_eq!(to_address(U256::MAX << 160 | U256::from(0xdeadbeefu64)), a);
    }

    #[test]
    fn calldataload_pads() {
        with_frame_input(&[0xaa; 40], 100, |frame| {
            assert_eq!(
                calldataload(frame, U256::ZERO),
                U256::MAX / U256::from(0xff) * U256::from(0xaa)
            );
            let w = calldataload(frame, U256::from(39));
            assert_eq!(w, U256::from(0xaa) << 248);
            assert_eq!(calldataload(frame, U256::from(40)), U256::ZERO);
            assert_eq!(calldataload(frame, U256::MAX), U256::ZERO);
            assert_eq!(calldatasize(frame), U256::from(40));
        });
    }

    #[test]
    fn calldatacopy_gas_and_padding() {
        with_frame_input(&[1, 2, 3], 1_000, |frame| {
            calldatacopy(frame, U256::ZERO, U256::from(1), U256::from(33)).unwrap();
            // 2 words of memory (6) + 2 words copied (6).
            assert_eq!(frame.gas.used(), 12);
            assert_eq!(&frame.memory.as_slice()[..4], &[2, 3, 0, 0]);
            calldatacopy(frame, U256::MAX, U256::MAX, U256::ZERO).unwrap();
            assert_eq!(frame.gas.used(), 12);
        });
    }

    #[test]
    fn returndatacopy_bounds() {
        with_frame(1_000, |frame| {
            frame.return_data = Bytes::from(vec![7, 8, 9]);
            returndatacopy(frame, U256::ZERO, U256::from(1), U256::from(2)).unwrap();
            assert_eq!(&frame.memory.as_slice()[..3], &[8, 9, 0]);
            // Zero bytes at the very end is fine; one past it is not.
            returndatacopy(frame, U256::ZERO, U256::from(3), U256::ZERO).unwrap();
            assert_eq!(
                returndatacopy(frame, U256::ZERO, U256::from(3), U256::from(1)),
                Err(HaltReason::ReturnDataOutOfBounds)
            );
            assert_eq!(
                returndatacopy(frame, U256::ZERO, U256::MAX, U256::from(1)),
                Err(HaltReason::ReturnDataOutOfBounds)
            );
            assert_eq!(
                returndatacopy(frame, U256::ZERO, U256::from(4), U256::ZERO),
                Err(HaltReason::ReturnDataOutOfBounds)
            );
        });
    }

    #[test]
    fn codecopy_reads_running_code() {
        with_frame(1_000, |frame| {
            codecopy(frame, U256::ZERO, U256::ZERO, U256::from(32)).unwrap();
            let code = frame.code.bytes.clone();
            assert_eq!(&frame.memory.as_slice()[..code.len()], &code[..]);
            assert_eq!(codesize(frame), U256::from(code.len()));
        });
    }
}
