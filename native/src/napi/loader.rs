//! A loader handle as seen from JavaScript: an `External` owning the worker pool, a threadsafe
//! function through which workers wake the JavaScript thread, and the queue of pending promises.
//!
//! Lifetimes: the pool is shut down (threads joined) by `close()`, by the handle's GC finalizer,
//! or by an environment cleanup hook at exit, whichever comes first; the threadsafe function is
//! released only after the workers that call it have been joined. While a promise is pending the
//! handle holds a strong reference to itself and keeps the event loop alive; otherwise neither.
use super::guard;
use super::sys::*;
use super::value::*;
use crate::batch::{Batch, Core, Labels};
use crate::error::Error;
use crate::plan::Plan;
use crate::pool::Pool;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::rc::Rc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Bytes of batch memory currently owned by JavaScript ArrayBuffers.
pub static LIVE_BATCH_BYTES: AtomicI64 = AtomicI64::new(0);
const MAGIC: u64 = 0x6779_6d6e_6f73_4c44;

struct Main {
    tsfn: napi_threadsafe_function,
    pending: VecDeque<(u64, napi_deferred)>,
    next_seq: u64,
    self_ref: napi_ref,
    closed: bool,
    hook: bool,
}

struct Handle {
    magic: u64,
    pool: RefCell<Option<Pool>>,
    prefetch: u64,
    total: Option<u64>,
    main: RefCell<Main>,
}

struct SendPtr(napi_threadsafe_function);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

unsafe fn handle<'a>(env: napi_env, v: napi_value) -> Result<&'a Rc<Handle>, Error> {
    let mut p: *mut c_void = null_mut();
    let mut ty = 0i32;
    napi_typeof(env, v, &mut ty);
    if ty != 8 || napi_get_value_external(env, v, &mut p) != OK || p.is_null() {
        return Err(Error::plan("expected a loader handle returned by open()"));
    }
    let h = &*(p as *const Rc<Handle>);
    if h.magic != MAGIC {
        return Err(Error::plan("expected a loader handle returned by open()"));
    }
    Ok(h)
}

unsafe extern "C" fn call_js(env: napi_env, _f: napi_value, context: *mut c_void, _data: *mut c_void) {
    if env.is_null() || context.is_null() {
        return; // tearing down
    }
    let h = &*(context as *const Rc<Handle>);
    guard(env, || {
        drain(env, h);
        Ok(null_mut())
    });
}

unsafe extern "C" fn tsfn_finalize(_env: napi_env, _data: *mut c_void, hint: *mut c_void) {
    drop(Box::from_raw(hint as *mut Rc<Handle>));
}

unsafe extern "C" fn cleanup_hook(arg: *mut c_void) {
    let h = &*(arg as *const Handle);
    h.main.borrow_mut().hook = false;
    stop(h, None);
}

unsafe extern "C" fn finalize_handle(env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    let b = Box::from_raw(data as *mut Rc<Handle>);
    stop(&b, Some(env));
    drop(b);
}

/// Resolves pending promises, in order, whose batches are finished.
unsafe fn drain(env: napi_env, h: &Handle) {
    loop {
        let Some((seq, d)) = h.main.borrow().pending.front().copied() else { break };
        let r = match h.pool.borrow().as_ref() {
            Some(p) => p.take(seq),
            None => None,
        };
        let Some(r) = r else { break };
        h.main.borrow_mut().pending.pop_front();
        settle(env, d, r);
    }
    if h.main.borrow().pending.is_empty() {
        unhold(env, h);
    }
}

unsafe fn settle(env: napi_env, d: napi_deferred, r: Result<Batch, Error>) {
    match r {
        Ok(b) => {
            let v = batch_value(env, b);
            napi_resolve_deferred(env, d, v);
        }
        Err(e) => {
            napi_reject_deferred(env, d, error(env, &e));
        }
    }
}

unsafe fn hold(env: napi_env, h: &Handle, this: napi_value) {
    let mut m = h.main.borrow_mut();
    if m.self_ref.is_null() && !m.tsfn.is_null() {
        napi_ref_threadsafe_function(env, m.tsfn);
        napi_create_reference(env, this, 1, &mut m.self_ref);
    }
}

unsafe fn unhold(env: napi_env, h: &Handle) {
    let mut m = h.main.borrow_mut();
    if !m.self_ref.is_null() {
        if !m.tsfn.is_null() {
            napi_unref_threadsafe_function(env, m.tsfn);
        }
        napi_delete_reference(env, m.self_ref);
        m.self_ref = null_mut();
    }
}

/// Shuts the pool down and releases the threadsafe function. With `env`, also rejects pending
/// promises and drops the self-reference. Idempotent.
unsafe fn stop(h: &Handle, env: Option<napi_env>) {
    let pool = h.pool.borrow_mut().take();
    drop(pool); // joins the workers: nothing calls the threadsafe function after this
    let (tsfn, pending, hook) = {
        let mut m = h.main.borrow_mut();
        m.closed = true;
        let hook = std::mem::replace(&mut m.hook, false);
        (std::mem::replace(&mut m.tsfn, null_mut()), std::mem::take(&mut m.pending), hook)
    };
    if let Some(env) = env {
        for (_, d) in pending {
            napi_reject_deferred(env, d, error(env, &Error::closed()));
        }
        unhold(env, h);
        if hook {
            napi_remove_env_cleanup_hook(env, cleanup_hook, h as *const Handle as *mut c_void);
        }
    }
    if !tsfn.is_null() {
        napi_release_threadsafe_function(tsfn, TSFN_ABORT);
    }
}

pub unsafe extern "C" fn open(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let (argv, argc) = args::<1>(env, info);
        let text = if argc >= 1 { get_string(env, argv[0]) } else { None }
            .ok_or_else(|| Error::plan("open() expects the plan as a JSON string"))?;
        let core = Core::open(Plan::from_json(&text)?)?;
        let h = Rc::new(Handle {
            magic: MAGIC,
            pool: RefCell::new(None),
            prefetch: core.plan.prefetch as u64,
            total: core.total_batches(),
            main: RefCell::new(Main { tsfn: null_mut(), pending: VecDeque::new(), next_seq: 0, self_ref: null_mut(), closed: false, hook: false }),
        });
        let info_obj = info_value(env, &core);
        let ctx = Box::into_raw(Box::new(h.clone()));
        let mut tsfn = null_mut();
        let st = napi_create_threadsafe_function(env, null_mut(), null_mut(), string(env, "gymnos.loader"), 0, 1,
            ctx as *mut c_void, Some(tsfn_finalize), ctx as *mut c_void, Some(call_js), &mut tsfn);
        if st != OK {
            drop(Box::from_raw(ctx));
            return Err(Error::new(crate::error::code::INTERNAL, format!("napi_create_threadsafe_function failed ({st})")));
        }
        napi_unref_threadsafe_function(env, tsfn);
        h.main.borrow_mut().tsfn = tsfn;
        let ptr = SendPtr(tsfn);
        let notify = Box::new(move || {
            let p = &ptr;
            napi_call_threadsafe_function(p.0, null_mut(), TSFN_NONBLOCKING);
        });
        match Pool::start(core, notify) {
            Ok(pool) => *h.pool.borrow_mut() = Some(pool),
            Err(e) => {
                stop(&h, Some(env));
                return Err(e);
            }
        }
        napi_add_env_cleanup_hook(env, cleanup_hook, Rc::as_ptr(&h) as *mut c_void);
        h.main.borrow_mut().hook = true;
        let mut ext = null_mut();
        napi_create_external(env, Box::into_raw(Box::new(h)) as *mut c_void, Some(finalize_handle), null_mut(), &mut ext);
        let out = object(env);
        set(env, out, "handle", ext);
        set(env, out, "info", info_obj);
        Ok(out)
    })
}

unsafe fn info_value(env: napi_env, core: &Core) -> napi_value {
    let o = object(env);
    set(env, o, "rows", number(env, core.dataset.rows as f64));
    set(env, o, "shardRows", number(env, core.shard_len as f64));
    set(env, o, "batchesPerEpoch", number(env, core.batches_per_epoch as f64));
    set(env, o, "totalBatches", match core.total_batches() { Some(t) => number(env, t as f64), None => null(env) });
    let shape: Vec<f64> = core.sample_shape.iter().map(|&d| d as f64).collect();
    set(env, o, "sampleShape", array_of(env, &shape));
    let (kind, classes) = match (&core.plan.label, core.dataset.label_type) {
        (Some(l), Some(_)) if l.one_hot.is_some() => ("soft", l.one_hot.unwrap_or(0)),
        (Some(_), Some(t)) if t.is_int() => ("int32", 0),
        (Some(_), Some(_)) => ("float32", 0),
        _ => ("none", 0),
    };
    set(env, o, "labels", string(env, kind));
    set(env, o, "classes", number(env, classes as f64));
    o
}

pub unsafe extern "C" fn info(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let (argv, _) = args::<1>(env, info);
        let h = handle(env, argv[0])?;
        let pool = h.pool.borrow();
        let core = pool.as_ref().ok_or_else(Error::closed)?.core();
        Ok(info_value(env, core))
    })
}

pub unsafe extern "C" fn next(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let (argv, _) = args::<1>(env, info);
        let h = handle(env, argv[0])?;
        let mut d = null_mut();
        let mut promise = null_mut();
        napi_create_promise(env, &mut d, &mut promise);
        if h.main.borrow().closed {
            napi_reject_deferred(env, d, error(env, &Error::closed()));
            return Ok(promise);
        }
        let seq = h.main.borrow().next_seq;
        if h.total.map_or(false, |t| seq >= t) {
            napi_resolve_deferred(env, d, null(env));
            return Ok(promise);
        }
        h.main.borrow_mut().next_seq = seq + 1;
        if let Some(p) = h.pool.borrow().as_ref() {
            p.request(seq + 1 + h.prefetch);
        }
        h.main.borrow_mut().pending.push_back((seq, d));
        drain(env, h);
        if !h.main.borrow().pending.is_empty() {
            hold(env, h, argv[0]);
        }
        Ok(promise)
    })
}

/// `release(...typedArrays)`: detaches batch arrays so their memory is freed now instead of at the
/// next garbage collection. Detaching makes every view of the buffer empty, so freed memory can
/// never be read; node then runs the buffer's finalizer (our `free_buffer`) exactly once.
pub unsafe extern "C" fn release(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let (argv, argc) = args::<4>(env, info);
        for &v in argv.iter().take(argc) {
            let mut is_ta = false;
            if v.is_null() || napi_is_typedarray(env, v, &mut is_ta) != OK || !is_ta {
                continue;
            }
            let mut ab = null_mut();
            if napi_get_typedarray_info(env, v, null_mut(), null_mut(), null_mut(), &mut ab, null_mut()) != OK {
                continue;
            }
            let mut detached = false;
            napi_is_detached_arraybuffer(env, ab, &mut detached);
            if !detached {
                napi_detach_arraybuffer(env, ab);
            }
        }
        Ok(undefined(env))
    })
}

pub unsafe extern "C" fn close(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let (argv, _) = args::<1>(env, info);
        let h = handle(env, argv[0])?;
        stop(h, Some(env));
        Ok(undefined(env))
    })
}

enum Owned {
    F32(Box<[f32]>),
    I32(Box<[i32]>),
    U32(Box<[u32]>),
}

unsafe extern "C" fn free_buffer(env: napi_env, _data: *mut c_void, hint: *mut c_void) {
    let owned = Box::from_raw(hint as *mut Owned);
    let bytes = match &*owned {
        Owned::F32(b) => b.len() * 4,
        Owned::I32(b) => b.len() * 4,
        Owned::U32(b) => b.len() * 4,
    } as i64;
    drop(owned);
    LIVE_BATCH_BYTES.fetch_sub(bytes, Ordering::SeqCst);
    let mut adjusted = 0i64;
    if !env.is_null() {
        napi_adjust_external_memory(env, -bytes, &mut adjusted);
    }
}

/// A typed array over Rust-owned memory, without a copy. The memory is wrapped as an external
/// node `Buffer` (not a bare external ArrayBuffer): node marks those untransferable, so no
/// `postMessage`/`structuredClone` transfer can move the memory away from the object whose
/// finalizer frees it. Falls back to a copy where the runtime forbids external buffers.
unsafe fn typed_array(env: napi_env, owned: Owned) -> napi_value {
    let (ptr, len, ty) = match &owned {
        Owned::F32(b) => (b.as_ptr() as *mut c_void, b.len(), TYPED_FLOAT32),
        Owned::I32(b) => (b.as_ptr() as *mut c_void, b.len(), TYPED_INT32),
        Owned::U32(b) => (b.as_ptr() as *mut c_void, b.len(), 6),
    };
    let bytes = len * 4;
    let hint = Box::into_raw(Box::new(owned));
    let mut buf = null_mut();
    let mut ab = null_mut();
    let mut offset = 0usize;
    let external = len > 0
        && napi_create_external_buffer(env, bytes, ptr, Some(free_buffer), hint as *mut c_void, &mut buf) == OK
        && napi_get_typedarray_info(env, buf, null_mut(), null_mut(), null_mut(), &mut ab, &mut offset) == OK;
    if external {
        LIVE_BATCH_BYTES.fetch_add(bytes as i64, Ordering::SeqCst);
        let mut adjusted = 0i64;
        napi_adjust_external_memory(env, bytes as i64, &mut adjusted);
    } else {
        if buf.is_null() {
            drop(Box::from_raw(hint));
        }
        let mut dst: *mut c_void = null_mut();
        napi_create_arraybuffer(env, bytes, &mut dst, &mut ab);
        if bytes > 0 && !dst.is_null() {
            std::ptr::copy_nonoverlapping(ptr as *const u8, dst as *mut u8, bytes);
        }
        offset = 0;
    }
    let mut ta = null_mut();
    napi_create_typedarray(env, ty, len, ab, offset, &mut ta);
    ta
}

unsafe fn batch_value(env: napi_env, b: Batch) -> napi_value {
    let o = object(env);
    set(env, o, "epoch", number(env, b.epoch as f64));
    set(env, o, "index", number(env, b.index as f64));
    set(env, o, "size", number(env, b.size as f64));
    set(env, o, "data", typed_array(env, Owned::F32(b.data.into_boxed_slice())));
    set(env, o, "rows", typed_array(env, Owned::U32(b.rows.into_boxed_slice())));
    let labels = match b.labels {
        Labels::None => null(env),
        Labels::Int(v) => typed_array(env, Owned::I32(v.into_boxed_slice())),
        Labels::Float(v) => typed_array(env, Owned::F32(v.into_boxed_slice())),
        Labels::Soft { values, .. } => typed_array(env, Owned::F32(values.into_boxed_slice())),
    };
    set(env, o, "labels", labels);
    o
}
