//! The opcode table: the single source of truth for every opcode's name,
//! immediate size, stack inputs and outputs, whether it ends a basic block,
//! the fork that introduced it and its static gas in each fork.
//!
//! The disassembler, the block analysis, the interpreter and the compiler all
//! read this table; nothing else repeats these facts.

use crate::spec::SpecId;

/// Static facts about one opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// The opcode byte.
    pub code: u8,
    /// Mnemonic as in the Yellow Paper and EIP-3155 traces (`"PUSH1"`).
    pub name: &'static str,
    /// Bytes of immediate data following the opcode (1..=32 for PUSH1..PUSH32).
    pub immediate: u8,
    /// Stack items the opcode reads (pops).
    pub inputs: u8,
    /// Stack items the opcode leaves (pushes).
    pub outputs: u8,
    /// Whether the opcode ends a basic block (halts, jumps, conditional jumps).
    pub ends_block: bool,
    /// The first fork in which the opcode is defined.
    pub since: SpecId,
    /// Static gas from each fork on: `(fork, gas)` in activation order; the last
    /// entry not after the queried fork applies.
    gas: &'static [(SpecId, u16)],
}

impl OpInfo {
    /// Static (up-front) gas in `spec`; dynamic parts are charged by the runtime.
    #[inline]
    pub fn static_gas(&self, spec: SpecId) -> u64 {
        let mut gas = 0;
        for &(since, g) in self.gas {
            if spec >= since {
                gas = g;
            }
        }
        gas as u64
    }

    /// Whether the opcode exists in `spec`.
    #[inline]
    pub fn is_defined_in(&self, spec: SpecId) -> bool {
        spec >= self.since
    }

    /// Net stack growth (outputs minus inputs).
    #[inline]
    pub fn stack_delta(&self) -> i32 {
        self.outputs as i32 - self.inputs as i32
    }

    /// Whether execution can continue at the next instruction (false for
    /// STOP, JUMP, RETURN, REVERT, INVALID and SELFDESTRUCT; true for JUMPI).
    #[inline]
    pub fn falls_through(&self) -> bool {
        !self.ends_block || self.code == op::JUMPI
    }

    /// Whether this is PUSH0..PUSH32.
    #[inline]
    pub fn is_push(&self) -> bool {
        (op::PUSH0..=op::PUSH32).contains(&self.code)
    }
}

macro_rules! opcode_table {
    ($( $code:literal $name:ident imm $imm:literal in $in:literal out $out:literal end $end:literal
        since $since:ident gas $gas:literal $(then $($hs:ident $hg:literal)+)? ;)*) => {
        /// Opcode byte constants, named as in the Yellow Paper.
        pub mod op {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: u8 = $code;
            )*
        }

        /// The table, indexed by opcode byte; `None` for bytes that are not
        /// opcodes in any fork.
        pub static OPCODES: [Option<OpInfo>; 256] = {
            let mut table: [Option<OpInfo>; 256] = [None; 256];
            $(
                table[$code] = Some(OpInfo {
                    code: $code,
                    name: stringify!($name),
                    immediate: $imm,
                    inputs: $in,
                    outputs: $out,
                    ends_block: $end,
                    since: SpecId::$since,
                    gas: &[(SpecId::$since, $gas) $($(, (SpecId::$hs, $hg))+)?],
                });
            )*
            table
        };
    };
}

opcode_table! {
    0x00 STOP imm 0 in 0 out 0 end true since Frontier gas 0;
    0x01 ADD imm 0 in 2 out 1 end false since Frontier gas 3;
    0x02 MUL imm 0 in 2 out 1 end false since Frontier gas 5;
    0x03 SUB imm 0 in 2 out 1 end false since Frontier gas 3;
    0x04 DIV imm 0 in 2 out 1 end false since Frontier gas 5;
    0x05 SDIV imm 0 in 2 out 1 end false since Frontier gas 5;
    0x06 MOD imm 0 in 2 out 1 end false since Frontier gas 5;
    0x07 SMOD imm 0 in 2 out 1 end false since Frontier gas 5;
    0x08 ADDMOD imm 0 in 3 out 1 end false since Frontier gas 8;
    0x09 MULMOD imm 0 in 3 out 1 end false since Frontier gas 8;
    0x0a EXP imm 0 in 2 out 1 end false since Frontier gas 10;
    0x0b SIGNEXTEND imm 0 in 2 out 1 end false since Frontier gas 5;
    0x10 LT imm 0 in 2 out 1 end false since Frontier gas 3;
    0x11 GT imm 0 in 2 out 1 end false since Frontier gas 3;
    0x12 SLT imm 0 in 2 out 1 end false since Frontier gas 3;
    0x13 SGT imm 0 in 2 out 1 end false since Frontier gas 3;
    0x14 EQ imm 0 in 2 out 1 end false since Frontier gas 3;
    0x15 ISZERO imm 0 in 1 out 1 end false since Frontier gas 3;
    0x16 AND imm 0 in 2 out 1 end false since Frontier gas 3;
    0x17 OR imm 0 in 2 out 1 end false since Frontier gas 3;
    0x18 XOR imm 0 in 2 out 1 end false since Frontier gas 3;
    0x19 NOT imm 0 in 1 out 1 end false since Frontier gas 3;
    0x1a BYTE imm 0 in 2 out 1 end false since Frontier gas 3;
    0x1b SHL imm 0 in 2 out 1 end false since Constantinople gas 3;
    0x1c SHR imm 0 in 2 out 1 end false since Constantinople gas 3;
    0x1d SAR imm 0 in 2 out 1 end false since Constantinople gas 3;
    0x1e CLZ imm 0 in 1 out 1 end false since Osaka gas 5;
    0x20 KECCAK256 imm 0 in 2 out 1 end false since Frontier gas 30;
    0x30 ADDRESS imm 0 in 0 out 1 end false since Frontier gas 2;
    0x31 BALANCE imm 0 in 1 out 1 end false since Frontier gas 20 then TangerineWhistle 400 Istanbul 700 Berlin 100;
    0x32 ORIGIN imm 0 in 0 out 1 end false since Frontier gas 2;
    0x33 CALLER imm 0 in 0 out 1 end false since Frontier gas 2;
    0x34 CALLVALUE imm 0 in 0 out 1 end false since Frontier gas 2;
    0x35 CALLDATALOAD imm 0 in 1 out 1 end false since Frontier gas 3;
    0x36 CALLDATASIZE imm 0 in 0 out 1 end false since Frontier gas 2;
    0x37 CALLDATACOPY imm 0 in 3 out 0 end false since Frontier gas 3;
    0x38 CODESIZE imm 0 in 0 out 1 end false since Frontier gas 2;
    0x39 CODECOPY imm 0 in 3 out 0 end false since Frontier gas 3;
    0x3a GASPRICE imm 0 in 0 out 1 end false since Frontier gas 2;
    0x3b EXTCODESIZE imm 0 in 1 out 1 end false since Frontier gas 20 then TangerineWhistle 700 Berlin 100;
    0x3c EXTCODECOPY imm 0 in 4 out 0 end false since Frontier gas 20 then TangerineWhistle 700 Berlin 100;
    0x3d RETURNDATASIZE imm 0 in 0 out 1 end false since Byzantium gas 2;
    0x3e RETURNDATACOPY imm 0 in 3 out 0 end false since Byzantium gas 3;
    0x3f EXTCODEHASH imm 0 in 1 out 1 end false since Constantinople gas 400 then Istanbul 700 Berlin 100;
    0x40 BLOCKHASH imm 0 in 1 out 1 end false since Frontier gas 20;
    0x41 COINBASE imm 0 in 0 out 1 end false since Frontier gas 2;
    0x42 TIMESTAMP imm 0 in 0 out 1 end false since Frontier gas 2;
    0x43 NUMBER imm 0 in 0 out 1 end false since Frontier gas 2;
    0x44 PREVRANDAO imm 0 in 0 out 1 end false since Frontier gas 2;
    0x45 GASLIMIT imm 0 in 0 out 1 end false since Frontier gas 2;
    0x46 CHAINID imm 0 in 0 out 1 end false since Istanbul gas 2;
    0x47 SELFBALANCE imm 0 in 0 out 1 end false since Istanbul gas 5;
    0x48 BASEFEE imm 0 in 0 out 1 end false since London gas 2;
    0x49 BLOBHASH imm 0 in 1 out 1 end false since Cancun gas 3;
    0x4a BLOBBASEFEE imm 0 in 0 out 1 end false since Cancun gas 2;
    0x50 POP imm 0 in 1 out 0 end false since Frontier gas 2;
    0x51 MLOAD imm 0 in 1 out 1 end false since Frontier gas 3;
    0x52 MSTORE imm 0 in 2 out 0 end false since Frontier gas 3;
    0x53 MSTORE8 imm 0 in 2 out 0 end false since Frontier gas 3;
    0x54 SLOAD imm 0 in 1 out 1 end false since Frontier gas 50 then TangerineWhistle 200 Istanbul 800 Berlin 100;
    0x55 SSTORE imm 0 in 2 out 0 end false since Frontier gas 0;
    0x56 JUMP imm 0 in 1 out 0 end true since Frontier gas 8;
    0x57 JUMPI imm 0 in 2 out 0 end true since Frontier gas 10;
    0x58 PC imm 0 in 0 out 1 end false since Frontier gas 2;
    0x59 MSIZE imm 0 in 0 out 1 end false since Frontier gas 2;
    0x5a GAS imm 0 in 0 out 1 end false since Frontier gas 2;
    0x5b JUMPDEST imm 0 in 0 out 0 end false since Frontier gas 1;
    0x5c TLOAD imm 0 in 1 out 1 end false since Cancun gas 100;
    0x5d TSTORE imm 0 in 2 out 0 end false since Cancun gas 100;
    0x5e MCOPY imm 0 in 3 out 0 end false since Cancun gas 3;
    0x5f PUSH0 imm 0 in 0 out 1 end false since Shanghai gas 2;
    0x60 PUSH1 imm 1 in 0 out 1 end false since Frontier gas 3;
    0x61 PUSH2 imm 2 in 0 out 1 end false since Frontier gas 3;
    0x62 PUSH3 imm 3 in 0 out 1 end false since Frontier gas 3;
    0x63 PUSH4 imm 4 in 0 out 1 end false since Frontier gas 3;
    0x64 PUSH5 imm 5 in 0 out 1 end false since Frontier gas 3;
    0x65 PUSH6 imm 6 in 0 out 1 end false since Frontier gas 3;
    0x66 PUSH7 imm 7 in 0 out 1 end false since Frontier gas 3;
    0x67 PUSH8 imm 8 in 0 out 1 end false since Frontier gas 3;
    0x68 PUSH9 imm 9 in 0 out 1 end false since Frontier gas 3;
    0x69 PUSH10 imm 10 in 0 out 1 end false since Frontier gas 3;
    0x6a PUSH11 imm 11 in 0 out 1 end false since Frontier gas 3;
    0x6b PUSH12 imm 12 in 0 out 1 end false since Frontier gas 3;
    0x6c PUSH13 imm 13 in 0 out 1 end false since Frontier gas 3;
    0x6d PUSH14 imm 14 in 0 out 1 end false since Frontier gas 3;
    0x6e PUSH15 imm 15 in 0 out 1 end false since Frontier gas 3;
    0x6f PUSH16 imm 16 in 0 out 1 end false since Frontier gas 3;
    0x70 PUSH17 imm 17 in 0 out 1 end false since Frontier gas 3;
    0x71 PUSH18 imm 18 in 0 out 1 end false since Frontier gas 3;
    0x72 PUSH19 imm 19 in 0 out 1 end false since Frontier gas 3;
    0x73 PUSH20 imm 20 in 0 out 1 end false since Frontier gas 3;
    0x74 PUSH21 imm 21 in 0 out 1 end false since Frontier gas 3;
    0x75 PUSH22 imm 22 in 0 out 1 end false since Frontier gas 3;
    0x76 PUSH23 imm 23 in 0 out 1 end false since Frontier gas 3;
    0x77 PUSH24 imm 24 in 0 out 1 end false since Frontier gas 3;
    0x78 PUSH25 imm 25 in 0 out 1 end false since Frontier gas 3;
    0x79 PUSH26 imm 26 in 0 out 1 end false since Frontier gas 3;
    0x7a PUSH27 imm 27 in 0 out 1 end false since Frontier gas 3;
    0x7b PUSH28 imm 28 in 0 out 1 end false since Frontier gas 3;
    0x7c PUSH29 imm 29 in 0 out 1 end false since Frontier gas 3;
    0x7d PUSH30 imm 30 in 0 out 1 end false since Frontier gas 3;
    0x7e PUSH31 imm 31 in 0 out 1 end false since Frontier gas 3;
    0x7f PUSH32 imm 32 in 0 out 1 end false since Frontier gas 3;
    0x80 DUP1 imm 0 in 1 out 2 end false since Frontier gas 3;
    0x81 DUP2 imm 0 in 2 out 3 end false since Frontier gas 3;
    0x82 DUP3 imm 0 in 3 out 4 end false since Frontier gas 3;
    0x83 DUP4 imm 0 in 4 out 5 end false since Frontier gas 3;
    0x84 DUP5 imm 0 in 5 out 6 end false since Frontier gas 3;
    0x85 DUP6 imm 0 in 6 out 7 end false since Frontier gas 3;
    0x86 DUP7 imm 0 in 7 out 8 end false since Frontier gas 3;
    0x87 DUP8 imm 0 in 8 out 9 end false since Frontier gas 3;
    0x88 DUP9 imm 0 in 9 out 10 end false since Frontier gas 3;
    0x89 DUP10 imm 0 in 10 out 11 end false since Frontier gas 3;
    0x8a DUP11 imm 0 in 11 out 12 end false since Frontier gas 3;
    0x8b DUP12 imm 0 in 12 out 13 end false since Frontier gas 3;
    0x8c DUP13 imm 0 in 13 out 14 end false since Frontier gas 3;
    0x8d DUP14 imm 0 in 14 out 15 end false since Frontier gas 3;
    0x8e DUP15 imm 0 in 15 out 16 end false since Frontier gas 3;
    0x8f DUP16 imm 0 in 16 out 17 end false since Frontier gas 3;
    0x90 SWAP1 imm 0 in 2 out 2 end false since Frontier gas 3;
    0x91 SWAP2 imm 0 in 3 out 3 end false since Frontier gas 3;
    0x92 SWAP3 imm 0 in 4 out 4 end false since Frontier gas 3;
    0x93 SWAP4 imm 0 in 5 out 5 end false since Frontier gas 3;
    0x94 SWAP5 imm 0 in 6 out 6 end false since Frontier gas 3;
    0x95 SWAP6 imm 0 in 7 out 7 end false since Frontier gas 3;
    0x96 SWAP7 imm 0 in 8 out 8 end false since Frontier gas 3;
    0x97 SWAP8 imm 0 in 9 out 9 end false since Frontier gas 3;
    0x98 SWAP9 imm 0 in 10 out 10 end false since Frontier gas 3;
    0x99 SWAP10 imm 0 in 11 out 11 end false since Frontier gas 3;
    0x9a SWAP11 imm 0 in 12 out 12 end false since Frontier gas 3;
    0x9b SWAP12 imm 0 in 13 out 13 end false since Frontier gas 3;
    0x9c SWAP13 imm 0 in 14 out 14 end false since Frontier gas 3;
    0x9d SWAP14 imm 0 in 15 out 15 end false since Frontier gas 3;
    0x9e SWAP15 imm 0 in 16 out 16 end false since Frontier gas 3;
    0x9f SWAP16 imm 0 in 17 out 17 end false since Frontier gas 3;
    0xa0 LOG0 imm 0 in 2 out 0 end false since Frontier gas 375;
    0xa1 LOG1 imm 0 in 3 out 0 end false since Frontier gas 750;
    0xa2 LOG2 imm 0 in 4 out 0 end false since Frontier gas 1125;
    0xa3 LOG3 imm 0 in 5 out 0 end false since Frontier gas 1500;
    0xa4 LOG4 imm 0 in 6 out 0 end false since Frontier gas 1875;
    0xf0 CREATE imm 0 in 3 out 1 end false since Frontier gas 32000;
    0xf1 CALL imm 0 in 7 out 1 end false since Frontier gas 40 then TangerineWhistle 700 Berlin 100;
    0xf2 CALLCODE imm 0 in 7 out 1 end false since Frontier gas 40 then TangerineWhistle 700 Berlin 100;
    0xf3 RETURN imm 0 in 2 out 0 end true since Frontier gas 0;
    0xf4 DELEGATECALL imm 0 in 6 out 1 end false since Homestead gas 40 then TangerineWhistle 700 Berlin 100;
    0xf5 CREATE2 imm 0 in 4 out 1 end false since Constantinople gas 32000;
    0xfa STATICCALL imm 0 in 6 out 1 end false since Byzantium gas 700 then Berlin 100;
    0xfd REVERT imm 0 in 2 out 0 end true since Byzantium gas 0;
    0xfe INVALID imm 0 in 0 out 0 end true since Frontier gas 0;
    0xff SELFDESTRUCT imm 0 in 1 out 0 end true since Frontier gas 0 then TangerineWhistle 5000;
}

/// The table entry for `opcode`, whatever the fork.
#[inline]
pub fn info(opcode: u8) -> Option<&'static OpInfo> {
    OPCODES[opcode as usize].as_ref()
}

/// The table entry for `opcode` if it is defined in `spec`; `None` means the
/// byte executes as an undefined instruction (INVALID semantics).
#[inline]
pub fn info_in(opcode: u8, spec: SpecId) -> Option<&'static OpInfo> {
    info(opcode).filter(|i| i.is_defined_in(spec))
}

/// An opcode as one fork defines it: its table entry with the static gas
/// of that fork, looked up once. The entry is a copy, not a reference, so
/// that a loop reading stack counts and gas finds them in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkOp {
    /// The table entry.
    pub info: OpInfo,
    /// [`OpInfo::static_gas`] in the fork.
    pub static_gas: u64,
}

/// The opcode table of one fork, indexed by opcode byte; `None` for bytes
/// undefined in that fork. What a per-instruction loop reads instead of
/// filtering [`OPCODES`] by fork and walking each gas schedule every time.
pub type ForkTable = [Option<ForkOp>; 256];

/// The table for `spec`, built on first use and kept for the process.
pub fn fork_table(spec: SpecId) -> &'static ForkTable {
    static TABLES: [std::sync::OnceLock<ForkTable>; SpecId::ALL.len()] =
        [const { std::sync::OnceLock::new() }; SpecId::ALL.len()];
    TABLES[spec as usize].get_or_init(|| {
        std::array::from_fn(|byte| {
            info_in(byte as u8, spec).map(|info| ForkOp {
                info: *info,
                static_gas: info.static_gas(spec),
            })
        })
    })
}

/// The mnemonic of `opcode`, or `UNDEFINED(0x..)` style text for other bytes.
pub fn name(opcode: u8) -> std::borrow::Cow<'static, str> {
    match info(opcode) {
        Some(i) => std::borrow::Cow::Borrowed(i.name),
        None => std::borrow::Cow::Owned(format!("UNDEFINED(0x{opcode:02x})")),
    }
}

/// One decoded instruction of a bytecode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instruction<'a> {
    /// Offset of the opcode byte.
    pub pc: usize,
    /// The opcode byte.
    pub opcode: u8,
    /// Immediate bytes present in the code (shorter than the opcode's
    /// immediate size if the code ends inside them; missing bytes read as zero).
    pub immediate: &'a [u8],
}

/// Iterates over the instructions of `code`, skipping PUSH data.
pub fn instructions(code: &[u8]) -> impl Iterator<Item = Instruction<'_>> {
    let mut pc = 0usize;
    std::iter::from_fn(move || {
        if pc >= code.len() {
            return None;
        }
        let opcode = code[pc];
        let imm = info(opcode).map_or(0, |i| i.immediate as usize);
        let start = pc + 1;
        let end = (start + imm).min(code.len());
        let ins = Instruction {
            pc,
            opcode,
            immediate: &code[start..end],
        };
        pc = start + imm;
        Some(ins)
    })
}

/// Disassembles `code` into one line per instruction: `pc: NAME [0ximmediate]`.
pub fn disassemble(code: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for ins in instructions(code) {
        let _ = write!(out, "{:>6}: {}", ins.pc, name(ins.opcode));
        let want = info(ins.opcode).map_or(0, |i| i.immediate as usize);
        if want > 0 {
            out.push_str(" 0x");
            for b in ins.immediate {
                let _ = write!(out, "{b:02x}");
            }
            if ins.immediate.len() < want {
                let _ = write!(
                    out,
                    " (truncated: {} of {} bytes)",
                    ins.immediate.len(),
                    want
                );
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for (i, e) in OPCODES.iter().enumerate() {
            if let Some(e) = e {
                assert_eq!(e.code as usize, i, "{}", e.name);
                assert!(e.static_gas(SpecId::Osaka) <= 32000);
            }
        }
        assert_eq!(info(op::PUSH32).unwrap().immediate, 32);
        assert_eq!(info(op::DUP16).unwrap().inputs, 16);
        assert_eq!(info(op::SWAP16).unwrap().outputs, 17);
        assert_eq!(info(op::LOG4).unwrap().inputs, 6);
        assert!(info(0x0c).is_none() && info(0xef).is_none());
        assert_eq!(OPCODES.iter().filter(|e| e.is_some()).count(), 150);
    }

    #[test]
    fn static_gas_follows_forks() {
        let sload = info(op::SLOAD).unwrap();
        assert_eq!(sload.static_gas(SpecId::Frontier), 50);
        assert_eq!(sload.static_gas(SpecId::Istanbul), 800);
        assert_eq!(sload.static_gas(SpecId::Cancun), 100);
        assert_eq!(info(op::CALL).unwrap().static_gas(SpecId::Prague), 100);
        assert_eq!(
            info(op::SELFDESTRUCT).unwrap().static_gas(SpecId::Osaka),
            5000
        );
    }

    #[test]
    fn forks_gate_opcodes() {
        assert!(info_in(op::CLZ, SpecId::Prague).is_none());
        assert!(info_in(op::CLZ, SpecId::Osaka).is_some());
        assert!(info_in(op::MCOPY, SpecId::Cancun).is_some());
        assert!(info_in(op::PUSH0, SpecId::Paris).is_none());
    }

    #[test]
    fn fork_tables_agree_with_the_table() {
        for spec in SpecId::ALL {
            assert_eq!(SpecId::ALL[spec as usize], spec);
            let table = fork_table(spec);
            for byte in 0..=255u8 {
                let want = info_in(byte, spec).map(|i| (i.code, i.static_gas(spec)));
                let got = table[byte as usize].map(|op| (op.info.code, op.static_gas));
                assert_eq!(got, want, "{spec:?} 0x{byte:02x}");
            }
        }
    }

    #[test]
    fn disassembles_truncated_push() {
        let text = disassemble(&[0x60, 0x01, 0x61, 0xff]);
        assert_eq!(
            text,
            "     0: PUSH1 0x01\n     2: PUSH2 0xff (truncated: 1 of 2 bytes)\n"
        );
        assert!(disassemble(&[0x0c]).contains("UNDEFINED(0x0c)"));
    }
}
