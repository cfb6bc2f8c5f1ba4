//! EIP-7702 delegation designators: `0xef0100 ++ address`.

use alloy_primitives::{Address, Bytes};

/// The three bytes every delegation designator starts with.
pub const DELEGATION_PREFIX: [u8; 3] = [0xef, 0x01, 0x00];

/// Length of a delegation designator (prefix and a 20-byte address).
pub const DELEGATION_LEN: usize = 23;

/// The delegate named by `code` if it is a delegation designator.
pub fn delegation_target(code: &[u8]) -> Option<Address> {
    if code.len() == DELEGATION_LEN && code[..3] == DELEGATION_PREFIX {
        Some(Address::from_slice(&code[3..]))
    } else {
        None
    }
}

/// The designator that delegates to `address`.
pub fn delegation_designator(address: Address) -> Bytes {
    let mut code = Vec::with_capacity(DELEGATION_LEN);
    code.extend_from_slice(&DELEGATION_PREFIX);
    code.extend_from_slice(address.as_slice());
    Bytes::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designator_roundtrip() {
        let a = Address::with_last_byte(0x42);
        let code = delegation_designator(a);
        assert_eq!(code.len(), DELEGATION_LEN);
        assert_eq!(delegation_target(&code), Some(a));
        assert_eq!(delegation_target(&code[..22]), None);
        let mut longer = code.to_vec();
        longer.push(0);
        assert_eq!(delegation_target(&longer), None);
        let mut wrong = code.to_vec();
        wrong[2] = 1;
        assert_eq!(delegation_target(&wrong), None);
    }
}
