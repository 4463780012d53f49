//! Scraping: one loop per target fetches, parses and caches series, and hands batches on.

pub mod parse;
