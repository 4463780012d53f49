//! The `scrapelet` command line.

fn main() {}
