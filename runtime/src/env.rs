//! The block and transaction environment seen by executing code.

use crate::spec::SpecId;
use alloy_primitives::{Address, B256, U256};

/// Block fields readable by opcodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockEnv {
    /// NUMBER.
    pub number: U256,
    /// COINBASE (fee recipient).
    pub coinbase: Address,
    /// TIMESTAMP.
    pub timestamp: U256,
    /// GASLIMIT.
    pub gas_limit: U256,
    /// BASEFEE (EIP-1559 base fee per gas); ignored before London (see
    /// [`Env::base_fee`]).
    pub basefee: U256,
    /// PREVRANDAO (EIP-4399), read by opcode 0x44 from Paris on.
    pub prevrandao: B256,
    /// The block's difficulty, read by opcode 0x44 (DIFFICULTY) before Paris.
    pub difficulty: U256,
    /// BLOBBASEFEE (EIP-7516), derived from the excess blob gas.
    pub blob_base_fee: U256,
    /// Excess blob gas of the block (EIP-4844), if given.
    pub excess_blob_gas: Option<u64>,
}

/// Transaction fields readable by opcodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxEnv {
    /// ORIGIN.
    pub origin: Address,
    /// GASPRICE: the effective gas price paid per gas.
    pub gas_price: U256,
    /// BLOBHASH: the versioned hashes of the transaction's blobs.
    pub blob_hashes: Vec<B256>,
}

/// Everything outside the frame and the state that executing code can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Env {
    /// The rules in force.
    pub spec: SpecId,
    /// CHAINID.
    pub chain_id: u64,
    /// The block.
    pub block: BlockEnv,
    /// The transaction.
    pub tx: TxEnv,
}

impl Env {
    /// Mainnet chain id and empty block/transaction fields under `spec`.
    pub fn new(spec: SpecId) -> Self {
        Env {
            spec,
            chain_id: 1,
            block: BlockEnv::default(),
            tx: TxEnv::default(),
        }
    }

    /// The base fee in force: the block's from London on (EIP-1559), zero
    /// before (the whole gas price goes to the coinbase).
    pub fn base_fee(&self) -> U256 {
        if self.spec >= SpecId::London {
            self.block.basefee
        } else {
            U256::ZERO
        }
    }
}
