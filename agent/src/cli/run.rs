//! `scrapelet run`: the agent. Loads the config, starts remote write, the scrape loops and the
//! HTTP endpoints, reloads on SIGHUP (a bad new config keeps the old one running) and flushes on
//! SIGTERM/SIGINT.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use cap_std::fs::Dir;
use tokio::signal::unix::{SignalKind, signal};
use tracing::{error, info, warn};

use super::RunArgs;
use crate::config::Config;
use crate::discovery::kubernetes::{NodeScope, config::PodSource};
use crate::discovery::{self, targets::Discovery};
use crate::metrics;
use crate::remote_write::RemoteWriter;
use crate::scrape::ScrapeManager;
use crate::series::SeriesFactory;
use crate::server::{self, ServerState};
use crate::wal::Wal;

pub fn main(args: RunArgs) -> i32 {
    init_logging(&args.log_format);
    crate::plugin::configure(args.plugins.clone());
    // Never more workers than CPUs the process may use: std reads the cgroup quota (a
    // DaemonSet's CPU limit, rounded up), not the node's core count.
    let limit = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = usize::from(args.workers).min(limit);
    if workers < usize::from(args.workers) {
        tracing::warn!(asked = args.workers, workers, "--runtime.workers is above the CPU limit; using the limit");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime");
    tracing::info!(workers, cpu_limit = limit, "runtime started");
    match rt.block_on(agent(args)) {
        Ok(()) => 0,
        Err(e) => {
            error!(error = format!("{e:#}"), "scrapelet stopped");
            1
        }
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Colours only on a terminal: a log written to a file or a pipe gets no escape codes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if format == "json" { builder.json().init() } else { builder.init() }
}

fn load(args: &RunArgs) -> anyhow::Result<Config> {
    match &args.config {
        None => Ok(super::default_config(args.listen.port())),
        Some(path) => Config::load(path).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| format!("{}:{e}", path.display())).collect();
            anyhow::anyhow!("invalid configuration:\n{}", lines.join("\n"))
        }),
    }
}

type SharedManager = Arc<std::sync::Mutex<ScrapeManager<RemoteWriter>>>;

/// The discovery, scrape and remote-write sides of one configuration.
struct Pipeline {
    writer: Arc<RemoteWriter>,
    manager: SharedManager,
    remote_fingerprint: String,
    discovery: Discovery,
}

impl Pipeline {
    fn start(cfg: &Config, scope: Option<&NodeScope>, state: &ServerState, data: &Dir) -> anyhow::Result<Pipeline> {
        let wal = Wal::open(data, cfg.wal.clone()).context("opening the WAL")?;
        let writer = RemoteWriter::start(&cfg.remote_write, cfg.global.external_labels.clone(), wal)
            .context("starting remote write")?;
        let writer = Arc::new(writer);
        let factory = Arc::new(SeriesFactory::default());
        let manager = Arc::new(std::sync::Mutex::new(ScrapeManager::new(writer.clone(), factory)));
        let view = manager.clone();
        *state.targets.lock().unwrap() = Some(Box::new(move || view.lock().unwrap().targets()));
        let view = manager.clone();
        *state.dropped.lock().unwrap() = Some(Box::new(move || view.lock().unwrap().dropped()));
        let discovery = follow_targets(cfg, scope, manager.clone(), None);
        Ok(Pipeline { writer, manager, remote_fingerprint: remote_fingerprint(cfg), discovery })
    }

    /// A new scrape configuration with the same remote writes: unchanged targets keep running,
    /// and so do unchanged pod sources.
    fn apply(&mut self, cfg: &Config, scope: Option<&NodeScope>) {
        let previous = std::mem::replace(&mut self.discovery, Discovery::empty());
        self.discovery = follow_targets(cfg, scope, self.manager.clone(), Some(previous));
    }

    async fn stop(self, flush_deadline: Duration) {
        drop(self.discovery);
        let mut manager = std::mem::replace(
            &mut *self.manager.lock().unwrap(),
            ScrapeManager::new(self.writer.clone(), Arc::new(SeriesFactory::default())),
        );
        manager.stop_all(false).await;
        drop(manager);
        self.writer.shutdown(flush_deadline).await;
    }
}

fn remote_fingerprint(cfg: &Config) -> String {
    format!("{:?}{:?}{:?}", cfg.remote_write, cfg.global.external_labels, cfg.wal)
}

/// Starts discovery for `cfg` (keeping what of `previous` is unchanged) and a task that hands
/// every new target list to the manager.
fn follow_targets(
    cfg: &Config,
    scope: Option<&NodeScope>,
    manager: SharedManager,
    previous: Option<Discovery>,
) -> Discovery {
    crate::plugin::registry().apply(&cfg.plugins);
    let (mut discovery, mut targets) = discovery::targets::start(cfg, scope.cloned(), previous);
    let task = tokio::spawn(async move {
        loop {
            let current = targets.borrow_and_update().clone();
            manager.lock().unwrap().sync(current);
            if targets.changed().await.is_err() {
                return;
            }
        }
    });
    discovery.attach(task);
    discovery
}

/// Where pod discovery looks: this node (`--node` or `NODE_NAME`). Only needed when a job uses
/// `kubernetes_sd_configs`; for an API watch a missing node name is an error, never a cluster-wide watch.
fn node_scope(args: &RunArgs, cfg: &Config) -> anyhow::Result<Option<NodeScope>> {
    let sources = cfg.scrape_configs.iter().flat_map(|j| &j.kubernetes_sd_configs);
    let (mut any, mut api) = (false, false);
    for sd in sources {
        any = true;
        api |= matches!(sd.pod_source, PodSource::Api);
    }
    if !any {
        return Ok(None);
    }
    // The kubelet only knows its own node's pods: there a missing node name is harmless.
    Ok(Some(NodeScope::from_env(args.node.clone(), !api)?))
}

/// A static target still holding `${NAME}` names an unset variable (e.g. `NODE_IP` without the
/// downward API): it cannot be scraped (the URL is invalid), so say why once at start.
fn warn_unexpanded_targets(cfg: &crate::config::Config) {
    for job in &cfg.scrape_configs {
        let targets = job.static_configs.iter().flat_map(|g| &g.targets);
        for target in targets.filter(|t| t.contains("${")) {
            let target = crate::http_client::url::redact(target);
            warn!(job = %job.job_name, %target, "static target names an unset environment variable");
        }
    }
}

async fn agent(args: RunArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating data dir {}", args.data_dir.display()))?;
    let data = Dir::open_ambient_dir(&args.data_dir, cap_std::ambient_authority())
        .with_context(|| format!("opening data dir {}", args.data_dir.display()))?;
    let cfg = load(&args)?;
    for key in &cfg.ignored {
        warn!(key = %key, "configuration key not in effect");
    }
    warn_unexpanded_targets(&cfg);
    let state = Arc::new(ServerState::default());
    let limits = server::Limits {
        max_connections: args.max_connections as usize,
        header_timeout: args.read_timeout.min(Duration::from_secs(10)),
        idle_timeout: args.read_timeout,
    };
    let (addr, _server) = server::serve(args.listen, state.clone(), limits)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    info!(%addr, jobs = cfg.scrape_configs.len(), remotes = cfg.remote_write.len(), "scrapelet started");
    let scope = node_scope(&args, &cfg)?;
    let mut pipeline = Pipeline::start(&cfg, scope.as_ref(), &state, &data)?;
    state.ready.store(true, Ordering::Relaxed);
    let (mut hup, mut term, mut int) =
        (signal(SignalKind::hangup())?, signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?);
    loop {
        tokio::select! {
            _ = hup.recv() => pipeline = reload(&args, pipeline, &state, &data).await?,
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    // Drain: not ready any more, scrapes stop, the queues flush until the deadline (the
    // endpoints keep answering meanwhile); a second signal ends the wait, the WAL keeps the rest.
    state.ready.store(false, Ordering::Relaxed);
    info!(deadline = ?args.flush_deadline, "shutting down: flushing remote write");
    tokio::select! {
        _ = pipeline.stop(args.flush_deadline) => {}
        _ = term.recv() => warn!("second SIGTERM: exiting now; unsent samples stay in the WAL"),
        _ = int.recv() => warn!("second SIGINT: exiting now; unsent samples stay in the WAL"),
    }
    Ok(())
}

async fn reload(args: &RunArgs, mut pipeline: Pipeline, state: &ServerState, data: &Dir) -> anyhow::Result<Pipeline> {
    let cfg = match load(args) {
        Ok(c) => c,
        Err(e) => {
            metrics::get().config_reloads.with(&["failure"]).inc();
            error!(error = format!("{e:#}"), "reload failed; keeping the running configuration");
            return Ok(pipeline);
        }
    };
    let scope = match node_scope(args, &cfg) {
        Ok(s) => s,
        Err(e) => {
            metrics::get().config_reloads.with(&["failure"]).inc();
            error!(error = format!("{e:#}"), "reload failed; keeping the running configuration");
            return Ok(pipeline);
        }
    };
    metrics::get().config_reloads.with(&["success"]).inc();
    if remote_fingerprint(&cfg) == pipeline.remote_fingerprint {
        pipeline.apply(&cfg, scope.as_ref());
        info!("configuration reloaded");
        return Ok(pipeline);
    }
    info!("remote_write changed: restarting the pipeline");
    pipeline.stop(args.flush_deadline).await;
    Pipeline::start(&cfg, scope.as_ref(), state, data)
}
