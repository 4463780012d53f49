//! The JVM and process metrics the JMX exporter javaagent (1.x) exports besides the rules, from
//! client_java's `prometheus-metrics-instrumentation-jvm` (`JvmMetrics`), read here from the
//! `java.lang`/`java.nio` MBeans in the same bulk request. Same names, types and help texts.
//!
//! Not available through JMX attributes, so not exported: `jvm_threads_state` (needs thread
//! enumeration), `jvm_memory_pool_allocated_bytes_total` (GC notifications),
//! `process_resident_memory_bytes` (`/proc/self/status` of the JVM).

mod families;
mod text;

use serde_json::{Map, Value, json};

use super::request::config;

/// The requests, in the order [`exposition`] expects their replies.
pub(crate) fn requests() -> Vec<Value> {
    let read =
        |mbean: &str, attrs: &[&str]| json!({"type": "read", "mbean": mbean, "attribute": attrs, "config": config()});
    let prop = |key: &str| json!({"type": "read", "mbean": "java.lang:type=Runtime", "attribute": "SystemProperties", "path": key, "config": config()});
    let exec =
        |op: &str| json!({"type": "exec", "mbean": "java.lang:type=Threading", "operation": op, "config": config()});
    vec![
        read("java.lang:type=Memory", &["HeapMemoryUsage", "NonHeapMemoryUsage", "ObjectPendingFinalizationCount"]),
        read("java.lang:type=MemoryPool,*", &["Name", "Usage", "CollectionUsage"]),
        read(
            "java.lang:type=Threading",
            &["ThreadCount", "DaemonThreadCount", "PeakThreadCount", "TotalStartedThreadCount"],
        ),
        exec("findDeadlockedThreads"),
        exec("findMonitorDeadlockedThreads"),
        read("java.lang:type=ClassLoading", &["LoadedClassCount", "TotalLoadedClassCount", "UnloadedClassCount"]),
        read("java.lang:type=GarbageCollector,*", &["Name", "CollectionCount", "CollectionTime"]),
        read(
            "java.lang:type=OperatingSystem",
            &["ProcessCpuTime", "OpenFileDescriptorCount", "MaxFileDescriptorCount", "CommittedVirtualMemorySize"],
        ),
        read("java.lang:type=Runtime", &["StartTime", "VmVendor"]),
        prop("java.runtime.version"),
        prop("java.runtime.name"),
        read("java.nio:type=BufferPool,*", &["Name", "MemoryUsed", "TotalCapacity", "Count"]),
        read("java.lang:type=Compilation", &["TotalCompilationTime"]),
    ]
}

/// The replies to [`requests`], by position.
pub(crate) struct Replies<'v>(&'v [Value]);

impl<'v> Replies<'v> {
    fn value(&self, i: usize) -> Option<&'v Value> {
        let e = self.0.get(i)?;
        (e.get("status").and_then(Value::as_i64) == Some(200)).then(|| e.get("value")).flatten()
    }

    fn bean(&self, i: usize) -> Option<&'v Map<String, Value>> {
        self.value(i)?.as_object()
    }

    /// The MBeans of a pattern read, sorted by their `Name` attribute.
    fn beans(&self, i: usize) -> Vec<(&'v str, &'v Map<String, Value>)> {
        let mut out: Vec<_> = self
            .bean(i)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|b| Some((b.get("Name")?.as_str()?, b.as_object()?)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out
    }
}

/// The JVM metrics as text exposition, from the replies to [`requests`] (missing or failed
/// replies leave their metrics out).
pub(crate) fn exposition(entries: &[Value]) -> String {
    text::write(families::all(&Replies(entries)))
}

/// A number attribute; `ignoreErrors` turns unreadable ones into strings, which read as `None`.
fn num(bean: Option<&Map<String, Value>>, attr: &str) -> Option<f64> {
    bean?.get(attr)?.as_f64()
}

fn usage(bean: Option<&Map<String, Value>>, attr: &str, field: &str) -> Option<f64> {
    bean?.get(attr)?.get(field)?.as_f64()
}
