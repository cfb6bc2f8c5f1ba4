#!/usr/bin/env bash
# Measures the differential fuzzer with planted compiler bugs.
#
# Each mutant of difftest/mutants/ is applied to a scratch copy of this
# repository ($TMPDIR/cevm-mutation-check unless --scratch is given; the
# working tree is never changed), cevm is built there, `cevm fuzz` runs
# with a fixed seed and budget until its first mismatch, and the state
# tests run with --backend both. Prints one line per mutant and a markdown
# table (difftest/FINDINGS.md keeps the latest). Exit code 1 if a mutant is
# stale, does not build or is not caught.
#
#   scripts/mutation-check.sh                      # all mutants, seed 1, 2,000 programs
#   scripts/mutation-check.sh --mutant add-carry   # one mutant
#   scripts/mutation-check.sh --check              # only: does every mutant still apply?
#   scripts/mutation-check.sh --help
#
# The first run builds the copy from scratch (as long as a clean release
# build); later mutants rebuild incrementally (one to a few minutes each).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --quiet -p cevm-difftest --bin mutation-check -- "$@"
