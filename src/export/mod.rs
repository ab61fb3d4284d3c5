//! Exports: CSV written the one safe way.

pub mod csv;
