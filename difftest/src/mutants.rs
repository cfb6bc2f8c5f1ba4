//! Mutants: small, plausible compiler bugs that measure the fuzzer.
//!
//! A mutant is a text file in `difftest/mutants/` naming a source file of
//! the repository, a snippet that must occur in it exactly once, and its
//! replacement. The mutation check (`scripts/mutation-check.sh`, the
//! `mutation-check` binary) applies each mutant to a scratch copy of the
//! repository, builds `cevm` there and runs `cevm fuzz` and the state tests
//! on it: a good fuzzer catches every mutant.
//!
//! Snippets are exact text, not line numbers, so that a mutant either
//! applies as written or is reported as stale ([`MutantError::Missing`],
//! [`MutantError::Ambiguous`]) when the code it targets changes; it is then
//! re-targeted by hand, never skipped.
//!
//! File format (`*.mutant`, UTF-8):
//!
//! ```text
//! # comment
//! name: add-carry
//! kind: lowering
//! bug: ADD drops the carry from the low into the high 128 bits
//! file: compiler/src/lower/word.rs
//! <<<<<<< find
//!     let hi = b.ins().iadd(hi, carry);
//! =======
//!     let hi = { let _ = carry; hi };
//! >>>>>>> replace
//! ```
//!
//! A file may hold several find/replace blocks (all applied to `file`).
//! `kind` groups mutants in reports: `lowering`, `analysis`, `shim`,
//! `executor`, and `optimiser` for the EVM-level passes.

use std::fmt;
use std::path::{Path, PathBuf};

/// Extension of mutant files.
pub const EXTENSION: &str = "mutant";

/// One find/replace edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// Text that must occur exactly once in the file.
    pub find: String,
    /// What it becomes.
    pub replace: String,
}

/// A planted bug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutant {
    /// Short unique name.
    pub name: String,
    /// Which part of the compiler it breaks (`lowering`, `analysis`, `shim`,
    /// `executor`, `optimiser`).
    pub kind: String,
    /// The bug in one sentence.
    pub bug: String,
    /// The source file, relative to the repository root.
    pub file: PathBuf,
    /// The edits, applied in order.
    pub edits: Vec<Edit>,
}

/// Why a mutant cannot be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum MutantError {
    /// The mutant file is malformed.
    #[error("{path}: line {line}: {message}")]
    Parse {
        /// The mutant file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The snippet does not occur: the code changed and the mutant is stale.
    #[error("mutant {name}: snippet {edit} not found in {file} (stale: re-target it)")]
    Missing {
        /// The mutant.
        name: String,
        /// 1-based index of the edit.
        edit: usize,
        /// The source file.
        file: String,
    },
    /// The snippet occurs more than once: the mutant would be ambiguous.
    #[error("mutant {name}: snippet {edit} occurs {count} times in {file} (must be exactly once)")]
    Ambiguous {
        /// The mutant.
        name: String,
        /// 1-based index of the edit.
        edit: usize,
        /// The source file.
        file: String,
        /// How often it occurs.
        count: usize,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> MutantError + '_ {
    move |source| MutantError::Io {
        path: path.display().to_string(),
        source,
    }
}

const FIND: &str = "<<<<<<< find";
const SEPARATOR: &str = "=======";
const REPLACE: &str = ">>>>>>> replace";

impl Mutant {
    /// Parses the text of a mutant file (`origin` names it in errors).
    pub fn parse(text: &str, origin: &str) -> Result<Mutant, MutantError> {
        let err = |line: usize, message: String| MutantError::Parse {
            path: origin.to_string(),
            line,
            message,
        };
        let (mut name, mut kind, mut bug, mut file) = (None, None, None, None);
        let mut edits = Vec::new();
        let mut lines = text.lines().enumerate();
        while let Some((i, line)) = lines.next() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if trimmed == FIND {
                let mut find = Vec::new();
                let mut replace = Vec::new();
                let mut in_replace = false;
                let mut closed = false;
                for (_, l) in lines.by_ref() {
                    match l {
                        SEPARATOR if !in_replace => in_replace = true,
                        REPLACE if in_replace => {
                            closed = true;
                            break;
                        }
                        _ if in_replace => replace.push(l),
                        _ => find.push(l),
                    }
                }
                if !closed {
                    return Err(err(
                        i + 1,
                        format!("unterminated block (needs {SEPARATOR} and {REPLACE})"),
                    ));
                }
                if find.is_empty() {
                    return Err(err(i + 1, "empty find snippet".into()));
                }
                edits.push(Edit {
                    find: find.join("\n"),
                    replace: replace.join("\n"),
                });
                continue;
            }
            let Some((key, value)) = trimmed.split_once(':') else {
                return Err(err(
                    i + 1,
                    format!("expected `key: value`, found `{trimmed}`"),
                ));
            };
            let value = value.trim().to_string();
            match key.trim() {
                "name" => name = Some(value),
                "kind" => kind = Some(value),
                "bug" => bug = Some(value),
                "file" => file = Some(PathBuf::from(value)),
                other => return Err(err(i + 1, format!("unknown key `{other}`"))),
            }
        }
        let missing = |what: &str| err(0, format!("missing `{what}:`"));
        let mutant = Mutant {
            name: name.ok_or_else(|| missing("name"))?,
            kind: kind.ok_or_else(|| missing("kind"))?,
            bug: bug.ok_or_else(|| missing("bug"))?,
            file: file.ok_or_else(|| missing("file"))?,
            edits,
        };
        if mutant.edits.is_empty() {
            return Err(err(0, "no find/replace block".into()));
        }
        Ok(mutant)
    }

    /// `source` with every edit applied, or why it does not apply.
    pub fn mutate(&self, source: &str) -> Result<String, MutantError> {
        let mut text = source.to_string();
        for (i, edit) in self.edits.iter().enumerate() {
            let count = text.matches(edit.find.as_str()).count();
            let file = self.file.display().to_string();
            match count {
                0 => {
                    return Err(MutantError::Missing {
                        name: self.name.clone(),
                        edit: i + 1,
                        file,
                    })
                }
                1 => text = text.replacen(edit.find.as_str(), &edit.replace, 1),
                _ => {
                    return Err(MutantError::Ambiguous {
                        name: self.name.clone(),
                        edit: i + 1,
                        file,
                        count,
                    })
                }
            }
        }
        Ok(text)
    }

    /// Applies the mutant to the tree at `root` (rewriting its file); the
    /// original text is returned so that [`restore`] can put it back.
    pub fn apply(&self, root: &Path) -> Result<String, MutantError> {
        let path = root.join(&self.file);
        let original = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        let mutated = self.mutate(&original)?;
        std::fs::write(&path, mutated).map_err(io_error(&path))?;
        Ok(original)
    }

    /// Checks that the mutant applies to the tree at `root` without writing.
    pub fn check(&self, root: &Path) -> Result<(), MutantError> {
        let path = root.join(&self.file);
        let original = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        self.mutate(&original).map(|_| ())
    }
}

/// Writes `original` back to the mutant's file under `root`.
pub fn restore(mutant: &Mutant, root: &Path, original: &str) -> Result<(), MutantError> {
    let path = root.join(&mutant.file);
    std::fs::write(&path, original).map_err(io_error(&path))
}

impl fmt::Display for Mutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {}): {}",
            self.name,
            self.kind,
            self.file.display(),
            self.bug
        )
    }
}

/// Every `*.mutant` file in `dir`, parsed, sorted by file name. Names must
/// be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<Mutant>, MutantError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_error(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
        .collect();
    paths.sort();
    let mut mutants: Vec<Mutant> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        let mutant = Mutant::parse(&text, &path.display().to_string())?;
        if mutants.iter().any(|m| m.name == mutant.name) {
            return Err(MutantError::Parse {
                path: path.display().to_string(),
                line: 0,
                message: format!("duplicate mutant name `{}`", mutant.name),
            });
        }
        mutants.push(mutant);
    }
    Ok(mutants)
}

/// The mutant directory of this repository (`difftest/mutants`).
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("mutants")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# a comment\nname: demo\nkind: lowering\nbug: one becomes two\nfile: src/x.rs\n<<<<<<< find\n    let a = 1;\n=======\n    let a = 2;\n>>>>>>> replace\n";

    #[test]
    fn parses_and_applies_exactly_once() {
        let m = Mutant::parse(SAMPLE, "demo.mutant").unwrap();
        assert_eq!(m.name, "demo");
        assert_eq!(m.file, PathBuf::from("src/x.rs"));
        assert_eq!(m.edits.len(), 1);
        assert_eq!(
            m.mutate("fn f() {\n    let a = 1;\n}\n").unwrap(),
            "fn f() {\n    let a = 2;\n}\n"
        );
    }

    #[test]
    fn stale_and_ambiguous_snippets_are_errors() {
        let m = Mutant::parse(SAMPLE, "demo.mutant").unwrap();
        assert!(matches!(
            m.mutate("let b = 1;"),
            Err(MutantError::Missing { .. })
        ));
        assert!(matches!(
            m.mutate("    let a = 1;\n    let a = 1;\n"),
            Err(MutantError::Ambiguous { count: 2, .. })
        ));
    }

    #[test]
    fn malformed_files_are_rejected() {
        assert!(Mutant::parse("name: x\n", "x").is_err());
        let unterminated = SAMPLE.replace(">>>>>>> replace\n", "");
        assert!(Mutant::parse(&unterminated, "x").is_err());
        let no_edit = "name: x\nkind: k\nbug: b\nfile: f\n";
        assert!(Mutant::parse(no_edit, "x").is_err());
        assert!(Mutant::parse(&format!("{SAMPLE}color: red\n"), "x").is_err());
    }

    #[test]
    fn every_mutant_of_the_repository_parses_and_applies() {
        // A mutant that no longer applies is stale: the code it broke has
        // changed. Re-target it (or replace it by a bug of the new code);
        // the mutation check measures the fuzzer only with a full set.
        let mutants = load_dir(&default_dir()).unwrap();
        assert!(mutants.len() >= 20, "{} mutants", mutants.len());
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let stale: Vec<String> = mutants
            .iter()
            .filter_map(|m| m.check(&root).err().map(|e| e.to_string()))
            .collect();
        assert!(stale.is_empty(), "stale mutants:\n{}", stale.join("\n"));
    }
}
