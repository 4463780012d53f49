//! `cargo run --release -p scrapelet-fuzz --bin fuzz-stable -- [TARGET...] [--seconds N] [--seed S]`:
//! the stable mutation runner for longer than the test command's bounded run (every target when
//! none is named; default 60 s each, seed from the clock).

use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut names, mut seconds, mut seed) = (Vec::new(), 60u64, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).expect("--seconds N"),
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()),
            name => names.push(name.to_string()),
        }
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    let mut failed = false;
    for (name, target) in scrapelet_fuzz::TARGETS {
        if !names.is_empty() && !names.iter().any(|n| n == name) {
            continue;
        }
        match scrapelet_fuzz::runner::run(name, target, Duration::from_secs(seconds), seed) {
            Ok(run) => println!("{name}: {} inputs from a corpus of {} (seed {seed}): ok", run.inputs, run.corpus),
            Err(e) => {
                println!("{name}: FAILED (seed {seed}): {e}");
                failed = true;
            }
        }
    }
    std::process::exit(i32::from(failed));
}
