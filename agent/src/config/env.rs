//! `${NAME}` in static targets and their labels, replaced from the environment when the file is
//! read: a scrapelet extension (Prometheus expands only `external_labels`) so that one file can
//! name this node's kubelet (`${NODE_IP}:10250`, `node: ${NODE_NAME}`) on every node.
//!
//! Entry point: [`expand_braced`]. Only the braced form is touched, so a `$` elsewhere in a
//! Prometheus config (a lone `$`, `$1`) keeps its meaning. It never fails: an unset or empty
//! variable is left as written, so a target never silently becomes `:10250`; `scrapelet run` warns
//! at start about each target still naming one, and such a target is not scraped (its URL is
//! invalid, which is logged too).

/// Replaces each `${NAME}` (`NAME` = `[A-Za-z_][A-Za-z0-9_]*`) with `env(NAME)` when that is set
/// and not empty.
pub(super) fn expand_braced(s: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}').map(|end| &after[..end]).filter(|name| is_name(name)) {
            Some(name) => {
                match env(name).filter(|v| !v.is_empty()) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[i..i + 3 + name.len()]),
                }
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "NODE_IP" => Some("10.0.0.7".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn braced_names_are_replaced_from_the_environment() {
        assert_eq!(expand_braced("${NODE_IP}:10250", &env), "10.0.0.7:10250");
        assert_eq!(expand_braced("a${NODE_IP}b${NODE_IP}", &env), "a10.0.0.7b10.0.0.7");
    }

    #[test]
    fn unset_or_empty_variables_stay_as_written() {
        assert_eq!(expand_braced("${UNSET}:10250 ${EMPTY}", &env), "${UNSET}:10250 ${EMPTY}");
    }

    #[test]
    fn other_dollar_forms_are_untouched() {
        for s in ["$NODE_IP", "$1", "cost$", "${", "${1x}", "${NODE IP}", "$${NODE_IP"] {
            assert_eq!(expand_braced(s, &env), s, "{s}");
        }
    }
}
