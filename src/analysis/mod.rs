//! Analysis without any UI: the derive step, aggregates, the capability
//! classifier, template fingerprints and the incident summary.

pub mod derive;
pub mod sql;
pub mod summary;
pub mod taxonomy;
pub mod templates;
