//! The physical-limit reference: the fibonacci loop of revmc's
//! `fibonacci-calldata` contract written directly in Rust with ruint's
//! 256-bit integers. Compiled EVM code cannot beat this; the distance to it
//! is what the JIT still loses to stack traffic, gas and bounds checks.

use ruint::aliases::U256;
use std::hint::black_box;

/// What revmc's fibonacci code returns for `n`: the loop keeps
/// `(a, b) = (fib(k), fib(k + 1))` and returns `b` after `n` rounds, that
/// is fib(n + 1) mod 2^256.
pub fn fibonacci(n: u64) -> U256 {
    let (mut a, mut b) = (U256::ZERO, U256::from(1u64));
    let mut i = black_box(n);
    while i != 0 {
        let next = a.wrapping_add(b);
        a = b;
        b = next;
        i -= 1;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_fib_of_n_plus_one() {
        assert_eq!(fibonacci(0), U256::from(1u64));
        assert_eq!(fibonacci(1), U256::from(1u64));
        assert_eq!(fibonacci(10), U256::from(89u64));
        // fib(94) is the first past 2^64.
        assert_eq!(fibonacci(93), U256::from(19_740_274_219_868_223_167u128));
    }
}
