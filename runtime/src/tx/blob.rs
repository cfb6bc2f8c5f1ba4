//! EIP-4844 blob gas: the blob schedule of each fork and the blob base fee.

use crate::spec::SpecId;
use alloy_primitives::U256;

/// Gas used by one blob.
pub const GAS_PER_BLOB: u64 = 1 << 17;

/// The smallest blob base fee.
pub const MIN_BLOB_BASE_FEE: u64 = 1;

/// The first byte of a KZG versioned hash.
pub const VERSIONED_HASH_VERSION_KZG: u8 = 0x01;

/// The most blobs one transaction may carry from Osaka on (EIP-7594).
pub const MAX_BLOBS_PER_TX_OSAKA: u64 = 6;

/// A fork's blob parameters (EIP-7840 `blobSchedule`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobSchedule {
    /// Target blobs per block.
    pub target: u64,
    /// Maximum blobs per block.
    pub max: u64,
    /// The denominator of the blob base fee's exponential update.
    pub update_fraction: u64,
}

impl BlobSchedule {
    /// Cancun: target 3, max 6, fraction 3338477 (EIP-4844).
    pub const CANCUN: BlobSchedule = BlobSchedule {
        target: 3,
        max: 6,
        update_fraction: 3_338_477,
    };

    /// Prague and Osaka: target 6, max 9, fraction 5007716 (EIP-7691).
    pub const PRAGUE: BlobSchedule = BlobSchedule {
        target: 6,
        max: 9,
        update_fraction: 5_007_716,
    };

    /// The mainnet schedule of `spec` (Cancun's for earlier forks, which have no blobs).
    pub fn for_spec(spec: SpecId) -> BlobSchedule {
        if spec >= SpecId::Prague {
            BlobSchedule::PRAGUE
        } else {
            BlobSchedule::CANCUN
        }
    }

    /// Most blobs one transaction of `spec` may carry: the block maximum,
    /// further capped from Osaka on by EIP-7594.
    pub fn max_blobs_per_tx(&self, spec: SpecId) -> u64 {
        if spec >= SpecId::Osaka {
            self.max.min(MAX_BLOBS_PER_TX_OSAKA)
        } else {
            self.max
        }
    }

    /// The blob base fee for a block with `excess_blob_gas`.
    pub fn blob_base_fee(&self, excess_blob_gas: u64) -> U256 {
        fake_exponential(
            U256::from(MIN_BLOB_BASE_FEE),
            U256::from(excess_blob_gas),
            U256::from(self.update_fraction),
        )
    }
}

/// Wide enough for every intermediate of [`fake_exponential`]: a running
/// sum up to `2^256 * denominator` (512 bits) times a 256-bit numerator.
type Wide = ruint::Uint<768, 12>;

/// `factor * e^(numerator / denominator)` by Taylor expansion, in integers
/// (EIP-4844). A zero denominator yields zero rather than dividing by zero.
///
/// A result that does not fit 256 bits is reported as `U256::MAX`: no fee
/// that large can be paid, so the transactions it prices are rejected
/// either way. Stopping there also bounds the loop to a few hundred terms
/// whatever the inputs.
pub fn fake_exponential(factor: U256, numerator: U256, denominator: U256) -> U256 {
    if denominator.is_zero() {
        return U256::ZERO;
    }
    let widen = |v: U256| Wide::from_limbs_slice(v.as_limbs());
    let (numerator, denominator) = (widen(numerator), widen(denominator));
    // Past this sum, `sum / denominator` exceeds 256 bits.
    let limit = widen(U256::MAX) * denominator + denominator;
    let mut i = Wide::from(1u64);
    let mut output = Wide::ZERO;
    let mut accum = widen(factor) * denominator;
    while !accum.is_zero() {
        output += accum;
        if output >= limit {
            return U256::MAX;
        }
        accum = accum * numerator / (denominator * i);
        i += Wide::from(1u64);
    }
    let result = output / denominator;
    U256::from_limbs_slice(&result.as_limbs()[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_base_fee_values() {
        let cancun = BlobSchedule::CANCUN;
        assert_eq!(cancun.blob_base_fee(0), U256::from(1));
        assert_eq!(cancun.blob_base_fee(2_000_000), U256::from(1));
        assert_eq!(cancun.blob_base_fee(2_400_000), U256::from(2));
        assert_eq!(cancun.blob_base_fee(10 * 1024 * 1024), U256::from(23));
        // Prague's larger fraction makes the fee grow more slowly.
        assert_eq!(
            BlobSchedule::PRAGUE.blob_base_fee(10 * 1024 * 1024),
            U256::from(8)
        );
    }

    #[test]
    fn fake_exponential_matches_eip_table() {
        // Vectors from the EIP-4844 reference tests.
        let f =
            |a: u64, n: u64, d: u64| fake_exponential(U256::from(a), U256::from(n), U256::from(d));
        assert_eq!(f(1, 0, 1), U256::from(1));
        assert_eq!(f(38493, 0, 1000), U256::from(38493));
        assert_eq!(f(0, 1234, 2345), U256::ZERO);
        assert_eq!(f(1, 2, 1), U256::from(6));
        assert_eq!(f(2, 5, 2), U256::from(23));
        assert_eq!(f(1, 50000000, 2225652), U256::from(5709098764u64));
        assert_eq!(f(1, 0, 0), U256::ZERO);
        // Results beyond 256 bits saturate, and quickly.
        assert_eq!(f(1, u64::MAX, 1), U256::MAX);
        assert_eq!(f(1, u64::MAX, 3_338_477), U256::MAX);
        assert_eq!(
            fake_exponential(U256::MAX, U256::from(1), U256::from(1)),
            U256::MAX
        );
        assert_eq!(
            fake_exponential(U256::MAX, U256::ZERO, U256::from(9)),
            U256::MAX
        );
        // Large numerator and denominator with a small ratio do not overflow.
        let big = U256::from(1) << 200;
        assert_eq!(fake_exponential(U256::from(1), big, big), U256::from(2));
    }

    #[test]
    fn per_tx_blob_limit() {
        assert_eq!(BlobSchedule::CANCUN.max_blobs_per_tx(SpecId::Cancun), 6);
        assert_eq!(BlobSchedule::PRAGUE.max_blobs_per_tx(SpecId::Prague), 9);
        assert_eq!(BlobSchedule::PRAGUE.max_blobs_per_tx(SpecId::Osaka), 6);
    }
}
