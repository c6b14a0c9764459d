//! The running loader: one persistent pool of worker threads (not libuv's), a job queue of batch
//! numbers kept `prefetch` ahead of the consumer, and a map of finished batches. Consumers either
//! block (`wait`, for Rust tests and benchmarks) or poll (`take`) after the `notify` callback fires
//! (the Node-API shell turns it into a threadsafe-function call that resolves promises on the
//! JavaScript thread).
use crate::batch::{Batch, Core};
use crate::error::{code, Error, Result};
use crate::image::Scratch;
use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Live worker threads in this process (all loaders); observable from tests.
pub static LIVE_THREADS: AtomicUsize = AtomicUsize::new(0);
/// Live loaders (pools not yet shut down) in this process.
pub static LIVE_LOADERS: AtomicUsize = AtomicUsize::new(0);

/// Called by a worker after it stores a finished batch (on the worker's thread).
pub type Notify = Box<dyn Fn() + Send + Sync>;

struct State {
    queue: VecDeque<u64>,
    ready: HashMap<u64, Result<Batch>>,
    submitted: u64,
    closed: bool,
}

struct Inner {
    core: Arc<Core>,
    state: Mutex<State>,
    cv: Condvar,
    cancel: AtomicBool,
    notify: Notify,
}

/// A running loader. Dropping it shuts the pool down.
pub struct Pool {
    inner: Arc<Inner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    down: AtomicBool,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    /// Starts `core.plan.threads` workers and queues the first `prefetch` batches.
    pub fn start(core: Core, notify: Notify) -> Result<Pool> {
        let threads = core.plan.threads;
        let prefetch = core.plan.prefetch as u64;
        let inner = Arc::new(Inner {
            core: Arc::new(core),
            state: Mutex::new(State { queue: VecDeque::new(), ready: HashMap::new(), submitted: 0, closed: false }),
            cv: Condvar::new(),
            cancel: AtomicBool::new(false),
            notify,
        });
        let pool = Pool { inner, threads: Mutex::new(Vec::new()), down: AtomicBool::new(false) };
        LIVE_LOADERS.fetch_add(1, Ordering::SeqCst);
        for i in 0..threads {
            let inner = pool.inner.clone();
            LIVE_THREADS.fetch_add(1, Ordering::SeqCst);
            let spawned = std::thread::Builder::new().name(format!("gymnos-loader-{i}")).spawn(move || {
                worker(&inner);
                LIVE_THREADS.fetch_sub(1, Ordering::SeqCst);
            });
            match spawned {
                Ok(h) => pool.threads.lock().unwrap_or_else(|e| e.into_inner()).push(h),
                Err(e) => {
                    LIVE_THREADS.fetch_sub(1, Ordering::SeqCst);
                    pool.shutdown();
                    return Err(Error::new(code::INTERNAL, format!("cannot spawn loader thread: {e}")));
                }
            }
        }
        pool.request(prefetch);
        Ok(pool)
    }

    pub fn core(&self) -> &Core {
        &self.inner.core
    }

    /// Makes sure batches `0..upto` (capped at the total) have been queued.
    pub fn request(&self, upto: u64) {
        let upto = match self.inner.core.total_batches() {
            Some(t) => upto.min(t),
            None => upto,
        };
        let mut st = lock(&self.inner.state);
        if st.closed {
            return;
        }
        while st.submitted < upto {
            let s = st.submitted;
            st.queue.push_back(s);
            st.submitted += 1;
        }
        drop(st);
        self.inner.cv.notify_all();
    }

    /// Takes batch `seq` if it is finished.
    pub fn take(&self, seq: u64) -> Option<Result<Batch>> {
        lock(&self.inner.state).ready.remove(&seq)
    }

    /// Blocks until batch `seq` is finished (queues it and its prefetch window if needed).
    pub fn wait(&self, seq: u64) -> Result<Batch> {
        self.request(seq + 1 + self.inner.core.plan.prefetch as u64);
        let mut st = lock(&self.inner.state);
        loop {
            if let Some(r) = st.ready.remove(&seq) {
                return r;
            }
            if st.closed {
                return Err(Error::closed());
            }
            st = self.inner.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Stops the workers (they finish or abandon their current sample) and joins them.
    /// Idempotent; never called from a worker.
    pub fn shutdown(&self) {
        self.inner.cancel.store(true, Ordering::SeqCst);
        {
            let mut st = lock(&self.inner.state);
            st.closed = true;
            st.queue.clear();
            st.ready.clear();
        }
        self.inner.cv.notify_all();
        let handles: Vec<_> = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for h in handles {
            let _ = h.join();
        }
        lock(&self.inner.state).ready.clear();
        if !self.down.swap(true, Ordering::SeqCst) {
            LIVE_LOADERS.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Number of finished batches waiting to be taken.
    pub fn ready_count(&self) -> usize {
        lock(&self.inner.state).ready.len()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn worker(inner: &Inner) {
    let mut scratch = Scratch::default();
    loop {
        let seq = {
            let mut st = lock(&inner.state);
            loop {
                if st.closed {
                    return;
                }
                if let Some(s) = st.queue.pop_front() {
                    break s;
                }
                st = inner.cv.wait(st).unwrap_or_else(|e| e.into_inner());
            }
        };
        let (epoch, index) = inner.core.locate(seq);
        let result = catch_unwind(AssertUnwindSafe(|| inner.core.build_batch(epoch, index, &inner.cancel, &mut scratch)))
            .unwrap_or_else(|p| {
                let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
                scratch = Scratch::default();
                Err(Error::new(code::INTERNAL, format!("internal error while building batch {index} of epoch {epoch}: {msg}; please report this")))
            });
        {
            let mut st = lock(&inner.state);
            if st.closed {
                return;
            }
            st.ready.insert(seq, result);
        }
        inner.cv.notify_all();
        (inner.notify)();
    }
}
