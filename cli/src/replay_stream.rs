//! The transaction stream of `cevm replay`: what a node meets, in small.
//!
//! A catalogue of contracts (the built-in benchmark contracts with a few
//! sizes of `n`, and the shared benchmark contracts with their inputs) is
//! deployed as many distinct codes: the same contract with different
//! trailing metadata bytes (after a STOP, where no jump can land), as
//! compilers append metadata to every deployment. Codes are ranked by a
//! seeded shuffle and each transaction picks one with a Zipf law over the
//! ranks (a few hot codes, a long tail of cold ones), then one of its
//! contract's inputs. Contracts with long-running transactions get fewer
//! deployments than short ones, and long runners are capped in gas (they
//! run out of gas there, which is a result like any other).

use anyhow::{bail, Context, Result};
use cevm_difftest::{Entropy, Xoshiro256};
use cevm_interp::Interpreter;
use cevm_runtime::primitives::keccak256;
use cevm_runtime::state::State;
use cevm_runtime::{Address, Bytes, B256};
use cevm_statetest::shared::shared_dir;
use cevm_statetest::workload::{load_file, n_calldata, Workload, BUILTIN_CONTRACTS};
use rayon::prelude::*;
use std::path::Path;

/// The Zipf exponent of code popularity: the hottest code gets about a
/// tenth of the transactions; half of the codes get one or none.
pub const ZIPF_EXPONENT: f64 = 1.1;

/// The shared benchmark folders whose contracts join the catalogue (when
/// `../shared` is there). evmone's micro benchmarks are left out: they are
/// made to stress one thing (one is a 24 KiB run of SIGNEXTENDs that takes
/// seconds to compile), not to look like deployed contracts.
const SHARED_FOLDERS: [&str; 2] = [
    "benchmarks/contracts",
    "benchmarks/evm-benchmarks/benchmarks/main",
];

/// A contract of the catalogue: its code and the transactions calling it.
#[derive(Debug)]
pub struct Contract {
    /// Name for reports (`fibonacci`, `snailtracer`).
    pub name: String,
    /// The code every input calls at the input's target.
    pub code: Bytes,
    /// Transactions on it, each with its own pre-state (gas capped).
    pub inputs: Vec<Workload>,
    /// Mean gas its inputs use (on the interpreter, as in the catalogue).
    pub mean_gas: u64,
}

/// One deployed code: a contract with its metadata tag.
#[derive(Debug)]
pub struct Code {
    /// Index into the catalogue.
    pub contract: usize,
    /// The contract's code followed by STOP and the tag.
    pub bytes: Bytes,
    /// Its hash.
    pub hash: B256,
}

/// One transaction of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamTx {
    /// Index into [`Stream::codes`].
    pub code: usize,
    /// Index into the code's contract's inputs.
    pub input: usize,
}

/// What to build.
#[derive(Clone, Copy, Debug)]
pub struct StreamConfig {
    /// Transactions.
    pub transactions: usize,
    /// Distinct codes deployed.
    pub codes: usize,
    /// The seed of the shuffle and of the picks.
    pub seed: u64,
    /// Gas limit of every transaction at most.
    pub gas_cap: u64,
}

/// The catalogue, the deployed codes and the transactions.
#[derive(Debug)]
pub struct Stream {
    /// The contracts.
    pub contracts: Vec<Contract>,
    /// The deployed codes, hottest rank first.
    pub codes: Vec<Code>,
    /// The transactions, in order.
    pub txs: Vec<StreamTx>,
}

/// `code` deployed with metadata `tag`: a STOP (so running off the end of
/// the original code still stops) and the tag in ASCII hex (no byte is a
/// JUMPDEST, so no new jump target appears).
pub fn with_metadata(code: &[u8], tag: u64) -> Bytes {
    let mut bytes = code.to_vec();
    bytes.push(0x00);
    bytes.extend_from_slice(format!("cevm{tag:012x}").as_bytes());
    Bytes::from(bytes)
}

/// The catalogue: built-in contracts with n at 1/1000, 1/300 and 1/100 of
/// its default (tens of thousands of gas), and every call workload of the
/// shared folders (grouped by target code; several run into the gas cap).
/// Gas limits are capped at `gas_cap`; each contract's mean gas is
/// measured on the interpreter.
pub fn catalogue(gas_cap: u64) -> Result<Vec<Contract>> {
    let mut contracts = Vec::new();
    for builtin in BUILTIN_CONTRACTS {
        let base = builtin.default_workload()?;
        let inputs = [1000, 300, 100]
            .into_iter()
            .map(|div| {
                let n = (builtin.default_n / div).max(1);
                base.clone()
                    .with_input(format!("{}/{n}", builtin.name), n_calldata(n))
            })
            .collect();
        contracts.push(Contract {
            name: builtin.name.to_string(),
            code: base.code(),
            inputs,
            mean_gas: 0,
        });
    }
    let shared = shared_dir();
    for folder in SHARED_FOLDERS {
        let dir = shared.join(folder);
        if dir.is_dir() {
            add_folder(&mut contracts, &dir)?;
        }
    }
    for contract in &mut contracts {
        for input in &mut contract.inputs {
            cap_gas(input, gas_cap);
        }
    }
    contracts.par_iter_mut().try_for_each(|contract| {
        let mut total = 0;
        for input in &contract.inputs {
            total += input.run(&Interpreter::new())?.gas_used;
        }
        contract.mean_gas = total / contract.inputs.len().max(1) as u64;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(contracts)
}

/// How many of the deployed codes are a contract's, relatively: fewer
/// for contracts whose transactions burn much gas (weight 1,000 at
/// 21,000 gas, falling with the square root), so that, as on a real
/// chain, long runners are a minority of the codes.
fn deployment_weight(contract: &Contract) -> u32 {
    let ratio = contract.mean_gas.max(21_000) as f64 / 21_000.0;
    (1000.0 / ratio.sqrt()).round().max(1.0) as u32
}

/// Adds the call workloads of every JSON file in `dir`.
fn add_folder(contracts: &mut Vec<Contract>, dir: &Path) -> Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in files {
        for w in load_file(&file)? {
            if w.target().is_none() || w.code().is_empty() {
                continue;
            }
            let code = w.code();
            let name = w.name.split('/').next().unwrap_or(&w.name).to_string();
            match contracts.iter_mut().find(|c| c.code == code) {
                Some(c) => c.inputs.push(w),
                None => contracts.push(Contract {
                    name,
                    code,
                    inputs: vec![w],
                    mean_gas: 0,
                }),
            }
        }
    }
    Ok(())
}

fn cap_gas(w: &mut Workload, cap: u64) {
    w.tx.gas_limit = w.tx.gas_limit.min(cap);
}

impl Stream {
    /// Builds the stream for `config`.
    pub fn build(config: StreamConfig) -> Result<Stream> {
        if config.codes == 0 || config.transactions == 0 {
            bail!("--codes and --transactions must be at least 1");
        }
        let contracts = catalogue(config.gas_cap)?;
        let mut rng = Xoshiro256::new(config.seed);
        // Each rank gets a contract, drawn by deployment weight.
        let weights: Vec<u32> = contracts.iter().map(deployment_weight).collect();
        let codes: Vec<Code> = (0..config.codes)
            .map(|rank| {
                let contract = rng.weighted(&weights);
                let bytes = with_metadata(&contracts[contract].code, rank as u64);
                Code {
                    contract,
                    hash: keccak256(&bytes),
                    bytes,
                }
            })
            .collect();
        let popularity = Zipf::new(config.codes, ZIPF_EXPONENT);
        let txs = (0..config.transactions)
            .map(|_| {
                let code = popularity.sample(&mut rng);
                let inputs = contracts[codes[code].contract].inputs.len();
                StreamTx {
                    code,
                    input: rng.below(inputs as u64) as usize,
                }
            })
            .collect();
        Ok(Stream {
            contracts,
            codes,
            txs,
        })
    }

    /// The workload of `tx` (its pre-state still holds the undeployed code).
    pub fn workload(&self, tx: StreamTx) -> &Workload {
        &self.contracts[self.codes[tx.code].contract].inputs[tx.input]
    }

    /// The pre-state of `tx`: its workload's, with the code deployed.
    pub fn pre_state(&self, tx: StreamTx) -> State {
        let w = self.workload(tx);
        let code = &self.codes[tx.code];
        let mut state = w.pre.clone();
        let target: Address = w.target().unwrap_or_default();
        let mut account = state.account(&target).cloned().unwrap_or_default();
        account.code = code.bytes.clone();
        account.code_hash = code.hash;
        state.insert_account(target, account);
        state
    }

    /// The `n` most called codes as `contract (transactions)`.
    pub fn hottest(&self, n: usize) -> Vec<String> {
        let mut calls = vec![0usize; self.codes.len()];
        for tx in &self.txs {
            calls[tx.code] += 1;
        }
        let mut ranked: Vec<(usize, usize)> = calls.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(n)
            .map(|(code, count)| {
                let contract = &self.contracts[self.codes[code].contract];
                format!("{} ({count})", contract.name)
            })
            .collect()
    }

    /// Distinct codes the transactions call.
    pub fn codes_called(&self) -> usize {
        let mut seen = vec![false; self.codes.len()];
        for tx in &self.txs {
            seen[tx.code] = true;
        }
        seen.into_iter().filter(|s| *s).count()
    }
}

/// Ranks drawn with probability proportional to 1 / (rank + 1)^s.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|rank| {
                total += 1.0 / ((rank + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn sample(&self, rng: &mut Xoshiro256) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        // 53 random bits make a uniform float in [0, 1).
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        self.cumulative
            .partition_point(|&c| c <= u)
            .min(self.cumulative.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_keeps_behaviour_and_changes_the_hash() {
        let code = [0x60, 0x01, 0x56]; // PUSH1 1 JUMP
        let a = with_metadata(&code, 1);
        let b = with_metadata(&code, 2);
        assert_ne!(keccak256(&a), keccak256(&b));
        assert_eq!(&a[..4], &[0x60, 0x01, 0x56, 0x00]);
        assert!(!a[3..].contains(&0x5b), "no JUMPDEST in the metadata");
    }

    #[test]
    fn popularity_is_skewed_and_reproducible() {
        let zipf = Zipf::new(1000, ZIPF_EXPONENT);
        let mut rng = Xoshiro256::new(7);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[zipf.sample(&mut rng)] += 1;
        }
        // Rank 0 has about 1/H(1000, 1.1) = 16% of the draws; the tail
        // half together has well under a tenth.
        assert!((12_000..20_000).contains(&counts[0]), "{}", counts[0]);
        let tail: u32 = counts[500..].iter().sum();
        assert!(tail < 10_000, "{tail}");
        let mut again = Xoshiro256::new(7);
        assert_eq!(
            zipf.sample(&mut again),
            zipf.sample(&mut Xoshiro256::new(7))
        );
    }

    #[test]
    fn the_stream_is_deterministic_and_uses_many_codes() {
        let config = StreamConfig {
            transactions: 2000,
            codes: 500,
            seed: 3,
            gas_cap: 1_000_000,
        };
        let a = Stream::build(config).unwrap();
        let b = Stream::build(config).unwrap();
        assert_eq!(a.txs, b.txs);
        assert!(a.codes_called() > 200, "{}", a.codes_called());
        for contract in &a.contracts {
            assert!(contract.inputs.iter().all(|w| w.tx.gas_limit <= 1_000_000));
        }
        let tx = a.txs[0];
        let target = a.workload(tx).target().unwrap();
        assert_eq!(a.pre_state(tx).code(&target), a.codes[tx.code].bytes);
    }
}
