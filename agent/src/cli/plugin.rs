//! `scrapelet plugin check FILE.wasm` (which world, exports, imports, contract version) and
//! `scrapelet plugin run FILE.wasm` (an exporter against a captured payload, or a transform
//! against series read from a file), with the sandbox and limits of the agent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::PluginConfig;
use crate::config::yaml;
use crate::labels::Labels;
use crate::plugin::{Fetch, Limits, Loaded, World, exporter, load_file, transform};

/// `plugin run` options.
#[derive(clap::Args, Debug)]
pub struct RunPluginArgs {
    /// The plugin (`.wasm` component).
    pub file: PathBuf,
    /// The plugin's configuration: the YAML that would sit under `config:` (passed to init as JSON).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Exporters: every fetch the plugin makes is answered with this file's content (HTTP 200).
    #[arg(long)]
    pub payload: Option<PathBuf>,
    /// Exporters: fetch from this live target instead (`host:port`, or `http(s)://host:port`).
    #[arg(long, conflicts_with = "payload")]
    pub target: Option<String>,
    /// A directory the plugin reads at `/data` (read-only), as `data_dir:` in the agent.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Content type of the payload.
    #[arg(long, default_value = "application/json")]
    pub content_type: String,
    /// Transforms: label sets to rewrite, one `{__name__="m",a="b"}` per line.
    #[arg(long)]
    pub series: Option<PathBuf>,
    /// A target label for exporters, `name=value` (repeatable).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// Time limit of the call.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Memory limit, e.g. 64MiB.
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    pub memory: u64,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    yaml::parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration such as 10s"))
}

fn parse_size(s: &str) -> Result<u64, String> {
    yaml::parse_size(s).ok_or_else(|| format!("{s:?} is not a size such as 64MiB"))
}

/// `plugin check`: exit 0 and a description if the file is a loadable plugin.
pub fn check(file: &Path) -> i32 {
    match load(file, serde_json::Value::Null, Limits::default(), None) {
        Ok(l) => {
            let i = &l.inspection;
            println!("{}: scrapelet:plugin@{} {} world", file.display(), i.version, i.world.name());
            println!("sha256:  {}", l.sha256);
            println!("exports: {}", i.exports.join(", "));
            println!("imports: {}", i.imports.join(", "));
            0
        }
        Err(e) => {
            eprintln!("scrapelet plugin check: {}: {e}", file.display());
            1
        }
    }
}

fn load(file: &Path, config: serde_json::Value, limits: Limits, data_dir: Option<PathBuf>) -> Result<Loaded, String> {
    let decl = PluginConfig { name: "cli".into(), path: file.into(), sha256: None, data_dir, limits, config };
    load_file(&decl)
}

/// `plugin run`: prints the exposition (exporter) or one verdict per series (transform).
pub fn run(args: &RunPluginArgs) -> i32 {
    // The plugin's own warnings (the jmx plugin's "no rule matched ...") go to stderr.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
    match run_inner(args) {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(e) => {
            eprintln!("scrapelet plugin run: {e}");
            1
        }
    }
}

fn run_inner(args: &RunPluginArgs) -> Result<String, String> {
    let config = match &args.config {
        None => serde_json::Value::Null,
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            yaml::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?.to_json()
        }
    };
    let limits = Limits { memory: args.memory, output: 64 << 20, ..Limits::default() };
    let loaded = load(&args.file, config, limits, args.data_dir.clone())?;
    match loaded.world() {
        World::Exporter => run_exporter(&loaded, args),
        World::Transform => run_transform(&loaded, args),
    }
}

fn run_exporter(loaded: &Loaded, args: &RunPluginArgs) -> Result<String, String> {
    // Live fetches drive the agent's HTTP client from this (blocking) thread; a worker thread
    // runs the runtime's I/O and timers (a current-thread runtime's handle cannot).
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build();
    let runtime = runtime.map_err(|e| e.to_string())?;
    let fetch = match (&args.payload, &args.target) {
        (Some(p), _) => Fetch::Replay {
            body: Arc::new(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?),
            content_type: args.content_type.clone(),
        },
        (None, Some(target)) => live(target, args.timeout, runtime.handle().clone())?,
        (None, None) => Fetch::Denied,
    };
    let mut labels = Vec::new();
    if let Some(t) = &args.target {
        let address = t.split_once("://").map_or(t.as_str(), |(_, rest)| rest).trim_end_matches('/');
        labels.push(("__address__".to_string(), address.to_string()));
    }
    for l in &args.labels {
        let (n, v) = l.split_once('=').ok_or_else(|| format!("--label {l:?}: expected name=value"))?;
        labels.push((n.to_string(), v.to_string()));
    }
    let state = crate::plugin::CallState::exporter(Default::default(), loaded.limits.state);
    let out = exporter::collect(loaded, &labels, "cli", args.timeout, fetch, state).map_err(|e| e.to_string())?;
    String::from_utf8(out.body).map_err(|e| format!("the exposition is not UTF-8: {e}"))
}

/// Fetches to a live target, with the agent's client (no redirects) and the call's timeout.
fn live(target: &str, timeout: Duration, handle: tokio::runtime::Handle) -> Result<Fetch, String> {
    let base = if target.contains("://") { target.to_string() } else { format!("http://{target}") };
    let cfg = crate::http_client::HttpClientConfig { follow_redirects: false, ..Default::default() };
    let client = crate::http_client::HttpClient::new(&cfg).map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + timeout;
    Ok(Fetch::Target { client, base: base.trim_end_matches('/').to_string(), deadline, limit: 256 << 20, handle })
}

fn run_transform(loaded: &Loaded, args: &RunPluginArgs) -> Result<String, String> {
    let path = args.series.as_ref().ok_or("a transform needs --series FILE")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let sets: Vec<Labels> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| super::relabel::parse_series(l.trim()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let batch = sets.iter().map(|s| s.iter().map(|l| (l.name.clone(), l.value.clone())).collect()).collect();
    let verdicts = transform::rewrite(loaded, batch, "cli", args.timeout).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for (set, v) in sets.iter().zip(verdicts) {
        out.push_str(&describe(set, &v));
        out.push('\n');
    }
    Ok(out)
}

fn describe(set: &Labels, v: &transform::Verdict) -> String {
    let show = |pairs: &Vec<(String, String)>| Labels::from_pairs(pairs.iter().cloned()).to_string();
    match v {
        transform::Verdict::Keep => format!("keep    {set}"),
        transform::Verdict::Drop => format!("drop    {set}"),
        transform::Verdict::Rewrite(l) => format!("rewrite {set} -> {}", show(l)),
        transform::Verdict::Rescale { factor, labels } => {
            let to = labels.as_ref().map_or_else(|| set.to_string(), show);
            format!("rescale {set} -> {to} x{factor}")
        }
    }
}
