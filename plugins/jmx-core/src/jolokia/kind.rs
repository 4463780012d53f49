//! How an attribute is read and what its JSON means, decided from the type `list` declares
//! (`MBeanAttributeInfo.getType()`) and refined by what Jolokia answers: `JmxScraper` exports
//! numbers, strings, booleans, dates, composite and tabular data, the contents of an `Optional`
//! and an enum's name; Jolokia's JSON alone cannot tell a date, an enum or a map from a string, a
//! plain Java object or a composite, so each of those is read in a way that can.

use serde::{Deserialize, Serialize};

use super::open_type::OpenType;

const COMPOSITE: &str = "javax.management.openmbean.CompositeData";
const TABULAR: &str = "javax.management.openmbean.TabularData";

/// One attribute's reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AttrKind {
    /// A number, boolean or string type: read as it is, the JSON kind decides.
    Scalar,
    /// `java.util.Date`: read with the inner path `time` (epoch milliseconds; the plain JSON is
    /// an ISO date with whole seconds).
    Date,
    /// Composite or tabular data, with its type once known (read with a `maxDepth` that stops at
    /// the value, see [`OpenType::from_data_text`]). Open data is finite, so it is read unbounded.
    Open(Option<OpenType>),
    /// `java.util.Optional`: read with the inner path `get` (Jolokia shows only `present`/`empty`).
    Optional,
    /// A class `list` cannot say more about: a number or boolean is exported, a string may be an
    /// enum's name ([`AttrKind::Enum`] once Jolokia confirms it) or an object's `toString`.
    Object,
    /// An enum: its name is exported as a string.
    Enum,
    /// Never exported: arrays, `ObjectName`s, characters.
    Skip,
}

impl AttrKind {
    /// The kind `list`'s declared type implies.
    pub fn of(declared: &str) -> AttrKind {
        match declared {
            "int" | "long" | "short" | "byte" | "double" | "float" | "boolean" => AttrKind::Scalar,
            "java.lang.String" | "java.lang.Boolean" | "java.math.BigDecimal" | "java.math.BigInteger" => {
                AttrKind::Scalar
            }
            "char" | "java.lang.Character" | "javax.management.ObjectName" => AttrKind::Skip,
            "java.util.Date" => AttrKind::Date,
            "java.util.Optional" => AttrKind::Optional,
            COMPOSITE | TABULAR => AttrKind::Open(None),
            t if t.starts_with('[') => AttrKind::Skip,
            t if is_boxed_number(t) => AttrKind::Scalar,
            // Open MBeans may name the open type's class.
            t if t.starts_with("javax.management.openmbean.") && (t.contains("Composite") || t.contains("Tabular")) => {
                AttrKind::Open(None)
            }
            _ => AttrKind::Object,
        }
    }
}

fn is_boxed_number(t: &str) -> bool {
    matches!(
        t,
        "java.lang.Integer"
            | "java.lang.Long"
            | "java.lang.Short"
            | "java.lang.Byte"
            | "java.lang.Double"
            | "java.lang.Float"
            | "java.lang.Number"
            | "java.util.concurrent.atomic.AtomicInteger"
            | "java.util.concurrent.atomic.AtomicLong"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_decide_the_reading() {
        assert_eq!(AttrKind::of("long"), AttrKind::Scalar);
        assert_eq!(AttrKind::of("java.lang.String"), AttrKind::Scalar);
        assert_eq!(AttrKind::of("java.util.Date"), AttrKind::Date);
        assert_eq!(AttrKind::of("java.util.Optional"), AttrKind::Optional);
        assert_eq!(AttrKind::of("javax.management.openmbean.TabularData"), AttrKind::Open(None));
        assert_eq!(AttrKind::of("[Ljava.lang.String;"), AttrKind::Skip);
        assert_eq!(AttrKind::of("[J"), AttrKind::Skip);
        assert_eq!(AttrKind::of("char"), AttrKind::Skip);
        assert_eq!(AttrKind::of("io.prometheus.jmx.State"), AttrKind::Object);
    }
}
