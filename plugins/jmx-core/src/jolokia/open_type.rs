//! The open type of a `CompositeData`/`TabularData` attribute, which Jolokia's JSON loses: a map
//! and a composite both become JSON objects, and the composite's type name is gone. Read with a
//! `maxDepth` that stops at the attribute, Jolokia prints the value's `toString()` instead, which
//! begins with the full type (`CompositeType.toString`, `TabularType.toString` of the JDK);
//! [`OpenType::from_data_text`] parses that type and ignores the contents after it.

use serde::{Deserialize, Serialize};

const PKG: &str = "javax.management.openmbean.";

/// `javax.management.openmbean.OpenType`, as far as flattening needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OpenType {
    /// `SimpleType`: its Java class name (`java.lang.Long`, `java.util.Date`, ...).
    Simple(String),
    /// `CompositeType`: its name and items, sorted by name as the JDK keeps them.
    Composite { name: String, items: Vec<(String, OpenType)> },
    /// `TabularType`: the row type (a `Composite`) and the index column names.
    Tabular { row: Box<OpenType>, index: Vec<String> },
    /// `ArrayType`: never exported.
    Array,
    /// Jolokia did not say (its `toString` was not an open type's): the JSON's shape decides, as
    /// without a type, and the type is not asked for again.
    Unknown,
}

impl OpenType {
    /// The type of a value from its `toString()` (`javax.management.openmbean.CompositeDataSupport(
    /// compositeType=...,contents=...)` or `TabularDataSupport(tabularType=...,...)`).
    pub fn from_data_text(text: &str) -> Option<OpenType> {
        let rest = text.strip_prefix(PKG)?;
        let rest = rest
            .strip_prefix("CompositeDataSupport(compositeType=")
            .or_else(|| rest.strip_prefix("TabularDataSupport(tabularType="))?;
        Parser(rest).open_type().map(|(t, _)| t)
    }

    /// The item type of a composite.
    pub fn item(&self, name: &str) -> Option<&OpenType> {
        match self {
            OpenType::Composite { items, .. } => items.iter().find(|(n, _)| n == name).map(|(_, t)| t),
            _ => None,
        }
    }

    /// `CompositeType.getDescription()` as far as the name tells it: the JDK's MXBean mapping makes
    /// it the type's name; the platform's `GcInfo` types are described by their collector's name.
    pub fn description(&self) -> Option<String> {
        let OpenType::Composite { name, .. } = self else { return None };
        let gc = name.strip_prefix("sun.management.").and_then(|n| n.strip_suffix(".GcInfoCompositeType"));
        Some(gc.map_or_else(|| name.clone(), |gc| format!("CompositeType for GC info for {gc}")))
    }
}

/// A recursive-descent reader over the JDK's `toString` of open types; names may hold commas,
/// spaces and brackets (`java.util.Map<java.lang.String, java.lang.Long>`), so each one runs to
/// the keyword that follows it.
struct Parser<'a>(&'a str);

impl<'a> Parser<'a> {
    /// One type and the text after it.
    fn open_type(self) -> Option<(OpenType, &'a str)> {
        let s = self.0.strip_prefix(PKG)?;
        if let Some(r) = s.strip_prefix("SimpleType(name=") {
            let end = r.find(')')?;
            return Some((OpenType::Simple(r[..end].to_owned()), &r[end + 1..]));
        }
        if let Some(r) = s.strip_prefix("CompositeType(name=") {
            return Parser(r).composite();
        }
        if let Some(r) = s.strip_prefix("TabularType(name=") {
            let (_, r) = r.split_once(",rowType=")?;
            let (row, r) = Parser(r).open_type()?;
            let r = r.strip_prefix(",indexNames=(")?;
            let end = r.find(')')?;
            let index = r[..end].split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            return Some((OpenType::Tabular { row: Box::new(row), index }, r[end + 1..].strip_prefix(')')?));
        }
        if let Some(r) = s.strip_prefix("ArrayType(name=") {
            let (_, r) = r.split_once(",elementType=")?;
            let (_, r) = Parser(r).open_type()?;
            let r = r.strip_prefix(",primitiveArray=")?;
            let end = r.find(')')?;
            return Some((OpenType::Array, &r[end + 1..]));
        }
        None
    }

    /// After `CompositeType(name=`: `NAME,items=((itemName=K,itemType=T),...))`.
    fn composite(self) -> Option<(OpenType, &'a str)> {
        let (name, mut r) = self.0.split_once(",items=(")?;
        let mut items = Vec::new();
        loop {
            if let Some(rest) = r.strip_prefix("))") {
                return Some((OpenType::Composite { name: name.to_owned(), items }, rest));
            }
            r = r.strip_prefix(',').unwrap_or(r).strip_prefix("(itemName=")?;
            let (item, rest) = r.split_once(",itemType=")?;
            let (t, rest) = Parser(rest).open_type()?;
            items.push((item.to_owned(), t));
            r = rest.strip_prefix(')')?;
        }
    }
}

/// The `toString` of real values, as Jolokia 1.7.1 on Java 17 printed them for the JMX exporter's
/// test MBeans (`tests/java/io/prometheus/jmx`).
#[cfg(test)]
mod tests {
    use super::*;

    fn simple(t: &str) -> OpenType {
        OpenType::Simple(t.into())
    }

    #[test]
    fn a_composite_with_its_items() {
        let text = "javax.management.openmbean.CompositeDataSupport(compositeType=javax.management.openmbean.CompositeType(name=PerformanceMetrics,items=((itemName=ActiveSessions,itemType=javax.management.openmbean.SimpleType(name=java.lang.Long)),(itemName=Bootstraps,itemType=javax.management.openmbean.SimpleType(name=java.lang.Long)))),contents={ActiveSessions=2, Bootstraps=4})";
        let t = OpenType::from_data_text(text).unwrap();
        let items =
            vec![("ActiveSessions".into(), simple("java.lang.Long")), ("Bootstraps".into(), simple("java.lang.Long"))];
        assert_eq!(t, OpenType::Composite { name: "PerformanceMetrics".into(), items });
        assert_eq!(t.description().as_deref(), Some("PerformanceMetrics"));
    }

    #[test]
    fn a_map_of_maps() {
        let text = "javax.management.openmbean.TabularDataSupport(tabularType=javax.management.openmbean.TabularType(name=java.util.Map<java.lang.String, java.util.Map<java.lang.String, java.lang.Long>>,rowType=javax.management.openmbean.CompositeType(name=java.util.Map<java.lang.String, java.util.Map<java.lang.String, java.lang.Long>>,items=((itemName=key,itemType=javax.management.openmbean.SimpleType(name=java.lang.String)),(itemName=value,itemType=javax.management.openmbean.TabularType(name=java.util.Map<java.lang.String, java.lang.Long>,rowType=javax.management.openmbean.CompositeType(name=java.util.Map<java.lang.String, java.lang.Long>,items=((itemName=key,itemType=javax.management.openmbean.SimpleType(name=java.lang.String)),(itemName=value,itemType=javax.management.openmbean.SimpleType(name=java.lang.Long)))),indexNames=(key))))),indexNames=(key)),contents={[1.2.3.4]=javax.management.openmbean.CompositeDataSupport(...)})";
        let OpenType::Tabular { row, index } = OpenType::from_data_text(text).unwrap() else { panic!() };
        assert_eq!(index, ["key"]);
        let Some(OpenType::Tabular { row: inner, index }) = row.item("value") else { panic!("{row:?}") };
        assert_eq!(index, &["key"]);
        assert_eq!(inner.item("value"), Some(&simple("java.lang.Long")));
    }

    #[test]
    fn composite_index_arrays_and_gc_info() {
        let text = "javax.management.openmbean.TabularDataSupport(tabularType=javax.management.openmbean.TabularType(name=x,rowType=javax.management.openmbean.CompositeType(name=r,items=((itemName=key,itemType=javax.management.openmbean.CompositeType(name=k,items=((itemName=id,itemType=javax.management.openmbean.SimpleType(name=java.lang.Integer))))),(itemName=scores,itemType=javax.management.openmbean.ArrayType(name=[J,dimension=1,elementType=javax.management.openmbean.SimpleType(name=java.lang.Long),primitiveArray=true)))),indexNames=(key,scores)),contents={})";
        let OpenType::Tabular { row, index } = OpenType::from_data_text(text).unwrap() else { panic!() };
        assert_eq!(index, ["key", "scores"]);
        assert_eq!(row.item("scores"), Some(&OpenType::Array));
        assert!(matches!(row.item("key"), Some(OpenType::Composite { .. })));
        let gc = OpenType::Composite {
            name: "sun.management.G1 Young Generation.GcInfoCompositeType".into(),
            items: vec![],
        };
        assert_eq!(gc.description().as_deref(), Some("CompositeType for GC info for G1 Young Generation"));
        assert_eq!(OpenType::from_data_text("Optional[42]"), None);
    }
}
