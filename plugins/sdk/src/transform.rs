//! The `transform` world: implement [`Transform`], then `export_transform!(YourType);`.

use std::any::Any;
use std::cell::RefCell;

use crate::{Config, Labels};

/// The generated WIT bindings of the `transform` world.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "transform",
        pub_export_macro: true,
        export_macro_name: "__export_transform_world",
        runtime_path: "::scrapelet_plugin_sdk::__rt::wit_bindgen::rt",
        default_bindings_module: "::scrapelet_plugin_sdk::transform::bindings",
    });
}

use bindings::scrapelet::plugin::types;

/// What to do with one series; cached by the agent with the series.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Keep,
    Drop,
    /// The new, complete label set (`__name__` included).
    Rewrite(Labels),
    /// Multiply every value by `factor`; `labels`, if any, replace the label set.
    Rescale {
        factor: f64,
        labels: Option<Labels>,
    },
}

/// A transform plugin: built from its configuration, then asked about each new series.
pub trait Transform: Sized + 'static {
    fn init(config: Config) -> Result<Self, String>;

    /// The verdict for one series. It must depend only on `labels`: the agent caches it.
    fn rewrite(&mut self, labels: &[(String, String)]) -> Verdict;
}

thread_local! {
    static STATE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

#[doc(hidden)]
pub fn __init<T: Transform>(config: String) -> Result<(), String> {
    let transform = T::init(Config::parse(&config)?)?;
    STATE.with(|s| *s.borrow_mut() = Some(Box::new(transform)));
    Ok(())
}

#[doc(hidden)]
pub fn __rewrite<T: Transform>(batch: Vec<types::Series>) -> Vec<types::Verdict> {
    STATE.with(|s| {
        let mut state = s.borrow_mut();
        let Some(t) = state.as_mut().and_then(|b| b.downcast_mut::<T>()) else {
            return batch.iter().map(|_| types::Verdict::Keep).collect();
        };
        batch.iter().map(|series| to_wit(t.rewrite(&series.labels))).collect()
    })
}

fn to_wit(v: Verdict) -> types::Verdict {
    match v {
        Verdict::Keep => types::Verdict::Keep,
        Verdict::Drop => types::Verdict::Drop,
        Verdict::Rewrite(labels) => types::Verdict::Rewrite(labels),
        Verdict::Rescale { factor, labels } => types::Verdict::Rescale(types::Rescaling { factor, labels }),
    }
}

/// Exports `$plugin` (a [`Transform`]) as the component's `transform` world.
#[macro_export]
macro_rules! export_transform {
    ($plugin:ty) => {
        struct __ScrapeletTransform;

        impl $crate::transform::bindings::Guest for __ScrapeletTransform {
            fn init(config: String) -> Result<(), String> {
                $crate::transform::__init::<$plugin>(config)
            }

            fn rewrite(
                batch: Vec<$crate::transform::bindings::scrapelet::plugin::types::Series>,
            ) -> Vec<$crate::transform::bindings::scrapelet::plugin::types::Verdict> {
                $crate::transform::__rewrite::<$plugin>(batch)
            }
        }

        $crate::transform::bindings::__export_transform_world!(__ScrapeletTransform with_types_in $crate::transform::bindings);
    };
}
