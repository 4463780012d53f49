//! The configured plugins, by name: each compiled once and pre-instantiated, replaced when its
//! file or its configuration changes. A replacement that fails to load leaves the old one
//! running; the failure is logged and counted.
//!
//! Entry points: [`registry()`], [`Registry::apply`] (a new configuration), [`Registry::get`]
//! (a plugin for one call) and [`load_file`]. A background thread polls the files.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tracing::{error, info};
use wasmtime::component::Component;

use super::bindings::{exporter::ExporterPre, transform::TransformPre};
use super::call::HostState;
use super::engine::{Inspection, World, compile, runtime};
use super::stats::PluginStats;
use super::{Limits, PluginError};
use crate::config::PluginConfig;
use crate::metrics;

/// How often plugin files are checked for changes.
const POLL: Duration = Duration::from_secs(1);

pub(super) enum Pre {
    Exporter(ExporterPre<HostState>),
    Transform(TransformPre<HostState>),
}

/// A plugin ready to run.
pub struct Loaded {
    pub name: String,
    pub inspection: Inspection,
    component: Component,
    pub(super) pre: Pre,
    /// Its `config:` as JSON, for `init`.
    pub config_json: String,
    pub limits: Limits,
    pub data_dir: Option<PathBuf>,
    pub sha256: String,
    /// Changes whenever this name gets a new plugin or configuration.
    pub generation: u64,
    /// Shared by every version of the plugin the registry loads under this name.
    pub stats: Arc<PluginStats>,
}

impl Loaded {
    pub fn world(&self) -> World {
        self.inspection.world
    }
}

/// Compiles the plugin a declaration names.
pub fn load_file(decl: &PluginConfig) -> Result<Loaded, String> {
    load_known(decl, &[])
}

/// A compiled component, by the sha256 of its file.
type Compiled = (String, Component, Inspection);

/// Loads `decl`, reusing the compiled component of a file with the same sha256 from `known`
/// (several declarations of one file, a reload that changed only the config).
fn load_known(decl: &PluginConfig, known: &[Compiled]) -> Result<Loaded, String> {
    let bytes = std::fs::read(&decl.path).map_err(|e| format!("reading {}: {e}", decl.path.display()))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    if let Some(pin) = &decl.sha256
        && !pin.eq_ignore_ascii_case(&sha256)
    {
        return Err(format!("sha256 of {} is {sha256}, the configuration pins {pin}", decl.path.display()));
    }
    let (component, inspection) = match known.iter().find(|(sha, _, _)| *sha == sha256) {
        Some((_, component, inspection)) => (component.clone(), inspection.clone()),
        None => compile(&bytes)?,
    };
    let rt = runtime();
    let pre = match inspection.world {
        World::Exporter => rt.exporter.instantiate_pre(&component).and_then(ExporterPre::new).map(Pre::Exporter),
        World::Transform => rt.transform.instantiate_pre(&component).and_then(TransformPre::new).map(Pre::Transform),
    }
    .map_err(|e| format!("does not fit the {} world: {e:#}", inspection.world.name()))?;
    static GENERATION: AtomicU64 = AtomicU64::new(1);
    Ok(Loaded {
        name: decl.name.clone(),
        inspection,
        component,
        pre,
        config_json: decl.config.to_string(),
        limits: decl.limits.clone(),
        data_dir: decl.data_dir.clone(),
        sha256,
        generation: GENERATION.fetch_add(1, Ordering::Relaxed),
        stats: Arc::new(PluginStats::new(&decl.name)),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Slot {
    decl: PluginConfig,
    current: Option<Arc<Loaded>>,
    stamp: Option<(SystemTime, u64)>,
    stats: Arc<PluginStats>,
}

/// Every configured plugin.
pub struct Registry {
    slots: Mutex<HashMap<String, Slot>>,
    watcher: Once,
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(|| Registry { slots: Mutex::new(HashMap::new()), watcher: Once::new() })
}

fn stamp(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl Registry {
    /// Takes a new set of declarations: unchanged plugins stay, changed ones reload (keeping the
    /// old one if the new one fails), removed ones go. Starts the file watcher on first use.
    /// Compiling takes seconds: on a runtime worker, the worker's other tasks move to another
    /// thread meanwhile.
    pub fn apply(&'static self, decls: &[PluginConfig]) {
        let on_worker = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if on_worker {
            tokio::task::block_in_place(|| self.apply_here(decls));
        } else {
            self.apply_here(decls);
        }
    }

    fn apply_here(&'static self, decls: &[PluginConfig]) {
        let names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
        self.slots.lock().unwrap().retain(|name, _| names.contains(&name.as_str()));
        for decl in decls {
            let unchanged = self.slots.lock().unwrap().get(&decl.name).is_some_and(|s| s.decl == *decl);
            if !unchanged {
                self.load(decl.clone());
            }
        }
        if !decls.is_empty() {
            self.watcher.call_once(|| {
                let spawned = std::thread::Builder::new().name("plugin-watch".into()).spawn(move || {
                    loop {
                        std::thread::sleep(POLL);
                        self.poll_files();
                    }
                });
                if let Err(e) = spawned {
                    error!(error = %e, "cannot watch plugin files; hot reload of .wasm files is off");
                }
            });
        }
    }

    /// Registers a plugin loaded by the caller under its declaration's name (`plugin run`, which
    /// reports a load error itself); no file watching.
    pub fn insert(&self, decl: PluginConfig, mut loaded: Loaded) {
        let stats = Arc::new(PluginStats::new(&decl.name));
        loaded.stats = stats.clone();
        let slot = Slot { stamp: stamp(&decl.path), current: Some(Arc::new(loaded)), decl, stats };
        self.slots.lock().unwrap().insert(slot.decl.name.clone(), slot);
    }

    /// The plugin named `name`, for one call.
    pub fn get(&self, name: &str) -> Result<Arc<Loaded>, PluginError> {
        let slots = self.slots.lock().unwrap();
        slots.get(name).and_then(|s| s.current.clone()).ok_or_else(|| PluginError::Unavailable(name.to_string()))
    }

    /// Whether a plugin of this name is declared in the configuration (loaded or not).
    pub fn declared(&self, name: &str) -> bool {
        self.slots.lock().unwrap().contains_key(name)
    }

    /// The configured `config:` of the plugin named `name`, if it is declared.
    pub fn config(&self, name: &str) -> Option<serde_json::Value> {
        self.slots.lock().unwrap().get(name).map(|s| s.decl.config.clone())
    }

    /// Every declared plugin: its declaration and the version running, by name.
    pub fn all(&self) -> Vec<(PluginConfig, Option<Arc<Loaded>>)> {
        let slots = self.slots.lock().unwrap();
        let mut all: Vec<_> = slots.values().map(|s| (s.decl.clone(), s.current.clone())).collect();
        all.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        all
    }

    /// The generation of the plugin named `name` (0 if none is loaded).
    pub fn generation(&self, name: &str) -> u64 {
        self.slots.lock().unwrap().get(name).and_then(|s| s.current.as_ref().map(|l| l.generation)).unwrap_or(0)
    }

    fn load(&self, decl: PluginConfig) {
        let file_stamp = stamp(&decl.path);
        let known: Vec<Compiled> = {
            let slots = self.slots.lock().unwrap();
            let current = slots.values().filter_map(|s| s.current.as_ref());
            current.map(|l| (l.sha256.clone(), l.component.clone(), l.inspection.clone())).collect()
        };
        let loaded = load_known(&decl, &known);
        let mut slots = self.slots.lock().unwrap();
        let slot = slots.entry(decl.name.clone()).or_insert_with(|| Slot {
            decl: decl.clone(),
            current: None,
            stamp: None,
            stats: Arc::new(PluginStats::new(&decl.name)),
        });
        slot.decl = decl;
        slot.stamp = file_stamp;
        report(&slot.decl, &loaded, slot.current.is_some());
        if let Ok(mut l) = loaded {
            l.stats = slot.stats.clone();
            let limit = &metrics::get().plugin_limit;
            for (name, value) in l.limits.named() {
                limit.with(&[&l.name, name]).set(value);
            }
            slot.current = Some(Arc::new(l));
        }
    }

    fn poll_files(&self) {
        let changed: Vec<PluginConfig> = {
            let slots = self.slots.lock().unwrap();
            slots.values().filter(|s| stamp(&s.decl.path) != s.stamp).map(|s| s.decl.clone()).collect()
        };
        for decl in changed {
            self.load(decl);
        }
    }
}

fn report(decl: &PluginConfig, loaded: &Result<Loaded, String>, had_one: bool) {
    let m = metrics::get();
    match loaded {
        Ok(l) => {
            m.plugin_loads.with(&[&decl.name, "success"]).inc();
            let (world, sha256) = (l.world().name(), &l.sha256);
            info!(plugin = %decl.name, path = %decl.path.display(), world, sha256, "plugin loaded");
        }
        Err(e) => {
            m.plugin_loads.with(&[&decl.name, "failure"]).inc();
            m.plugin_errors.with(&[&decl.name, "load"]).inc();
            let keeping = if had_one { "keeping the previous version" } else { "no version is running" };
            error!(plugin = %decl.name, path = %decl.path.display(), error = %e, "plugin failed to load; {keeping}");
        }
    }
}
