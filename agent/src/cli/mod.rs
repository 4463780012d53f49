//! The command line: `run`, `check config`, `scrape`, `relabel`, `discover`, `plugin`. Users and scripts rely on these
//! names and flags; change them only compatibly.

mod check;
mod default_config;
mod discover;
mod plugin;
mod plugin_new;
mod plugin_transform;
pub mod relabel;
mod run;
mod scrape;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use default_config::default_config;

#[derive(Parser, Debug)]
#[command(name = "scrapelet", version, about = "Per-node metrics agent: scrape, relabel, remote write")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the agent.
    Run(RunArgs),
    /// Validate files.
    Check {
        #[command(subcommand)]
        what: CheckCommand,
    },
    /// Scrape one URL once and print the samples that would be sent, `up` included.
    Scrape {
        url: String,
        /// Take the job's settings (relabelling, limits, auth) from this config...
        #[arg(long, requires = "job")]
        config: Option<PathBuf>,
        /// ...and this job in it.
        #[arg(long, requires = "config")]
        job: Option<String>,
    },
    /// Print the targets pod discovery forms from a PodList, before and after relabelling.
    Discover {
        /// A Kubernetes `PodList` (or one `Pod`), JSON or YAML.
        #[arg(long)]
        pods: PathBuf,
        /// Only the pods on this node (default: every pod in the file).
        #[arg(long)]
        node: Option<String>,
        /// The configuration whose `kubernetes_sd_configs` jobs apply (default: the embedded one).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// WebAssembly plugins: inspect one, or run it against captured input.
    Plugin {
        #[command(subcommand)]
        what: PluginCommand,
    },
    /// Apply relabel rules to label sets read from stdin, one `{name="value",...}` per line.
    Relabel {
        /// A YAML list of relabel configs (what sits under `relabel_configs:`).
        #[arg(long)]
        rules: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Configuration file (Prometheus-compatible YAML). Without it, the embedded default.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory for the agent's on-disk state.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Address of the agent's own HTTP endpoints (/metrics, /-/healthy, /-/ready).
    #[arg(long = "web.listen-address", default_value = "0.0.0.0:9271")]
    pub listen: SocketAddr,
    /// Open connections to those endpoints at most (never above a quarter of the open-file
    /// limit); when full, a new one replaces the connection idle the longest.
    #[arg(long = "web.max-connections", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// A connection idle this long is closed (a request's headers get at most 10 s, or this if shorter).
    #[arg(long = "web.read-timeout", default_value = "1m", value_parser = parse_duration_arg)]
    pub read_timeout: std::time::Duration,
    /// On SIGTERM, how long to keep sending what is queued before exiting (the rest stays in
    /// the WAL). Set it a little under the pod's terminationGracePeriodSeconds.
    #[arg(long = "storage.remote.flush-deadline", default_value = "10s", value_parser = parse_duration_arg)]
    pub flush_deadline: std::time::Duration,
    /// This node's name, for pod discovery (default: `$NODE_NAME`, set from the downward API).
    #[arg(long)]
    pub node: Option<String>,
    /// Log format: `text` or `json`.
    #[arg(long = "log.format", default_value = "text")]
    pub log_format: String,
    /// Threads that run scrapes, remote writes and the HTTP endpoints (plugin calls and disk
    /// syncs run on threads of their own). One does several million samples a second, far
    /// beyond a node's targets; more only add wakeups between threads (more CPU a sample). Never
    /// more than the CPU limit (the cgroup quota, rounded up).
    #[arg(long = "runtime.workers", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
    /// The plugin pool (`--plugin.threads`, `--plugin.max-calls`, `--plugin.memory-limit`).
    #[command(flatten)]
    pub plugins: crate::plugin::PoolSettings,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum PluginCommand {
    /// Write a new plugin crate (exporter or transform) that builds on its own.
    New(plugin_new::NewPluginArgs),
    /// Load a plugin; print its world, exports, imports and contract version.
    Check { file: PathBuf },
    /// Run an exporter against a captured payload, or a transform against series from a file.
    Run(plugin::RunPluginArgs),
}

#[derive(Subcommand, Debug)]
pub enum CheckCommand {
    /// Validate a configuration file; print every error; exit 1 if any.
    Config { file: PathBuf },
}

/// A Prometheus duration (`10s`, `1m30s`) on the command line.
fn parse_duration_arg(s: &str) -> Result<std::time::Duration, String> {
    crate::config::yaml::parse_duration(s)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s:?} is not a duration such as 10s or 1m"))
}

/// Runs a parsed command line; returns the process exit code.
pub fn main(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => run::main(args),
        Command::Check { what: CheckCommand::Config { file } } => check::config(&file),
        Command::Scrape { url, config, job } => scrape::main(&url, config.as_deref(), job.as_deref()),
        Command::Discover { pods, node, config } => discover::main(&pods, node.as_deref(), config.as_deref()),
        Command::Relabel { rules } => relabel_main(&rules),
        Command::Plugin { what: PluginCommand::New(args) } => plugin_new::main(&args),
        Command::Plugin { what: PluginCommand::Check { file } } => plugin::check(&file),
        Command::Plugin { what: PluginCommand::Run(args) } => plugin::run(&args),
    }
}

fn relabel_main(rules: &std::path::Path) -> i32 {
    let (stdin, stdout) = (std::io::stdin(), std::io::stdout());
    match relabel::run(rules, stdin.lock(), stdout.lock()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("scrapelet relabel: {e}");
            2
        }
    }
}
