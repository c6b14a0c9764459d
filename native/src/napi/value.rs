//! Small helpers converting Rust values and errors to JavaScript.
use super::sys::*;
use crate::error::Error;
use std::ffi::{c_char, c_void, CString};
use std::ptr::null_mut;

pub unsafe fn undefined(env: napi_env) -> napi_value {
    let mut v = null_mut();
    napi_get_undefined(env, &mut v);
    v
}

pub unsafe fn null(env: napi_env) -> napi_value {
    let mut v = null_mut();
    napi_get_null(env, &mut v);
    v
}

pub unsafe fn string(env: napi_env, s: &str) -> napi_value {
    let mut v = null_mut();
    napi_create_string_utf8(env, s.as_ptr() as *const c_char, s.len(), &mut v);
    v
}

pub unsafe fn number(env: napi_env, n: f64) -> napi_value {
    let mut v = null_mut();
    napi_create_double(env, n, &mut v);
    v
}

pub unsafe fn object(env: napi_env) -> napi_value {
    let mut v = null_mut();
    napi_create_object(env, &mut v);
    v
}

pub unsafe fn set(env: napi_env, obj: napi_value, key: &str, value: napi_value) {
    let k = CString::new(key).expect("property names have no NUL");
    napi_set_named_property(env, obj, k.as_ptr(), value);
}

pub unsafe fn array_of(env: napi_env, items: &[f64]) -> napi_value {
    let mut a = null_mut();
    napi_create_array_with_length(env, items.len(), &mut a);
    for (i, x) in items.iter().enumerate() {
        napi_set_element(env, a, i as u32, number(env, *x));
    }
    a
}

/// A JavaScript Error with `code` set.
pub unsafe fn error(env: napi_env, e: &Error) -> napi_value {
    let mut v = null_mut();
    napi_create_error(env, string(env, e.code), string(env, &e.message), &mut v);
    v
}

pub unsafe fn throw(env: napi_env, e: &Error) -> napi_value {
    let mut pending = false;
    napi_is_exception_pending(env, &mut pending);
    if !pending {
        napi_throw(env, error(env, e));
    }
    null_mut()
}

/// Reads a string argument.
pub unsafe fn get_string(env: napi_env, v: napi_value) -> Option<String> {
    let mut len = 0usize;
    if napi_get_value_string_utf8(env, v, null_mut(), 0, &mut len) != OK {
        return None;
    }
    let mut buf = vec![0u8; len + 1];
    let mut written = 0usize;
    if napi_get_value_string_utf8(env, v, buf.as_mut_ptr() as *mut c_char, len + 1, &mut written) != OK {
        return None;
    }
    buf.truncate(written);
    String::from_utf8(buf).ok()
}

/// Up to N arguments of the current call.
pub unsafe fn args<const N: usize>(env: napi_env, info: napi_callback_info) -> ([napi_value; N], usize) {
    let mut argv = [null_mut(); N];
    let mut argc = N;
    napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), null_mut(), null_mut::<*mut c_void>());
    (argv, argc)
}
