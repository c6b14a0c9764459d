//! The Node-API shell: converts values and errors, nothing else. Exports
//! `open(planJson) -> handle`, `info(handle)`, `next(handle) -> Promise<batch | null>`,
//! `close(handle)`, `release(...arrays)`, `stats()` and `version`. See `src/native/binding.ts` for the typed view.
mod loader;
mod sys;
mod value;

use crate::error::{code, Error};
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;
use sys::*;
use value::*;

/// Runs `f`, turning a panic into a thrown JavaScript error (last-resort safety net).
pub(crate) unsafe fn guard(env: napi_env, f: impl FnOnce() -> Result<napi_value, Error>) -> napi_value {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => throw(env, &e),
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            throw(env, &Error::new(code::INTERNAL, format!("internal error in gymnos native addon: {msg}; please report this")))
        }
    }
}

unsafe extern "C" fn stats(env: napi_env, _info: napi_callback_info) -> napi_value {
    guard(env, || {
        use std::sync::atomic::Ordering::SeqCst;
        let o = object(env);
        set(env, o, "liveLoaders", number(env, crate::pool::LIVE_LOADERS.load(SeqCst) as f64));
        set(env, o, "liveThreads", number(env, crate::pool::LIVE_THREADS.load(SeqCst) as f64));
        set(env, o, "liveBatchBytes", number(env, loader::LIVE_BATCH_BYTES.load(SeqCst) as f64));
        Ok(o)
    })
}

unsafe fn export(env: napi_env, exports: napi_value, name: &str, f: napi_callback) {
    let mut func = null_mut();
    napi_create_function(env, name.as_ptr() as *const c_char, name.len(), f, null_mut(), &mut func);
    set(env, exports, name, func);
}

/// Module entry point, found by node under this well-known symbol.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    export(env, exports, "open", loader::open);
    export(env, exports, "info", loader::info);
    export(env, exports, "next", loader::next);
    export(env, exports, "close", loader::close);
    export(env, exports, "release", loader::release);
    export(env, exports, "stats", stats);
    set(env, exports, "version", string(env, env!("CARGO_PKG_VERSION")));
    exports
}
