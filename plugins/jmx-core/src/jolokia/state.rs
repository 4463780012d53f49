//! What one scrape of a target leaves for the next ([`State`]): which MBeans there were, and for
//! the few whose attributes some rule can use, how to read those attributes. The plugin glue
//! stores it with the host between scrapes (`state-get`/`state-set`, per target); it is plain
//! data, versioned and tied to the rules that made it, so a state from another version or other
//! rules is ignored and rebuilt, never trusted.

use serde::{Deserialize, Serialize};

use super::kind::AttrKind;

/// Bump when the meaning of a field changes.
const VERSION: u32 = 1;

/// One attribute as discovery found it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attr {
    pub name: String,
    /// `list`'s type (`MBeanAttributeInfo.getType()`).
    pub declared: String,
    /// `list`'s description (the start of the default help text).
    pub description: String,
    pub kind: AttrKind,
}

/// An MBean whose reading some rule needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedBean {
    /// The name as registered (Jolokia `canonicalNaming=false`): the key order the rules see.
    pub name: String,
    /// The attributes to read each scrape: those a rule may export, and `attributesAsLabels`.
    pub attrs: Vec<Attr>,
}

/// The memory of one target between scrapes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    version: u32,
    /// Identifies the rules and options that made this state ([`State::decode`]).
    config: u64,
    /// Hashes of every MBean name the includes matched, sorted: what the next `search` is
    /// compared with. A name not in it is new and gets discovered.
    pub beans: Vec<u64>,
    pub plan: Vec<PlannedBean>,
}

impl State {
    /// An empty state for the rules identified by `config`.
    pub fn new(config: u64) -> State {
        State { version: VERSION, config, beans: Vec::new(), plan: Vec::new() }
    }

    /// The stored bytes as a state for `config`; anything else (nothing stored yet, another
    /// version, other rules, damaged bytes) gives an empty one.
    pub fn decode(bytes: &[u8], config: u64) -> State {
        serde_json::from_slice::<State>(bytes)
            .ok()
            .filter(|s| s.version == VERSION && s.config == config)
            .unwrap_or_else(|| State::new(config))
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Whether `name` was among the MBeans of the previous scrape.
    pub fn knows(&self, name: &str) -> bool {
        self.beans.binary_search(&name_hash(name)).is_ok()
    }
}

/// FNV-1a of a name: stable across builds, unlike `std`'s hasher.
pub fn name_hash(s: &str) -> u64 {
    fnv(s.as_bytes())
}

/// FNV-1a, 64 bits.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_what_it_did_not_make() {
        let mut s = State::new(7);
        s.beans = vec![name_hash("d:type=A")];
        s.plan.push(PlannedBean {
            name: "d:type=A".into(),
            attrs: vec![Attr {
                name: "X".into(),
                declared: "int".into(),
                description: "x".into(),
                kind: AttrKind::Scalar,
            }],
        });
        let bytes = s.encode();
        assert_eq!(State::decode(&bytes, 7), s);
        assert!(State::decode(&bytes, 7).knows("d:type=A") && !s.knows("d:type=B"));
        assert_eq!(State::decode(&bytes, 8), State::new(8), "other rules");
        assert_eq!(State::decode(b"{not json", 7), State::new(7));
        assert_eq!(State::decode(b"", 7), State::new(7));
        assert_ne!(fnv(b"a"), fnv(b"b"));
    }
}
