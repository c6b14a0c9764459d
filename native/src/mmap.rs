//! Read-only memory map of a whole file, with `mmap`/`munmap`/`madvise` declared by hand (std only).
//!
//! The mapping is private and read-only. `release_resident` drops the mapped pages from this
//! process's resident set (they stay in the page cache and fault back in on the next read), which
//! keeps RSS bounded while streaming files larger than memory.
use crate::error::{code, Error, Result};
use std::ffi::c_void;
use std::fs::File;
use std::os::fd::AsRawFd;

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> i32;
    fn madvise(addr: *mut c_void, len: usize, advice: i32) -> i32;
}

const PROT_READ: i32 = 1;
const MAP_PRIVATE: i32 = 2;
#[cfg(target_os = "linux")]
const MADV_DONTNEED: i32 = 4;
#[cfg(not(target_os = "linux"))]
const MADV_DONTNEED: i32 = 4; // same value on macOS and the BSDs

/// A read-only mapping of a file. Unmapped on drop.
pub struct Mmap {
    ptr: *mut u8,
    len: usize,
}

// The mapping is immutable for its whole life; sharing read-only views across threads is sound.
unsafe impl Send for Mmap {}
unsafe impl Sync for Mmap {}

impl Mmap {
    /// Maps `path` read-only. Empty files are rejected (they cannot be Arrow files).
    pub fn open(path: &str) -> Result<Mmap> {
        let file = File::open(path)
            .map_err(|e| Error::new(code::IO, format!("cannot open Arrow file '{path}': {e}")))?;
        let len = file
            .metadata()
            .map_err(|e| Error::new(code::IO, format!("cannot stat Arrow file '{path}': {e}")))?
            .len();
        if len == 0 {
            return Err(Error::arrow(format!(
                "Arrow file '{path}' is empty (0 bytes); expected an Arrow IPC file starting with ARROW1"
            )));
        }
        let len = usize::try_from(len)
            .map_err(|_| Error::new(code::IO, format!("Arrow file '{path}' is too large to map")))?;
        // SAFETY: a fresh read-only private mapping of a file we hold open; checked for MAP_FAILED.
        let ptr = unsafe { mmap(std::ptr::null_mut(), len, PROT_READ, MAP_PRIVATE, file.as_raw_fd(), 0) };
        if ptr as isize == -1 || ptr.is_null() {
            let e = std::io::Error::last_os_error();
            return Err(Error::new(code::IO, format!("cannot memory-map Arrow file '{path}': {e}")));
        }
        Ok(Mmap { ptr: ptr as *mut u8, len })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: ptr/len describe a live read-only mapping owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Drops resident pages of the mapping (they are re-read from the page cache on access).
    /// Safe while other threads read: the mapping is private and never written.
    pub fn release_resident(&self) {
        // SAFETY: the range is exactly our mapping.
        unsafe {
            madvise(self.ptr as *mut c_void, self.len, MADV_DONTNEED);
        }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: unmapping the mapping we created; no borrows outlive self.
        unsafe {
            munmap(self.ptr as *mut c_void, self.len);
        }
    }
}
