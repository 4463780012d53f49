//! The `scrapelet` binary: parses the command line and hands over to `scrapelet::cli`.

use clap::Parser;

/// mimalloc instead of glibc's malloc: no per-allocation header and size-class pages, so the
/// many small per-series allocations cost less RSS, and no per-thread arena growth.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_transparent_huge_pages();
    let cli = scrapelet::cli::Cli::parse();
    std::process::exit(scrapelet::cli::main(cli));
}

/// Opts the process out of transparent huge pages. mimalloc asks for them on its arenas
/// (`MADV_HUGEPAGE`), and a 2 MiB page is resident as a whole once one byte of it is touched: at
/// 500,000 series that was 280 MB of huge pages for about 230 MB of live heap. An agent's heap is
/// many small, long-lived allocations, which gain nothing from huge pages.
fn no_transparent_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and touches no memory of ours.
    let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if rc != 0 {
        eprintln!("scrapelet: could not opt out of transparent huge pages: {}", std::io::Error::last_os_error());
    }
}
