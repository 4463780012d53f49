//! The one wasmtime `Engine` of the process, its epoch ticker and the linkers of both worlds;
//! compiling a component and telling which world it implements.
//!
//! Entry points: [`runtime`] and [`compile`]. Guest code is interrupted by epochs: a background
//! thread advances the epoch every [`TICK`], and at each tick a call yields to the plugin pool
//! (or traps, past its deadline). Components built against the 0.1.0 contract link too (see
//! [`super::compat`]).

use std::sync::OnceLock;
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

use super::bindings;
use super::call::HostState;

/// How often the epoch advances: the granularity of plugin time limits.
pub const TICK: Duration = Duration::from_millis(10);

/// Contract versions of components this host runs.
pub const ACCEPTED: [&str; 2] = ["0.2.0", "0.1.0"];

/// Which world a component implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum World {
    Exporter,
    Transform,
}

impl World {
    pub fn name(self) -> &'static str {
        match self {
            World::Exporter => "exporter",
            World::Transform => "transform",
        }
    }
}

pub struct Runtime {
    pub engine: Engine,
    pub exporter: Linker<HostState>,
    pub transform: Linker<HostState>,
}

/// The process-wide engine and linkers; the first use starts the epoch ticker.
pub fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        let rt = build().expect("wasmtime engine configuration");
        let engine = rt.engine.clone();
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the plugin epoch thread");
        rt
    })
}

fn build() -> wasmtime::Result<Runtime> {
    let mut config = Config::new();
    config.wasm_component_model(true).epoch_interruption(true).max_wasm_stack(1 << 20);
    let engine = Engine::new(&config)?;
    let mut exporter = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut exporter)?;
    bindings::exporter::Exporter::add_to_linker::<HostState, HasSelf<HostState>>(&mut exporter, |s| s)?;
    super::compat::add_to_linker(&mut exporter)?;
    let mut transform = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut transform)?;
    bindings::transform::Transform::add_to_linker::<HostState, HasSelf<HostState>>(&mut transform, |s| s)?;
    super::compat::add_to_linker(&mut transform)?;
    Ok(Runtime { engine, exporter, transform })
}

/// What `scrapelet plugin check` prints about a component.
#[derive(Clone, Debug)]
pub struct Inspection {
    pub world: World,
    pub exports: Vec<String>,
    pub imports: Vec<String>,
    /// The `scrapelet:plugin` version it was built against.
    pub version: String,
}

/// Compiles `bytes` as a component of one of the two worlds.
pub fn compile(bytes: &[u8]) -> Result<(Component, Inspection), String> {
    let rt = runtime();
    let component =
        Component::new(&rt.engine, bytes).map_err(|e| format!("not a valid WebAssembly component: {e:#}"))?;
    let inspection = inspect(&component)?;
    Ok((component, inspection))
}

/// Tells the world (from the exports) and the contract version (from the imports).
pub fn inspect(component: &Component) -> Result<Inspection, String> {
    let engine = &runtime().engine;
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
    let world = if exports.iter().any(|e| e == "collect") {
        World::Exporter
    } else if exports.iter().any(|e| e == "rewrite") {
        World::Transform
    } else {
        return Err(format!("exports {exports:?}: neither an exporter (collect) nor a transform (rewrite)"));
    };
    let version = imports
        .iter()
        .find_map(|i| i.strip_prefix("scrapelet:plugin/host@").or_else(|| i.strip_prefix("scrapelet:plugin/types@")))
        .unwrap_or("none")
        .to_string();
    if version != "none" && !ACCEPTED.contains(&version.as_str()) {
        let accepted = ACCEPTED.map(|v| format!("scrapelet:plugin@{v}")).join(" and ");
        return Err(format!("built against scrapelet:plugin@{version}; this agent runs {accepted}"));
    }
    Ok(Inspection { world, exports, imports, version })
}
