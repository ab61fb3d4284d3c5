//! Storage: opening evidence read-only, the case file, checks against the
//! data contract, importers for real log formats, and the query worker.

pub mod case;
pub mod country;
pub mod csv;
pub mod error;
pub mod fingerprint;
pub mod import;
pub mod ipdb;
pub mod load;
pub mod mapping;
pub mod normalize;
pub mod progress;
pub mod recognise;
pub mod runner;
pub mod schema;
pub mod source;
pub mod worker;
