//! Calls to other contracts and precompiles, and contract creation.

use super::operands::{operand, Role};
use super::{generate_program, Gen};
use crate::entropy::Entropy;
use crate::program::{Item, Program};
use alloy_primitives::U256;
use cevm_runtime::opcode::op;

impl<R: Entropy> Gen<'_, R> {
    /// A call of any kind. In an observed program its success flag is
    /// folded into the accumulator, and sometimes the size and first word
    /// of what the callee returned (a callee's digest); otherwise the flag
    /// is sometimes dropped and the return data sometimes copied to memory.
    pub(super) fn call(&mut self) {
        let code = self.pick(&[op::CALL, op::CALLCODE, op::DELEGATECALL, op::STATICCALL]);
        self.op_with_operands(code);
        if self.acc {
            self.drop_top();
            if self.rng.chance(1, 2) {
                self.emit(op::RETURNDATASIZE);
                self.drop_top();
            }
            if self.rng.chance(1, 2) {
                let dest = operand(self.rng, Role::MemOffset, self.style);
                self.copy_return_data(dest);
                self.push_value(dest);
                self.emit(op::MLOAD);
                self.drop_top();
            }
            return;
        }
        if self.rng.chance(1, 2) {
            self.emit(op::POP);
        }
        if self.rng.chance(1, 3) {
            let dest = operand(self.rng, Role::MemOffset, self.style);
            self.copy_return_data(dest);
        }
    }

    /// RETURNDATACOPY(dest, 0, RETURNDATASIZE): always in bounds.
    fn copy_return_data(&mut self, dest: U256) {
        self.emit(op::RETURNDATASIZE);
        self.push_value(U256::ZERO);
        self.push_value(dest);
        self.emit(op::RETURNDATACOPY);
    }

    /// Writes generated init code to memory and runs CREATE or CREATE2 on it.
    pub(super) fn create(&mut self, depth: u32) {
        let init = self.init_code(depth);
        let base = *[0u64, 64, 200]
            .get(self.rng.below(3) as usize)
            .unwrap_or(&0);
        for (k, chunk) in init.chunks(32).enumerate() {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            self.push_value(U256::from_be_bytes(word));
            self.push_value(U256::from(base + 32 * k as u64));
            self.emit(op::MSTORE);
        }
        let create2 = self.rng.chance(1, 2);
        if create2 {
            let salt = operand(self.rng, Role::Salt, self.style);
            self.push_value(salt);
        }
        let len = if self.rng.chance(1, 10) {
            operand(self.rng, Role::MemLength, self.style)
        } else {
            U256::from(init.len())
        };
        self.push_value(len);
        self.push_value(U256::from(base));
        let value = operand(self.rng, Role::CallValue, self.style);
        self.push_value(value);
        self.emit(if create2 { op::CREATE2 } else { op::CREATE });
        if self.rng.chance(1, 2) {
            // Call the new contract (or address zero if the create failed).
            for _ in 0..4 {
                self.push_value(U256::ZERO);
            }
            self.emit(op::DUP5);
            self.emit(op::GAS);
            self.emit(op::STATICCALL);
            self.drop_top();
        }
    }

    /// Init code: a short generated body, then code that returns the
    /// runtime code appended to it; sometimes runtime code starting with
    /// 0xEF (rejected, EIP-3541) or a too-large deployment (EIP-170).
    fn init_code(&mut self, depth: u32) -> Vec<u8> {
        let body_size = self.rng.range(0, 12) as usize;
        let mut body = Gen::new(&mut *self.rng, self.style, 0);
        body.fragments(body_size, depth + 1);
        while body.height > 0 {
            body.drop_top();
        }
        let mut code = body.finish_inline().assemble();
        let runtime = match self.rng.below(20) {
            0 => vec![0xef, 0x00],
            1 | 2 => Vec::new(),
            _ => {
                let size = self.rng.range(1, 10) as usize;
                generate_program(self.rng, self.style.contracts, self.style.contracts, size)
                    .assemble()
            }
        };
        let deploy_len = if self.rng.chance(1, 40) {
            0x6001 // one byte over the EIP-170 limit
        } else {
            runtime.len() as u64
        };
        // PUSH2 len, PUSH2 start, PUSH0, CODECOPY, PUSH2 len, PUSH0, RETURN.
        let start = code.len() + 13;
        code.push(op::PUSH2);
        code.extend_from_slice(&(runtime.len() as u16).to_be_bytes());
        code.push(op::PUSH2);
        code.extend_from_slice(&(start as u16).to_be_bytes());
        code.extend_from_slice(&[op::PUSH0, op::CODECOPY, op::PUSH2]);
        code.extend_from_slice(&(deploy_len as u16).to_be_bytes());
        code.extend_from_slice(&[op::PUSH0, op::RETURN]);
        code.extend_from_slice(&runtime);
        code
    }

    /// The code so far with the function bodies placed inline behind a
    /// jump over them (for code that goes on after it, like init code).
    fn finish_inline(mut self) -> Program {
        if !self.deferred.is_empty() {
            let after = self.label();
            self.items.push(Item::PushLabel(after));
            self.items.push(Item::Op(op::JUMP));
            self.items.append(&mut self.deferred);
            self.items.push(Item::Label(after));
        }
        Program::new(self.items)
    }
}
