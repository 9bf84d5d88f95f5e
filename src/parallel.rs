//! Fork-join over independent pieces of work. The checks and emitters of each domain only read the model,
//! so they run on all cores; results come back in input order, so output never depends on scheduling.
//!
//! The workers are started once and kept for the process (one per core beside the caller's thread):
//! a compile forks a dozen times, and threads started for each fork each took fresh memory of their own
//! from the allocator, while kept workers reuse what their earlier pieces freed (fresh memory is much of
//! what a compile costs).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

type Panic = Box<dyn std::any::Any + Send + 'static>;

/// `f` applied to every item, by the calling thread and the pool's workers, each pulling the next item until
/// none is left; the results in the order of `items`. A panic in `f` is resumed on the calling thread, as if
/// `f` had run there. Calls may nest (a piece of work may itself call `map`): the caller always works
/// through its own items, so a nested call finishes even when every worker is busy.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if cores().min(items.len()) < 2 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            let result = f(item);
            *lock(&slots[i]) = Some(result);
        }
    };
    if let Some(panic) = pool().run(&work) {
        std::panic::resume_unwind(panic);
    }
    // Every index below `items.len()` was taken by a thread that stored its result before taking another,
    // and no thread panicked.
    slots.into_iter().filter_map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner)).collect()
}

/// How many threads [`map`] runs on at most: the cores this process may use.
pub fn cores() -> usize {
    // Asked once: the answer reads the process's CPU limits (cgroup files), and a check asks several times.
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Every lock here guards state that is whole between statements, so one a panicking thread left is sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The kept workers and the calls they may help with.
struct Pool {
    state: Mutex<State>,
    /// A call was queued.
    queued: Condvar,
    /// A worker left a call.
    left: Condvar,
}

#[derive(Default)]
struct State {
    /// Calls whose items may not all be taken yet, oldest first.
    calls: VecDeque<Arc<Call>>,
}

/// One [`map`] call as the workers see it.
struct Call {
    /// The caller's loop over its items, with its lifetime erased: `Pool::run` does not return before every
    /// worker that entered the call has left it and the call is out of the queue, so nothing runs it after
    /// the borrow ends.
    work: &'static (dyn Fn() + Sync),
    /// Workers inside `work` (changed under the pool's lock only).
    inside: AtomicUsize,
    /// The first panic a worker caught in `work`.
    panic: Mutex<Option<Panic>>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<&'static Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            state: Mutex::new(State::default()),
            queued: Condvar::new(),
            left: Condvar::new(),
        }));
        for n in 1..cores() {
            // A worker that cannot be started leaves its share to the others and the caller.
            let _ = std::thread::Builder::new().name(format!("strata-worker-{n}")).spawn(move || pool.serve());
        }
        pool
    })
}

impl Pool {
    /// Runs `work` on the calling thread and on every worker that is free, and returns once all are done
    /// with it, with the first panic any of them hit.
    fn run(&self, work: &(dyn Fn() + Sync)) -> Option<Panic> {
        // SAFETY: the erased borrow is only called by workers that entered the call (`serve`), and this
        // function returns only after the call has left the queue (so no worker can enter it again) and
        // every worker inside has left it (`inside` is back to 0), both observed under the lock that
        // entering takes. `work` outlives this function, so it outlives every call of it.
        let erased: &'static (dyn Fn() + Sync) =
            unsafe { std::mem::transmute::<&(dyn Fn() + Sync), &'static (dyn Fn() + Sync)>(work) };
        let call = Arc::new(Call { work: erased, inside: AtomicUsize::new(0), panic: Mutex::new(None) });
        lock(&self.state).calls.push_back(call.clone());
        self.queued.notify_all();
        let own = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).err();
        let mut state = lock(&self.state);
        state.calls.retain(|c| !Arc::ptr_eq(c, &call));
        while call.inside.load(Ordering::Acquire) > 0 {
            state = self.left.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        drop(state);
        own.or_else(|| lock(&call.panic).take())
    }

    /// A worker's life: help with the oldest queued call until its items are all taken, then the next.
    fn serve(&self) {
        let mut state = lock(&self.state);
        loop {
            let Some(call) = state.calls.front().cloned() else {
                state = self.queued.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            };
            call.inside.fetch_add(1, Ordering::AcqRel);
            drop(state);
            if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call.work)) {
                lock(&call.panic).get_or_insert(panic);
            }
            state = lock(&self.state);
            // `work` returns when no item is left (or it panicked): nothing more to help with in this call.
            state.calls.retain(|c| !Arc::ptr_eq(c, &call));
            call.inside.fetch_sub(1, Ordering::AcqRel);
            self.left.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_input() {
        let items: Vec<u64> = (0..64).collect();
        let out = super::map(&items, |i| {
            std::thread::sleep(std::time::Duration::from_micros(64 - i));
            i * 2
        });
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    /// Calls nest (checks run emit beside them, and emit forks again) and run from several threads at once
    /// (the tests, a session), and each gets exactly its own results.
    #[test]
    fn nested_and_concurrent_calls_each_get_their_results() {
        let outer: Vec<u64> = (0..8).collect();
        std::thread::scope(|s| {
            let callers: Vec<_> = (0..4u64)
                .map(|c| {
                    let outer = &outer;
                    s.spawn(move || {
                        super::map(outer, |&o| {
                            let inner: Vec<u64> = (0..16).collect();
                            super::map(&inner, |&i| c * 1000 + o * 100 + i).iter().sum::<u64>()
                        })
                    })
                })
                .collect();
            for (c, caller) in callers.into_iter().enumerate() {
                let got = caller.join().expect("no panic");
                let want: Vec<u64> =
                    outer.iter().map(|o| (0..16).map(|i| c as u64 * 1000 + o * 100 + i).sum()).collect();
                assert_eq!(got, want);
            }
        });
    }

    /// A panic in one item reaches the caller, and the pool goes on serving later calls.
    #[test]
    fn a_panic_reaches_the_caller_and_the_pool_goes_on() {
        let items: Vec<u32> = (0..32).collect();
        let caught = std::panic::catch_unwind(|| super::map(&items, |&i| if i == 17 { panic!("item 17") } else { i }));
        let message = caught.expect_err("the panic is resumed");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"item 17"));
        assert_eq!(super::map(&items, |&i| i + 1), (1..33).collect::<Vec<_>>());
    }
}
