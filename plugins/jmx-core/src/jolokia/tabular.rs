//! Tabular data in Jolokia's three JSON shapes, turned back into rows of index columns and value
//! columns as `JmxScraper` walks `TabularData`:
//! - an MXBean map (`Map<K, V>`, row items `key` and `value`) becomes `{"k": v}`;
//! - simple index columns become objects nested by index value, one level per index column,
//!   each leaf the whole row (index columns included);
//! - composite index values give `{"indexNames": [...], "values": [rows]}`.
//!
//! With the row type known ([`super::open_type`]) the shape is certain; without it, guessed from
//! the JSON as far as that can be done.

use serde_json::{Map, Value};

use super::number;
use super::open_type::OpenType;

/// MXBean maps nested in composite data, where no type says "tabular" (the JDK's
/// `GcInfo.memoryUsageBeforeGc`/`memoryUsageAfterGc`).
const KNOWN_MAPS: &[&str] = &["memoryUsageBeforeGc", "memoryUsageAfterGc"];

/// How deep index-keyed nesting is searched for when guessing (one level per index column).
const MAX_INDEX_COLUMNS: usize = 3;

/// One index column's value: `toString` of a simple value, or a composite key's items.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexValue {
    Simple(String),
    Composite(Vec<(String, String)>),
}

pub struct Row<'v> {
    pub index: Vec<(String, IndexValue)>,
    /// The other columns, sorted by name (`JmxScraper` iterates a `TreeSet`).
    pub columns: Vec<(&'v str, &'v Value)>,
}

/// The rows of a tabular value; `typed` is the row type and index names when known.
pub fn rows<'v>(map: &'v Map<String, Value>, typed: Option<(&OpenType, &[String])>) -> Vec<Row<'v>> {
    if let Some(rows) = full_shape(map) {
        return rows;
    }
    match typed {
        Some((row, _)) if is_map_row(row) => map_rows(map),
        Some((_, index)) => {
            let names: Vec<&str> = index.iter().map(String::as_str).collect();
            let mut leaves = Vec::new();
            let _ = collect_leaves(map, names.len().max(1), &mut Vec::new(), &mut leaves);
            leaves.iter().map(|(_, row)| row_of(row, &names)).collect()
        }
        None => keyed_rows(map).unwrap_or_else(|| map_rows(map)),
    }
}

/// For an object of unknown type: tabular if Jolokia's full shape, a known MXBean map, or rows
/// keyed by their own index values; otherwise the caller treats it as composite data.
pub fn looks_tabular(name: Option<&str>, map: &Map<String, Value>) -> bool {
    full_shape(map).is_some() || name.is_some_and(|n| KNOWN_MAPS.contains(&n)) || keyed_rows(map).is_some()
}

/// Shapes of Java objects Jolokia serialises that `JmxScraper` does not export: an `ObjectName`
/// (`{"objectName": ...}`) and an `Optional` read without a path (only `present`/`empty`).
pub fn is_opaque(map: &Map<String, Value>) -> bool {
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    matches!(keys.as_slice(), ["objectName"] | ["empty", "present"] | ["present", "empty"])
}

/// Without a type: the JDK's `MemoryUsage` is recognised by its items (its MXBean type's
/// description is its class name).
pub fn composite_description(map: &Map<String, Value>) -> Option<&'static str> {
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    (keys == ["committed", "init", "max", "used"]).then_some("java.lang.management.MemoryUsage")
}

/// The bean properties of one row: the MBean's, then the index columns. A name already taken gets
/// `_` appended until it is free; a composite key adds `name_item` per item (`JmxScraper`).
pub fn with_index(properties: &[(String, String)], index: &[(String, IndexValue)]) -> Vec<(String, String)> {
    let mut out = properties.to_vec();
    for (name, value) in index {
        let mut name = name.clone();
        while out.iter().any(|(k, _)| *k == name) {
            name.push('_');
        }
        match value {
            IndexValue::Simple(v) => out.push((name, v.clone())),
            IndexValue::Composite(items) => out.extend(items.iter().map(|(k, v)| (format!("{name}_{k}"), v.clone()))),
        }
    }
    out
}

/// `checkForMxBeanMap`: a row of exactly `key` and `value`.
fn is_map_row(row: &OpenType) -> bool {
    match row {
        OpenType::Composite { items, .. } => {
            items.len() == 2 && row.item("key").is_some() && row.item("value").is_some()
        }
        _ => false,
    }
}

fn map_rows(map: &Map<String, Value>) -> Vec<Row<'_>> {
    map.iter()
        .map(|(k, v)| Row { index: vec![("key".into(), IndexValue::Simple(k.clone()))], columns: vec![("value", v)] })
        .collect()
}

fn full_shape(map: &Map<String, Value>) -> Option<Vec<Row<'_>>> {
    let (Some(Value::Array(names)), Some(Value::Array(values)), 2) =
        (map.get("indexNames"), map.get("values"), map.len())
    else {
        return None;
    };
    let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect::<Option<_>>()?;
    values.iter().map(|row| Some(row_of(row.as_object()?, &names))).collect()
}

fn row_of<'v>(row: &'v Map<String, Value>, index_names: &[&str]) -> Row<'v> {
    let mut index = Vec::new();
    for name in index_names {
        match row.get(*name) {
            Some(Value::Object(key)) => {
                let mut parts: Vec<_> = key.iter().map(|(k, v)| (k.clone(), text(v))).collect();
                parts.sort_by(|a, b| a.0.cmp(&b.0));
                index.push((name.to_string(), IndexValue::Composite(parts)));
            }
            Some(Value::Null) | None => {}
            Some(v) => index.push((name.to_string(), IndexValue::Simple(text(v)))),
        }
    }
    let mut columns: Vec<_> =
        row.iter().filter(|(k, _)| !index_names.contains(&k.as_str())).map(|(k, v)| (k.as_str(), v)).collect();
    columns.sort_by(|a, b| a.0.cmp(b.0));
    Row { index, columns }
}

/// Rows nested by index value: at some depth every leaf holds, for each level, a column whose
/// value prints as the key of that level. The first row fixes which columns are the index.
fn keyed_rows(map: &Map<String, Value>) -> Option<Vec<Row<'_>>> {
    (1..=MAX_INDEX_COLUMNS).find_map(|depth| {
        let mut leaves = Vec::new();
        collect_leaves(map, depth, &mut Vec::new(), &mut leaves)?;
        let (first_keys, first_row) = leaves.first()?;
        let names = index_names(first_keys, first_row)?;
        let all_match = leaves
            .iter()
            .all(|(keys, row)| names.iter().zip(keys).all(|(n, k)| row.get(*n).is_some_and(|v| text(v) == **k)));
        all_match.then(|| leaves.iter().map(|(_, row)| row_of(row, &names)).collect())
    })
}

type Leaf<'v> = (Vec<&'v String>, &'v Map<String, Value>);

fn collect_leaves<'v>(
    map: &'v Map<String, Value>,
    depth: usize,
    keys: &mut Vec<&'v String>,
    out: &mut Vec<Leaf<'v>>,
) -> Option<()> {
    for (k, v) in map {
        let inner = v.as_object()?;
        keys.push(k);
        if depth == 1 {
            out.push((keys.clone(), inner));
        } else {
            collect_leaves(inner, depth - 1, keys, out)?;
        }
        keys.pop();
    }
    Some(())
}

fn index_names<'v>(keys: &[&String], row: &'v Map<String, Value>) -> Option<Vec<&'v str>> {
    let mut names: Vec<&str> = Vec::with_capacity(keys.len());
    for key in keys {
        let mut candidates: Vec<&str> = row
            .iter()
            .filter(|(n, v)| !names.contains(&n.as_str()) && !v.is_object() && text(v) == **key)
            .map(|(n, _)| n.as_str())
            .collect();
        candidates.sort_unstable();
        names.push(candidates.first()?);
    }
    Some(names)
}

/// An index value as Java's `toString` prints it.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match number::from_json(n) {
            crate::AttrValue::Number { text, .. } => text,
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index(rows: &[Row<'_>]) -> Vec<Vec<(String, IndexValue)>> {
        rows.iter().map(|r| r.index.clone()).collect()
    }

    fn simple(name: &str, v: &str) -> (String, IndexValue) {
        (name.into(), IndexValue::Simple(v.into()))
    }

    #[test]
    fn an_index_name_already_taken_gets_underscores() {
        let props = [("type".to_string(), "T".to_string()), ("key".to_string(), "a".to_string())];
        let composite = IndexValue::Composite(vec![("id".into(), "1".into())]);
        let got = with_index(&props, &[simple("key", "b"), simple("type", "c"), ("key".into(), composite)]);
        let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["type", "key", "key_", "type_", "key___id"]);
    }

    #[test]
    fn guesses_the_three_shapes() {
        let map = json!({"k": 1});
        let mx = rows(map.as_object().unwrap(), None);
        assert_eq!(index(&mx), [vec![simple("key", "k")]]);
        assert_eq!(mx[0].columns[0].0, "value");
        let keyed = json!({"x": {"name": "x", "n": 1}});
        let r = rows(keyed.as_object().unwrap(), None);
        assert_eq!(index(&r), [vec![simple("name", "x")]]);
        assert_eq!(r[0].columns.iter().map(|c| c.0).collect::<Vec<_>>(), ["n"]);
        let full = json!({"indexNames": ["id"], "values": [{"id": 7, "v": 2}]});
        assert_eq!(index(&rows(full.as_object().unwrap(), None)), [vec![simple("id", "7")]]);
        assert!(!looks_tabular(None, json!({"used": 1}).as_object().unwrap()));
        assert!(looks_tabular(Some("memoryUsageAfterGc"), json!({"Eden": {"used": 1}}).as_object().unwrap()));
    }

    #[test]
    fn a_row_type_settles_what_json_cannot() {
        let long = OpenType::Simple("java.lang.Long".into());
        let string = OpenType::Simple("java.lang.String".into());
        let map_row = OpenType::Composite {
            name: "m".into(),
            items: vec![("key".into(), string.clone()), ("value".into(), long)],
        };
        // A map whose value looks like rows keyed by their own index: still a map.
        let v = json!({"a": {"name": "a", "n": 1}});
        let r = rows(v.as_object().unwrap(), Some((&map_row, &["key".to_string()])));
        assert_eq!(index(&r), [vec![simple("key", "a")]]);
        let row = OpenType::Composite {
            name: "r".into(),
            items: vec![("a".into(), string.clone()), ("b".into(), string), ("n".into(), map_row)],
        };
        let two = json!({"x": {"y": {"a": "x", "b": "y", "n": 3}}});
        let r = rows(two.as_object().unwrap(), Some((&row, &["a".to_string(), "b".to_string()])));
        assert_eq!(index(&r), [vec![simple("a", "x"), simple("b", "y")]]);
        assert_eq!(r[0].columns.iter().map(|c| c.0).collect::<Vec<_>>(), ["n"]);
    }
}
