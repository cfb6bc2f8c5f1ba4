//! A small EVM assembler for the project's own contracts and tests.
//!
//! Syntax: whitespace-separated tokens; `;` starts a comment to the end of
//! the line. A token is a mnemonic from the opcode table (`ADD`, `PUSH1`),
//! a label definition (`loop:`, which emits nothing, so put a `JUMPDEST`
//! after it where it is a jump target), or an operand after a PUSH: a
//! number (`42`, `0x2a`) or a label reference (`@loop`). `PUSH` without a
//! size picks the smallest PUSH that holds the number (`PUSH0` for zero)
//! and PUSH2 for label references.

use crate::opcode::{info, op, OPCODES};
use alloy_primitives::U256;
use std::collections::HashMap;

/// Why a program did not assemble.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AsmError {
    /// A token that is neither a mnemonic nor a label definition.
    #[error("line {line}: unknown mnemonic `{token}`")]
    UnknownMnemonic {
        /// 1-based line.
        line: usize,
        /// The token.
        token: String,
    },
    /// A PUSH without an operand, or an operand that does not parse.
    #[error("line {line}: bad PUSH operand `{token}`")]
    BadOperand {
        /// 1-based line.
        line: usize,
        /// The operand.
        token: String,
    },
    /// An operand too large for its PUSH size.
    #[error("line {line}: `{token}` does not fit in {size} bytes")]
    OperandTooLarge {
        /// 1-based line.
        line: usize,
        /// The operand.
        token: String,
        /// The PUSH size.
        size: usize,
    },
    /// A reference to a label that is never defined.
    #[error("undefined label `{0}`")]
    UndefinedLabel(String),
    /// A label defined twice.
    #[error("label `{0}` defined twice")]
    DuplicateLabel(String),
}

enum Operand {
    Value(U256),
    Label(String),
}

/// Assembles `source` into bytecode.
pub fn assemble(source: &str) -> Result<Vec<u8>, AsmError> {
    let mnemonics: HashMap<&str, u8> = OPCODES.iter().flatten().map(|i| (i.name, i.code)).collect();
    let mut code = Vec::new();
    let mut labels = HashMap::new();
    // (position of the PUSH2 immediate, label, line)
    let mut fixups: Vec<(usize, String, usize)> = Vec::new();

    let tokens = source.lines().enumerate().flat_map(|(n, l)| {
        let l = l.split(';').next().unwrap_or("");
        l.split_whitespace().map(move |t| (n + 1, t))
    });
    let mut tokens = tokens.peekable();
    while let Some((line, token)) = tokens.next() {
        if let Some(label) = token.strip_suffix(':') {
            if labels.insert(label.to_string(), code.len()).is_some() {
                return Err(AsmError::DuplicateLabel(label.to_string()));
            }
            continue;
        }
        let upper = token.to_ascii_uppercase();
        let sized_push = mnemonics
            .get(upper.as_str())
            .copied()
            .filter(|&c| (op::PUSH1..=op::PUSH32).contains(&c));
        if upper == "PUSH" || sized_push.is_some() {
            let (_, arg) = tokens.next().ok_or(AsmError::BadOperand {
                line,
                token: String::new(),
            })?;
            let operand = parse_operand(arg).ok_or_else(|| AsmError::BadOperand {
                line,
                token: arg.to_string(),
            })?;
            let size = match (sized_push, &operand) {
                (Some(c), _) => info(c).map_or(0, |i| i.immediate as usize),
                (None, Operand::Label(_)) => 2,
                (None, Operand::Value(v)) => v.byte_len(),
            };
            if size == 0 {
                code.push(op::PUSH0);
                continue;
            }
            code.push(op::PUSH1 + size as u8 - 1);
            match operand {
                Operand::Value(v) => {
                    if v.byte_len() > size {
                        return Err(AsmError::OperandTooLarge {
                            line,
                            token: arg.to_string(),
                            size,
                        });
                    }
                    code.extend_from_slice(&v.to_be_bytes::<32>()[32 - size..]);
                }
                Operand::Label(name) => {
                    fixups.push((code.len(), name, size));
                    code.extend(std::iter::repeat_n(0, size));
                }
            }
            continue;
        }
        match mnemonics.get(upper.as_str()) {
            Some(&c) => code.push(c),
            None => {
                return Err(AsmError::UnknownMnemonic {
                    line,
                    token: token.to_string(),
                })
            }
        }
    }
    for (pos, name, size) in fixups {
        let target = *labels
            .get(&name)
            .ok_or_else(|| AsmError::UndefinedLabel(name.clone()))?;
        let bytes = (target as u64).to_be_bytes();
        code[pos..pos + size].copy_from_slice(&bytes[8 - size..]);
    }
    Ok(code)
}

fn parse_operand(text: &str) -> Option<Operand> {
    if let Some(label) = text.strip_prefix('@') {
        return (!label.is_empty()).then(|| Operand::Label(label.to_string()));
    }
    let value = if let Some(hex) = text.strip_prefix("0x") {
        U256::from_str_radix(hex, 16).ok()?
    } else {
        U256::from_str_radix(text, 10).ok()?
    };
    Some(Operand::Value(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_labels_and_sized_pushes() {
        let code =
            assemble("PUSH 0 ; zero\n start: JUMPDEST\n PUSH 0x1234 PUSH1 1 PUSH @start JUMP\n")
                .unwrap();
        assert_eq!(
            code,
            vec![0x5f, 0x5b, 0x61, 0x12, 0x34, 0x60, 0x01, 0x61, 0x00, 0x01, 0x56]
        );
    }

    #[test]
    fn reports_errors() {
        assert!(matches!(
            assemble("FOO"),
            Err(AsmError::UnknownMnemonic { line: 1, .. })
        ));
        assert!(matches!(
            assemble("PUSH1 0x100"),
            Err(AsmError::OperandTooLarge { .. })
        ));
        assert!(matches!(
            assemble("PUSH @nowhere"),
            Err(AsmError::UndefinedLabel(_))
        ));
        assert!(matches!(assemble("PUSH"), Err(AsmError::BadOperand { .. })));
        assert!(matches!(
            assemble("a: a:"),
            Err(AsmError::DuplicateLabel(_))
        ));
    }
}
