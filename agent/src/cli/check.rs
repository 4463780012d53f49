//! `scrapelet check config FILE`: every error with its line, exit 1 if any.

use std::path::Path;

use crate::config::Config;

pub fn config(file: &Path) -> i32 {
    match Config::load(file) {
        Ok(cfg) => {
            for key in &cfg.ignored {
                eprintln!("{}:{key}", file.display());
            }
            println!(
                "{}: SUCCESS: {} scrape config(s), {} remote_write endpoint(s)",
                file.display(),
                cfg.scrape_configs.len(),
                cfg.remote_write.len()
            );
            0
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{}:{e}", file.display());
            }
            eprintln!("{}: FAILED: {} error(s)", file.display(), errors.len());
            1
        }
    }
}
