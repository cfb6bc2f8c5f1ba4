//! The known-failures list: cases allowed to fail, each with a reason.
//!
//! One case per line: `<test name> <fork> d<i>g<j>v<k> -- <reason>`. Blank
//! lines and lines starting with `#` are ignored. A line without a reason is
//! an error: every entry must say why it is there.

use crate::report::CaseId;
use std::collections::BTreeSet;
use std::path::Path;

/// A malformed known-failures file.
#[derive(Debug, thiserror::Error)]
pub enum KnownFailuresError {
    /// The file could not be read.
    #[error("cannot read {path}: {cause}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        cause: std::io::Error,
    },
    /// A line is not `<test> <fork> d<i>g<j>v<k> -- <reason>`.
    #[error("line {line}: expected `<test> <fork> d<i>g<j>v<k> -- <reason>`")]
    Malformed {
        /// 1-based line number.
        line: usize,
    },
}

/// The set of cases allowed to fail.
#[derive(Clone, Debug, Default)]
pub struct KnownFailures {
    keys: BTreeSet<String>,
}

impl KnownFailures {
    /// The empty list.
    pub fn none() -> Self {
        KnownFailures::default()
    }

    /// Parses the list's text.
    pub fn parse(text: &str) -> Result<Self, KnownFailuresError> {
        let mut keys = BTreeSet::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let malformed = KnownFailuresError::Malformed { line: i + 1 };
            let (key, reason) = line
                .split_once(" -- ")
                .ok_or_else(|| KnownFailuresError::Malformed { line: i + 1 })?;
            let parts: Vec<&str> = key.split_whitespace().collect();
            let valid_indexes = parts
                .last()
                .is_some_and(|s| s.starts_with('d') && s.contains('g') && s.contains('v'));
            if reason.trim().is_empty() || parts.len() < 3 || !valid_indexes {
                return Err(malformed);
            }
            keys.insert(parts.join(" "));
        }
        Ok(KnownFailures { keys })
    }

    /// Reads the list from `path`.
    pub fn load(path: &Path) -> Result<Self, KnownFailuresError> {
        let text = std::fs::read_to_string(path).map_err(|cause| KnownFailuresError::Io {
            path: path.display().to_string(),
            cause,
        })?;
        Self::parse(&text)
    }

    /// The list shipped with this crate (`statetest/known-failures.txt`).
    pub fn bundled() -> Result<Self, KnownFailuresError> {
        Self::parse(include_str!("../known-failures.txt"))
    }

    /// Whether `case` is listed.
    pub fn contains(&self, case: &CaseId) -> bool {
        self.keys.contains(&case.key())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Indexes;

    #[test]
    fn parses_entries_and_rejects_missing_reasons() {
        let list = KnownFailures::parse(
            "# comment\n\nsome_test[fork_Cancun] Cancun d1g0v2 -- precompile gas differs\n",
        )
        .unwrap();
        let id = CaseId {
            file: "x.json".into(),
            test: "some_test[fork_Cancun]".into(),
            fork: "Cancun".into(),
            indexes: Indexes {
                data: 1,
                gas: 0,
                value: 2,
            },
        };
        assert!(list.contains(&id));
        assert!(!list.contains(&CaseId {
            fork: "Prague".into(),
            ..id
        }));
        assert!(KnownFailures::parse("t Cancun d0g0v0\n").is_err());
        assert!(KnownFailures::parse("t Cancun d0g0v0 --  \n").is_err());
        assert!(KnownFailures::parse("t d0g0v0 -- why\n").is_err());
    }

    #[test]
    fn bundled_list_parses() {
        KnownFailures::bundled().unwrap();
    }
}
