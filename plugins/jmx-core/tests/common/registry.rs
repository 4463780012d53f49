//! The MBeans the JMX exporter's `TestMBeanRegistry` registers, flattened as JmxScraper
//! flattens them, for the ported `JmxCollectorTest` and `JmxCollectorConfigTest` cases.

use super::{Attr, attr, double, int, text};
use jmx_core::AttrValue;

pub const HADOOP: &str = "hadoop:service=DataNode,name=DataNodeActivity-ams-hdd001-50010";

/// The registered test MBeans, flattened as JmxScraper flattens them.
pub fn registered() -> Vec<Attr> {
    let servlet = "Catalina:j2eeType=Servlet,WebModule=//localhost/host-manager,\
                   name=HTMLHostManager,J2EEApplication=none,J2EEServer=none";
    let exist = "org.exist.management.exist:type=ProcessReport";
    let kafka = "kafka.consumer:type=consumer-node-metrics,client-id=my-app-consumer,node-id=node-1";
    vec![
        attr(HADOOP, "replaceBlockOpMinTime", int(200)),
        attr("java.lang:type=OperatingSystem", "ProcessCpuTime", int(123_000_000)),
        attr("org.apache.cassandra.concurrent:type=CONSISTENCY-MANAGER", "ActiveCount", int(100)),
        attr("org.apache.cassandra.metrics:type=Compaction,name=CompletedTasks", "Value", double(0.2)),
        // Nested tabular data: JmxScraper suffixes the repeated index name `key` with `_`.
        attr("Hadoop:name=DataNodeInfo,service=DataNode", "DatanodeNetworkCounts", int(338))
            .index(&[("key", "1.2.3.4"), ("key_", "networkErrors")]),
        // A composite index: `key_id`, `key_path` (JmxScraper, composite keys).
        attr(exist, "id", int(1)).keys(&["RunningQueries"]).index(&[("key_id", "1"), ("key_path", "/db/query1.xq")]),
        attr(exist, "id", int(2)).keys(&["RunningQueries"]).index(&[("key_id", "2"), ("key_path", "/db/query2.xq")]),
        attr("boolean:Type=Test", "True", AttrValue::Bool(true)),
        attr("boolean:Type=Test", "False", AttrValue::Bool(false)),
        attr(servlet, "RequestCount", int(1)),
        attr("org.bean.enum:type=StateMetrics", "State", text("RUNNING")),
        attr(
            "org.apache.camel:context=my-camel-context,type=routes,name=\"my-route-name\"",
            "LastExchangeFailureTimestamp",
            double(1.5732e9),
        ),
        attr("io.prometheus.jmx.test:name=PerformanceMetricsMBean", "ActiveSessions", int(2))
            .keys(&["PerformanceMetrics"]),
        attr("io.prometheus.jmx.test:name=PerformanceMetricsMBean", "Bootstraps", int(4)).keys(&["PerformanceMetrics"]),
        attr("io.prometheus.jmx.test:name=PerformanceMetricsMBean", "BootstrapsDeferred", int(6))
            .keys(&["PerformanceMetrics"]),
        attr(kafka, "request-total", double(1.0)),
        attr(kafka, "request-rate", double(2.0)),
    ]
}
