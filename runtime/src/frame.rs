//! Frame state shared by both backends: gas counter, stack, memory.

use crate::result::HaltReason;
use alloy_primitives::U256;
use std::mem::MaybeUninit;

/// Maximum number of stack items.
pub const STACK_LIMIT: usize = 1024;

/// Largest memory a frame may expand to, in bytes. Any expansion beyond it
/// halts with out-of-gas: its gas cost (over 2^45) exceeds every real gas
/// limit, and refusing it keeps a huge gas limit from turning into a huge
/// allocation.
pub const MAX_MEMORY: u64 = 1 << 32;

/// Gas accounting of one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// Gas the frame started with.
    pub limit: u64,
    /// Gas left.
    pub remaining: u64,
    /// Refund counter change made by this frame (may be negative; EIP-3529).
    pub refunded: i64,
}

impl Gas {
    /// A fresh counter with `limit` gas.
    pub fn new(limit: u64) -> Self {
        Gas {
            limit,
            remaining: limit,
            refunded: 0,
        }
    }

    /// Charges `cost`, or reports out-of-gas leaving the counter unchanged.
    #[inline]
    pub fn charge(&mut self, cost: u64) -> Result<(), HaltReason> {
        match self.remaining.checked_sub(cost) {
            Some(r) => {
                self.remaining = r;
                Ok(())
            }
            None => Err(HaltReason::OutOfGas),
        }
    }

    /// Gas used so far.
    pub fn used(&self) -> u64 {
        self.limit - self.remaining
    }
}

/// The EVM operand stack: a fixed 1024-word area, so compiled code can keep a
/// stable pointer to it.
///
/// A fresh area is left uninitialised: zeroing 32 KiB on every call frame
/// dominated call-heavy workloads (a 1,000-frame call chain spent a third
/// of its time in it). Invariant: `len <= STACK_LIMIT`, the first `len`
/// words are initialised, words above `len` are never read. The areas are also recycled through a
/// small per-thread pool.
pub struct Stack {
    data: std::mem::ManuallyDrop<Box<StackArea>>,
    len: usize,
}

type StackArea = [MaybeUninit<U256>; STACK_LIMIT];

/// Stack areas kept per thread for reuse: one per call depth, so that a
/// deep call chain allocates its areas once per thread rather than once per
/// frame (revm's frame stack keeps one per depth reached as well). Bounds
/// the pool to 32 MiB of address space, of which only the pages a stack
/// ever reached are resident.
const STACK_POOL_LIMIT: usize = crate::evm::CALL_DEPTH_LIMIT + 1;

thread_local! {
    static STACK_POOL: std::cell::RefCell<Vec<Box<StackArea>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: `data` is taken exactly once, here, and never used again.
        let area = unsafe { std::mem::ManuallyDrop::take(&mut self.data) };
        // During thread teardown the pool may be gone; the area is then freed.
        let _ = STACK_POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < STACK_POOL_LIMIT {
                pool.push(area);
            }
        });
    }
}

impl Default for Stack {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Stack {
    /// An empty stack.
    pub fn new() -> Self {
        let recycled = STACK_POOL
            .try_with(|pool| pool.borrow_mut().pop())
            .ok()
            .flatten();
        let area = recycled.unwrap_or_else(|| {
            // On the heap directly (a 32 KiB array must not pass through a
            // possibly small native stack segment), and not zeroed.
            Box::<[U256]>::new_uninit_slice(STACK_LIMIT)
                .try_into()
                .unwrap_or_else(|_| unreachable!("the slice has STACK_LIMIT words"))
        });
        Stack {
            data: std::mem::ManuallyDrop::new(area),
            len: 0,
        }
    }

    /// Number of items.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the stack is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Items bottom first.
    #[inline]
    pub fn as_slice(&self) -> &[U256] {
        // SAFETY: the first `len` words are initialised (type invariant).
        unsafe { std::slice::from_raw_parts(self.data.as_ptr().cast::<U256>(), self.len) }
    }

    /// Pushes, or reports overflow.
    #[inline(always)]
    pub fn push(&mut self, value: U256) -> Result<(), HaltReason> {
        // `>=` rather than `==` tells the compiler the index below is in
        // bounds (the pushes of a hot loop then carry no second check).
        if self.len >= STACK_LIMIT {
            return Err(HaltReason::StackOverflow);
        }
        write_word(&mut self.data[self.len], value);
        self.len += 1;
        Ok(())
    }

    /// Pops, or reports underflow.
    #[inline(always)]
    pub fn pop(&mut self) -> Result<U256, HaltReason> {
        if self.len == 0 {
            return Err(HaltReason::StackUnderflow);
        }
        self.len -= 1;
        // SAFETY: the word was below `len <= STACK_LIMIT` (type invariant),
        // so it is inside the area and initialised.
        Ok(unsafe { read_word(self.data.get_unchecked(self.len).as_ptr()) })
    }

    /// The item `n` places below the top (0 is the top).
    #[inline(always)]
    pub fn peek(&self, n: usize) -> Result<U256, HaltReason> {
        if n >= self.len {
            return Err(HaltReason::StackUnderflow);
        }
        // SAFETY: the word is below `len <= STACK_LIMIT` (type invariant),
        // so it is inside the area and initialised.
        Ok(unsafe { read_word(self.data.get_unchecked(self.len - 1 - n).as_ptr()) })
    }

    /// DUPn (n from 1): copies the n-th item to the top.
    #[inline(always)]
    pub fn dup(&mut self, n: usize) -> Result<(), HaltReason> {
        let v = self.peek(n - 1)?;
        self.push(v)
    }

    /// SWAPn (n from 1): exchanges the top with the item n below it.
    #[inline(always)]
    pub fn swap(&mut self, n: usize) -> Result<(), HaltReason> {
        if n >= self.len {
            return Err(HaltReason::StackUnderflow);
        }
        let top = self.len - 1;
        // SAFETY: both words are below `len`, so initialised.
        let (a, b) = unsafe {
            (
                read_word(self.data[top].as_ptr()),
                read_word(self.data[top - n].as_ptr()),
            )
        };
        write_word(&mut self.data[top], b);
        write_word(&mut self.data[top - n], a);
        Ok(())
    }

    /// Raw access for compiled code: the base of the 1024-word area. Words
    /// at or above [`Stack::len`] may be uninitialised: write before reading.
    pub fn as_mut_ptr(&mut self) -> *mut U256 {
        self.data.as_mut_ptr().cast::<U256>()
    }
}

/// Writes a stack word as four 8-byte stores, and [`read_word`] reads one
/// with four 8-byte loads: words are computed in 8-byte registers (and
/// compiled code stores them limb by limb), and a 16-byte load of bytes
/// just stored 8 bytes at a time cannot be forwarded from the store buffer
/// (it waits for the stores to reach the cache). With the compiler's
/// 16-byte copies that stall took a fifth of the interpreter's time.
/// Volatile, so that the accesses are not merged back.
#[inline(always)]
fn write_word(slot: &mut MaybeUninit<U256>, value: U256) {
    let limbs = slot.as_mut_ptr().cast::<u64>();
    for (i, limb) in value.as_limbs().iter().enumerate() {
        // SAFETY: `limbs` points to the four limbs of `slot`.
        unsafe { std::ptr::write_volatile(limbs.add(i), *limb) };
    }
}

/// Reads a stack word written by `write_word` or by compiled code.
///
/// # Safety
/// The word must be initialised.
#[inline(always)]
pub unsafe fn read_word(slot: *const U256) -> U256 {
    let limbs = slot.cast::<u64>();
    // SAFETY: `limbs` points to the four initialised limbs of `slot`.
    U256::from_limbs(std::array::from_fn(|i| unsafe {
        std::ptr::read_volatile(limbs.add(i))
    }))
}

/// Byte-addressed frame memory; its length is always a multiple of 32.
///
/// The buffer is zeroed ahead of the length: every byte from [`Memory::len`]
/// up to [`Memory::zeroed_len`] is zero, and the buffer grows by doubling.
/// Most expansions then only raise the length and charge gas; compiled
/// code touches the zeroed part without the runtime and has the runtime
/// charge for it later; only an expansion past the zeroed part calls into
/// the runtime at once.
///
/// The buffers are recycled through a small per-thread pool, like the stack
/// areas: most frames touch a few hundred bytes, and allocating and
/// growing a fresh buffer for each call frame showed in call-heavy profiles.
/// A buffer goes back to the pool with its used part zeroed again.
#[derive(Clone, Default)]
pub struct Memory {
    /// The zeroed-ahead buffer: `data[len..]` is all zero.
    data: Vec<u8>,
    /// Size in bytes (MSIZE): a multiple of 32, at most `data.len()`.
    len: usize,
}

/// Memory buffers kept per thread for reuse: one per call depth.
const MEMORY_POOL_LIMIT: usize = crate::evm::CALL_DEPTH_LIMIT + 1;

/// Larger buffers go to the one large buffer kept per thread (see
/// `MEMORY_LARGE_MAX_CAPACITY`) or are freed (bounds the pool to 16 MiB).
const MEMORY_POOL_MAX_CAPACITY: usize = 16 * 1024;

/// The smallest buffer a first expansion zeroes: enough for most frames
/// (Solidity's free memory pointer starts at 0x80), so that they expand
/// inline after the first time. Not more: the pool keeps a buffer per call
/// depth, and a deep call chain touching a line of each ran 6 % slower
/// with 4 KiB buffers (a page each) than with 1 KiB ones.
const MEMORY_MIN_ZEROED: usize = 1024;

/// One larger buffer is kept per thread, up to this size (64 MiB), for the
/// frames that use a lot of memory (snailtracer grows to about 7 MiB in
/// every transaction): a fresh buffer of that size costs a page fault and a
/// page clearing per 4 KiB, plus the copies of every doubling, where
/// zeroing the used part again on release is one pass.
const MEMORY_LARGE_MAX_CAPACITY: usize = 64 * 1024 * 1024;

thread_local! {
    static MEMORY_POOL: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
    static LARGE_MEMORY: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

/// Returns a buffer whose first `used` bytes may be dirty to the pools
/// (zeroed throughout first, as pooled buffers are), or frees it.
fn recycle(mut data: Vec<u8>, used: usize) {
    let capacity = data.capacity();
    if data.is_empty() || capacity > MEMORY_LARGE_MAX_CAPACITY {
        return;
    }
    // Zeroed only once it is sure to be kept (a large buffer's used part
    // can be megabytes). During thread teardown the pools may be gone; the
    // buffer is then freed.
    if capacity > MEMORY_POOL_MAX_CAPACITY {
        let _ = LARGE_MEMORY.try_with(|large| {
            let mut large = large.borrow_mut();
            // Keep the larger of the two.
            if large.as_ref().is_none_or(|l| l.len() < data.len()) {
                data[..used].fill(0);
                *large = Some(data);
            }
        });
        return;
    }
    let _ = MEMORY_POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < MEMORY_POOL_LIMIT {
            data[..used].fill(0);
            pool.push(data);
        }
    });
}

impl Drop for Memory {
    fn drop(&mut self) {
        recycle(std::mem::take(&mut self.data), self.len);
    }
}

impl PartialEq for Memory {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Memory {}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("data", &self.as_slice())
            .finish()
    }
}

/// Gas per word of memory (the linear part of [`memory_cost`]).
pub const MEMORY_WORD_GAS: u64 = 3;

/// The quadratic part of [`memory_cost`] is `w² / MEMORY_QUADRATIC_DIVISOR`
/// (a power of two: compiled code divides by shifting).
pub const MEMORY_QUADRATIC_DIVISOR: u64 = 512;

const _: () = assert!(MEMORY_QUADRATIC_DIVISOR.is_power_of_two());

/// Gas for `words` words of memory: `3·w + w²/512`.
#[inline]
pub fn memory_cost(words: u64) -> u64 {
    MEMORY_WORD_GAS
        .saturating_mul(words)
        .saturating_add(words.saturating_mul(words) / MEMORY_QUADRATIC_DIVISOR)
}

impl Memory {
    /// Empty memory (with a recycled, all-zero buffer when one is free).
    pub fn new() -> Self {
        let recycled = MEMORY_POOL
            .try_with(|pool| pool.borrow_mut().pop())
            .ok()
            .flatten();
        Memory {
            data: recycled.unwrap_or_default(),
            len: 0,
        }
    }

    /// Size in bytes (MSIZE).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was touched yet.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The whole memory.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.data[..self.len]
    }

    /// The whole memory, mutable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.data[..self.len]
    }

    /// Bytes of the buffer that exist and are zero past [`Memory::len`]:
    /// the length can rise to this without touching the buffer.
    #[inline]
    pub fn zeroed_len(&self) -> usize {
        self.data.len()
    }

    /// Base of the buffer, valid for [`Memory::zeroed_len`] bytes until
    /// the next expansion through the runtime.
    #[inline]
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.data.as_mut_ptr()
    }

    /// Raises the length to cover the first `end` bytes (as far as the
    /// buffer goes) without charging gas: for a frame that ended with
    /// bytes compiled code wrote past the length and never paid for (it
    /// halted), so that they are zeroed again when the buffer is recycled.
    pub fn cover_unpaid(&mut self, end: u64) {
        // The buffer's size is a multiple of 32 (it only grows to lengths).
        let end = end.min(self.data.len() as u64) as usize;
        self.len = self.len.max(end.div_ceil(32) * 32);
    }

    /// Makes sure `[offset, offset + len)` is addressable, charging expansion
    /// gas to `gas`. A zero `len` touches nothing, whatever the offset.
    /// Returns the range as `usize` (offset is 0 when `len` is 0).
    #[inline]
    pub fn expand(
        &mut self,
        gas: &mut Gas,
        offset: U256,
        len: U256,
    ) -> Result<(usize, usize), HaltReason> {
        if len.is_zero() {
            return Ok((0, 0));
        }
        let (Ok(offset), Ok(len)) = (u64::try_from(offset), u64::try_from(len)) else {
            return Err(HaltReason::OutOfGas);
        };
        let end = offset.checked_add(len).ok_or(HaltReason::OutOfGas)?;
        self.expand_to(gas, end)?;
        Ok((offset as usize, len as usize))
    }

    /// Makes sure the first `end` bytes are addressable, charging expansion gas.
    #[inline]
    pub fn expand_to(&mut self, gas: &mut Gas, end: u64) -> Result<(), HaltReason> {
        // Inlined up to here: most accesses are inside memory already.
        if end <= self.len as u64 {
            return Ok(());
        }
        self.grow_to(gas, end)
    }

    fn grow_to(&mut self, gas: &mut Gas, end: u64) -> Result<(), HaltReason> {
        if end > MAX_MEMORY {
            return Err(HaltReason::OutOfGas);
        }
        let new_words = end.div_ceil(32);
        let old_words = (self.len / 32) as u64;
        gas.charge(memory_cost(new_words) - memory_cost(old_words))?;
        let new_len = new_words as usize * 32;
        self.make_room(new_len, self.len);
        self.len = new_len;
        Ok(())
    }

    /// Makes the zeroed buffer at least `end` bytes long without charging
    /// gas or changing the length, keeping the first `used` bytes (at least
    /// the length: compiled code writes past the length within the buffer
    /// and has the expansion charged later). Out of gas past
    /// [`MAX_MEMORY`].
    pub fn reserve(&mut self, end: u64, used: u64) -> Result<(), HaltReason> {
        if end > MAX_MEMORY {
            return Err(HaltReason::OutOfGas);
        }
        let needed = end.div_ceil(32) as usize * 32;
        let used = (used.min(self.data.len() as u64) as usize).max(self.len);
        self.make_room(needed, used);
        Ok(())
    }

    /// Makes the buffer at least `needed` bytes (a multiple of 32) long,
    /// keeping its first `used` bytes.
    fn make_room(&mut self, needed: usize, used: usize) {
        // Only frames outgrowing what the small pool keeps go for the large
        // buffer (one frame at a time can hold it; small frames, as in deep
        // call chains, would pass it around for nothing).
        if needed > self.data.len() && needed > MEMORY_POOL_MAX_CAPACITY {
            self.take_large_buffer(needed, used);
        }
        if needed > self.data.len() {
            // Doubling keeps the expansions that reach the runtime few.
            let zeroed = needed
                .max(2 * self.data.len())
                .max(MEMORY_MIN_ZEROED)
                .min(MAX_MEMORY as usize)
                .max(needed);
            self.data.resize(zeroed, 0);
        }
    }

    /// Moves to the thread's kept large buffer if it is zeroed up to
    /// `needed` bytes (and so larger than this one), carrying over the
    /// first `used` bytes and handing this one back.
    #[cold]
    fn take_large_buffer(&mut self, needed: usize, used: usize) {
        let Ok(Some(mut large)) = LARGE_MEMORY.try_with(|large| {
            let mut large = large.borrow_mut();
            match large.as_ref() {
                Some(l) if l.len() >= needed => large.take(),
                _ => None,
            }
        }) else {
            return;
        };
        large[..used].copy_from_slice(&self.data[..used]);
        let small = std::mem::replace(&mut self.data, large);
        recycle(small, used);
    }

    /// Bytes `[offset, offset + len)`; the range must have been expanded.
    #[inline]
    pub fn slice(&self, offset: usize, len: usize) -> &[u8] {
        &self.as_slice()[offset..offset + len]
    }

    /// Writes `bytes` at `offset`; the range must have been expanded.
    #[inline]
    pub fn set(&mut self, offset: usize, bytes: &[u8]) {
        self.as_mut_slice()[offset..offset + bytes.len()].copy_from_slice(bytes);
    }

    /// Copies `len` bytes of `src` starting at `src_offset` to `offset`,
    /// padding with zeros past the end of `src` (CALLDATACOPY, CODECOPY, ...).
    pub fn set_padded(&mut self, offset: usize, src: &[u8], src_offset: U256, len: usize) {
        let dst = &mut self.as_mut_slice()[offset..offset + len];
        let start = usize::try_from(src_offset)
            .unwrap_or(usize::MAX)
            .min(src.len());
        let avail = (src.len() - start).min(len);
        dst[..avail].copy_from_slice(&src[start..start + avail]);
        dst[avail..].fill(0);
    }

    /// MCOPY: copies within memory; both ranges must have been expanded.
    pub fn copy_within(&mut self, dst: usize, src: usize, len: usize) {
        self.as_mut_slice().copy_within(src..src + len, dst);
    }

    /// The word at `offset` (must have been expanded).
    #[inline]
    pub fn word(&self, offset: usize) -> U256 {
        U256::from_be_slice(&self.as_slice()[offset..offset + 32])
    }

    /// Stores a word at `offset` (must have been expanded).
    #[inline]
    pub fn set_word(&mut self, offset: usize, value: U256) {
        self.as_mut_slice()[offset..offset + 32].copy_from_slice(&value.to_be_bytes::<32>());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_expansion_charges_quadratic_gas() {
        let mut m = Memory::new();
        let mut g = Gas::new(1_000_000);
        m.expand(&mut g, U256::from(0), U256::from(32)).unwrap();
        assert_eq!(g.used(), 3);
        m.expand(&mut g, U256::from(1000), U256::from(1)).unwrap();
        assert_eq!(m.len(), 1024);
        assert_eq!(g.used(), memory_cost(32));
        // Zero length never expands, even at an absurd offset.
        m.expand(&mut g, U256::MAX, U256::ZERO).unwrap();
        assert_eq!(m.len(), 1024);
    }

    #[test]
    fn memory_is_zero_past_its_length_also_when_recycled() {
        let mut g = Gas::new(u64::MAX);
        for round in 0..3 {
            let mut m = Memory::new();
            // Growth one word at a time through doublings of the buffer.
            for words in 1..=300u64 {
                let before = g.used();
                m.expand_to(&mut g, words * 32 - 5).unwrap();
                assert_eq!(
                    g.used() - before,
                    memory_cost(words) - memory_cost(words - 1),
                    "round {round}"
                );
                assert_eq!(m.len() as u64, words * 32);
                assert!(m.zeroed_len() >= m.len());
            }
            assert!(m.as_slice().iter().all(|&b| b == 0), "round {round}");
            let zeroed = m.zeroed_len();
            // SAFETY: the pointer covers `zeroed_len` bytes.
            let tail = unsafe { std::slice::from_raw_parts(m.as_mut_ptr(), zeroed) };
            assert!(tail.iter().all(|&b| b == 0), "round {round}");
            m.as_mut_slice().fill(0xff);
            // Dropped dirty: the next round's buffer is this one, zeroed.
        }
    }

    #[test]
    fn large_memory_is_kept_and_reads_zero_when_taken_again() {
        let mut g = Gas::new(u64::MAX);
        for round in 0..3 {
            // Small first, so the large kept buffer is taken on growth with
            // this frame's bytes carried over.
            let mut m = Memory::new();
            m.expand_to(&mut g, 64).unwrap();
            m.as_mut_slice()[..64].fill(0x5a);
            m.expand_to(&mut g, 1 << 20).unwrap();
            assert_eq!(m.len(), 1 << 20);
            assert!(
                m.as_slice()[..64].iter().all(|&b| b == 0x5a),
                "round {round}"
            );
            assert!(m.as_slice()[64..].iter().all(|&b| b == 0), "round {round}");
            let zeroed = m.zeroed_len();
            // SAFETY: the pointer covers `zeroed_len` bytes.
            let tail = unsafe { std::slice::from_raw_parts(m.as_mut_ptr(), zeroed) };
            assert!(tail[m.len()..].iter().all(|&b| b == 0), "round {round}");
            // Dropped dirty throughout: kept, zeroed, for the next round.
            m.as_mut_slice().fill(0xff);
        }
    }

    /// What compiled code does: writes past the length within the zeroed
    /// buffer, reserves a larger buffer without paying (the bytes written
    /// carried over, also into the kept large buffer), and either pays
    /// later or ends unpaid with the length raised over what it wrote; the
    /// next frames' memory reads zero either way.
    #[test]
    fn unpaid_writes_survive_reserve_and_are_zeroed_on_release() {
        let mut g = Gas::new(u64::MAX);
        for round in 0..4 {
            let mut m = Memory::new();
            m.reserve(64, 0).unwrap();
            assert_eq!(m.len(), 0);
            assert!(m.zeroed_len() >= 64);
            let zeroed = m.zeroed_len();
            // SAFETY: the pointer covers `zeroed_len` bytes.
            let buf = unsafe { std::slice::from_raw_parts_mut(m.as_mut_ptr(), zeroed) };
            assert!(buf.iter().all(|&b| b == 0), "round {round}");
            buf[..zeroed].fill(0xa5);
            // Past the buffer (into the large one from round 1 on): the
            // unpaid bytes are kept.
            m.reserve(1 << 20, zeroed as u64).unwrap();
            assert_eq!(m.len(), 0);
            // SAFETY: as above.
            let buf = unsafe { std::slice::from_raw_parts(m.as_mut_ptr(), m.zeroed_len()) };
            assert!(buf[..zeroed].iter().all(|&b| b == 0xa5), "round {round}");
            assert!(buf[zeroed..].iter().all(|&b| b == 0), "round {round}");
            if round % 2 == 0 {
                let before = g.used();
                m.expand_to(&mut g, zeroed as u64).unwrap();
                assert_eq!(g.used() - before, memory_cost(zeroed as u64 / 32));
            } else {
                m.cover_unpaid(zeroed as u64 - 7);
            }
            assert_eq!(m.len(), zeroed, "round {round}");
            // Dropped with the bytes written: zeroed for the next round.
        }
        assert_eq!(
            Memory::new().reserve(MAX_MEMORY + 1, 0),
            Err(HaltReason::OutOfGas)
        );
    }

    #[test]
    fn huge_expansion_is_out_of_gas_not_allocation() {
        let mut m = Memory::new();
        let mut g = Gas::new(u64::MAX / 2);
        assert_eq!(
            m.expand(&mut g, U256::from(1u64 << 40), U256::from(32)),
            Err(HaltReason::OutOfGas)
        );
        assert_eq!(
            m.expand(&mut g, U256::MAX, U256::from(1)),
            Err(HaltReason::OutOfGas)
        );
        assert!(m.is_empty());
    }

    #[test]
    fn stack_limits() {
        let mut s = Stack::new();
        assert_eq!(s.pop(), Err(HaltReason::StackUnderflow));
        for i in 0..STACK_LIMIT {
            s.push(U256::from(i)).unwrap();
        }
        assert_eq!(s.push(U256::ZERO), Err(HaltReason::StackOverflow));
        s.swap(1).unwrap();
        assert_eq!(s.peek(0).unwrap(), U256::from(1022));
        assert_eq!(s.swap(1024), Err(HaltReason::StackUnderflow));
    }
}

/// The state of one executing frame as runtime operations see it: the
/// message, the code, gas, memory and the last call's return data.
///
/// The operand stack is not part of it: each backend keeps its own (the
/// interpreter a [`Stack`], compiled code SSA values spilled to a [`Stack`])
/// and passes operands to the operations in [`crate::ops`] by value.
#[derive(Debug)]
pub struct Frame<'a> {
    /// The message that started the frame.
    pub msg: &'a crate::message::Message<'a>,
    /// The code running.
    pub code: &'a crate::executor::Bytecode,
    /// The rules in force.
    pub spec: crate::spec::SpecId,
    /// Gas counter.
    pub gas: Gas,
    /// Memory.
    pub memory: Memory,
    /// Output of the most recent nested call or create (RETURNDATASIZE/COPY).
    pub return_data: alloy_primitives::Bytes,
}

impl<'a> Frame<'a> {
    /// A fresh frame for `msg` running `code`.
    pub fn new(
        msg: &'a crate::message::Message<'a>,
        code: &'a crate::executor::Bytecode,
        spec: crate::spec::SpecId,
    ) -> Self {
        Frame {
            msg,
            code,
            spec,
            gas: Gas::new(msg.gas_limit),
            memory: Memory::new(),
            return_data: alloy_primitives::Bytes::new(),
        }
    }
}
