//! Reading user input: hex strings and code files.

use anyhow::{bail, Context, Result};
use std::path::Path;

/// Parses hex with or without a `0x` prefix; whitespace around it is ignored.
pub fn parse_hex(what: &str, text: &str) -> Result<Vec<u8>> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if !t.len().is_multiple_of(2) {
        bail!("{what}: odd-length hex ({} digits)", t.len());
    }
    let mut out = Vec::with_capacity(t.len() / 2);
    for (i, pair) in t.as_bytes().chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            _ => bail!(
                "{what}: invalid hex digit {:?} at position {}",
                String::from_utf8_lossy(pair),
                2 * i
            ),
        }
    }
    Ok(out)
}

/// Code given either inline as hex or as a file holding hex (or raw bytes if
/// the file is not hex text).
pub fn read_code(hex: Option<&str>, file: Option<&Path>) -> Result<Vec<u8>> {
    match (hex, file) {
        (Some(h), None) => parse_hex("code", h),
        (None, Some(path)) => {
            let raw = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            match std::str::from_utf8(&raw) {
                Ok(text) => parse_hex(&format!("code in {}", path.display()), text),
                Err(_) => Ok(raw),
            }
        }
        (Some(_), Some(_)) => bail!("give the code either as HEX or with --code-file, not both"),
        (None, None) => bail!("no code: give HEX or --code-file FILE"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_errors_are_clear() {
        assert_eq!(parse_hex("x", "0x6001").unwrap(), vec![0x60, 0x01]);
        assert_eq!(parse_hex("x", " 6001\n").unwrap(), vec![0x60, 0x01]);
        assert!(parse_hex("x", "0x600")
            .unwrap_err()
            .to_string()
            .contains("odd-length"));
        assert!(parse_hex("x", "0xzz")
            .unwrap_err()
            .to_string()
            .contains("invalid hex"));
        assert!(parse_hex("x", "").unwrap().is_empty());
    }
}
