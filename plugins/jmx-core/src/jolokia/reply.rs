//! Parses a bulk reply into JSON values, except that `list` entries (of one domain, or of one
//! MBean) keep only each MBean's `attr` infos: operations, usually most of a `list` reply, are
//! skipped without being built.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The reply as one JSON value (an array, or Jolokia's error object); `lists[i]` says entry `i`
/// answers a `list` whose tree has that many levels of names above the MBean infos (1: one
/// domain, 0: one MBean).
pub(crate) fn parse(lists: &[Option<usize>], reply: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(reply);
    let value = Reply { lists }.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// The whole reply.
struct Reply<'p> {
    lists: &'p [Option<usize>],
}

impl<'de> DeserializeSeed<'de> for Reply<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Reply<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Jolokia bulk reply")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let next = match self.lists.get(out.len()) {
                Some(Some(depth)) => seq.next_element_seed(Entry(*depth))?,
                _ => seq.next_element::<Value>()?,
            };
            let Some(v) = next else { return Ok(Value::Array(out)) };
            out.push(v);
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))
    }
}

/// One `list` entry: its `value` is pruned, the rest kept.
struct Entry(usize);

impl<'de> DeserializeSeed<'de> for Entry {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Entry {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Jolokia list reply entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let v = if key == "value" { map.next_value_seed(Tree(self.0))? } else { map.next_value::<Value>()? };
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// `depth` levels of names above the MBeans, whose infos keep only `attr`. Anything that is not
/// an object where one is expected reads as `null` rather than failing the reply.
struct Tree(usize);

impl<'de> DeserializeSeed<'de> for Tree {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Tree {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Jolokia list tree")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if self.0 > 0 {
                let v = map.next_value_seed(Tree(self.0 - 1))?;
                out.insert(key, v);
            } else if key == "attr" {
                out.insert(key, map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_str<E>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_entries_keep_only_attribute_infos() {
        let reply = br#"[{"value": {"d:type=A": {"op": {"x": [1]}}}, "status": 200},
            {"value": {"type=A": {"attr": {"a": {"type": "int"}}, "op": {"reset": {}}, "desc": "d"},
                       "type=B": "odd", "type=C": null}, "status": 200}]"#;
        let v = parse(&[None, Some(1)], reply).unwrap();
        assert_eq!(v[0]["value"]["d:type=A"]["op"]["x"][0], 1);
        assert_eq!(
            v[1]["value"],
            serde_json::json!({"type=A": {"attr": {"a": {"type": "int"}}}, "type=B": null, "type=C": null})
        );
        assert!(parse(&[None, Some(1)], b"[1] trailing").is_err());
        let one = br#"[{"value": {"attr": {"a": {"type": "int"}}, "op": {"x": {}}, "desc": "d"}, "status": 200}]"#;
        assert_eq!(parse(&[Some(0)], one).unwrap()[0]["value"], serde_json::json!({"attr": {"a": {"type": "int"}}}));
    }
}
