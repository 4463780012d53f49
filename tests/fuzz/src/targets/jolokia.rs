//! A Jolokia bulk reply, as a pod's JVM (or whatever answers on its Jolokia port) sends it: walked
//! for the plan the jmx plugin sent (the first byte picks one of two: every MBean with `list` and
//! the JVM metrics, or a few patterns without) and mapped by the JMX exporter's Tomcat rules. The
//! exposition it makes must read back with the agent's own parser, as the host will read it.

use std::sync::OnceLock;

use jmx_core::jolokia::{Options, Plan, walk};
use jmx_core::{Collector, JmxConfig};
use scrapelet::scrape::parse::{Format, Parser};

const RULES: &str = include_str!("../../../fixtures/jmx/tomcat.yml");

fn setup() -> &'static (JmxConfig, [Plan; 2]) {
    static S: OnceLock<(JmxConfig, [Plan; 2])> = OnceLock::new();
    S.get_or_init(|| {
        let config = JmxConfig::from_yaml(RULES).expect("tomcat rules");
        let all = Plan::new(&[], &[], Options::default()).expect("plan");
        let includes = [
            "Catalina:type=ThreadPool,*".to_string(),
            "Catalina:context=/,host=localhost,type=Manager".to_string(),
            "java.lang:type=Memory".to_string(),
        ];
        let excludes = ["Catalina:type=ThreadPool,name=\"ajp*\"".to_string()];
        let few = Plan::new(&includes, &excludes, Options { list: false, jvm_metrics: false, max_depth: None })
            .expect("plan");
        (config, [all, few])
    })
}

pub fn jolokia_reply(data: &[u8]) {
    let (mode, reply) = super::split_mode(data);
    let (config, plans) = setup();
    let mut collector = Collector::new(config);
    let jvm = walk(&plans[usize::from(mode & 1)], reply, &mut collector).map(|o| o.jvm).unwrap_or_default();
    for text in [collector.finish(), jvm] {
        let mut parser = Parser::new(text.as_bytes(), Format::Text);
        loop {
            match parser.next() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => panic!("the exposition made of a Jolokia reply does not parse: {e}\n{text}"),
            }
        }
    }
}
