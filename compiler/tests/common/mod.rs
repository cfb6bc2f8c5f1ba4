//! Shared test support: a small in-memory host, a seeded PRNG, and running
//! code on both backends (compiled and the reference interpreter).

#![allow(dead_code)]

use cevm_compiler::JitExecutor;
use cevm_interp::Interpreter;
use cevm_runtime::{
    AccountLoad, Address, Bytecode, Bytes, CallInputs, CreateInputs, Env, Executor, FrameResult,
    HaltReason, Host, Log, Message, SStoreResult, SelfDestructResult, SpecId, StateLoad, Status,
    B256, U256,
};
use std::collections::{HashMap, HashSet};

/// A host with storage, transient storage, logs and warm sets, but no other
/// accounts: nested calls and creates fail without running code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestHost {
    pub env: Env,
    pub storage: HashMap<(Address, U256), U256>,
    pub transient: HashMap<(Address, U256), U256>,
    pub logs: Vec<Log>,
    pub warm_accounts: HashSet<Address>,
    pub warm_slots: HashSet<(Address, U256)>,
    pub destructed: Vec<(Address, Address)>,
}

impl TestHost {
    pub fn new(spec: SpecId) -> Self {
        TestHost {
            env: Env::new(spec),
            storage: HashMap::new(),
            transient: HashMap::new(),
            logs: Vec::new(),
            warm_accounts: HashSet::new(),
            warm_slots: HashSet::new(),
            destructed: Vec::new(),
        }
    }

    fn touch(&mut self, a: Address) -> bool {
        self.warm_accounts.insert(a)
    }
}

impl Host for TestHost {
    fn env(&self) -> &Env {
        &self.env
    }
    fn balance(&mut self, a: Address) -> StateLoad<U256> {
        let cold = self.touch(a);
        StateLoad::new(U256::from(a.0[19]), cold)
    }
    fn code(&mut self, a: Address) -> StateLoad<Bytes> {
        let cold = self.touch(a);
        StateLoad::new(Bytes::new(), cold)
    }
    fn code_hash(&mut self, a: Address) -> StateLoad<B256> {
        let cold = self.touch(a);
        StateLoad::new(B256::ZERO, cold)
    }
    fn sload(&mut self, a: Address, key: U256) -> StateLoad<U256> {
        let cold = self.warm_slots.insert((a, key));
        StateLoad::new(
            self.storage.get(&(a, key)).copied().unwrap_or_default(),
            cold,
        )
    }
    fn sstore(&mut self, a: Address, key: U256, value: U256) -> StateLoad<SStoreResult> {
        let cold = self.warm_slots.insert((a, key));
        let present = self.storage.insert((a, key), value).unwrap_or_default();
        StateLoad::new(
            SStoreResult {
                original: U256::ZERO,
                present,
                new: value,
            },
            cold,
        )
    }
    fn tload(&mut self, a: Address, key: U256) -> U256 {
        self.transient.get(&(a, key)).copied().unwrap_or_default()
    }
    fn tstore(&mut self, a: Address, key: U256, value: U256) {
        self.transient.insert((a, key), value);
    }
    fn block_hash(&mut self, n: U256) -> B256 {
        B256::from(n.wrapping_mul(U256::from(0x1234567u64)))
    }
    fn log(&mut self, log: Log) {
        self.logs.push(log);
    }
    fn selfdestruct(&mut self, a: Address, target: Address) -> StateLoad<SelfDestructResult> {
        let cold = self.touch(target);
        self.destructed.push((a, target));
        StateLoad::new(SelfDestructResult::default(), cold)
    }
    fn load_account_for_call(&mut self, a: Address) -> AccountLoad {
        AccountLoad {
            is_cold: self.touch(a),
            exists: false,
            is_empty: true,
            delegation_is_cold: None,
        }
    }
    fn call(&mut self, inputs: &CallInputs) -> FrameResult {
        // Echo a deterministic amount of gas use so the 63/64 rule is visible.
        let mut r = FrameResult::new(
            Status::Success(cevm_runtime::SuccessReason::Return),
            inputs.gas_limit / 2,
        );
        r.output = Bytes::from(inputs.gas_limit.to_be_bytes().to_vec());
        r
    }
    fn create(&mut self, inputs: CreateInputs) -> (FrameResult, Option<Address>) {
        let status = Status::Halt(HaltReason::CallTooDeep);
        (FrameResult::new(status, inputs.gas_limit), None)
    }
}

/// A call message to `0x..cc` with `gas` and `input`.
pub fn message(gas: u64, input: &[u8]) -> Message<'_> {
    Message {
        caller: Address::with_last_byte(0x11),
        address: Address::with_last_byte(0xcc),
        code_address: Address::with_last_byte(0xcc),
        value: U256::from(7),
        input,
        gas_limit: gas,
        is_static: false,
        depth: 0,
        is_create: false,
    }
}

/// The outcome of one run: the frame result and the host afterwards.
pub type Run = (FrameResult, TestHost);

/// Runs `code` on `executor`.
pub fn run_on(executor: &dyn Executor, code: &[u8], spec: SpecId, gas: u64, input: &[u8]) -> Run {
    let mut host = TestHost::new(spec);
    let bytecode = Bytecode::new(Bytes::copy_from_slice(code));
    let result = executor.execute(&bytecode, &message(gas, input), &mut host);
    (result, host)
}

/// Both backends, sharing a compiled-code cache across runs.
pub struct Backends {
    pub jit: JitExecutor,
    pub interp: Interpreter,
}

impl Backends {
    pub fn new() -> Self {
        Self::with_jit(JitExecutor::new())
    }

    /// Both backends, the compiled one being `jit`.
    pub fn with_jit(jit: JitExecutor) -> Self {
        Backends {
            jit,
            interp: Interpreter::new(),
        }
    }

    /// Runs on both backends, asserts identical results and host effects,
    /// and returns the compiled run.
    pub fn run(&self, code: &[u8], spec: SpecId, gas: u64, input: &[u8]) -> Run {
        let jit = run_on(&self.jit, code, spec, gas, input);
        let interp = run_on(&self.interp, code, spec, gas, input);
        // Compiled code checks gas and stack bounds once per block, so when a
        // block fails both ways it may name the other reason: the contract is
        // the status class (success / revert / halt), gas, refund and output.
        assert_eq!(
            class(&jit.0),
            class(&interp.0),
            "result differs (left: compiled, right: interpreter) for code {} input {}",
            hex(code),
            hex(input)
        );
        // A halted frame's effects are undone by the real host's journal (this
        // one has none), and compiled code may halt a block early where the
        // interpreter halts later in it; only compare effects that stand.
        if !matches!(jit.0.status, Status::Halt(_)) {
            assert_eq!(
                jit.1,
                interp.1,
                "host effects differ for code {}",
                hex(code)
            );
        }
        jit
    }
}

/// A result with any halt reason replaced by out-of-gas.
pub fn class(r: &FrameResult) -> FrameResult {
    let mut r = r.clone();
    if let Status::Halt(_) = r.status {
        r.status = Status::Halt(HaltReason::OutOfGas);
    }
    r
}

/// Hex of at most the first 64 bytes (messages stay readable for big code).
pub fn hex(bytes: &[u8]) -> String {
    let mut s: String = bytes.iter().take(64).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 64 {
        s.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    s
}

/// splitmix64: a small seeded generator, enough for reproducible operands.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A word biased toward edge cases: limbs of 0, 1, all ones, the sign
    /// bit, small numbers, and fully random limbs.
    pub fn word(&mut self) -> U256 {
        let limb = |r: &mut Rng| match r.next_u64() % 6 {
            0 => 0,
            1 => u64::MAX,
            2 => 1u64 << 63,
            3 => r.next_u64() % 300,
            _ => r.next_u64(),
        };
        match self.next_u64() % 5 {
            0 => U256::from(self.next_u64() % 300),
            1 => U256::from_limbs([self.next_u64(), 0, 0, 0]),
            _ => U256::from_limbs([limb(self), limb(self), limb(self), limb(self)]),
        }
    }
}

/// Interesting operands: small values, limb boundaries, signed edges.
pub fn edge_words() -> Vec<U256> {
    let mut v = vec![
        U256::ZERO,
        U256::from(1),
        U256::from(2),
        U256::from(7),
        U256::from(31),
        U256::from(32),
        U256::from(63),
        U256::from(64),
        U256::from(127),
        U256::from(128),
        U256::from(255),
        U256::from(256),
        U256::from(257),
        U256::from(u64::MAX),
        U256::from(u64::MAX) + U256::from(1),
        // The 64-bit signed edges: native SDIV/SMOD take these.
        U256::from(1u64 << 63),
        U256::from((1u64 << 63) - 1),
        U256::ZERO - U256::from(1u64 << 63),
        U256::ZERO - U256::from((1u64 << 63) - 1),
        U256::ZERO - U256::from(7),
        U256::from(u128::MAX),
        U256::from(u128::MAX) + U256::from(1),
        U256::MAX,
        U256::MAX - U256::from(1),
        U256::from(1) << 255,
        (U256::from(1) << 255) - U256::from(1),
        (U256::from(1) << 255) + U256::from(1),
    ];
    v.push(U256::from_limbs([0, u64::MAX, 0, u64::MAX]));
    v.push(U256::from_limbs([u64::MAX, 0, u64::MAX, 0]));
    v
}

/// `PUSH32 x` bytes.
pub fn push32(x: U256) -> Vec<u8> {
    let mut v = vec![0x7f];
    v.extend_from_slice(&x.to_be_bytes::<32>());
    v
}

/// Code that returns the top stack word: `PUSH0 MSTORE PUSH1 32 PUSH0 RETURN`.
pub const RETURN_TOP: [u8; 6] = [0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3];

/// The word a run returned.
pub fn returned_word(run: &Run) -> U256 {
    assert_eq!(
        run.0.status,
        Status::Success(cevm_runtime::SuccessReason::Return),
        "run did not return: {:?}",
        run.0
    );
    U256::from_be_slice(&run.0.output)
}
