//! Analysis without any UI: the derive step, aggregates, the capability
//! classifier, template fingerprints, the incident summary, and the queries behind
//! every view of the selection.

pub mod days;
pub mod derive;
pub mod detect;
pub mod graph;
pub mod prompt_model;
pub mod releases;
pub mod selection;
pub mod sql;
pub mod summary;
pub mod taxonomy;
pub mod templates;
pub mod views;
