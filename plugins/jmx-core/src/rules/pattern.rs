//! A rule's `pattern`, compiled the way the JMX exporter compiles it (`^.*(?:pattern).*$`,
//! `JmxCollector.loadConfig`) and matched against the whole input as `Matcher.matches()` does.
//! Java regex syntax is first translated (`rules::java_regex`); patterns `regex` rejects
//! (lookaround, backreferences) or misreads (possessive quantifiers) go to `fancy-regex`.
//! Never panics on user input.

use regex_automata::{PatternID, meta};

use super::java_regex::{JAVA_DOT, possessive, translate};

/// The spans of one successful match: group 0 is the whole input.
pub struct Captures<'p> {
    spans: Vec<Option<(usize, usize)>>,
    pattern: &'p Pattern,
}

impl Captures<'_> {
    /// `Matcher.groupCount()`.
    pub fn group_count(&self) -> usize {
        self.spans.len() - 1
    }

    pub fn get<'h>(&self, hay: &'h str, i: usize) -> Option<&'h str> {
        self.spans.get(i).copied().flatten().map(|(s, e)| &hay[s..e])
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.pattern.names.iter().position(|n| n.as_deref() == Some(name))
    }
}

enum Engine {
    /// `regex-automata`'s meta engine (what the `regex` crate runs) without the one-pass DFA and
    /// the literal prefilter: a fresh sandbox compiles every rule on each scrape, and for the
    /// anchored `^.*(?:...).*$` patterns those cost a third of the compile time and gain nothing.
    Plain(meta::Regex, String),
    Fancy(fancy_regex::Regex),
}

/// A compiled rule pattern.
pub struct Pattern {
    engine: Engine,
    names: Vec<Option<String>>,
    /// The pattern as the user wrote it.
    user: String,
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.engine {
            Engine::Plain(_, source) => write!(f, "Pattern({source})"),
            Engine::Fancy(r) => write!(f, "Pattern({})", r.as_str()),
        }
    }
}

impl Pattern {
    /// Compiles a user's pattern wrapped as the JMX exporter wraps it.
    pub fn compile(user: &str) -> Result<Pattern, String> {
        let wrap = |fancy| format!("^{JAVA_DOT}*(?:{}){JAVA_DOT}*$", translate(user, fancy));
        // The `regex` crate reads `a*+` as `(a*)+`, not as Java's possessive quantifier.
        let plain = match possessive(user) {
            true => Err("possessive quantifier".to_owned()),
            false => {
                let source = wrap(false);
                let config = meta::Config::new().onepass(false).auto_prefilter(false);
                meta::Builder::new().configure(config).build(&source).map(|r| (r, source)).map_err(|e| e.to_string())
            }
        };
        if let Ok((r, source)) = plain {
            let names = r.group_info().pattern_names(PatternID::ZERO).map(|n| n.map(str::to_owned)).collect();
            return Ok(Pattern { engine: Engine::Plain(r, source), names, user: user.to_owned() });
        }
        match fancy_regex::Regex::new(&wrap(true)) {
            Ok(r) => {
                let names = r.capture_names().map(|n| n.map(str::to_owned)).collect();
                Ok(Pattern { engine: Engine::Fancy(r), names, user: user.to_owned() })
            }
            // The plain engine's message is the more helpful one, unless it never tried.
            Err(fancy) => Err(plain.err().filter(|_| !possessive(user)).unwrap_or(fancy.to_string())),
        }
    }

    /// The pattern as written in the config.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The regular expression the `regex` crate runs (the user's pattern translated and wrapped),
    /// for [`super::reach`]; `None` for patterns only `fancy-regex` can run.
    pub fn plain_source(&self) -> Option<&str> {
        match &self.engine {
            Engine::Plain(_, source) => Some(source),
            Engine::Fancy(_) => None,
        }
    }

    /// `Matcher.matches()`: the captures if the whole input matches.
    pub fn captures(&self, hay: &str) -> Option<Captures<'_>> {
        let spans = match &self.engine {
            Engine::Plain(r, _) => {
                // The lazy DFA answers "no" fast; the capture engines are much slower.
                if !r.is_match(hay) {
                    return None;
                }
                let mut c = r.create_captures();
                r.captures(hay, &mut c);
                if !c.is_match() {
                    return None;
                }
                (0..c.group_len()).map(|i| c.get_group(i).map(|m| (m.start, m.end))).collect()
            }
            Engine::Fancy(r) => {
                let c = r.captures(hay).ok()??;
                (0..c.len()).map(|i| c.get(i).map(|m| (m.start(), m.end()))).collect()
            }
        };
        Some(Captures { spans, pattern: self })
    }
}

#[cfg(test)]
mod tests {
    use super::super::java_regex::possessive;
    use super::*;

    #[test]
    fn escaped_quote_and_java_ranges_compile() {
        let p = Pattern::compile(r#"name=\"(\w+-\w+)-(\d+)\"><>([-a-z+/$%~_-|!.]*):"#).unwrap();
        let c = p.captures(r#"Catalina<type=G, name="http-nio-8080"><>bytes_sent: 5"#);
        assert!(c.is_some());
    }

    #[test]
    fn shorthand_classes_are_ascii_like_java() {
        let p = Pattern::compile(r"^a<x=(\d+)>").unwrap();
        assert!(p.captures("a<x=١٢>").is_none());
        assert!(p.captures("a<x=12>").is_some());
    }

    #[test]
    fn word_boundaries_are_ascii_in_both_engines() {
        let plain = Pattern::compile(r"x\bé").unwrap();
        assert!(plain.captures("xé: 1").is_some(), "é is not a word character to Java");
        let fancy = Pattern::compile(r"(?=x)x\bé").unwrap();
        assert!(fancy.captures("xé: 1").is_some());
        assert!(Pattern::compile(r"^a\bb").unwrap().captures("ab: 1").is_none());
        assert!(Pattern::compile(r"^(?=a)a\bb").unwrap().captures("ab: 1").is_none());
        assert!(Pattern::compile(r"^(?=a)a\Bb").unwrap().captures("ab: 1").is_some());
    }

    #[test]
    fn lookahead_falls_back_to_fancy_regex() {
        let p = Pattern::compile(r"^foo(?!bar)").unwrap();
        assert!(p.captures("foobaz: 1").is_some());
        assert!(p.captures("foobar: 1").is_none());
    }

    #[test]
    fn possessive_and_atomic_groups_like_java() {
        // `a*+a` can never match in Java: the possessive star gives nothing back.
        assert!(Pattern::compile("^x<a*+a>").unwrap().captures("x<aaa>: 1").is_none());
        assert!(Pattern::compile("^x<a++b>").unwrap().captures("x<aab>: 1").is_some());
        assert!(Pattern::compile("^x<(?>a*)b>").unwrap().captures("x<aab>: 1").is_some());
        assert!(Pattern::compile(r"^x<\++>").unwrap().captures("x<++>: 1").is_some(), "escaped +, then +");
        assert!(!possessive(r"[a*+]b") && !possessive(r"\*+") && possessive("a?+"));
    }

    #[test]
    fn quoted_literal_section() {
        let p = Pattern::compile(r"\Q<a.b>\E").unwrap();
        assert!(p.captures("d<a.b>: 1").is_some());
        assert!(p.captures("d<axb>: 1").is_none());
    }

    #[test]
    fn dot_skips_java_line_terminators_unless_dotall() {
        let p = Pattern::compile("a.b").unwrap();
        assert!(p.captures("a\rb: 1").is_none());
        assert!(p.captures("a b: 1").is_some());
        assert!(p.captures("x: a\rb").is_none(), "the wrapper's dots are Java's too");
        assert!(Pattern::compile("(?s)a.b").unwrap().captures("a\rb: 1").is_some());
        assert!(Pattern::compile("(?<sessions>a.b)").unwrap().captures("a\rb: 1").is_none());
    }

    #[test]
    fn translated_classes_work_in_fancy_regex() {
        let p = Pattern::compile(r"=(\d+)(?=>)").unwrap();
        let hay = "d<port=8080><>x: 1";
        let c = p.captures(hay).unwrap();
        assert_eq!(c.get(hay, 1), Some("8080"));
    }

    /// jmx_exporter `TomcatPatternCheckTest` (@08951f59a95f): the fixture's sub-patterns.
    #[test]
    fn tomcat_pattern_check_cases() {
        let path = Pattern::compile(r"^//([-a-zA-Z0-9+&@#/%?=~_|!:,.;]*[-a-zA-Z0-9+&@#/%=~_|])$").unwrap();
        let servlet = Pattern::compile(r"^([-a-zA-Z0-9+/$%~_-|!.]*)$").unwrap();
        for ok in ["C", "Cc", "C$c", "C9", "host-manager", "a.C", ".C", "prom_app_metrics"] {
            assert!(servlet.captures(ok).is_some(), "{ok}");
        }
        for ok in [
            "//localhost/",
            "//localhost/docs/",
            "//www.example.com/prom-metric/",
            "//www.example.com/prom_metric+tomcat/",
            "//www.example.com:443;jsessionid=sajakjda/prom-metric/",
        ] {
            assert!(path.captures(ok).is_some(), "{ok}");
        }
        assert!(path.captures("//localhost/$docs/").is_none());
        assert!(path.captures("//localhost/docs()/").is_none());
    }

    #[test]
    fn invalid_pattern_is_an_error() {
        assert!(Pattern::compile("(").is_err());
    }
}
