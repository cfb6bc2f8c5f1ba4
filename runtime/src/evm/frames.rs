//! Message-call and create semantics: depth limit, value transfer,
//! checkpoints, precompile dispatch, code loading and contract deployment.

use super::{delegation_target, Evm, CALL_DEPTH_LIMIT, RED_ZONE, STACK_SEGMENT};
use crate::database::Database;
use crate::executor::Bytecode;
use crate::gas;
use crate::message::{CallInputs, CreateInputs, CreateScheme, Message};
use crate::precompile::PrecompileOutcome;
use crate::result::{FrameResult, HaltReason, Status, SuccessReason};
use crate::spec::SpecId;
use crate::state::Account;
use crate::state::Checkpoint;
use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256};
use std::cell::RefCell;
use std::rc::Rc;

/// The RIPEMD-160 precompile (see [`Evm::keep_ripemd160_touch`]).
const RIPEMD160: Address = address!("0x0000000000000000000000000000000000000003");

/// CREATE's address: `keccak256(rlp([sender, nonce]))[12..]`.
pub fn create_address(sender: Address, nonce: u64) -> Address {
    sender.create(nonce)
}

/// CREATE2's address (EIP-1014):
/// `keccak256(0xff ++ sender ++ salt ++ keccak256(init_code))[12..]`.
pub fn create2_address(sender: Address, salt: U256, init_code: &[u8]) -> Address {
    sender.create2(salt.to_be_bytes::<32>(), keccak256(init_code))
}

/// What a message call runs.
enum Callee {
    /// The precompile at the code address.
    Precompile,
    /// Code, loaded from `code_address` (the delegate for an EIP-7702
    /// delegated account).
    Code {
        code: Rc<Bytecode>,
        code_address: Address,
    },
    /// Nothing: an account without code (the call succeeds at once).
    Nothing,
}

/// How many codes [`shared_code`] keeps per thread.
const RECENT_CODES: usize = 4;

/// The codes the thread's frames ran last, a ring (see [`shared_code`]).
#[derive(Default)]
struct RecentCodes {
    codes: [Option<Rc<Bytecode>>; RECENT_CODES],
    /// The slot the next new code replaces.
    next: usize,
}

thread_local! {
    static RECENT: RefCell<RecentCodes> = RefCell::default();
}

/// A handle on `code` (whose hash is `hash`) that a frame holds while it
/// runs: a frame borrows the state mutably, so it cannot borrow the code
/// from the account. Cloning the account's `Bytes` (a shared count) costs
/// two locked instructions per frame, which wait for the store buffer to
/// drain (5 % of a deep call chain's time); the thread keeps the codes it
/// ran last behind counts that are not atomic instead, found by hash, so a
/// frame running one of them (calls into the same contract, a proxy's
/// implementation) shares it without any. The kept handles keep at most
/// [`RECENT_CODES`] codes alive after their transaction.
fn shared_code(code: &Bytes, hash: &B256) -> Rc<Bytecode> {
    RECENT.with_borrow_mut(|recent| {
        if let Some(kept) = recent.codes.iter().flatten().find(|c| c.hash == *hash) {
            return kept.clone();
        }
        let new = Rc::new(Bytecode::with_hash(code.clone(), *hash));
        let slot = recent.next;
        recent.codes[slot] = Some(new.clone());
        recent.next = (slot + 1) % RECENT_CODES;
        new
    })
}

/// A failure that hands all of `gas_limit` back to the caller (depth,
/// balance, nonce).
fn refused(reason: HaltReason, gas_limit: u64) -> FrameResult {
    FrameResult::new(Status::Halt(reason), gas_limit)
}

/// Makes a backend's result obey the contract whatever the backend did: a
/// halt keeps no gas, refund or output; a revert keeps no refund; gas left
/// never exceeds the limit.
fn normalize(result: &mut FrameResult, gas_limit: u64) {
    result.gas_left = result.gas_left.min(gas_limit);
    match result.status {
        Status::Success(_) => {}
        Status::Revert => result.refund = 0,
        Status::Halt(_) => {
            result.gas_left = 0;
            result.refund = 0;
            result.output = Bytes::new();
        }
    }
}

impl<DB: Database> Evm<'_, DB> {
    /// Runs `code` for `msg` on the executor, on a fresh stack segment when
    /// the native stack runs low, with `self.depth` set to the frame's depth.
    fn execute(&mut self, code: &Bytecode, msg: &Message) -> FrameResult {
        let outer_depth = self.depth;
        self.depth = msg.depth;
        let executor = self.executor;
        let enough_stack = stacker::remaining_stack().is_some_and(|left| left >= RED_ZONE);
        let mut result = if enough_stack {
            executor.execute(code, msg, self)
        } else {
            self.execute_on_new_segment(code, msg)
        };
        self.depth = outer_depth;
        normalize(&mut result, msg.gas_limit);
        result
    }

    /// [`Evm::execute`]'s run on a fresh stack segment; out of line, so
    /// that the frames which do not need one do not carry its native
    /// stack frame.
    #[cold]
    #[inline(never)]
    fn execute_on_new_segment(&mut self, code: &Bytecode, msg: &Message) -> FrameResult {
        let executor = self.executor;
        stacker::grow(STACK_SEGMENT, || executor.execute(code, msg, self))
    }

    /// A message call whose frame runs at `depth`.
    ///
    /// The callee's code runs below this function's frame on the native
    /// stack, once per call depth, so what comes before and after it (the
    /// checks and the value transfer, keeping or undoing the changes) is
    /// in functions of their own: this frame holds only what lives across
    /// the callee (a deep call chain pays cache misses for every byte of
    /// native stack it holds per depth).
    pub(super) fn call_at(&mut self, inputs: &CallInputs, depth: usize) -> FrameResult {
        let checkpoint = match self.enter_call(inputs, depth) {
            Ok(checkpoint) => checkpoint,
            Err(refused) => return refused,
        };
        let result = match self.callee(&inputs.code_address) {
            Callee::Precompile => self.run_precompile(inputs),
            Callee::Nothing => {
                FrameResult::new(Status::Success(SuccessReason::Stop), inputs.gas_limit)
            }
            Callee::Code { code, code_address } => {
                let msg = Message {
                    caller: inputs.caller,
                    address: inputs.target,
                    code_address,
                    value: inputs.value,
                    input: inputs.input,
                    gas_limit: inputs.gas_limit,
                    is_static: inputs.is_static,
                    depth,
                    is_create: false,
                };
                self.execute(&code, &msg)
            }
        };
        self.leave_call(
            checkpoint,
            &inputs.target,
            depth,
            result.status.is_success(),
        );
        result
    }

    /// The start of a message call: the depth limit and the balance
    /// check (which hand all the gas back), the checkpoint, the target's
    /// touch and the value transfer.
    #[inline(never)]
    fn enter_call(&mut self, inputs: &CallInputs, depth: usize) -> Result<Checkpoint, FrameResult> {
        let gas_limit = inputs.gas_limit;
        if depth > CALL_DEPTH_LIMIT {
            return Err(refused(HaltReason::CallTooDeep, gas_limit));
        }
        let transfers = inputs.transfers_value();
        if transfers && self.state.balance(&inputs.caller) < inputs.value {
            return Err(refused(HaltReason::OutOfFunds, gas_limit));
        }

        let checkpoint = self.state.checkpoint();
        self.touch(inputs.target);
        if transfers
            && self
                .state
                .transfer(inputs.caller, inputs.target, inputs.value)
                .is_err()
        {
            self.state.revert(checkpoint);
            return Err(refused(HaltReason::OutOfFunds, gas_limit));
        }
        Ok(checkpoint)
    }

    /// The end of a message call to `target` at `depth`: its changes since
    /// `checkpoint` stand if it succeeded and are undone otherwise.
    #[inline(never)]
    fn leave_call(
        &mut self,
        checkpoint: Checkpoint,
        target: &Address,
        depth: usize,
        success: bool,
    ) {
        if success {
            self.state.commit(checkpoint);
        } else {
            let ripemd_touched = self.state.is_touched(&RIPEMD160);
            self.state.revert(checkpoint);
            if depth > 0 && (*target == RIPEMD160 || ripemd_touched) {
                self.keep_ripemd160_touch();
            }
        }
    }

    /// Spurious Dragon to London: a touch of the RIPEMD-160 precompile in a
    /// failed nested call is kept (and the account deleted at the end of the
    /// transaction if empty), unlike every other touch. Mainnet block
    /// 2675119 cleared the empty account at 0x03 this way through a client
    /// bug; the execution specs keep the behaviour as history made it.
    fn keep_ripemd160_touch(&mut self) {
        let spec = self.spec();
        if (SpecId::SpuriousDragon..=SpecId::London).contains(&spec)
            && self.state.exists(&RIPEMD160)
            && self.state.is_empty_or_missing(&RIPEMD160)
        {
            self.state.touch(RIPEMD160);
        }
    }

    /// What a call to `code_address` runs: a precompile, the code there or
    /// at its EIP-7702 delegate, or nothing.
    fn callee(&self, code_address: &Address) -> Callee {
        let account = self.state.account(code_address);
        let delegate = match account {
            Some(a) if self.env.spec >= SpecId::Prague => delegation_target(&a.code),
            _ => None,
        };
        let (code_address, account) = match delegate {
            None if self.precompiles.contains(code_address) => return Callee::Precompile,
            None => (*code_address, account),
            Some(delegate) => (delegate, self.state.account(&delegate)),
        };
        match account {
            Some(a) if !a.code.is_empty() => Callee::Code {
                code: shared_code(&a.code, &a.code_hash),
                code_address,
            },
            _ => Callee::Nothing,
        }
    }

    #[inline(never)]
    fn run_precompile(&mut self, inputs: &CallInputs) -> FrameResult {
        let outcome = self
            .precompiles
            .run(&inputs.code_address, inputs.input, inputs.gas_limit);
        match outcome {
            Some(PrecompileOutcome::Success { gas_used, output })
                if gas_used <= inputs.gas_limit =>
            {
                FrameResult {
                    status: Status::Success(SuccessReason::Return),
                    gas_left: inputs.gas_limit - gas_used,
                    refund: 0,
                    output,
                }
            }
            Some(_) => FrameResult::halt(HaltReason::PrecompileError),
            // The set claimed the address but has nothing to run: an account
            // without code.
            None => FrameResult::new(Status::Success(SuccessReason::Stop), inputs.gas_limit),
        }
    }

    /// CREATE/CREATE2 from the executing frame: depth, balance and nonce
    /// checks (which hand the gas back), address derivation, warming and the
    /// creator's nonce bump, then the create frame.
    pub(super) fn create_nested(&mut self, inputs: CreateInputs) -> (FrameResult, Option<Address>) {
        let depth = self.depth + 1;
        let gas_limit = inputs.gas_limit;
        if self.state.balance(&inputs.caller) < inputs.value {
            return (refused(HaltReason::OutOfFunds, gas_limit), None);
        }
        let nonce = self.state.nonce(&inputs.caller);
        if nonce == u64::MAX {
            return (refused(HaltReason::NonceOverflow, gas_limit), None);
        }
        if depth > CALL_DEPTH_LIMIT {
            return (refused(HaltReason::CallTooDeep, gas_limit), None);
        }
        let address = match inputs.scheme {
            CreateScheme::Create => create_address(inputs.caller, nonce),
            CreateScheme::Create2 { salt } => {
                create2_address(inputs.caller, salt, &inputs.init_code)
            }
        };
        self.state.warm_account(address);
        // Bumped even when the address collides (the create then fails).
        self.state.increment_nonce(inputs.caller);
        let result = self.create_at(&inputs, address, depth);
        let created = result.status.is_success().then_some(address);
        (result, created)
    }

    /// The create frame at `address` running at `depth`.
    pub(super) fn create_at(
        &mut self,
        inputs: &CreateInputs,
        address: Address,
        depth: usize,
    ) -> FrameResult {
        let gas_limit = inputs.gas_limit;
        let collides = self
            .state
            .account(&address)
            .is_some_and(Account::has_code_or_nonce)
            || self.state.has_storage(&address);
        if collides {
            return FrameResult::halt(HaltReason::CreateCollision);
        }

        let checkpoint = self.state.checkpoint();
        self.state.mark_created(address);
        self.touch(address);
        if self.spec() >= SpecId::SpuriousDragon {
            // EIP-161: contracts start at nonce 1.
            self.state.set_nonce(address, 1);
        }
        if self
            .state
            .transfer(inputs.caller, address, inputs.value)
            .is_err()
        {
            self.state.revert(checkpoint);
            return refused(HaltReason::OutOfFunds, gas_limit);
        }

        let result = if inputs.init_code.is_empty() {
            FrameResult::new(Status::Success(SuccessReason::Stop), gas_limit)
        } else {
            let code = Bytecode::new(inputs.init_code.clone());
            let msg = Message {
                caller: inputs.caller,
                address,
                code_address: address,
                value: inputs.value,
                input: &[],
                gas_limit,
                is_static: false,
                depth,
                is_create: true,
            };
            self.execute(&code, &msg)
        };
        if !result.status.is_success() {
            self.state.revert(checkpoint);
            return result;
        }

        match deploy_check(self.spec(), &result) {
            Ok((gas_left, code)) => {
                self.state.set_code(address, code.clone());
                self.state.commit(checkpoint);
                FrameResult {
                    gas_left,
                    output: code,
                    ..result
                }
            }
            Err(reason) => {
                self.state.revert(checkpoint);
                FrameResult::halt(reason)
            }
        }
    }
}

/// The deployment rules of `spec` applied to a successful init code's
/// output, in the specification's order: EIP-3541 prefix (London on), code
/// deposit gas, EIP-170 size (Spurious Dragon on). Returns the gas left
/// after the deposit and the code to deploy. In Frontier a deposit the
/// frame cannot pay leaves the contract without code (and the gas
/// untouched); from Homestead on (EIP-2) it fails the creation.
fn deploy_check(spec: SpecId, result: &FrameResult) -> Result<(u64, Bytes), HaltReason> {
    let code = &result.output;
    if spec >= SpecId::London && code.first() == Some(&0xef) {
        return Err(HaltReason::InvalidCodePrefix);
    }
    let deposit = gas::code_deposit_cost(code.len() as u64);
    let Some(gas_left) = result.gas_left.checked_sub(deposit) else {
        if spec >= SpecId::Homestead {
            return Err(HaltReason::OutOfGas);
        }
        return Ok((result.gas_left, Bytes::new()));
    };
    if gas::max_code_size(spec).is_some_and(|max| code.len() > max) {
        return Err(HaltReason::CodeSizeLimit);
    }
    Ok((gas_left, code.clone()))
}
