//! The Ethereum precompiled contracts of each fork, as a [`PrecompileSet`].
//!
//! The arithmetic (curves, KZG, hashes, MODEXP) comes from `revm-precompile`;
//! this module only picks the fork's set and translates its results:
//!
//! - Frontier to Spurious Dragon: 0x01-0x04 (ECRECOVER, SHA256, RIPEMD160,
//!   IDENTITY);
//! - Byzantium to Petersburg: adds MODEXP (EIP-198) and the BN254 operations
//!   (EIP-196, EIP-197) at 0x05-0x08;
//! - Istanbul: BLAKE2F at 0x09 (EIP-152), cheaper BN254 (EIP-1108);
//! - Berlin to Shanghai: MODEXP repriced (EIP-2565);
//! - Cancun: 0x01-0x0a (adds the KZG point evaluation, EIP-4844);
//! - Prague: adds the EIP-2537 BLS12-381 operations at 0x0b-0x11;
//! - Osaka: MODEXP with the EIP-7823 input bounds and EIP-7883 pricing, and
//!   P256VERIFY (EIP-7951) at 0x100.
//!
//! The KZG trusted setup is compiled into the `c-kzg` dependency.

use crate::precompile::{PrecompileOutcome, PrecompileSet};
use crate::spec::SpecId;
use alloy_primitives::Address;
use revm_precompile::{PrecompileSpecId, PrecompileStatus};

/// The precompiles of one fork.
#[derive(Clone, Copy, Debug)]
pub struct Precompiles {
    inner: &'static revm_precompile::Precompiles,
    spec: SpecId,
}

impl Precompiles {
    /// The set active under `spec`: `revm-precompile` keeps one set per
    /// revision, and a fork gets the newest revision at or before it.
    pub fn for_spec(spec: SpecId) -> Self {
        let id = match spec {
            SpecId::Frontier
            | SpecId::Homestead
            | SpecId::TangerineWhistle
            | SpecId::SpuriousDragon => PrecompileSpecId::HOMESTEAD,
            SpecId::Byzantium | SpecId::Constantinople | SpecId::Petersburg => {
                PrecompileSpecId::BYZANTIUM
            }
            SpecId::Istanbul => PrecompileSpecId::ISTANBUL,
            SpecId::Berlin | SpecId::London | SpecId::Paris | SpecId::Shanghai => {
                PrecompileSpecId::BERLIN
            }
            SpecId::Cancun => PrecompileSpecId::CANCUN,
            SpecId::Prague => PrecompileSpecId::PRAGUE,
            SpecId::Osaka => PrecompileSpecId::OSAKA,
        };
        Precompiles {
            inner: revm_precompile::Precompiles::new(id),
            spec,
        }
    }

    /// The fork this set belongs to.
    pub fn spec(&self) -> SpecId {
        self.spec
    }

    /// Number of precompiles in the set.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the set is empty (never, for a real fork).
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

/// Whether `address` is below 2^16 (its first 18 bytes are zero), where
/// every precompile of the supported forks lives.
#[inline]
fn is_short(address: &Address) -> bool {
    address.0[..18].iter().all(|&b| b == 0)
}

impl PrecompileSet for Precompiles {
    /// Asked for every account an opcode touches (precompiles are always
    /// warm), so ordinary addresses are told apart by their leading zero
    /// bytes without a hash look-up; `get` indexes short addresses directly.
    #[inline]
    fn contains(&self, address: &Address) -> bool {
        is_short(address) && self.inner.get(address).is_some()
    }

    fn addresses(&self) -> Vec<Address> {
        self.inner.addresses().copied().collect()
    }

    fn run(&self, address: &Address, input: &[u8], gas_limit: u64) -> Option<PrecompileOutcome> {
        let precompile = self.inner.get(address)?;
        // The state-gas reservoir (EIP-8037) does not exist in the supported forks.
        let outcome = match precompile.execute(input, gas_limit, 0) {
            Ok(out) => match out.status {
                PrecompileStatus::Success if out.gas_used <= gas_limit => {
                    PrecompileOutcome::Success {
                        gas_used: out.gas_used,
                        output: out.bytes,
                    }
                }
                // Out of gas, rejected input, or (never for Ethereum
                // precompiles) a revert: the call fails and takes all its gas.
                _ => PrecompileOutcome::Failure,
            },
            Err(_) => PrecompileOutcome::Failure,
        };
        Some(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, hex, Bytes};

    fn at(n: u16) -> Address {
        let mut bytes = [0u8; 20];
        bytes[18..].copy_from_slice(&n.to_be_bytes());
        Address::from(bytes)
    }

    #[test]
    fn older_sets_grow_by_fork() {
        let len = |spec| Precompiles::for_spec(spec).len();
        assert_eq!(len(SpecId::Frontier), 4);
        assert_eq!(len(SpecId::SpuriousDragon), 4);
        assert_eq!(len(SpecId::Byzantium), 8);
        assert_eq!(len(SpecId::Petersburg), 8);
        assert_eq!(len(SpecId::Istanbul), 9);
        assert_eq!(len(SpecId::Shanghai), 9);
        let homestead = Precompiles::for_spec(SpecId::Homestead);
        assert!(homestead.contains(&at(4)) && !homestead.contains(&at(5)));
    }

    #[test]
    fn sets_per_fork() {
        let cancun = Precompiles::for_spec(SpecId::Cancun);
        let prague = Precompiles::for_spec(SpecId::Prague);
        let osaka = Precompiles::for_spec(SpecId::Osaka);
        assert_eq!(cancun.len(), 10);
        assert_eq!(prague.len(), 17);
        assert_eq!(osaka.len(), 18);
        assert!(cancun.contains(&at(0x0a)) && !cancun.contains(&at(0x0b)));
        assert!(prague.contains(&at(0x11)) && !prague.contains(&at(0x100)));
        assert!(osaka.contains(&at(0x100)));
        assert!(!osaka.contains(&address!("0000000000000000000000000000000000000000")));
        // `contains` relies on every precompile living at a short address.
        for spec in [
            SpecId::Frontier,
            SpecId::Cancun,
            SpecId::Prague,
            SpecId::Osaka,
        ] {
            let set = Precompiles::for_spec(spec);
            for a in set.addresses() {
                assert!(is_short(&a) && set.contains(&a), "{spec:?} {a}");
            }
        }
        assert!(!osaka.contains(&address!("0100000000000000000000000000000000000001")));
    }

    #[test]
    fn identity_charges_per_word_and_fails_without_gas() {
        let set = Precompiles::for_spec(SpecId::Cancun);
        let input = [7u8; 33];
        // 15 + 3 * ceil(33 / 32) = 21.
        assert_eq!(
            set.run(&at(4), &input, 100),
            Some(PrecompileOutcome::Success {
                gas_used: 21,
                output: Bytes::copy_from_slice(&input)
            })
        );
        assert_eq!(
            set.run(&at(4), &input, 20),
            Some(PrecompileOutcome::Failure)
        );
        assert_eq!(set.run(&at(0x42), &input, 100), None);
    }

    #[test]
    fn sha256_of_empty_input() {
        let set = Precompiles::for_spec(SpecId::Prague);
        let Some(PrecompileOutcome::Success { gas_used, output }) = set.run(&at(2), &[], 1000)
        else {
            panic!("sha256 failed");
        };
        assert_eq!(gas_used, 60);
        assert_eq!(
            output.as_ref(),
            hex!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }

    #[test]
    fn modexp_pricing_changes_in_osaka() {
        // base = 3, exp = 5, mod = 7 (1-byte each): 3^5 mod 7 = 5.
        let mut input = vec![0u8; 96];
        input[31] = 1;
        input[63] = 1;
        input[95] = 1;
        input.extend_from_slice(&[3, 5, 7]);
        let run = |spec| Precompiles::for_spec(spec).run(&at(5), &input, 100_000);
        let Some(PrecompileOutcome::Success {
            gas_used: cancun_gas,
            output,
        }) = run(SpecId::Cancun)
        else {
            panic!("modexp failed");
        };
        assert_eq!(output.as_ref(), &[5]);
        // EIP-2565 minimum 200; EIP-7883 minimum 500.
        assert_eq!(cancun_gas, 200);
        let Some(PrecompileOutcome::Success { gas_used, .. }) = run(SpecId::Osaka) else {
            panic!("modexp failed");
        };
        assert_eq!(gas_used, 500);
    }

    #[test]
    fn modexp_input_bound_in_osaka() {
        // EIP-7823: a base length over 1024 bytes is rejected in Osaka.
        let mut input = vec![0u8; 96];
        input[30] = 0x04;
        input[31] = 0x01; // base length 1025
        input[63] = 1;
        input[95] = 1;
        input.extend(std::iter::repeat_n(1u8, 1027));
        let osaka = Precompiles::for_spec(SpecId::Osaka);
        assert_eq!(
            osaka.run(&at(5), &input, 10_000_000),
            Some(PrecompileOutcome::Failure)
        );
        let prague = Precompiles::for_spec(SpecId::Prague);
        assert!(matches!(
            prague.run(&at(5), &input, 10_000_000),
            Some(PrecompileOutcome::Success { .. })
        ));
    }
}
