//! Running a [`Workload`] on revm, the yardstick.
//!
//! The workload's pre-state is loaded into revm's in-memory database once,
//! with each code analysed once (as a node keeps analysed code cached), and
//! its transaction runs as a full transaction under Prague: the same method
//! as for cevm's backends, so the gas used must match. revm's `transact`
//! does not commit, so every run starts from the same pre-state without a
//! copy.

use cevm_runtime::tx::{TxKind as CevmTxKind, TxType};
use cevm_runtime::{HaltReason, SpecId as CevmSpec, Status, SuccessReason};
use cevm_statetest::workload::{RunOutcome, Workload};
use revm::bytecode::Bytecode;
use revm::context::transaction::{AccessList, AccessListItem};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::context_interface::result::{
    ExecutionResult, HaltReason as RevmHalt, SuccessReason as RevmSuccess,
};
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::state::AccountInfo;
use revm::{ExecuteEvm, MainBuilder, MainContext, MainnetEvm};

/// Why a workload cannot run on revm.
#[derive(Debug, thiserror::Error)]
pub enum RevmError {
    /// The workload uses something this adapter does not translate.
    #[error("{0} is not supported by the revm comparison")]
    Unsupported(String),
    /// revm rejected the transaction.
    #[error("revm rejected the transaction: {0}")]
    Rejected(String),
}

type BenchEvm = MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>;

/// A workload loaded into revm, ready to run many times.
pub struct RevmWorkload {
    evm: BenchEvm,
    tx: TxEnv,
}

impl std::fmt::Debug for RevmWorkload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevmWorkload")
            .field("tx", &self.tx)
            .finish()
    }
}

fn revm_spec(spec: CevmSpec) -> Result<SpecId, RevmError> {
    Ok(match spec {
        CevmSpec::Cancun => SpecId::CANCUN,
        CevmSpec::Prague => SpecId::PRAGUE,
        CevmSpec::Osaka => SpecId::OSAKA,
        other => return Err(RevmError::Unsupported(format!("fork {other:?}"))),
    })
}

impl RevmWorkload {
    /// Loads `workload`'s pre-state, block and transaction into revm.
    pub fn new(workload: &Workload) -> Result<Self, RevmError> {
        let mut db = CacheDB::new(EmptyDB::default());
        for (address, account) in workload.pre.accounts() {
            let code = Bytecode::new_raw(account.code.clone());
            let info = AccountInfo::default()
                .with_balance(account.balance)
                .with_nonce(account.nonce)
                .with_code_and_hash(code, account.code_hash);
            db.insert_account_info(*address, info);
            for (key, value) in &account.storage {
                db.insert_account_storage(*address, *key, *value)
                    .map_err(|e| RevmError::Unsupported(format!("storage of {address}: {e:?}")))?;
            }
        }

        let env = &workload.env;
        let saturate = |v: cevm_runtime::U256| u64::try_from(v).unwrap_or(u64::MAX);
        let mut block = BlockEnv {
            number: env.block.number,
            beneficiary: env.block.coinbase,
            timestamp: env.block.timestamp,
            gas_limit: saturate(env.block.gas_limit),
            basefee: saturate(env.block.basefee),
            difficulty: env.block.difficulty,
            prevrandao: Some(env.block.prevrandao),
            ..BlockEnv::default()
        };
        block.blob_excess_gas_and_price = Some(BlobExcessGasAndPrice::new(
            env.block.excess_blob_gas.unwrap_or(0),
            workload.schedule.update_fraction,
        ));

        let mut cfg = CfgEnv::new_with_spec(revm_spec(env.spec)?);
        cfg.chain_id = env.chain_id;

        let t = &workload.tx;
        let to_u128 = |v: cevm_runtime::U256, what: &str| {
            u128::try_from(v).map_err(|_| RevmError::Unsupported(format!("{what} {v}")))
        };
        let (gas_price, gas_priority_fee) = match t.tx_type {
            TxType::Legacy | TxType::AccessList => (to_u128(t.max_fee_per_gas, "gas price")?, None),
            TxType::DynamicFee => (
                to_u128(t.max_fee_per_gas, "max fee")?,
                Some(to_u128(t.max_priority_fee_per_gas, "priority fee")?),
            ),
            other => {
                return Err(RevmError::Unsupported(format!(
                    "transaction type {other:?}"
                )))
            }
        };
        let tx = TxEnv {
            tx_type: t.tx_type as u8,
            caller: t.caller,
            gas_limit: t.gas_limit,
            gas_price,
            kind: match t.kind {
                CevmTxKind::Call(address) => TxKind::Call(address),
                CevmTxKind::Create => TxKind::Create,
            },
            value: t.value,
            data: t.data.clone(),
            nonce: t.nonce,
            // Typed transactions carry the chain id (revm requires it);
            // legacy ones from the fixtures are pre-EIP-155.
            chain_id: (t.tx_type != TxType::Legacy).then_some(env.chain_id),
            access_list: AccessList(
                t.access_list
                    .iter()
                    .map(|item| AccessListItem {
                        address: item.address,
                        storage_keys: item.storage_keys.clone(),
                    })
                    .collect(),
            ),
            gas_priority_fee,
            blob_hashes: Vec::new(),
            max_fee_per_blob_gas: 0,
            authorization_list: Vec::new(),
        };

        let evm = Context::mainnet()
            .with_db(db)
            .with_block(block)
            .with_cfg(cfg)
            .build_mainnet();
        Ok(RevmWorkload { evm, tx })
    }

    /// The transaction revm runs (clone it outside a timed region).
    pub fn tx(&self) -> &TxEnv {
        &self.tx
    }

    /// Runs `tx` once (normally a clone of [`RevmWorkload::tx`]); nothing is
    /// committed, so the next run sees the same pre-state.
    pub fn run_tx(&mut self, tx: TxEnv) -> Result<RunOutcome, RevmError> {
        let result = self
            .evm
            .transact(tx)
            .map_err(|e| RevmError::Rejected(e.to_string()))?;
        Ok(outcome(result.result))
    }

    /// Runs the workload's transaction once.
    pub fn run(&mut self) -> Result<RunOutcome, RevmError> {
        let tx = self.tx.clone();
        self.run_tx(tx)
    }
}

/// revm's result in cevm's terms.
fn outcome(result: ExecutionResult) -> RunOutcome {
    let gas_used = result.tx_gas_used();
    match result {
        ExecutionResult::Success { reason, output, .. } => RunOutcome {
            status: Status::Success(match reason {
                RevmSuccess::Stop => SuccessReason::Stop,
                RevmSuccess::Return => SuccessReason::Return,
                RevmSuccess::SelfDestruct => SuccessReason::SelfDestruct,
            }),
            gas_used,
            output: output.into_data(),
        },
        ExecutionResult::Revert { output, .. } => RunOutcome {
            status: Status::Revert,
            gas_used,
            output,
        },
        ExecutionResult::Halt { reason, .. } => RunOutcome {
            status: Status::Halt(halt_reason(&reason)),
            gas_used,
            output: Default::default(),
        },
    }
}

/// The closest cevm halt reason; the comparison only relies on the status
/// class (success, revert, halt), which is exact.
fn halt_reason(reason: &RevmHalt) -> HaltReason {
    match reason {
        RevmHalt::OutOfGas(_) => HaltReason::OutOfGas,
        RevmHalt::StackUnderflow => HaltReason::StackUnderflow,
        RevmHalt::StackOverflow => HaltReason::StackOverflow,
        RevmHalt::InvalidJump => HaltReason::InvalidJump,
        RevmHalt::OpcodeNotFound => HaltReason::UndefinedOpcode,
        RevmHalt::InvalidFEOpcode => HaltReason::InvalidOpcode,
        RevmHalt::StateChangeDuringStaticCall => HaltReason::StateChangeDuringStaticCall,
        RevmHalt::OutOfOffset => HaltReason::ReturnDataOutOfBounds,
        RevmHalt::CallTooDeep => HaltReason::CallTooDeep,
        RevmHalt::CreateCollision => HaltReason::CreateCollision,
        RevmHalt::PrecompileError | RevmHalt::PrecompileErrorWithContext(_) => {
            HaltReason::PrecompileError
        }
        RevmHalt::NonceOverflow => HaltReason::NonceOverflow,
        RevmHalt::CreateContractSizeLimit => HaltReason::CodeSizeLimit,
        RevmHalt::CreateContractStartingWithEF => HaltReason::InvalidCodePrefix,
        RevmHalt::CreateInitCodeSizeLimit => HaltReason::InitcodeSizeLimit,
        RevmHalt::OutOfFunds => HaltReason::OutOfFunds,
        RevmHalt::CallNotAllowedInsideStatic => HaltReason::StateChangeDuringStaticCall,
        // An opcode of a later fork, or a fee overflow: undefined here.
        RevmHalt::NotActivated | RevmHalt::OverflowPayment => HaltReason::UndefinedOpcode,
    }
}
