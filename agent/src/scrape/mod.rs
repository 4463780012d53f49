//! Scraping: targets, one loop per target that fetches, parses and caches series, and the
//! manager that keeps the loops in step with the configured targets.

mod append;
pub mod cache;
pub mod error;
pub mod fetch;
pub mod manager;
pub mod new_series;
pub mod parse;
pub mod plugin_source;
pub mod protocols;
pub mod run;
pub mod scraper;
pub mod target;
pub mod target_limits;
#[cfg(test)]
mod tests_loop;
pub mod transforms;

pub use error::ScrapeError;
pub use manager::ScrapeManager;
pub use target::Target;
