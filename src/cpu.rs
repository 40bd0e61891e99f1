//! CPU-bound work (hashing, scanning, parsing) off the async threads, spread over the
//! machine's cores in as many blocking tasks as there are cores — not one thread per item,
//! which would cost a thread and an allocator arena for each message of a batch.

/// Applies `f` to every item on the blocking pool, in order; a panic in `f` becomes `None`
/// for that item alone (a hostile message must not take its batch-mates with it).
pub async fn map<T, R, F>(items: Vec<T>, f: F) -> Vec<Option<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> R + Send + Sync + 'static,
{
    let count = items.len();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_task = count.div_ceil(cores).max(1);
    let f = std::sync::Arc::new(f);
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(per_task).collect());
    }
    let tasks = chunks.into_iter().map(|chunk| {
        let f = f.clone();
        let len = chunk.len();
        (
            len,
            // Carried: certificate checks read the clock, and a test's clock is task-local.
            tokio::task::spawn_blocking(crate::clock::carried(move || {
                chunk
                    .into_iter()
                    .map(|t| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(t))).ok())
                    .collect::<Vec<Option<R>>>()
            })),
        )
    });
    let mut out = Vec::with_capacity(count);
    for (len, task) in tasks.collect::<Vec<_>>() {
        match task.await {
            Ok(done) => out.extend(done),
            Err(_) => out.extend((0..len).map(|_| None)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keeps_order_and_turns_panics_into_none() {
        let out = super::map((0..10).collect(), |n: i32| n * 2).await;
        assert_eq!(out, (0..10).map(|n| Some(n * 2)).collect::<Vec<_>>());
        let out = super::map(
            vec![1, 2, 3],
            |n: i32| if n == 2 { panic!("boom") } else { n },
        )
        .await;
        assert_eq!(out, vec![Some(1), None, Some(3)]);
        assert!(super::map(Vec::<i32>::new(), |n| n).await.is_empty());
    }
}
