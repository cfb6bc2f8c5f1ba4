//! Sources of randomness for the program generator.
//!
//! The generator asks an [`Entropy`] for numbers. Two sources exist:
//! [`Xoshiro256`], a fixed-algorithm PRNG so that a seed reproduces the same
//! programs forever (no dependency whose algorithm may change between
//! versions), and [`ByteSource`], which reads a fuzzer's input bytes so that
//! libFuzzer's mutations steer the generator.

/// A stream of random numbers.
pub trait Entropy {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64;

    /// A number in `0..n` (0 when `n` is 0). The modulo bias is irrelevant
    /// for fuzzing.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// An index chosen with the given weights (the last index if all are zero).
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut roll = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if roll < u64::from(w) {
                return i;
            }
            roll -= u64::from(w);
        }
        weights.len().saturating_sub(1)
    }

    /// `n` random bytes.
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// SplitMix64 step: expands a seed into well-mixed state words.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64. The
/// algorithm is fixed here, so a seed means the same stream in every version.
#[derive(Clone, Debug)]
pub struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Xoshiro256 { s }
    }

    /// The generator for program `index` of a campaign with `seed`: each
    /// program can be regenerated on its own.
    pub fn for_program(seed: u64, index: u64) -> Self {
        let mut sm = seed ^ index.wrapping_mul(0xd6e8_feb8_6659_fd93);
        Xoshiro256::new(splitmix64(&mut sm))
    }
}

impl Entropy for Xoshiro256 {
    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }
}

/// Reads a fuzzer's input: each number consumes up to 8 bytes; once the
/// input is used up every number is 0, which makes the generator choose its
/// first option everywhere and finish quickly.
#[derive(Clone, Debug)]
pub struct ByteSource<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> ByteSource<'a> {
    /// A source over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        ByteSource { data, pos: 0 }
    }

    /// Whether every byte has been read.
    pub fn is_exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
}

impl Entropy for ByteSource<'_> {
    fn next_u64(&mut self) -> u64 {
        let rest = &self.data[self.pos.min(self.data.len())..];
        let take = rest.len().min(8);
        let mut word = [0u8; 8];
        word[..take].copy_from_slice(&rest[..take]);
        self.pos += take;
        u64::from_le_bytes(word)
    }

    /// Reads one byte per choice (not 8) so that small inputs go further;
    /// a fuzzer mutating one byte then changes one decision.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let width = if n <= 0x100 {
            1
        } else if n <= 0x1_0000 {
            2
        } else {
            8
        };
        let rest = &self.data[self.pos.min(self.data.len())..];
        let take = rest.len().min(width);
        let mut word = [0u8; 8];
        word[..take].copy_from_slice(&rest[..take]);
        self.pos += take;
        u64::from_le_bytes(word) % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_is_reproducible_and_seed_dependent() {
        let a: Vec<u64> = {
            let mut r = Xoshiro256::new(7);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Xoshiro256::new(7);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Xoshiro256::new(8);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Pin the stream: a change of algorithm would silently change every seed.
        let mut r = Xoshiro256::new(0);
        assert_eq!(r.next_u64(), 0x99ec_5f36_cb75_f2b4);
    }

    #[test]
    fn byte_source_runs_dry_to_zero() {
        let mut s = ByteSource::new(&[5, 1]);
        assert_eq!(s.below(10), 5);
        assert_eq!(s.below(10), 1);
        assert!(s.is_exhausted());
        assert_eq!(s.below(10), 0);
        assert_eq!(s.next_u64(), 0);
    }

    #[test]
    fn weighted_respects_zero_weights() {
        let mut r = Xoshiro256::new(1);
        for _ in 0..100 {
            assert_eq!(r.weighted(&[0, 3, 0]), 1);
        }
    }
}
