//! Jolokia as the JMX exporter's MBean source: [`scrape`] asks for what the rules need (its
//! round trips and their reasons are documented there), flattens the answers as `JmxScraper`
//! flattens MBean values, and returns the exposition, the JVM metrics and the [`State`] for the
//! next scrape of the target. No I/O here: the caller's [`Jolokia`] posts the requests.

mod discover;
mod flatten;
mod hint;
mod jvm;
mod kind;
mod list;
mod needed;
mod number;
mod open_type;
mod reply;
mod request;
mod scrape;
mod state;
mod tabular;
mod walk;

pub use flatten::Stats;
pub use kind::AttrKind;
pub use number::java_double;
pub use open_type::OpenType;
pub use scrape::{Jolokia, Options, Outcome, ScrapeError, scrape, walk};
pub use state::{Attr, PlannedBean, State, fnv};
