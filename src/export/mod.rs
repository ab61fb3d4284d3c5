//! What leaves the building: CSV written the one safe way, and evidence
//! packs (CSV files, drafted timeline, charts, manifest) that a reviewer
//! can verify.

pub mod charts;
pub mod manifest;
pub mod narrative;
pub mod pack;
pub mod svg;
