//! Jolokia's replies, as a pod's JVM (or whatever answers on its Jolokia port) sends them to the
//! jmx plugin's scrape: the input is the replies of its round trips one after another, separated
//! by a NUL byte (JSON has none); the first byte's bits switch the JVM metrics on and scrape a
//! second time with the state the first one left (as the next scrape of the target does). The
//! mapping is the JMX exporter's Tomcat rules. Every exposition made must read back with the
//! agent's own parser, as the host will read it.

use std::sync::OnceLock;

use jmx_core::JmxConfig;
use jmx_core::jolokia::{Jolokia, Options, State, scrape};
use scrapelet::scrape::parse::{Format, Parser};

const RULES: &str = include_str!("../../../fixtures/jmx/tomcat.yml");

/// Answers each request with the next reply of the input; past the last one, a transport error.
struct Replies<'a>(std::slice::Split<'a, u8, fn(&u8) -> bool>);

impl Jolokia for Replies<'_> {
    fn post(&mut self, _body: &str) -> Result<Vec<u8>, String> {
        self.0.next().map(<[u8]>::to_vec).ok_or_else(|| "no more replies".to_string())
    }
}

/// Splits fuzz input (or a recorded exchange) into replies.
fn replies(data: &[u8]) -> impl Jolokia + '_ {
    Replies(data.split((|b: &u8| *b == 0) as fn(&u8) -> bool))
}

fn config() -> &'static JmxConfig {
    static C: OnceLock<JmxConfig> = OnceLock::new();
    C.get_or_init(|| JmxConfig::from_yaml(RULES).expect("tomcat rules"))
}

pub fn jolokia_reply(data: &[u8]) {
    let (mode, data) = super::split_mode(data);
    let options = Options { jvm_metrics: mode & 1 == 1 };
    let mut jolokia = replies(data);
    let mut state = State::new(1);
    for _ in 0..1 + usize::from(mode & 2 == 2) {
        let Ok(out) = scrape(config(), options, state, &mut jolokia) else { return };
        for text in [&out.rules, &out.jvm] {
            let mut parser = Parser::new(text.as_bytes(), Format::Text);
            loop {
                match parser.next() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => panic!("the exposition made of Jolokia's replies does not parse: {e}\n{text}"),
                }
            }
        }
        state = out.state;
    }
}
