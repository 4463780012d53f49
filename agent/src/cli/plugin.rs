//! `scrapelet plugin check FILE.wasm` (which world, exports, imports, contract version) and
//! `scrapelet plugin run FILE.wasm` (an exporter against a captured payload or a live target, or a
//! transform against series read from a file), on the agent's plugin pool with its sandbox and
//! limits, and checked as the agent checks: an exposition the agent would fail to scrape, or a
//! transform's invalid label name or non-finite factor, is an error (exit 1).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::executor::block_on;

use crate::config::PluginConfig;
use crate::config::yaml;
use crate::labels::Labels;
use crate::plugin::exporter::CollectRequest;
use crate::plugin::{CallState, Fetch, Limits, Loaded, World, exporter, load_file, registry};
use crate::scrape::parse::Format;
use crate::scrape::scraper::Scraper;
use crate::scrape::target::Target;
use crate::series::SeriesFactory;

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
    /// Transforms: the series to give the plugin: a saved exposition (a `/metrics` page:
    /// comments, values and timestamps are read and ignored), or one `name{a="b"}` (or
    /// `{__name__="m",a="b"}`) per line.
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
    /// Exporters: a file holding the target's state (`host.state-get`); a successful call's new
    /// state is written back to it, so repeated runs see what the agent's scrapes would.
    #[arg(long)]
    pub state: Option<PathBuf>,
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

fn decl(file: &Path, config: serde_json::Value, limits: Limits, data_dir: Option<PathBuf>) -> PluginConfig {
    PluginConfig { name: plugin_name(file), path: file.into(), sha256: None, data_dir, limits, config }
}

/// The name the plugin runs under, in its log lines and errors: its file name without `.wasm`
/// (in the agent, its `name:` under `plugins:`).
fn plugin_name(file: &Path) -> String {
    file.file_stem().map_or_else(|| "plugin".into(), |s| s.to_string_lossy().into_owned())
}

fn load(file: &Path, config: serde_json::Value, limits: Limits, data_dir: Option<PathBuf>) -> Result<Loaded, String> {
    load_file(&decl(file, config, limits, data_dir))
}

/// `plugin run`: prints the exposition (exporter) or one verdict per series (transform); exit 1
/// if the call fails or its output would fail the agent's scrape.
pub fn run(args: &RunPluginArgs) -> i32 {
    // The plugin's log lines (and the agent's about it) go to stderr, as in the agent's log.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).try_init();
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
    let decl = decl(&args.file, config, limits, args.data_dir.clone());
    let name = decl.name.clone();
    let loaded = load_file(&decl)?;
    let world = loaded.world();
    registry().insert(decl, loaded);
    let loaded = registry().get(&name).map_err(|e| e.to_string())?;
    match world {
        World::Exporter => run_exporter(loaded, args),
        World::Transform => {
            let path = args.series.as_ref().ok_or("a transform needs --series FILE")?;
            super::plugin_transform::run(&name, path, args.timeout)
        }
    }
}

fn run_exporter(loaded: Arc<Loaded>, args: &RunPluginArgs) -> Result<String, String> {
    let fetch = match (&args.payload, &args.target) {
        (Some(p), _) => Fetch::Replay {
            body: Arc::new(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?),
            content_type: args.content_type.clone(),
        },
        (None, Some(target)) => live(target, args.timeout)?,
        (None, None) => Fetch::Denied,
    };
    let mut labels = Vec::new();
    let address = args.target.as_deref().map(|t| t.split_once("://").map_or(t, |(_, rest)| rest).trim_end_matches('/'));
    labels.push(("__address__".to_string(), address.unwrap_or("127.0.0.1:9").to_string()));
    for l in &args.labels {
        let (n, v) = l.split_once('=').ok_or_else(|| format!("--label {l:?}: expected name=value"))?;
        labels.push((n.to_string(), v.to_string()));
    }
    let stored = match &args.state {
        Some(p) if p.exists() => std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
        _ => Vec::new(),
    };
    let state = CallState::exporter(Arc::new(stored), loaded.limits.state);
    // What the plugin's log lines name as their target.
    let target = match (&args.payload, address) {
        (Some(p), _) => p.display().to_string(),
        (None, a) => a.unwrap_or("no target").to_string(),
    };
    let req = CollectRequest { labels: labels.clone(), target, fetch, state };
    let out = block_on(exporter::collect(loaded, req, args.timeout)).map_err(|e| e.to_string())?;
    if let (Some(p), Some(new)) = (&args.state, &out.state) {
        std::fs::write(p, new).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let text = String::from_utf8(out.body).map_err(|e| format!("the exposition is not UTF-8: {e}"))?;
    print!("{text}"); // shown even when the check below fails it
    check_exposition(&text, &labels)?;
    Ok(String::new())
}

/// Scrapes `text` as the agent would scrape it for a target with `labels` (a job with
/// Prometheus' defaults): what fails that scrape fails the run.
fn check_exposition(text: &str, labels: &[(String, String)]) -> Result<(), String> {
    let job = Arc::new(super::scrape::ad_hoc_job());
    let target = Target::from_labels(&job, Labels::from_pairs(labels.iter().cloned()))
        .map_err(|e| format!("target labels: {e}"))?
        .ok_or("the target labels are dropped by the default job")?;
    let mut scraper = Scraper::new(target, Arc::new(SeriesFactory::default()));
    let (_, _, error) = block_on(scraper.process(Ok((text.as_bytes(), Format::Text)), 1, Duration::ZERO));
    error.map_or(Ok(()), |e| Err(format!("the agent would fail this scrape: {e}")))
}

/// Fetches to a live target, with the agent's client (no redirects) and the call's timeout.
fn live(target: &str, timeout: Duration) -> Result<Fetch, String> {
    let base = if target.contains("://") { target.to_string() } else { format!("http://{target}") };
    let cfg = crate::http_client::HttpClientConfig { follow_redirects: false, ..Default::default() };
    let client = crate::http_client::HttpClient::new(&cfg).map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + timeout;
    Ok(Fetch::Target { client, base: base.trim_end_matches('/').to_string(), deadline, limit: 256 << 20 })
}
