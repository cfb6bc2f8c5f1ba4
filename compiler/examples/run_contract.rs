//! Compiles a contract that returns 2 + 3 and runs one call on it.
use cevm_compiler::JitExecutor;
use cevm_runtime::evm::Evm;
use cevm_runtime::state::{Account, State};
use cevm_runtime::{Address, Bytecode, Bytes, Env, NoPrecompiles, SpecId, U256};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // PUSH1 3 PUSH1 2 ADD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    let code = Bytes::from_static(&[0x60, 3, 0x60, 2, 0x01, 0x5f, 0x52, 0x60, 32, 0x5f, 0xf3]);
    let jit = JitExecutor::new();
    // Compile now (errors surface here); the call below finds it in the cache.
    jit.compiled(&Bytecode::new(code.clone()), SpecId::Osaka)?;
    let (contract, caller) = (Address::repeat_byte(0xcc), Address::repeat_byte(0x11));
    let mut state = State::new();
    state.insert_account(contract, Account::default().with_code(code));
    let env = Env::new(SpecId::Osaka);
    let mut evm = Evm::new(&mut state, &env, &jit, &NoPrecompiles);
    let out = evm.transact_call(caller, contract, U256::ZERO, Bytes::new(), 100_000);
    let value = U256::from_be_slice(&out.result.output);
    println!(
        "{:?}: {value} (gas left {})",
        out.result.status, out.result.gas_left
    );
    Ok(())
}
