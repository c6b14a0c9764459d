//! One error type for the whole core. Each error has a stable `code` that the Node-API shell
//! passes to JavaScript unchanged, and a message that names the file/column/plan path involved,
//! what was expected, and how to fix it.
use std::fmt;

/// Error codes crossing the boundary (stable strings; TypeScript matches on them).
pub mod code {
    /// The Arrow file is truncated, corrupt, or uses a layout the engine does not read.
    pub const ARROW: &str = "ERR_ARROW";
    /// The file cannot be opened or mapped.
    pub const IO: &str = "ERR_IO";
    /// The loader plan is invalid (bad JSON, bad value, or incompatible with the file's shapes).
    pub const PLAN: &str = "ERR_PLAN";
    /// A value in the data cannot be used (for example a label outside the one-hot range).
    pub const DATA: &str = "ERR_DATA";
    /// The loader was closed (explicitly, by an AbortSignal, or because it was collected).
    pub const CLOSED: &str = "ERR_LOADER_CLOSED";
    /// An internal invariant failed (a Rust panic caught at the boundary). Please report it.
    pub const INTERNAL: &str = "ERR_INTERNAL";
}

/// A core error: stable code plus a human message.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub code: &'static str,
    pub message: String,
}

impl Error {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
    pub fn arrow(message: impl Into<String>) -> Self {
        Error::new(code::ARROW, message)
    }
    pub fn plan(message: impl Into<String>) -> Self {
        Error::new(code::PLAN, message)
    }
    pub fn data(message: impl Into<String>) -> Self {
        Error::new(code::DATA, message)
    }
    pub fn closed() -> Self {
        Error::new(code::CLOSED, "the loader was closed; create a new loader (with a cursor to resume)")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
