//! The test command's fuzz run: each target's committed corpus replayed, then mutated for a
//! bounded time (`SCRAPELET_FUZZ_SECONDS`, default 5 s each; `SCRAPELET_FUZZ_SEED` to repeat a
//! run, default fixed). The longer runs are in `agent/README.md`, "Fuzzing" (`cargo fuzz`, or `fuzz-stable`).

use std::time::Duration;

fn bounded(name: &str) {
    let seconds = std::env::var("SCRAPELET_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let seed = std::env::var("SCRAPELET_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_f022);
    let (_, target) = scrapelet_fuzz::TARGETS.into_iter().find(|(n, _)| *n == name).expect("a target");
    let corpus = scrapelet_fuzz::corpus_dir(name);
    assert!(corpus.read_dir().is_ok_and(|mut d| d.next().is_some()), "no corpus in {}", corpus.display());
    match scrapelet_fuzz::runner::run(name, target, Duration::from_secs(seconds), seed) {
        Ok(run) => eprintln!("{name}: {} inputs from a corpus of {} (seed {seed})", run.inputs, run.corpus),
        Err(e) => panic!("{e} (seed {seed})"),
    }
}

#[test]
fn exposition_parsers_survive_fuzzing() {
    bounded("exposition");
}

#[test]
fn remote_write_responses_survive_fuzzing() {
    bounded("remote_write_response");
}

#[test]
fn jolokia_replies_survive_fuzzing() {
    bounded("jolokia_reply");
}

#[test]
fn wal_records_survive_fuzzing() {
    bounded("wal_records");
}
