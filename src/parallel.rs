//! Fork-join over independent pieces of work. The checks and emitters of each domain only read the model,
//! so they run on all cores; results come back in input order, so output never depends on scheduling.

/// `f` applied to every item, each on its own scoped thread; the results in the order of `items`.
/// A panic in `f` is resumed on the calling thread, as if `f` had run there.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 || std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let running: Vec<_> = items.iter().map(|item| scope.spawn(move || f(item))).collect();
        running.into_iter().map(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
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
}
