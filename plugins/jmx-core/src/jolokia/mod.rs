//! Jolokia as the JMX exporter's MBean source: [`Plan`] builds the one bulk POST of a scrape,
//! [`walk`] turns its reply into [`crate::Receiver::record_bean`] calls (flattened as
//! `JmxScraper` flattens MBean values) and the JVM metrics text. No I/O here.

mod flatten;
mod jvm;
mod list;
mod number;
pub mod object_name;
mod reply;
mod request;
mod tabular;
mod walk;

pub use flatten::Stats;
pub use number::java_double;
pub use object_name::ObjectName;
pub use request::{DEFAULT_MAX_DEPTH, Options, Plan};
pub use walk::{Filter, Outcome, WalkError, walk, walk_filtered};
