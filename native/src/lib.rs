//! Gymnos native data engine.
//!
//! A pure Rust core (Arrow IPC reader, loader plan, augmentation pipeline, batch assembly and a
//! persistent worker pool), tested with `cargo test`, behind a thin Node-API shell (`napi/`)
//! that only converts values and errors. Depends on the Rust standard library only.
pub mod arrow;
pub mod batch;
pub mod dataset;
pub mod error;
pub mod flatbuf;
pub mod image;
pub mod json;
pub mod mmap;
pub mod plan;
pub mod pool;
pub mod rng;

#[cfg(all(feature = "node", not(test)))]
mod napi;

#[cfg(test)]
mod tests;
