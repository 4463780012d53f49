//! The `exporter` world: implement [`Exporter`], then `export_exporter!(YourType);`.

use std::any::Any;
use std::cell::RefCell;

use crate::{Config, Exposition, Labels};

/// The generated WIT bindings of the `exporter` world.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "exporter",
        pub_export_macro: true,
        export_macro_name: "__export_exporter_world",
        runtime_path: "::scrapelet_plugin_sdk::__rt::wit_bindgen::rt",
        default_bindings_module: "::scrapelet_plugin_sdk::exporter::bindings",
    });
}

/// The target being scraped: its labels after relabelling, plus `__address__`, `__scheme__`,
/// `__metrics_path__` and `__param_<name>` per URL parameter.
#[derive(Clone, Debug)]
pub struct Target {
    pub labels: Labels,
}

impl Target {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A URL parameter of the target (the job's `params:`, or a `__param_<name>` label set by
    /// relabelling, e.g. from a pod annotation).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, v)| n.strip_prefix("__param_") == Some(name) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// `host:port` of the target (what [`crate::host::fetch`] talks to).
    pub fn address(&self) -> &str {
        self.label("__address__").unwrap_or("")
    }
}

/// An exporter plugin: built from its configuration, then asked to collect one scrape.
pub trait Exporter: Sized + 'static {
    /// Builds the exporter from the plugin's `config:` (see [`Config::deserialize`]).
    fn init(config: Config) -> Result<Self, String>;

    /// Writes this scrape's metrics into `out`, usually after [`crate::host::get`]ting data from
    /// the target. An `Err` fails the scrape (`up` 0) with that message.
    fn collect(&mut self, target: &Target, out: &mut Exposition) -> Result<(), String>;
}

thread_local! {
    static STATE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

#[doc(hidden)]
pub fn __init<E: Exporter>(config: String) -> Result<(), String> {
    let exporter = E::init(Config::parse(&config)?)?;
    STATE.with(|s| *s.borrow_mut() = Some(Box::new(exporter)));
    Ok(())
}

#[doc(hidden)]
pub fn __collect<E: Exporter>(labels: Labels) -> Result<Vec<u8>, String> {
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        let exporter = state.as_mut().and_then(|b| b.downcast_mut::<E>()).ok_or("collect called before init")?;
        let mut out = Exposition::new();
        exporter.collect(&Target { labels }, &mut out)?;
        Ok(out.into_bytes())
    })
}

/// Exports `$plugin` (an [`Exporter`]) as the component's `exporter` world.
#[macro_export]
macro_rules! export_exporter {
    ($plugin:ty) => {
        struct __ScrapeletExporter;

        impl $crate::exporter::bindings::Guest for __ScrapeletExporter {
            fn init(config: String) -> Result<(), String> {
                $crate::exporter::__init::<$plugin>(config)
            }

            fn collect(target_labels: Vec<(String, String)>) -> Result<Vec<u8>, String> {
                $crate::exporter::__collect::<$plugin>(target_labels)
            }
        }

        $crate::exporter::bindings::__export_exporter_world!(__ScrapeletExporter with_types_in $crate::exporter::bindings);
    };
}
