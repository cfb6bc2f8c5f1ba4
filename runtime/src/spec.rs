//! Fork identifiers.
//!
//! `SpecId` lists every mainnet fork in order, so that the opcode table can
//! say when each opcode first appeared and the runtime can say from which
//! fork each rule applies (`spec >= SpecId::Berlin`). Every fork from
//! Frontier to Osaka is executed.

use std::fmt;
use std::str::FromStr;

/// A mainnet fork, in activation order (so `<`/`>=` compare activation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum SpecId {
    /// Frontier (2015).
    Frontier,
    /// Homestead.
    Homestead,
    /// Tangerine Whistle (EIP-150).
    TangerineWhistle,
    /// Spurious Dragon (EIP-158/161/170).
    SpuriousDragon,
    /// Byzantium.
    Byzantium,
    /// Constantinople.
    Constantinople,
    /// Petersburg.
    Petersburg,
    /// Istanbul.
    Istanbul,
    /// Berlin (EIP-2929).
    Berlin,
    /// London (EIP-1559, EIP-3529).
    London,
    /// Paris (the Merge).
    Paris,
    /// Shanghai (PUSH0, EIP-3860).
    Shanghai,
    /// Cancun (EIP-1153, EIP-4844, EIP-5656, EIP-6780).
    Cancun,
    /// Prague (EIP-7702, EIP-7623, EIP-2537, EIP-2935).
    Prague,
    /// Osaka (EIP-7939, EIP-7825, EIP-7883, EIP-7823, EIP-7951).
    Osaka,
}

/// The error for a fork name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown fork `{0}` (expected a mainnet fork: frontier, homestead, tangerinewhistle (eip150), \
     spuriousdragon (eip158), byzantium, constantinople, petersburg (constantinoplefix), istanbul, \
     berlin, london, paris (merge), shanghai, cancun, prague or osaka)"
)]
pub struct UnknownSpec(pub String);

impl SpecId {
    /// The forks cevm executes: all of [`SpecId::ALL`].
    pub const SUPPORTED: [SpecId; 15] = SpecId::ALL;

    /// Every fork, oldest first.
    pub const ALL: [SpecId; 15] = [
        SpecId::Frontier,
        SpecId::Homestead,
        SpecId::TangerineWhistle,
        SpecId::SpuriousDragon,
        SpecId::Byzantium,
        SpecId::Constantinople,
        SpecId::Petersburg,
        SpecId::Istanbul,
        SpecId::Berlin,
        SpecId::London,
        SpecId::Paris,
        SpecId::Shanghai,
        SpecId::Cancun,
        SpecId::Prague,
        SpecId::Osaka,
    ];

    /// The newest supported fork.
    pub const LATEST: SpecId = SpecId::Osaka;

    /// Whether cevm can execute this fork (every fork in [`SpecId::ALL`]).
    pub fn is_supported(self) -> bool {
        SpecId::SUPPORTED.contains(&self)
    }

    /// Whether this fork is at or after `other`.
    #[inline]
    pub fn is_enabled_in(self, other: SpecId) -> bool {
        self >= other
    }

    /// The fork's name as the test fixtures spell it (`"Cancun"`).
    pub fn name(self) -> &'static str {
        match self {
            SpecId::Frontier => "Frontier",
            SpecId::Homestead => "Homestead",
            SpecId::TangerineWhistle => "EIP150",
            SpecId::SpuriousDragon => "EIP158",
            SpecId::Byzantium => "Byzantium",
            SpecId::Constantinople => "Constantinople",
            SpecId::Petersburg => "ConstantinopleFix",
            SpecId::Istanbul => "Istanbul",
            SpecId::Berlin => "Berlin",
            SpecId::London => "London",
            SpecId::Paris => "Paris",
            SpecId::Shanghai => "Shanghai",
            SpecId::Cancun => "Cancun",
            SpecId::Prague => "Prague",
            SpecId::Osaka => "Osaka",
        }
    }
}

impl fmt::Display for SpecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SpecId {
    type Err = UnknownSpec;

    /// Parses a fork name case-insensitively; the fixtures' historic aliases
    /// (`EIP150`, `EIP158`, `ConstantinopleFix`, `Merge`) are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let spec = match lower.as_str() {
            "frontier" => SpecId::Frontier,
            "homestead" => SpecId::Homestead,
            "eip150" | "tangerinewhistle" | "tangerine" => SpecId::TangerineWhistle,
            "eip158" | "spuriousdragon" => SpecId::SpuriousDragon,
            "byzantium" => SpecId::Byzantium,
            "constantinople" => SpecId::Constantinople,
            "constantinoplefix" | "petersburg" => SpecId::Petersburg,
            "istanbul" => SpecId::Istanbul,
            "berlin" => SpecId::Berlin,
            "london" => SpecId::London,
            "paris" | "merge" => SpecId::Paris,
            "shanghai" => SpecId::Shanghai,
            "cancun" => SpecId::Cancun,
            "prague" => SpecId::Prague,
            "osaka" => SpecId::Osaka,
            _ => return Err(UnknownSpec(s.to_string())),
        };
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_rejects_unknown() {
        assert_eq!("cancun".parse::<SpecId>(), Ok(SpecId::Cancun));
        assert_eq!("Prague".parse::<SpecId>(), Ok(SpecId::Prague));
        assert_eq!("OSAKA".parse::<SpecId>(), Ok(SpecId::Osaka));
        assert!("amsterdam".parse::<SpecId>().is_err());
        assert_eq!("EIP150".parse::<SpecId>(), Ok(SpecId::TangerineWhistle));
        assert_eq!("EIP158".parse::<SpecId>(), Ok(SpecId::SpuriousDragon));
        assert_eq!(
            "ConstantinopleFix".parse::<SpecId>(),
            Ok(SpecId::Petersburg)
        );
        assert_eq!("Merge".parse::<SpecId>(), Ok(SpecId::Paris));
        for s in SpecId::ALL {
            assert_eq!(s.name().parse::<SpecId>(), Ok(s));
        }
    }

    #[test]
    fn order_is_activation_order() {
        assert!(SpecId::Osaka > SpecId::Prague && SpecId::Prague > SpecId::Cancun);
        assert!(SpecId::Frontier < SpecId::Homestead && SpecId::Shanghai < SpecId::Cancun);
        assert!(SpecId::ALL.windows(2).all(|w| w[0] < w[1]));
        assert!(SpecId::ALL.iter().all(|s| s.is_supported()));
    }
}
