//! Tabular data in Jolokia's three JSON shapes, turned back into rows of index columns and value
//! columns as `JmxScraper` walks `TabularData`:
//! - an MXBean map (`Map<K, V>`, index `key`, one `value` column) becomes `{"k": v}`;
//! - simple index columns become objects nested by index value, one level per index column,
//!   each leaf the whole row (index columns included);
//! - composite index values give `{"indexNames": [...], "values": [rows]}`.

use serde_json::{Map, Value};

use super::number;

/// MXBean maps nested in composite data, where no `list` type says "tabular" (the JDK's
/// `GcInfo.memoryUsageBeforeGc`/`memoryUsageAfterGc`).
const KNOWN_MAPS: &[&str] = &["memoryUsageBeforeGc", "memoryUsageAfterGc"];

/// How deep index-keyed nesting is searched for (one level per index column).
const MAX_INDEX_COLUMNS: usize = 3;

pub struct Row<'v> {
    /// Index column names and their values as `toString` prints them.
    pub index: Vec<(String, String)>,
    /// The other columns, sorted by name (`JmxScraper` iterates a `TreeSet`).
    pub columns: Vec<(&'v str, &'v Value)>,
}

/// For an object of unknown type: tabular if Jolokia's full shape, a known MXBean map, or rows
/// keyed by their own index values; otherwise the caller treats it as composite data.
pub fn looks_tabular(name: Option<&str>, map: &Map<String, Value>) -> bool {
    full_shape(map).is_some() || name.is_some_and(|n| KNOWN_MAPS.contains(&n)) || keyed_rows(map).is_some()
}

/// The rows of a tabular value in any of the three shapes.
pub fn rows(map: &Map<String, Value>) -> Vec<Row<'_>> {
    if let Some(rows) = full_shape(map) {
        return rows;
    }
    if let Some(rows) = keyed_rows(map) {
        return rows;
    }
    map.iter().map(|(k, v)| Row { index: vec![("key".into(), k.clone())], columns: vec![("value", v)] }).collect()
}

/// The bean properties of one row: the MBean's, then the index columns (`_` appended to a name
/// that is already taken, as for nested tabular data).
pub fn with_index(properties: &[(String, String)], index: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = properties.to_vec();
    for (name, value) in index {
        let mut name = name.clone();
        while out.iter().any(|(k, _)| *k == name) {
            name.push('_');
        }
        out.push((name, value.clone()));
    }
    out
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
                let mut parts: Vec<_> = key.iter().collect();
                parts.sort_by(|a, b| a.0.cmp(b.0));
                index.extend(parts.into_iter().map(|(k, v)| (format!("{name}_{k}"), text(v))));
            }
            Some(Value::Null) | None => {}
            Some(v) => index.push((name.to_string(), text(v))),
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

    fn index(rows: &[Row<'_>]) -> Vec<Vec<(String, String)>> {
        rows.iter().map(|r| r.index.clone()).collect()
    }

    #[test]
    fn an_index_name_already_taken_gets_underscores() {
        let props = [("type".to_string(), "T".to_string()), ("key".to_string(), "a".to_string())];
        let got = with_index(&props, &[("key".into(), "b".into()), ("type".into(), "c".into())]);
        let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["type", "key", "key_", "type_"]);
    }

    #[test]
    fn tells_the_three_shapes_apart() {
        let map = json!({"k": 1});
        let mx = rows(map.as_object().unwrap());
        assert_eq!(index(&mx), [vec![("key".to_string(), "k".to_string())]]);
        assert_eq!(mx[0].columns[0].0, "value");
        let keyed = json!({"x": {"name": "x", "n": 1}});
        let r = rows(keyed.as_object().unwrap());
        assert_eq!(index(&r), [vec![("name".to_string(), "x".to_string())]]);
        assert_eq!(r[0].columns.iter().map(|c| c.0).collect::<Vec<_>>(), ["n"]);
        let full = json!({"indexNames": ["id"], "values": [{"id": 7, "v": 2}]});
        assert_eq!(index(&rows(full.as_object().unwrap())), [vec![("id".to_string(), "7".to_string())]]);
        assert!(!looks_tabular(None, json!({"used": 1}).as_object().unwrap()));
        assert!(looks_tabular(Some("memoryUsageAfterGc"), json!({"Eden": {"used": 1}}).as_object().unwrap()));
    }
}
