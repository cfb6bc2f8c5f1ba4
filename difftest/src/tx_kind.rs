//! The transaction a scenario sends: a plain call, a contract creation, a
//! blob-carrying call (EIP-4844) or a set-code call (EIP-7702); any of them
//! may carry an access list (EIP-2930).
//!
//! Set-code authorizations are signed here, deterministically (RFC 6979),
//! by one of [`AUTHORITY_KEYS`] fixed keys, so that a scenario is a pure
//! value and its state-test JSON is the same every time it is written.

use alloy_primitives::{keccak256, Address, B256, U256};
use cevm_runtime::tx::authorization::authorization_hash;
use cevm_runtime::tx::Authorization;
use k256::ecdsa::SigningKey;
use std::sync::OnceLock;

/// How many signing keys authorities are drawn from.
pub const AUTHORITY_KEYS: u8 = 3;

/// The kind of the scenario's transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TxKind {
    /// A call of contract 0 (legacy, or EIP-2930 with an access list).
    #[default]
    Call,
    /// A contract creation: contract 0's program is the init code, and
    /// contract 0 is not in the pre-state.
    Create,
    /// An EIP-4844 call of contract 0 carrying blob versioned hashes.
    Blob {
        /// The versioned hashes (BLOBHASH reads them).
        hashes: Vec<B256>,
        /// The most the sender pays per blob gas (wei).
        max_fee_per_blob_gas: u64,
    },
    /// An EIP-7702 call of `to` carrying authorizations.
    SetCode {
        /// The authorizations, in order.
        authorizations: Vec<AuthorizationSpec>,
        /// The called address (an authority, to run delegated code, or
        /// contract 0).
        to: Address,
    },
}

impl TxKind {
    /// Whether the transaction pays with EIP-1559 fields (types 2 to 4).
    pub fn is_dynamic_fee(&self) -> bool {
        matches!(self, Self::Blob { .. } | Self::SetCode { .. })
    }
}

/// An EIP-7702 authorization before signing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationSpec {
    /// Which fixed key signs (taken modulo [`AUTHORITY_KEYS`]).
    pub key: u8,
    /// The chain id signed for (1 is the scenario's chain, 0 any chain).
    pub chain_id: u64,
    /// The address whose code the authority delegates to.
    pub delegate: Address,
    /// The authority nonce signed for.
    pub nonce: u64,
}

fn signing_key(key: u8) -> Option<SigningKey> {
    // Small non-zero scalars: valid secp256k1 secret keys.
    let mut secret = [0u8; 32];
    secret[31] = key % AUTHORITY_KEYS + 1;
    secret[0] = 0x5c;
    SigningKey::from_slice(&secret).ok()
}

/// The address of authority `key` (zero if the key were invalid, which the
/// fixed keys are not). Derived once: the generator asks often, and a
/// public key costs a scalar multiplication.
pub fn authority_address(key: u8) -> Address {
    static ADDRESSES: OnceLock<[Address; AUTHORITY_KEYS as usize]> = OnceLock::new();
    let addresses = ADDRESSES.get_or_init(|| {
        std::array::from_fn(|k| {
            signing_key(k as u8).map_or(Address::ZERO, |k| {
                let public = k.verifying_key().to_encoded_point(false);
                Address::from_slice(&keccak256(&public.as_bytes()[1..])[12..])
            })
        })
    });
    addresses[usize::from(key % AUTHORITY_KEYS)]
}

impl AuthorizationSpec {
    /// The signed authorization. A signing failure (not expected with the
    /// fixed keys) yields a zero signature, which recovers no authority.
    pub fn signed(&self) -> Authorization {
        let mut auth = Authorization {
            chain_id: U256::from(self.chain_id),
            address: self.delegate,
            nonce: U256::from(self.nonce),
            ..Authorization::default()
        };
        let signature = signing_key(self.key)
            .and_then(|k| k.sign_prehash_recoverable(&authorization_hash(&auth)).ok());
        if let Some((sig, recid)) = signature {
            let bytes = sig.to_bytes();
            auth.r = U256::from_be_slice(&bytes[..32]);
            auth.s = U256::from_be_slice(&bytes[32..]);
            auth.y_parity = U256::from(recid.to_byte());
        }
        auth
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cevm_runtime::tx::recover_authority;

    #[test]
    fn signed_authorizations_recover_their_authority() {
        for key in 0..AUTHORITY_KEYS {
            let spec = AuthorizationSpec {
                key,
                chain_id: 1,
                delegate: Address::repeat_byte(0xc0),
                nonce: 3,
            };
            assert_eq!(
                recover_authority(&spec.signed()),
                Some(authority_address(key))
            );
        }
        assert_ne!(authority_address(0), authority_address(1));
        assert_eq!(authority_address(AUTHORITY_KEYS), authority_address(0));
    }
}
