//! Sharing a campaign's indicators with other providers without sharing
//! customer data: what may leave the case ([`select`]), and the STIX 2.1
//! bundle it leaves in ([`stix`]).

pub mod select;
pub mod stix;

pub use select::{ShareContent, ShareKind, ShareOptions, Shareable};
