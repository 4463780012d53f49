//! The warning for a rules set that exported nothing from a JVM that has MBeans: how many MBeans
//! there were, which domains they are in, and which domains the rules' patterns name that none
//! has (the usual cause: the upstream `tomcat.yml` names `Catalina`, embedded Tomcat and Spring
//! Boot register `Tomcat`).

use std::collections::BTreeSet;

use crate::config::JmxConfig;

/// Domains listed before the rest are only counted.
const MAX_DOMAINS: usize = 20;

/// `no rule matched any of N MBeans; domains seen: ...`, with the domain hint when there is one.
pub fn no_match(config: &JmxConfig, names: &[String]) -> String {
    let seen: BTreeSet<&str> = names.iter().filter_map(|n| n.split_once(':').map(|(d, _)| d)).collect();
    let mut listed: Vec<&str> = seen.iter().copied().take(MAX_DOMAINS).collect();
    let more = seen.len().saturating_sub(MAX_DOMAINS);
    let mut more_text = String::new();
    if more > 0 {
        listed.push("...");
        more_text = format!(" ({more} more)");
    }
    let mut out =
        format!("no rule matched any of {} MBeans; domains seen: {}{more_text}", names.len(), listed.join(", "));
    let named: BTreeSet<String> =
        config.rules.iter().filter_map(|r| pattern_domain(r.pattern.as_ref()?.user())).collect();
    let missing: Vec<&String> = named.iter().filter(|d| !seen.contains(d.as_str())).collect();
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|d| d.as_str()).collect();
        out += &format!("; the rules' patterns name the domain {}, which no MBean has", list.join(", "));
    }
    if missing.iter().any(|d| *d == "Catalina") && seen.contains("Tomcat") {
        out += " (embedded Tomcat and Spring Boot register Tomcat's MBeans under the domain \"Tomcat\": \
                change \"Catalina<\" to \"Tomcat<\" in the patterns)";
    }
    out
}

/// The domain a pattern starts with, when it begins with a plain name followed by `<`.
fn pattern_domain(pattern: &str) -> Option<String> {
    let p = pattern.strip_prefix('^').unwrap_or(pattern);
    let (domain, _) = p.split_once('<')?;
    let plain =
        !domain.is_empty() && domain.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '\\'));
    plain.then(|| domain.replace("\\.", "."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_domains_and_the_tomcat_cause() {
        let config = JmxConfig::from_yaml("rules:\n- pattern: 'Catalina<type=ThreadPool><>x:'\n  name: y").unwrap();
        let names: Vec<String> = ["Tomcat:type=Server", "java.lang:type=Memory", "Tomcat:type=Engine"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let w = no_match(&config, &names);
        assert!(w.starts_with("no rule matched any of 3 MBeans; domains seen: Tomcat, java.lang"), "{w}");
        assert!(w.contains("name the domain Catalina, which no MBean has"), "{w}");
        assert!(w.contains("\"Tomcat\""), "{w}");
        let plain = no_match(&JmxConfig::from_yaml("rules:\n- pattern: '.*x'\n  name: y").unwrap(), &names);
        assert_eq!(plain, "no rule matched any of 3 MBeans; domains seen: Tomcat, java.lang");
    }

    #[test]
    fn domains_only_from_plain_leading_names() {
        assert_eq!(pattern_domain("^hadoop<service=DataNode>").as_deref(), Some("hadoop"));
        assert_eq!(pattern_domain("kafka.server<type=(.+)>").as_deref(), Some("kafka.server"));
        assert_eq!(pattern_domain("(Catalina|Tomcat)<type=x>"), None);
        assert_eq!(pattern_domain(".*"), None);
        assert_eq!(pattern_domain(r"org\.apache<x>").as_deref(), Some("org.apache"));
    }
}
