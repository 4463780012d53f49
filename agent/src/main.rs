//! The `scrapelet` binary: parses the command line and hands over to `scrapelet::cli`.

use clap::Parser;

/// jemalloc instead of glibc's malloc or mimalloc: of the three it holds the least memory beyond
/// the agent's live heap (mostly freed pages it keeps until its decay returns them), without
/// glibc's per-chunk headers and extra CPU, at mimalloc's CPU.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main` (`_RJEM_MALLOC_CONF` in the environment still
/// overrides them). One arena, not four per CPU: the agent's threads allocate and free the same
/// kinds of objects, and every arena kept its own partly used pages and metadata. Thread caches
/// only for objects up to 4 KiB, not 32 KiB: each thread kept freed connection buffers of its
/// own. Freed pages go back to the kernel after 2 s, not 10 s; at 0 s every freed page went back
/// at once and cost CPU. Each option lowered the resident memory without costing CPU
/// (`tests/bench/README.md` has the figures).
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &[u8; 46] = b"narenas:1,tcache_max:4096,dirty_decay_ms:2000\0";

fn main() {
    no_transparent_huge_pages();
    raise_open_files_limit();
    let cli = scrapelet::cli::Cli::parse();
    std::process::exit(scrapelet::cli::main(cli));
}

/// Opts the process out of transparent huge pages. Allocators ask for them on their arenas
/// (`MADV_HUGEPAGE`; mimalloc did), and a 2 MiB page is resident as a whole once one byte of it
/// is touched, so a heap of scattered small allocations can be mostly untouched huge pages. An
/// agent's heap is many small, long-lived allocations, which gain nothing from huge pages.
fn no_transparent_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes plain integer arguments and touches no memory of ours.
    let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    if rc != 0 {
        eprintln!("scrapelet: could not opt out of transparent huge pages: {}", std::io::Error::last_os_error());
    }
}

/// Raises the soft limit on open files to the hard limit, as Go programs (Prometheus, vmagent)
/// do at start: container runtimes often leave the soft limit at 1,024, and plugin calls alone
/// may hold `limits.handles` × `--plugin.max-calls` (1,024 by default) next to the WAL's files
/// and the scrape connections.
fn raise_open_files_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit read and write only the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
