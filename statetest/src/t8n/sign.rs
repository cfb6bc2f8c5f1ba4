//! Turning a t8n transaction into what cevm executes plus what the block
//! commits to: its type's encoding (alloy-consensus), its hash, and its
//! sender, recovered from the signature or signed here with `secretKey`.

use super::input::T8nTx;
use alloy_consensus::{
    SignableTransaction, Signed, TxEip1559, TxEip2930, TxEip4844, TxEip7702, TxEnvelope, TxLegacy,
};
use alloy_eips::eip2930::{AccessList, AccessListItem as AlloyAccessItem};
use alloy_eips::eip7702::{Authorization as AlloyAuthorization, SignedAuthorization};
use alloy_primitives::{Address, Signature, TxKind as AlloyKind, B256, U256};
use cevm_runtime::tx::{AccessListItem, Authorization, Transaction, TxKind, TxType};

/// A transaction ready for the block.
#[derive(Clone, Debug)]
pub struct PreparedTx {
    /// What cevm executes.
    pub tx: Transaction,
    /// Its hash.
    pub hash: B256,
    /// The signed transaction (for the transactions root).
    pub envelope: TxEnvelope,
}

/// Why a transaction cannot go into the block at all.
#[derive(Debug, thiserror::Error)]
pub enum TxBuildError {
    /// Unknown EIP-2718 type.
    #[error("unknown transaction type {0}")]
    UnknownType(U256),
    /// Neither `secretKey` nor a full signature.
    #[error("neither secretKey nor v, r and s given")]
    Unsigned,
    /// `secretKey` is not a valid secp256k1 key.
    #[error("invalid secretKey")]
    BadKey,
    /// The signature recovers no sender.
    #[error("invalid signature")]
    BadSignature,
    /// A blob or set-code transaction without recipient.
    #[error("{0} transactions cannot create contracts")]
    CreateNotAllowed(&'static str),
    /// A field too large for the transaction's encoding.
    #[error("{0} does not fit its field")]
    TooLarge(&'static str),
    /// The transaction's chain id is not the chain's.
    #[error("invalid chain id: have {have}, want {want}")]
    ChainId {
        /// The transaction's.
        have: u64,
        /// The chain's.
        want: u64,
    },
}

fn small<T: TryFrom<U256>>(value: U256, what: &'static str) -> Result<T, TxBuildError> {
    T::try_from(value).map_err(|_| TxBuildError::TooLarge(what))
}

/// Builds, signs (or checks the signature of) `t` for chain `chain_id`.
pub fn prepare(t: &T8nTx, chain_id: u64) -> Result<PreparedTx, TxBuildError> {
    let tx_type = match t.tx_type.map(|v| small::<u8>(v, "type")).transpose()? {
        None | Some(0) => TxType::Legacy,
        Some(1) => TxType::AccessList,
        Some(2) => TxType::DynamicFee,
        Some(3) => TxType::Blob,
        Some(4) => TxType::SetCode,
        Some(other) => return Err(TxBuildError::UnknownType(U256::from(other))),
    };
    let tx_chain = match t.chain_id {
        Some(id) => small::<u64>(id, "chainId")?,
        None => chain_id,
    };
    if tx_type != TxType::Legacy && tx_chain != chain_id {
        return Err(TxBuildError::ChainId {
            have: tx_chain,
            want: chain_id,
        });
    }
    let nonce = small::<u64>(t.nonce, "nonce")?;
    let gas_limit = small::<u64>(t.gas, "gas")?;
    let gas_price = t.gas_price.or(t.max_fee_per_gas).unwrap_or_default();
    let max_fee = t.max_fee_per_gas.or(t.gas_price).unwrap_or_default();
    let tip = t
        .max_priority_fee_per_gas
        .or(t.gas_price)
        .unwrap_or_default();
    let access_list = AccessList(
        t.access_list
            .iter()
            .map(|e| AlloyAccessItem {
                address: e.address,
                storage_keys: e.storage_keys.clone(),
            })
            .collect(),
    );
    let kind = match t.to {
        Some(to) => AlloyKind::Call(to),
        None => AlloyKind::Create,
    };
    let to_address = |name| t.to.ok_or(TxBuildError::CreateNotAllowed(name));
    let authorizations = t
        .authorization_list
        .iter()
        .map(|a| {
            Ok(SignedAuthorization::new_unchecked(
                AlloyAuthorization {
                    chain_id: a.chain_id,
                    address: a.address,
                    // Out of range nonces are skipped by execution; the
                    // encoding (for the hash only) gets the largest.
                    nonce: u64::try_from(a.nonce).unwrap_or(u64::MAX),
                },
                u8::try_from(a.y_parity).unwrap_or(u8::MAX),
                a.r,
                a.s,
            ))
        })
        .collect::<Result<Vec<_>, TxBuildError>>()?;
    let envelope = match tx_type {
        TxType::Legacy => finish(
            TxLegacy {
                chain_id: legacy_chain_id(t, chain_id),
                nonce,
                gas_price: small(gas_price, "gasPrice")?,
                gas_limit,
                to: kind,
                value: t.value,
                input: t.input.clone(),
            },
            t,
        )?,
        TxType::AccessList => finish(
            TxEip2930 {
                chain_id,
                nonce,
                gas_price: small(gas_price, "gasPrice")?,
                gas_limit,
                to: kind,
                value: t.value,
                access_list: access_list.clone(),
                input: t.input.clone(),
            },
            t,
        )?,
        TxType::DynamicFee => finish(
            TxEip1559 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: small(max_fee, "maxFeePerGas")?,
                max_priority_fee_per_gas: small(tip, "maxPriorityFeePerGas")?,
                to: kind,
                value: t.value,
                access_list: access_list.clone(),
                input: t.input.clone(),
            },
            t,
        )?,
        TxType::Blob => finish(
            TxEip4844 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: small(max_fee, "maxFeePerGas")?,
                max_priority_fee_per_gas: small(tip, "maxPriorityFeePerGas")?,
                to: to_address("blob")?,
                value: t.value,
                access_list: access_list.clone(),
                blob_versioned_hashes: t.blob_versioned_hashes.clone(),
                max_fee_per_blob_gas: small(
                    t.max_fee_per_blob_gas.unwrap_or_default(),
                    "maxFeePerBlobGas",
                )?,
                input: t.input.clone(),
            },
            t,
        )?,
        TxType::SetCode => finish(
            TxEip7702 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: small(max_fee, "maxFeePerGas")?,
                max_priority_fee_per_gas: small(tip, "maxPriorityFeePerGas")?,
                to: to_address("set-code")?,
                value: t.value,
                access_list: access_list.clone(),
                authorization_list: authorizations,
                input: t.input.clone(),
            },
            t,
        )?,
    };
    let (caller, envelope) = envelope;
    let hash = *envelope.tx_hash();
    let tx = Transaction {
        tx_type,
        caller,
        kind: match t.to {
            Some(to) => TxKind::Call(to),
            None => TxKind::Create,
        },
        nonce,
        gas_limit,
        value: t.value,
        data: t.input.clone(),
        max_fee_per_gas: if matches!(tx_type, TxType::Legacy | TxType::AccessList) {
            gas_price
        } else {
            max_fee
        },
        max_priority_fee_per_gas: if matches!(tx_type, TxType::Legacy | TxType::AccessList) {
            gas_price
        } else {
            tip
        },
        access_list: t
            .access_list
            .iter()
            .map(|e| AccessListItem {
                address: e.address,
                storage_keys: e.storage_keys.clone(),
            })
            .collect(),
        max_fee_per_blob_gas: t.max_fee_per_blob_gas.unwrap_or_default(),
        blob_hashes: t.blob_versioned_hashes.clone(),
        authorization_list: t
            .authorization_list
            .iter()
            .map(|a| Authorization {
                chain_id: a.chain_id,
                address: a.address,
                nonce: a.nonce,
                y_parity: a.y_parity,
                r: a.r,
                s: a.s,
            })
            .collect(),
    };
    Ok(PreparedTx { tx, hash, envelope })
}

/// The EIP-155 chain id of a legacy transaction: from its `v` when signed,
/// else the chain's when `protected`.
fn legacy_chain_id(t: &T8nTx, chain_id: u64) -> Option<u64> {
    match (t.secret_key, t.v) {
        (Some(_), _) => t.protected.then_some(chain_id),
        (None, Some(v)) if v >= U256::from(35) => {
            u64::try_from((v - U256::from(35)) / U256::from(2)).ok()
        }
        _ => None,
    }
}

/// Signs `tx` with the `secretKey` of `t`, or attaches and checks the
/// signature `t` carries; returns the sender and the signed transaction.
fn finish<T>(tx: T, t: &T8nTx) -> Result<(Address, TxEnvelope), TxBuildError>
where
    T: SignableTransaction<Signature>,
    TxEnvelope: From<Signed<T>>,
{
    let sighash = tx.signature_hash();
    let (signature, sender) = match (t.secret_key, t.r, t.s) {
        (Some(key), _, _) => {
            let key = k256::ecdsa::SigningKey::from_slice(key.as_slice())
                .map_err(|_| TxBuildError::BadKey)?;
            let signature: Signature = key
                .sign_prehash_recoverable(sighash.as_slice())
                .map_err(|_| TxBuildError::BadKey)?
                .into();
            (signature, Address::from_private_key(&key))
        }
        (None, Some(r), Some(s)) => {
            let parity = match (t.y_parity, t.v) {
                (Some(y), _) => y == U256::from(1),
                (None, Some(v)) if v >= U256::from(35) => (v - U256::from(35)).bit(0),
                (None, Some(v)) => v == U256::from(28) || v == U256::from(1),
                (None, None) => return Err(TxBuildError::Unsigned),
            };
            let signature = Signature::new(r, s, parity);
            let sender = signature
                .recover_address_from_prehash(&sighash)
                .map_err(|_| TxBuildError::BadSignature)?;
            (signature, sender)
        }
        _ => return Err(TxBuildError::Unsigned),
    };
    Ok((sender, TxEnvelope::from(tx.into_signed(signature))))
}
