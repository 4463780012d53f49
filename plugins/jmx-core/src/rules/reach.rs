//! Whether any rule could export an attribute, whatever value it takes: the question that lets a
//! scrape skip reading what the rules can never use (LESSONS: the JMX exporter's
//! `MatchedRulesCache` remembers "matched nothing"; here that is decided once per attribute, for
//! every value its type can have, not for the value seen once).
//!
//! A rule's match string is `domain<props><keys>attrName: value`. Everything before the value is
//! known; the value's text is known to be a number, a boolean or anything ([`Values`]). The rule's
//! pattern (already wrapped as `^.*(?:pattern).*$`) runs as a lazy DFA over the known part, then
//! a breadth-first search over the states the value's alphabet reaches asks whether any of them
//! accepts at the end. The answer errs only towards "may match": patterns only `fancy-regex` can
//! run, DFA give-ups and very large searches all count as a possible match. No I/O, no clock.

use std::collections::{HashMap, HashSet};

use regex_automata::Anchored;
use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::util::start;

use super::matcher::{bean_name, linked_hash_map, rule_attr_name};
use crate::config::{JmxConfig, Rule};

/// The characters of Java's `Long`, `Double` and `BigDecimal` `toString`.
const NUMBER: &[u8] = b"0123456789+-.EINafinty";

/// DFA states one question may visit before the answer is "may match".
const MAX_STATES: usize = 4096;

/// What the text after `attrName: ` can be.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// Digits, sign, `.`, exponent, `NaN`, `Infinity`.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Any text at all.
    Any,
    /// Exactly this text (a `metricCustomizers` extra metric's value).
    Exactly(String),
}

/// Where an attribute sits: what precedes its value in the match string.
pub struct Site<'a> {
    pub domain: &'a str,
    pub properties: &'a [(String, String)],
    pub attr_keys: &'a [String],
    pub attr_name: &'a str,
}

/// One rule's automaton and its scratch space; `None` when only `fancy-regex` can run it.
struct Automaton {
    dfa: DFA,
    cache: Cache,
    /// `(start state, values) -> can match`: many attributes reach the same state.
    memo: HashMap<(LazyStateID, u8), bool>,
}

/// Answers "could a rule export this?" for one config.
pub struct Reach<'c> {
    config: &'c JmxConfig,
    automata: Vec<Option<Automaton>>,
}

impl<'c> Reach<'c> {
    pub fn new(config: &'c JmxConfig) -> Reach<'c> {
        let automata = config.rules.iter().map(automaton).collect();
        Reach { config, automata }
    }

    /// Whether some rule may turn the attribute at `site` into a sample when its value prints as
    /// `values`. `text_only`: the value is never a number or boolean (a `String`, an enum), so only
    /// a rule with a `value:` can export it.
    pub fn may_export(&mut self, site: &Site<'_>, values: &Values, text_only: bool) -> bool {
        let props: Vec<(&str, &str)> = linked_hash_map(site.properties);
        let bean = bean_name(site.domain, &props, site.attr_keys);
        for (rule, automaton) in self.config.rules.iter().zip(&mut self.automata) {
            if text_only && rule.value.as_deref().is_none_or(str::is_empty) {
                continue;
            }
            let Some(automaton) = automaton else { return true };
            let prefix = format!("{bean}{}: ", rule_attr_name(rule, site.attr_name));
            let values = if rule.cache { &Values::Exactly("<cache>".into()) } else { values };
            if automaton.can_match(prefix.as_bytes(), values) {
                return true;
            }
        }
        false
    }
}

fn automaton(rule: &Rule) -> Option<Automaton> {
    let source = rule.pattern.as_ref()?.plain_source()?;
    let config = DFA::config().cache_capacity(16 << 20);
    let dfa = DFA::builder().configure(config).build(source).ok()?;
    let cache = dfa.create_cache();
    Some(Automaton { dfa, cache, memo: HashMap::new() })
}

impl Automaton {
    /// Whether `prefix` followed by some text of `values` is a match; `true` when unsure.
    fn can_match(&mut self, prefix: &[u8], values: &Values) -> bool {
        let clears = self.cache.clear_count();
        let answer = self.walk(prefix, values).unwrap_or(true);
        // A cleared cache invalidates the state ids remembered so far.
        if self.cache.clear_count() != clears {
            self.memo.clear();
            return true;
        }
        answer
    }

    fn walk(&mut self, prefix: &[u8], values: &Values) -> Option<bool> {
        let start = start::Config::new().anchored(Anchored::Yes);
        let first = self.dfa.start_state(&mut self.cache, &start).ok()?;
        let Some(sid) = self.feed(first, prefix)? else {
            return Some(false);
        };
        match values {
            Values::Exactly(text) => self.accepts_after(sid, text.as_bytes()),
            Values::Boolean => Some(self.accepts_after(sid, b"true")? || self.accepts_after(sid, b"false")?),
            Values::Number => self.search(sid, NUMBER, 0),
            Values::Any => self.search(sid, &ALL_BYTES, 1),
        }
    }

    /// The state after `bytes`, `None` (inside) when the DFA is dead; `None` (outside) on give-up.
    fn feed(&mut self, mut sid: LazyStateID, bytes: &[u8]) -> Option<Option<LazyStateID>> {
        for &b in bytes {
            sid = self.dfa.next_state(&mut self.cache, sid, b).ok()?;
            if sid.is_dead() {
                return Some(None);
            }
            if sid.is_quit() {
                return None;
            }
        }
        Some(Some(sid))
    }

    fn accepts_after(&mut self, sid: LazyStateID, bytes: &[u8]) -> Option<bool> {
        match self.feed(sid, bytes)? {
            Some(sid) => self.accepts(sid),
            None => Some(false),
        }
    }

    fn accepts(&mut self, sid: LazyStateID) -> Option<bool> {
        Some(self.dfa.next_eoi_state(&mut self.cache, sid).ok()?.is_match())
    }

    /// Breadth-first over the states `alphabet` reaches from `from`: does one accept at the end?
    fn search(&mut self, from: LazyStateID, alphabet: &[u8], tag: u8) -> Option<bool> {
        if let Some(&known) = self.memo.get(&(from, tag)) {
            return Some(known);
        }
        let mut seen = HashSet::from([from]);
        let mut queue = vec![from];
        let mut answer = false;
        while let Some(sid) = queue.pop() {
            if self.accepts(sid)? {
                answer = true;
                break;
            }
            for &b in alphabet {
                let next = self.dfa.next_state(&mut self.cache, sid, b).ok()?;
                if next.is_quit() || seen.len() > MAX_STATES {
                    return None;
                }
                if !next.is_dead() && seen.insert(next) {
                    queue.push(next);
                }
            }
        }
        self.memo.insert((from, tag), answer);
        Some(answer)
    }
}

static ALL_BYTES: [u8; 256] = {
    let mut all = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        all[i] = i as u8;
        i += 1;
    }
    all
};

#[cfg(test)]
mod tests {
    use super::*;

    fn reach(yaml: &str, domain: &str, props: &[(&str, &str)], name: &str, values: Values, text_only: bool) -> bool {
        let config = JmxConfig::from_yaml(yaml).unwrap();
        let properties: Vec<(String, String)> = props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let site = Site { domain, properties: &properties, attr_keys: &[], attr_name: name };
        Reach::new(&config).may_export(&site, &values, text_only)
    }

    const TOMCAT: &str = r#"rules:
- pattern: 'Catalina<type=ThreadPool, name="(\w+-\w+)-(\d+)"><>(currentThreadCount|connectionCount):'
  name: tomcat_threadpool_$3
"#;

    #[test]
    fn a_number_cannot_complete_a_pattern_that_needs_other_text() {
        let pool = [("type", "ThreadPool"), ("name", "\"http-nio-8080\"")];
        assert!(reach(TOMCAT, "Catalina", &pool, "currentThreadCount", Values::Number, false));
        assert!(!reach(TOMCAT, "Catalina", &pool, "maxThreads", Values::Number, false));
        assert!(!reach(TOMCAT, "java.lang", &[("type", "Memory")], "Verbose", Values::Boolean, false));
        // Any text could carry the whole pattern after `: ` (`^.*(?:...).*$`).
        assert!(reach(TOMCAT, "java.lang", &[("type", "Runtime")], "VmName", Values::Any, false));
        // ... but without `value:` a string is never exported.
        assert!(!reach(TOMCAT, "java.lang", &[("type", "Runtime")], "VmName", Values::Any, true));
    }

    #[test]
    fn values_the_pattern_reads_are_taken_into_account() {
        let yaml = "rules:\n- pattern: 'd<type=T><>a: 1\\d'\n  name: x";
        assert!(reach(yaml, "d", &[("type", "T")], "a", Values::Number, false));
        assert!(!reach(yaml, "d", &[("type", "T")], "b", Values::Number, false));
        let word = "rules:\n- pattern: 'd<type=T><>a: RUN'\n  name: x\n  value: 1";
        assert!(!reach(word, "d", &[("type", "T")], "a", Values::Number, false));
        assert!(reach(word, "d", &[("type", "T")], "a", Values::Any, true));
        assert!(!reach(word, "d", &[("type", "T")], "a", Values::Exactly("STOP".into()), false));
    }

    #[test]
    fn default_export_fancy_patterns_and_cache_rules() {
        assert!(reach("---", "d", &[("type", "T")], "a", Values::Number, false));
        let fancy = "rules:\n- pattern: 'nope(?=x)'\n  name: x";
        assert!(reach(fancy, "d", &[("type", "T")], "a", Values::Number, false), "unsure means yes");
        let cached = "rules:\n- pattern: 'd<type=T><>a: <cache>'\n  name: x\n  cache: true";
        assert!(reach(cached, "d", &[("type", "T")], "a", Values::Number, false));
        assert!(!reach(cached, "d", &[("type", "T")], "b", Values::Number, false));
    }

    #[test]
    fn snake_case_names_and_anchors() {
        let yaml = "rules:\n- pattern: '^d<type=T><>replace_block:'\n  name: x\n  attrNameSnakeCase: true";
        assert!(reach(yaml, "d", &[("type", "T")], "replaceBlock", Values::Number, false));
        assert!(!reach(yaml, "e", &[("type", "T")], "replaceBlock", Values::Any, false));
    }
}
