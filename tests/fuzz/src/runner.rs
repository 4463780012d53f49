//! The stable-Rust driver: replays a target's committed corpus, then mutates it (bit flips, byte
//! edits, tokens of the formats, splices of two inputs, truncations) for a time budget, with a
//! seed so a run can be repeated. A panic, or an input running for more than a minute, is saved
//! under `target/fuzz-failures/` and reported with its path and the panic message.
//!
//! Entry point: [`run`]. Without coverage feedback it explores less than `cargo fuzz`, which is
//! what grows the corpus; this one keeps every change checked against it in the test command.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bytes the formats give meaning to, inserted whole.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"\"",
    b"\\",
    b"\n",
    b"\r\n",
    b"#",
    b" ",
    b"=",
    b",",
    b":",
    b"[",
    b"]",
    b"NaN",
    b"+Inf",
    b"-Inf",
    b"# EOF\n",
    b"# TYPE ",
    b"# HELP ",
    b"# UNIT ",
    b" counter\n",
    b"_total",
    b"le=\"",
    b"1e308",
    b"-0",
    b"9223372036854775807",
    b"18446744073709551616",
    b"\xff",
    b"\xc3\x28",
    b"null",
    b"true",
    b"{\"value\":",
    b"\"status\":200",
    b"\"error\":",
    b"HTTP/1.1 ",
    b"Retry-After: ",
    b"Content-Length: ",
    b"Transfer-Encoding: chunked\r\n",
    b"Sun, 06 Nov 1994 08:49:37 GMT",
    b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
    b"\0\0\0\0",
];

/// How long one input may run before the runner calls it a hang.
const HANG: Duration = Duration::from_secs(60);

/// What a run did.
#[derive(Debug)]
pub struct Run {
    pub inputs: u64,
    pub corpus: usize,
}

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        let byte = at.min(input.len().saturating_sub(1));
        match rng.below(8) {
            0 if !input.is_empty() => input[byte] ^= 1 << rng.below(8),
            1 if !input.is_empty() => input[byte] = rng.next() as u8,
            2 => input.insert(at, rng.next() as u8),
            3 if at < input.len() => {
                let end = (at + 1 + rng.below(16)).min(input.len());
                input.drain(at..end);
            }
            4 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                input.splice(at..at, token.iter().copied());
            }
            5 if !input.is_empty() => {
                // Repeat a piece (long lines, many series).
                let start = rng.below(input.len());
                let end = (start + 1 + rng.below(64)).min(input.len());
                let piece = input[start..end].repeat(1 + rng.below(32));
                input.splice(at..at, piece);
            }
            6 => {
                let other = &corpus[rng.below(corpus.len())];
                let from = rng.below(other.len() + 1);
                input.truncate(at);
                input.extend_from_slice(&other[from..]);
            }
            _ => input.truncate(at),
        }
    }
}

fn load(target: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crate::corpus_dir(target))
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    let mut corpus: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    corpus
}

/// Saves a failing input; its path.
fn save(target: &str, input: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
    let path = dir.join(format!("{target}-{hash:016x}"));
    let _ = std::fs::write(&path, input);
    path
}

/// Replays the corpus of `name`, then mutates it for `budget`. `Err` describes the first failure.
pub fn run(name: &str, target: fn(&[u8]), budget: Duration, seed: u64) -> Result<Run, String> {
    let corpus = load(name);
    let started = Arc::new(AtomicU64::new(u64::MAX));
    let current = Arc::new(std::sync::Mutex::new(Vec::new()));
    let clock = Instant::now();
    let watchdog = {
        let (started, current, name) = (started.clone(), current.clone(), name.to_string());
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let since = started.load(Ordering::Relaxed);
                if since == u64::MAX - 1 {
                    return;
                }
                if since != u64::MAX && clock.elapsed().as_secs().saturating_sub(since) > HANG.as_secs() {
                    let path = save(&name, &current.lock().unwrap());
                    eprintln!("fuzz target {name}: an input ran over {HANG:?}, saved in {}", path.display());
                    std::process::abort();
                }
            }
        })
    };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(seed | 1);
    let mut inputs = 0u64;
    let mut check = |input: Vec<u8>| -> Result<(), String> {
        *current.lock().unwrap() = input.clone();
        started.store(clock.elapsed().as_secs(), Ordering::Relaxed);
        let outcome = catch_unwind(AssertUnwindSafe(|| target(&input)));
        started.store(u64::MAX, Ordering::Relaxed);
        inputs += 1;
        outcome.map_err(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            format!("fuzz target {name} panicked ({message}) on the input saved in {}", save(name, &input).display())
        })
    };
    let replayed: Result<(), String> = corpus.iter().try_for_each(|input| check(input.clone()));
    let deadline = Instant::now() + budget;
    let mutated = replayed.and_then(|()| {
        while Instant::now() < deadline {
            let mut input = corpus[rng.below(corpus.len())].clone();
            mutate(&mut rng, &mut input, &corpus);
            check(input)?;
        }
        Ok(())
    });
    std::panic::set_hook(hook);
    started.store(u64::MAX - 1, Ordering::Relaxed);
    let _ = watchdog.join();
    mutated.map(|()| Run { inputs, corpus: corpus.len() })
}
