//! The `scrapelet` binary: parses the command line and hands over to `scrapelet::cli`.

use clap::Parser;

/// mimalloc instead of glibc's malloc: no per-allocation header and size-class pages, so the
/// many small per-series allocations cost less RSS, and no per-thread arena growth.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = scrapelet::cli::Cli::parse();
    std::process::exit(scrapelet::cli::main(cli));
}
