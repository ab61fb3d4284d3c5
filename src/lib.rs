//! distillscope: find, understand and document distillation attacks on an
//! LLM API from its request logs.
//!
//! Layers, bottom up: [`store`] opens evidence read-only and keeps derived
//! data and the analyst's work in a case file; [`analysis`] computes
//! aggregates, categories and templates (no UI); [`export`] writes what
//! leaves the building; [`generate`] makes the synthetic incident; [`cli`]
//! is the headless face of all of it, and [`ui`] the desktop app.
//!
//! # Failures
//!
//! Errors are values. The storage and analysis layers return
//! [`store::error::StoreError`], which names the file and, where known, the
//! column and row. The CLI adds context with `anyhow` and prints each error
//! once, at the top, with `{err:#}`. Nothing panics on bad input: a panic is
//! a bug. Work that writes is all or nothing: case files and exports are
//! written under temporary names and renamed when complete, so a failure
//! leaves nothing that looks finished. The evidence itself is never opened
//! for writing.

pub mod analysis;
pub mod case;
pub mod cli;
pub mod export;
pub mod generate;
pub mod palette;
pub mod pipeline;
pub mod share;
pub mod store;
pub mod ui;
