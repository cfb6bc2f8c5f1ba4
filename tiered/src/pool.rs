//! [`Pool`]: the background compiler threads and their bounded queue.
//!
//! Loads from the persistent cache go first (they take a millisecond and
//! make code native sooner); among compilations the code with the most
//! interpreted gas per byte goes first (see [`priority`]). A full queue
//! takes a new compilation only in place of a lower-priority waiting one.

use crate::table::{CodeEntry, Tier};
use cevm_runtime::Bytes;
use std::cell::Cell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// What a compiler thread is asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobKind {
    /// The persistent cache holds the code: load it (rebuild it if the
    /// entry is unusable).
    Load,
    /// The code became hot: compile it (or load it, if another process
    /// put it in the cache meanwhile).
    Compile,
    /// The code's cache entry is unusable: compile it and replace the entry.
    Rebuild,
}

/// One code to make native.
pub(crate) struct Job {
    pub kind: JobKind,
    pub entry: Arc<CodeEntry>,
    pub code: Bytes,
}

/// What [`Pool::submit`] did with a job.
pub(crate) enum Submitted {
    /// Queued.
    Queued,
    /// Queued in place of this colder job (its entry is counting again).
    Displaced,
    /// Not queued: the queue is full of hotter jobs (its entry is counting
    /// again).
    Full,
}

struct Queue {
    jobs: Vec<Job>,
    /// Jobs being worked on.
    busy: usize,
    shutdown: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Signalled when a job arrives or at shutdown.
    work: Condvar,
    /// Signalled when a job finishes.
    done: Condvar,
    capacity: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

thread_local! {
    static IS_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is one of a pool's compiler threads.
pub(crate) fn on_worker_thread() -> bool {
    IS_WORKER.with(Cell::get)
}

/// Background threads running jobs from a bounded queue.
pub(crate) struct Pool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `workers` threads at niceness `nice`, each running `run` on
    /// the jobs it takes.
    pub(crate) fn start(
        workers: usize,
        capacity: usize,
        nice: i32,
        run: Arc<dyn Fn(Job) + Send + Sync>,
    ) -> std::io::Result<Pool> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: Vec::with_capacity(capacity),
                busy: 0,
                shutdown: false,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
            capacity,
        });
        let mut pool = Pool {
            shared,
            threads: Vec::with_capacity(workers),
        };
        for i in 0..workers {
            let shared = pool.shared.clone();
            let run = run.clone();
            let thread = std::thread::Builder::new()
                .name(format!("cevm-compile-{i}"))
                .spawn(move || {
                    IS_WORKER.with(|w| w.set(true));
                    lower_priority(nice);
                    worker_loop(&shared, run.as_ref());
                })?;
            // On a spawn error, dropping `pool` stops the threads started.
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// Queues `job` unless the queue is full of hotter work.
    pub(crate) fn submit(&self, job: Job) -> Submitted {
        let mut queue = self.shared.lock();
        if queue.shutdown {
            job.entry.defer();
            return Submitted::Full;
        }
        let mut outcome = Submitted::Queued;
        if queue.jobs.len() >= self.shared.capacity {
            let coldest = queue
                .jobs
                .iter()
                .enumerate()
                .min_by_key(|(_, j)| priority(j))
                .map(|(i, j)| (i, priority(j)));
            match coldest {
                Some((i, p)) if p < priority(&job) => {
                    let displaced = queue.jobs.swap_remove(i);
                    displaced.entry.defer();
                    outcome = Submitted::Displaced;
                }
                _ => {
                    job.entry.defer();
                    return Submitted::Full;
                }
            }
        }
        queue.jobs.push(job);
        drop(queue);
        self.shared.work.notify_one();
        outcome
    }

    /// Blocks until no job is queued or running.
    pub(crate) fn wait_idle(&self) {
        let mut queue = self.shared.lock();
        while !queue.jobs.is_empty() || queue.busy > 0 {
            queue = self
                .shared
                .done
                .wait(queue)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Jobs waiting and running.
    pub(crate) fn pending(&self) -> usize {
        let queue = self.shared.lock();
        queue.jobs.len() + queue.busy
    }
}

impl Drop for Pool {
    /// Drops the waiting jobs and waits for the running ones to finish.
    fn drop(&mut self) {
        {
            let mut queue = self.shared.lock();
            queue.shutdown = true;
            for job in queue.jobs.drain(..) {
                job.entry.set_tier(Tier::Counting);
            }
        }
        self.shared.work.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn worker_loop(shared: &Shared, run: &(dyn Fn(Job) + Send + Sync)) {
    loop {
        let job = {
            let mut queue = shared.lock();
            loop {
                if queue.shutdown {
                    return;
                }
                if let Some(i) = next_job(&queue.jobs) {
                    queue.busy += 1;
                    break queue.jobs.swap_remove(i);
                }
                queue = shared.work.wait(queue).unwrap_or_else(|p| p.into_inner());
            }
        };
        // `run` reports its own failures; a panic (a bug) must not kill
        // the thread or leave the pool counting it busy.
        let entry = job.entry.clone();
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(job))).is_err() {
            entry.set_tier(Tier::Failed);
        }
        shared.lock().busy -= 1;
        shared.done.notify_all();
    }
}

/// Bytes of code that cost as much to compile as the fixed cost of a
/// compilation (about 0.4 ms, at 10–30 µs per byte).
const FIXED_COST_BYTES: u64 = 32;

/// How much a job is worth running: loads first; a compilation by the gas
/// its code burnt on the interpreter per byte of code, which is what
/// compiling it saves per unit of compile time (compile time grows with
/// code length).
fn priority(job: &Job) -> u64 {
    match job.kind {
        JobKind::Load => u64::MAX,
        JobKind::Compile | JobKind::Rebuild => {
            job.entry.gas() / (job.code.len() as u64 + FIXED_COST_BYTES)
        }
    }
}

/// The job to run next: the one of highest [`priority`].
fn next_job(jobs: &[Job]) -> Option<usize> {
    jobs.iter()
        .enumerate()
        .max_by_key(|(_, j)| priority(j))
        .map(|(i, _)| i)
}

/// Adds `nice` to the calling thread's niceness (Linux: niceness is per
/// thread; elsewhere this does nothing).
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice != 0 {
        // SAFETY: plain system calls about the calling thread's own id. A
        // refusal (a container forbidding it) leaves the priority as is.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            let current = libc::getpriority(libc::PRIO_PROCESS, tid);
            libc::setpriority(libc::PRIO_PROCESS, tid, (current + nice).clamp(-20, 19));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

#[cfg(test)]
mod tests {
    use super::*;
    use cevm_runtime::{SpecId, B256};

    fn job(kind: JobKind, tag: u8, gas: u64) -> Job {
        let entry = Arc::new(CodeEntry::new((B256::repeat_byte(tag), SpecId::Prague)));
        entry.add_gas(gas);
        entry.set_tier(Tier::Queued);
        Job {
            kind,
            entry,
            code: Bytes::new(),
        }
    }

    fn queued_tags(pool: &Pool) -> Vec<u8> {
        let mut tags: Vec<u8> = pool
            .shared
            .lock()
            .jobs
            .iter()
            .map(|j| j.entry.key.0[0])
            .collect();
        tags.sort();
        tags
    }

    #[test]
    fn a_full_queue_keeps_the_hottest_and_loads() {
        // No threads: jobs stay queued, so the queue can be inspected.
        let pool = Pool::start(0, 2, 0, Arc::new(|_| {})).unwrap();
        assert!(matches!(
            pool.submit(job(JobKind::Compile, 1, 100)),
            Submitted::Queued
        ));
        assert!(matches!(
            pool.submit(job(JobKind::Compile, 2, 300)),
            Submitted::Queued
        ));
        let cold = job(JobKind::Compile, 3, 50);
        let cold_entry = cold.entry.clone();
        assert!(matches!(pool.submit(cold), Submitted::Full));
        assert_eq!(cold_entry.tier(), Tier::Counting, "refused: counting again");
        assert!(!cold_entry.due(99, 1), "not before twice its gas");
        assert!(cold_entry.due(100, 1));
        let hot = job(JobKind::Compile, 4, 200);
        assert!(matches!(pool.submit(hot), Submitted::Displaced));
        assert_eq!(queued_tags(&pool), vec![2, 4]);
        assert!(matches!(
            pool.submit(job(JobKind::Load, 5, 0)),
            Submitted::Displaced
        ));
        assert_eq!(queued_tags(&pool), vec![2, 5]);
        let jobs = &pool.shared.lock().jobs;
        assert_eq!(
            jobs[next_job(jobs).unwrap()].entry.key.0[0],
            5,
            "loads first"
        );
    }

    #[test]
    fn workers_run_every_job_and_wait_idle_sees_them_done() {
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = done.clone();
        let pool = Pool::start(
            2,
            64,
            0,
            Arc::new(move |_| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }),
        )
        .unwrap();
        for tag in 0..20 {
            pool.submit(job(JobKind::Compile, tag, u64::from(tag)));
        }
        pool.wait_idle();
        assert_eq!(done.load(std::sync::atomic::Ordering::SeqCst), 20);
        assert_eq!(pool.pending(), 0);
    }
}
