//! Timing: the median of many individually timed iterations after a
//! warm-up, with an iteration count chosen so a measurement takes about a
//! fixed time budget.
//!
//! Each iteration gets a fresh input from `setup`, which runs outside the
//! timed region (so cloning a pre-state is never measured), and the
//! routine's result is dropped outside it as well (so freeing a compiled
//! contract or a final state is not measured either).

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How long to spend on one measurement and how many iterations to allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Time spent warming up before any sample is kept (at least one run).
    pub warm_up: Duration,
    /// Target time for the kept samples.
    pub measure: Duration,
    /// Fewest kept samples, unless one run takes longer than the whole
    /// budget (then the warm-up runs are the samples) or the samples take
    /// three times the budget.
    pub min_samples: usize,
    /// Most kept samples, however fast one run is.
    pub max_samples: usize,
}

impl Budget {
    /// The comparison binary's default: about half a second per backend and
    /// contract.
    pub const STANDARD: Budget = Budget {
        warm_up: Duration::from_millis(100),
        measure: Duration::from_millis(400),
        min_samples: 5,
        max_samples: 200_000,
    };

    /// A short budget for quick looks (`--quick`, `cevm bench`).
    pub const QUICK: Budget = Budget {
        warm_up: Duration::from_millis(20),
        measure: Duration::from_millis(100),
        min_samples: 3,
        max_samples: 50_000,
    };
}

/// The result of one measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Median time of one iteration, in nanoseconds.
    pub median_ns: u64,
    /// Fastest iteration, in nanoseconds.
    pub min_ns: u64,
    /// Number of kept (timed) iterations.
    pub samples: usize,
}

/// Measures a routine that may fail or panic (a compilation, say): the
/// first error or panic ends the measurement and is returned as text.
pub fn measure_fallible<R, E: std::fmt::Display>(
    budget: Budget,
    mut routine: impl FnMut() -> Result<R, E>,
) -> Result<Sample, String> {
    let mut error = None;
    let sample = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        measure(
            budget,
            || (),
            |()| {
                let result = routine();
                if let Err(e) = &result {
                    error.get_or_insert_with(|| e.to_string());
                }
                result
            },
        )
    }))
    .map_err(|p| format!("panicked: {}", crate::runner::panic_message(p.as_ref())))?;
    match error {
        Some(e) => Err(e),
        None => Ok(sample),
    }
}

/// Measures `routine` on inputs made by `setup`: warms up, then times
/// iterations one by one and returns their median. A routine slower than
/// the whole budget is not repeated: its warm-up runs are the samples.
pub fn measure<I, R>(
    budget: Budget,
    mut setup: impl FnMut() -> I,
    mut routine: impl FnMut(I) -> R,
) -> Sample {
    let mut time_one = || {
        let input = setup();
        let start = Instant::now();
        let output = routine(black_box(input));
        let elapsed = start.elapsed();
        drop(black_box(output));
        elapsed
    };

    // Warm up (caches, branch predictors, lazily compiled code) and
    // estimate the cost of one iteration from the fastest warm-up run.
    let warm_start = Instant::now();
    let mut warm_times = vec![time_one()];
    while warm_start.elapsed() < budget.warm_up {
        warm_times.push(time_one());
    }
    let fastest = warm_times.iter().copied().min().unwrap_or_default();

    let as_ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let mut times: Vec<u64> = if fastest > budget.measure {
        // One run takes longer than the whole budget: repeating it would
        // only cost time, so the warm-up runs are the samples.
        warm_times.into_iter().map(as_ns).collect()
    } else {
        let per_iteration = fastest.as_nanos().max(1);
        let wanted = budget.measure.as_nanos() / per_iteration;
        let count = usize::try_from(wanted)
            .unwrap_or(usize::MAX)
            .clamp(budget.min_samples.max(1), budget.max_samples.max(1));
        // Runs vary (a slow first estimate, a busy machine): stop at three
        // times the budget whatever the count.
        let limit = budget.measure * 3;
        let start = Instant::now();
        let mut times = Vec::with_capacity(count);
        while times.len() < count && (times.is_empty() || start.elapsed() < limit) {
            times.push(as_ns(time_one()));
        }
        times
    };
    times.sort_unstable();
    Sample {
        median_ns: median_of_sorted(&times),
        min_ns: times[0],
        samples: times.len(),
    }
}

/// The median of sorted, non-empty `times` (the mean of the middle two for
/// an even count).
fn median_of_sorted(times: &[u64]) -> u64 {
    let mid = times.len() / 2;
    if times.len() % 2 == 1 {
        times[mid]
    } else {
        (times[mid - 1] / 2) + (times[mid] / 2) + (times[mid - 1] % 2 + times[mid] % 2) / 2
    }
}

/// A duration in nanoseconds for a table: `850 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`.
pub fn format_ns(ns: u64) -> String {
    let v = ns as f64;
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", v / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", v / 1e6)
    } else {
        format!("{:.2} s", v / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median_of_sorted(&[1, 2, 9]), 2);
        assert_eq!(median_of_sorted(&[1, 3, 5, 100]), 4);
        assert_eq!(median_of_sorted(&[u64::MAX, u64::MAX]), u64::MAX);
        assert_eq!(median_of_sorted(&[7]), 7);
    }

    #[test]
    fn setup_and_count_follow_the_budget() {
        let mut setups = 0usize;
        let mut runs = 0usize;
        let budget = Budget {
            warm_up: Duration::ZERO,
            measure: Duration::from_secs(10),
            min_samples: 2,
            max_samples: 4,
        };
        let sample = measure(
            budget,
            || {
                setups += 1;
                setups
            },
            |input| {
                runs += 1;
                input
            },
        );
        // One warm-up run, then `max_samples` kept ones (each run is far
        // below the budget).
        assert_eq!(sample.samples, 4);
        assert_eq!(setups, 5);
        assert_eq!(runs, 5);
        assert!(sample.min_ns <= sample.median_ns);
    }

    #[test]
    fn fallible_measurement_reports_errors_and_panics() {
        let budget = Budget {
            warm_up: Duration::ZERO,
            measure: Duration::from_millis(1),
            min_samples: 1,
            max_samples: 3,
        };
        assert!(measure_fallible(budget, || Ok::<u8, String>(1)).is_ok());
        let err = measure_fallible(budget, || Err::<u8, _>("no code")).unwrap_err();
        assert_eq!(err, "no code");
        let panic = measure_fallible(budget, || -> Result<u8, String> { panic!("boom") });
        assert_eq!(panic.unwrap_err(), "panicked: boom");
    }

    #[test]
    fn a_routine_slower_than_the_budget_runs_once() {
        let mut runs = 0usize;
        let budget = Budget {
            warm_up: Duration::ZERO,
            measure: Duration::from_nanos(1),
            min_samples: 5,
            max_samples: 10,
        };
        let sample = measure(
            budget,
            || (),
            |()| {
                runs += 1;
                std::thread::sleep(Duration::from_millis(1));
            },
        );
        assert_eq!(runs, 1);
        assert_eq!(sample.samples, 1);
        assert!(sample.median_ns >= 1_000_000);
    }

    #[test]
    fn formats_each_unit() {
        assert_eq!(format_ns(850), "850 ns");
        assert_eq!(format_ns(12_340), "12.3 µs");
        assert_eq!(format_ns(4_560_000), "4.56 ms");
        assert_eq!(format_ns(1_230_000_000), "1.23 s");
    }
}
