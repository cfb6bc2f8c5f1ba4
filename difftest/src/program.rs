//! Programs as lists of items, assembled to bytecode on demand.
//!
//! Jump targets are symbolic ([`Item::PushLabel`] refers to an
//! [`Item::Label`]) so that the minimizer can delete items and the jumps
//! still land on their JUMPDESTs; a reference to a deleted label becomes a
//! jump to an offset past the end of the code (an invalid jump), which is
//! what any constant jump into removed code would be.

use cevm_runtime::opcode::{self, op};
use std::collections::HashMap;
use std::fmt::Write;

/// One element of a program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    /// An opcode without immediate data.
    Op(u8),
    /// A PUSH of exactly these bytes: PUSH0 for none, PUSHn for n (1..=32).
    Push(Vec<u8>),
    /// A PUSH2 of the offset of a label.
    PushLabel(u32),
    /// A JUMPDEST that `PushLabel` items with the same id refer to.
    Label(u32),
    /// A position (no byte) that `PushLabel` items may refer to: a jump
    /// target that is not a JUMPDEST.
    Mark(u32),
    /// Bytes copied verbatim (random code, truncated pushes, ...).
    Raw(Vec<u8>),
}

impl Item {
    /// A PUSH of `value`'s minimal big-endian bytes (PUSH0 for zero).
    pub fn push_u64(value: u64) -> Item {
        let bytes = value.to_be_bytes();
        let first = bytes.iter().position(|&b| b != 0).unwrap_or(8);
        Item::Push(bytes[first..].to_vec())
    }

    /// A PUSH of the 32-byte big-endian `word`, trimmed of leading zeros.
    pub fn push_word(word: &[u8; 32]) -> Item {
        let first = word.iter().position(|&b| b != 0).unwrap_or(32);
        Item::Push(word[first..].to_vec())
    }

    /// Encoded size in bytes.
    pub fn len(&self) -> usize {
        match self {
            Item::Op(_) | Item::Label(_) => 1,
            Item::Mark(_) => 0,
            Item::Push(bytes) => 1 + bytes.len(),
            Item::PushLabel(_) => 3,
            Item::Raw(bytes) => bytes.len(),
        }
    }

    /// Whether the item encodes to nothing (an empty `Raw`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A contract's code as items.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Program {
    /// The items in order.
    pub items: Vec<Item>,
}

impl Program {
    /// A program of `items`.
    pub fn new(items: Vec<Item>) -> Self {
        Program { items }
    }

    /// A program that is exactly `bytes`.
    pub fn raw(bytes: Vec<u8>) -> Self {
        Program {
            items: vec![Item::Raw(bytes)],
        }
    }

    /// The bytecode.
    pub fn assemble(&self) -> Vec<u8> {
        let mut offsets: HashMap<u32, usize> = HashMap::new();
        let mut pc = 0usize;
        for item in &self.items {
            if let Item::Label(id) | Item::Mark(id) = item {
                offsets.entry(*id).or_insert(pc);
            }
            pc += item.len();
        }
        let total = pc;
        let mut code = Vec::with_capacity(total);
        for item in &self.items {
            match item {
                Item::Op(byte) => code.push(*byte),
                Item::Push(bytes) => {
                    // A push of more than 32 bytes cannot be built by the generator;
                    // clamp rather than emit a different opcode.
                    let bytes = &bytes[..bytes.len().min(32)];
                    code.push(op::PUSH0 + bytes.len() as u8);
                    code.extend_from_slice(bytes);
                }
                Item::PushLabel(id) => {
                    // A deleted label: the first offset past the code, never a JUMPDEST.
                    let target = offsets.get(id).copied().unwrap_or(total).min(0xffff);
                    code.push(op::PUSH2);
                    code.extend_from_slice(&(target as u16).to_be_bytes());
                }
                Item::Label(_) => code.push(op::JUMPDEST),
                Item::Mark(_) => {}
                Item::Raw(bytes) => code.extend_from_slice(bytes),
            }
        }
        code
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A readable listing, one item per line (labels by id).
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            let _ = match item {
                Item::Op(byte) => writeln!(out, "{}", opcode::name(*byte)),
                Item::Push(bytes) if bytes.is_empty() => writeln!(out, "PUSH0"),
                Item::Push(bytes) => writeln!(out, "PUSH{} 0x{}", bytes.len(), hex(bytes)),
                Item::PushLabel(id) => writeln!(out, "PUSH2 @L{id}"),
                Item::Label(id) => writeln!(out, "L{id}: JUMPDEST"),
                Item::Mark(id) => writeln!(out, "L{id}:"),
                Item::Raw(bytes) => writeln!(out, "RAW 0x{}", hex(bytes)),
            };
        }
        out
    }
}

/// Lower-case hex without a prefix.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_labels_and_pushes() {
        let p = Program::new(vec![
            Item::PushLabel(1),
            Item::Op(op::JUMP),
            Item::push_u64(0),
            Item::push_u64(0x1234),
            Item::Label(1),
            Item::Op(op::STOP),
        ]);
        assert_eq!(
            p.assemble(),
            vec![0x61, 0x00, 0x08, 0x56, 0x5f, 0x61, 0x12, 0x34, 0x5b, 0x00]
        );
    }

    #[test]
    fn marks_are_targets_without_a_byte() {
        let p = Program::new(vec![
            Item::PushLabel(2),
            Item::Op(op::JUMP),
            Item::Mark(2),
            Item::Op(op::STOP),
        ]);
        assert_eq!(p.assemble(), vec![0x61, 0x00, 0x04, 0x56, 0x00]);
        assert_eq!(p.listing(), "PUSH2 @L2\nJUMP\nL2:\nSTOP\n");
    }

    #[test]
    fn deleted_label_points_past_the_end() {
        let p = Program::new(vec![Item::PushLabel(9), Item::Op(op::JUMP)]);
        assert_eq!(p.assemble(), vec![0x61, 0x00, 0x04, 0x56]);
    }

    #[test]
    fn listing_names_opcodes() {
        let p = Program::new(vec![Item::push_u64(1), Item::Op(op::ADD), Item::Label(3)]);
        assert_eq!(p.listing(), "PUSH1 0x01\nADD\nL3: JUMPDEST\n");
    }
}
