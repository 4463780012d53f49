//! client_java's JVM families, filled from the [`Replies`] (indices as in [`super::requests`]).

use serde_json::Value;

use super::text::{Family, Sample};
use super::{Replies, num, usage};

const MEMORY: usize = 0;
const POOLS: usize = 1;
const THREADS: usize = 2;
const DEADLOCKED: usize = 3;
const DEADLOCKED_MONITOR: usize = 4;
const CLASSES: usize = 5;
const GC: usize = 6;
const OS: usize = 7;
const RUNTIME: usize = 8;
const RUNTIME_VERSION: usize = 9;
const RUNTIME_NAME: usize = 10;
const BUFFER_POOLS: usize = 11;
const COMPILATION: usize = 12;

pub fn all(r: &Replies<'_>) -> Vec<Family> {
    let mut out = memory(r);
    out.extend(pools(r));
    out.extend(threads(r));
    out.extend(classes(r));
    out.push(gc(r));
    out.extend(process(r));
    out.extend(buffer_pools(r));
    out.push(compilation(r));
    out.push(runtime_info(r));
    out
}

fn gauge(name: &'static str, help: &'static str, v: Option<f64>) -> Family {
    counter_or_gauge(name, "gauge", help, v)
}

fn counter_or_gauge(name: &'static str, kind: &'static str, help: &'static str, v: Option<f64>) -> Family {
    let mut f = Family::new(name, kind, help);
    f.samples.extend(v.map(|v| Sample::double(vec![], v)));
    f
}

fn memory(r: &Replies<'_>) -> Vec<Family> {
    let bean = r.bean(MEMORY);
    let area = |name, help, field| {
        let mut f = Family::new(name, "gauge", help);
        for (label, attr) in [("heap", "HeapMemoryUsage"), ("nonheap", "NonHeapMemoryUsage")] {
            f.samples.extend(usage(bean, attr, field).map(|v| Sample::double(vec![("area", label.into())], v)));
        }
        f
    };
    vec![
        area("jvm_memory_used_bytes", "Used bytes of a given JVM memory area.", "used"),
        area("jvm_memory_committed_bytes", "Committed (bytes) of a given JVM memory area.", "committed"),
        area("jvm_memory_max_bytes", "Max (bytes) of a given JVM memory area.", "max"),
        area("jvm_memory_init_bytes", "Initial bytes of a given JVM memory area.", "init"),
        gauge(
            "jvm_memory_objects_pending_finalization",
            "The number of objects waiting in the finalizer queue.",
            num(bean, "ObjectPendingFinalizationCount"),
        ),
    ]
}

fn pools(r: &Replies<'_>) -> Vec<Family> {
    let beans = r.beans(POOLS);
    let pool = |name, help, attr, field| {
        let mut f = Family::new(name, "gauge", help);
        for (pool, bean) in &beans {
            f.samples
                .extend(usage(Some(bean), attr, field).map(|v| Sample::double(vec![("pool", pool.to_string())], v)));
        }
        f
    };
    vec![
        pool("jvm_memory_pool_used_bytes", "Used bytes of a given JVM memory pool.", "Usage", "used"),
        pool("jvm_memory_pool_committed_bytes", "Committed bytes of a given JVM memory pool.", "Usage", "committed"),
        pool("jvm_memory_pool_max_bytes", "Max bytes of a given JVM memory pool.", "Usage", "max"),
        pool("jvm_memory_pool_init_bytes", "Initial bytes of a given JVM memory pool.", "Usage", "init"),
        pool(
            "jvm_memory_pool_collection_used_bytes",
            "Used bytes after last collection of a given JVM memory pool.",
            "CollectionUsage",
            "used",
        ),
        pool(
            "jvm_memory_pool_collection_committed_bytes",
            "Committed after last collection bytes of a given JVM memory pool.",
            "CollectionUsage",
            "committed",
        ),
        pool(
            "jvm_memory_pool_collection_max_bytes",
            "Max bytes after last collection of a given JVM memory pool.",
            "CollectionUsage",
            "max",
        ),
        pool(
            "jvm_memory_pool_collection_init_bytes",
            "Initial after last collection bytes of a given JVM memory pool.",
            "CollectionUsage",
            "init",
        ),
    ]
}

fn threads(r: &Replies<'_>) -> Vec<Family> {
    let bean = r.bean(THREADS);
    // `findDeadlockedThreads` answers `null` (none) or the thread ids.
    let cycles = |i| r.value(i).map(|v| v.as_array().map_or(0.0, |a| a.len() as f64));
    vec![
        gauge("jvm_threads_current", "Current thread count of a JVM", num(bean, "ThreadCount")),
        gauge("jvm_threads_daemon", "Daemon thread count of a JVM", num(bean, "DaemonThreadCount")),
        gauge("jvm_threads_peak", "Peak thread count of a JVM", num(bean, "PeakThreadCount")),
        counter_or_gauge(
            "jvm_threads_started_total",
            "counter",
            "Started thread count of a JVM",
            num(bean, "TotalStartedThreadCount"),
        ),
        gauge(
            "jvm_threads_deadlocked",
            "Cycles of JVM-threads that are in deadlock waiting to acquire object monitors or ownable synchronizers",
            cycles(DEADLOCKED),
        ),
        gauge(
            "jvm_threads_deadlocked_monitor",
            "Cycles of JVM-threads that are in deadlock waiting to acquire object monitors",
            cycles(DEADLOCKED_MONITOR),
        ),
    ]
}

fn classes(r: &Replies<'_>) -> Vec<Family> {
    let bean = r.bean(CLASSES);
    vec![
        gauge(
            "jvm_classes_currently_loaded",
            "The number of classes that are currently loaded in the JVM",
            num(bean, "LoadedClassCount"),
        ),
        counter_or_gauge(
            "jvm_classes_loaded_total",
            "counter",
            "The total number of classes that have been loaded since the JVM has started execution",
            num(bean, "TotalLoadedClassCount"),
        ),
        counter_or_gauge(
            "jvm_classes_unloaded_total",
            "counter",
            "The total number of classes that have been unloaded since the JVM has started execution",
            num(bean, "UnloadedClassCount"),
        ),
    ]
}

/// `CollectionTime` is in milliseconds; the summary is in seconds.
fn gc(r: &Replies<'_>) -> Family {
    let mut f =
        Family::new("jvm_gc_collection_seconds", "summary", "Time spent in a given JVM garbage collector in seconds.");
    for (name, bean) in r.beans(GC) {
        let (Some(count), Some(ms)) =
            (bean.get("CollectionCount").and_then(Value::as_i64), num(Some(bean), "CollectionTime"))
        else {
            continue;
        };
        let labels = vec![("gc", name.to_string())];
        f.samples.push(Sample { suffix: "_count", labels: labels.clone(), value: count.to_string() });
        f.samples.push(Sample { suffix: "_sum", ..Sample::double(labels, ms / 1e3) });
    }
    f
}

fn process(r: &Replies<'_>) -> Vec<Family> {
    let os = r.bean(OS);
    let start_ms = num(r.bean(RUNTIME), "StartTime");
    vec![
        counter_or_gauge(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            num(os, "ProcessCpuTime").map(|ns| ns / 1e9),
        ),
        gauge(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            start_ms.map(|ms| ms / 1e3),
        ),
        gauge("process_open_fds", "Number of open file descriptors.", num(os, "OpenFileDescriptorCount")),
        gauge("process_max_fds", "Maximum number of open file descriptors.", num(os, "MaxFileDescriptorCount")),
        gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", num(os, "CommittedVirtualMemorySize")),
    ]
}

fn buffer_pools(r: &Replies<'_>) -> Vec<Family> {
    let beans = r.beans(BUFFER_POOLS);
    let pool = |name, help, attr| {
        let mut f = Family::new(name, "gauge", help);
        for (pool, bean) in &beans {
            f.samples.extend(num(Some(bean), attr).map(|v| Sample::double(vec![("pool", pool.to_string())], v)));
        }
        f
    };
    vec![
        pool("jvm_buffer_pool_used_bytes", "Used bytes of a given JVM buffer pool.", "MemoryUsed"),
        pool("jvm_buffer_pool_capacity_bytes", "Bytes capacity of a given JVM buffer pool.", "TotalCapacity"),
        pool("jvm_buffer_pool_used_buffers", "Used buffers of a given JVM buffer pool.", "Count"),
    ]
}

fn compilation(r: &Replies<'_>) -> Family {
    counter_or_gauge(
        "jvm_compilation_time_seconds_total",
        "counter",
        "The total time in seconds taken for HotSpot class compilation",
        num(r.bean(COMPILATION), "TotalCompilationTime").map(|ms| ms / 1e3),
    )
}

/// client_java reads the system properties `java.runtime.version`, `java.vm.vendor` and
/// `java.runtime.name`, `unknown` when unset.
fn runtime_info(r: &Replies<'_>) -> Family {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("unknown").to_string();
    let mut f = Family::new("jvm_runtime_info", "gauge", "JVM runtime info");
    if r.bean(RUNTIME).is_some() {
        let labels = vec![
            ("runtime", text(r.value(RUNTIME_NAME))),
            ("vendor", text(r.bean(RUNTIME).and_then(|b| b.get("VmVendor")))),
            ("version", text(r.value(RUNTIME_VERSION))),
        ];
        f.samples.push(Sample::double(labels, 1.0));
    }
    f
}
