//! A host with no accounts, for unit tests of the loop and the pure
//! instruction families (the integration tests in `tests/` use the real `Evm`).

use cevm_runtime::{
    AccountLoad, Address, Bytes, CallInputs, CreateInputs, Env, FrameResult, HaltReason, Host, Log,
    SStoreResult, SelfDestructResult, SpecId, StateLoad, B256, U256,
};

/// Answers every state query with an empty account and refuses nested frames.
pub(crate) struct EmptyHost {
    env: Env,
}

impl EmptyHost {
    pub(crate) fn new(spec: SpecId) -> Self {
        EmptyHost {
            env: Env::new(spec),
        }
    }
}

impl Host for EmptyHost {
    fn env(&self) -> &Env {
        &self.env
    }
    fn balance(&mut self, _: Address) -> StateLoad<U256> {
        StateLoad::new(U256::ZERO, true)
    }
    fn code(&mut self, _: Address) -> StateLoad<Bytes> {
        StateLoad::new(Bytes::new(), true)
    }
    fn code_hash(&mut self, _: Address) -> StateLoad<B256> {
        StateLoad::new(B256::ZERO, true)
    }
    fn sload(&mut self, _: Address, _: U256) -> StateLoad<U256> {
        StateLoad::new(U256::ZERO, true)
    }
    fn sstore(&mut self, _: Address, _: U256, new: U256) -> StateLoad<SStoreResult> {
        let r = SStoreResult {
            original: U256::ZERO,
            present: U256::ZERO,
            new,
        };
        StateLoad::new(r, true)
    }
    fn tload(&mut self, _: Address, _: U256) -> U256 {
        U256::ZERO
    }
    fn tstore(&mut self, _: Address, _: U256, _: U256) {}
    fn block_hash(&mut self, _: U256) -> B256 {
        B256::ZERO
    }
    fn log(&mut self, _: Log) {}
    fn selfdestruct(&mut self, _: Address, _: Address) -> StateLoad<SelfDestructResult> {
        StateLoad::new(SelfDestructResult::default(), true)
    }
    fn load_account_for_call(&mut self, _: Address) -> AccountLoad {
        AccountLoad {
            is_cold: true,
            exists: false,
            is_empty: true,
            delegation_is_cold: None,
        }
    }
    fn call(&mut self, inputs: &CallInputs) -> FrameResult {
        FrameResult::new(
            cevm_runtime::Status::Halt(HaltReason::CallTooDeep),
            inputs.gas_limit,
        )
    }
    fn create(&mut self, inputs: CreateInputs) -> (FrameResult, Option<Address>) {
        let status = cevm_runtime::Status::Halt(HaltReason::CallTooDeep);
        (FrameResult::new(status, inputs.gas_limit), None)
    }
}
