//! Service discovery: where targets come from, as label sets before relabelling.
//!
//! Each source turns the outside world into `Vec<Labels>` (one per target, `__address__` and
//! `__meta_*` labels). Only [`kubernetes`] exists so far; it must never decide what is scraped:
//! that is `relabel_configs`' job.

pub mod annotations;
pub mod kubernetes;
pub mod targets;
pub mod unformed;
