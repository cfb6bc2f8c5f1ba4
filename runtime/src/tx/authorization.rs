//! EIP-7702 authorization signatures.

use super::types::Authorization;
use alloy_primitives::{keccak256, uint, Address, U256};
use alloy_rlp::{Encodable, Header};

/// The secp256k1 group order.
const SECP256K1N: U256 =
    uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256);

/// The EIP-7702 signing domain byte.
const MAGIC: u8 = 0x05;

/// The message an authority signs: `keccak(0x05 ++ rlp([chain_id, address, nonce]))`.
pub fn authorization_hash(auth: &Authorization) -> [u8; 32] {
    let mut payload = Vec::with_capacity(64);
    auth.chain_id.encode(&mut payload);
    auth.address.encode(&mut payload);
    auth.nonce.encode(&mut payload);
    let mut msg = Vec::with_capacity(payload.len() + 4);
    msg.push(MAGIC);
    Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut msg);
    msg.extend_from_slice(&payload);
    keccak256(&msg).0
}

/// The authority that signed `auth`, or `None` when the signature is not
/// valid (parity not 0/1, r or s out of range, s in the upper half (EIP-2),
/// or no key recovers).
pub fn recover_authority(auth: &Authorization) -> Option<Address> {
    let y_parity = u8::try_from(auth.y_parity).ok().filter(|v| *v <= 1)?;
    if auth.r.is_zero() || auth.r >= SECP256K1N {
        return None;
    }
    if auth.s.is_zero() || auth.s > SECP256K1N >> 1 {
        return None;
    }
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&auth.r.to_be_bytes::<32>());
    sig[32..].copy_from_slice(&auth.s.to_be_bytes::<32>());
    let hash = authorization_hash(auth);
    let recovered = revm_precompile::crypto()
        .secp256k1_ecrecover(&sig, y_parity, &hash)
        .ok()?;
    Some(Address::from_slice(&recovered[12..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn rejects_out_of_range_signatures() {
        let auth = Authorization {
            chain_id: U256::from(1),
            address: Address::repeat_byte(0x42),
            nonce: U256::ZERO,
            y_parity: U256::from(2),
            r: U256::from(1),
            s: U256::from(1),
        };
        assert_eq!(recover_authority(&auth), None);
        let high_s = Authorization {
            y_parity: U256::ZERO,
            s: (SECP256K1N >> 1) + U256::from(1),
            ..auth.clone()
        };
        assert_eq!(recover_authority(&high_s), None);
        let zero_r = Authorization {
            y_parity: U256::ZERO,
            r: U256::ZERO,
            ..auth
        };
        assert_eq!(recover_authority(&zero_r), None);
    }

    #[test]
    fn recovers_the_signer() {
        use k256::ecdsa::SigningKey;
        let key = SigningKey::from_slice(&[0x42; 32]).expect("valid key");
        let public = key.verifying_key().to_encoded_point(false);
        let signer = Address::from_slice(&keccak256(&public.as_bytes()[1..])[12..]);
        let mut auth = Authorization {
            chain_id: U256::from(1),
            address: address!("0000000000000000000000000000000000001000"),
            nonce: U256::from(7),
            ..Authorization::default()
        };
        let (sig, recid) = key
            .sign_prehash_recoverable(&authorization_hash(&auth))
            .expect("signing works");
        let bytes = sig.to_bytes();
        auth.r = U256::from_be_slice(&bytes[..32]);
        auth.s = U256::from_be_slice(&bytes[32..]);
        auth.y_parity = U256::from(recid.to_byte());
        assert_eq!(recover_authority(&auth), Some(signer));
        // Another nonce is another message: a different (or no) authority.
        auth.nonce = U256::from(8);
        assert_ne!(recover_authority(&auth), Some(signer));
    }
}
