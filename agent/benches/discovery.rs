//! Pod-source cost for a node with 110 pods (the kubelet's default maximum), both sources.
//! Prints CPU per kubelet poll (unchanged node: hash of the body; changed node: decode + targets)
//! and the API-server requests per hour each source makes.

use std::hash::BuildHasher;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use scrapelet::discovery::kubernetes::kubelet::decode;
use scrapelet::discovery::kubernetes::pod::pods_targets;

const PODS: usize = 110;

fn pod_list() -> String {
    let pods: Vec<String> = (0..PODS)
        .map(|i| {
            format!(
                r#"{{"metadata":{{"name":"web-{i}","namespace":"shop","uid":"u{i}","labels":{{"app":"web","pod-template-hash":"7d9f"}},
"annotations":{{"prometheus.io/scrape":"true","prometheus.io/port":"8090"}},
"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d9f","uid":"r","controller":true}}]}},
"spec":{{"nodeName":"node-a","containers":[{{"name":"web","image":"web:1","ports":[{{"name":"http","containerPort":8080,"protocol":"TCP"}},{{"name":"metrics","containerPort":8090,"protocol":"TCP"}}]}}]}},
"status":{{"phase":"Running","podIP":"10.1.{}.{}","hostIP":"192.168.0.2","conditions":[{{"type":"Ready","status":"True"}}],
"containerStatuses":[{{"name":"web","containerID":"containerd://{i:064}","image":"web:1","imageID":"","ready":true,"restartCount":0}}]}}}}"#,
                i / 250,
                i % 250
            )
        })
        .collect();
    format!(
        r#"{{"kind":"PodList","apiVersion":"v1","metadata":{{"resourceVersion":"1"}},"items":[{}]}}"#,
        pods.join(",")
    )
}

fn per_iter(f: impl Fn()) -> Duration {
    let n = 200;
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

fn bench(c: &mut Criterion) {
    let body = pod_list();
    let hasher = foldhash::fast::FixedState::with_seed(1);
    c.bench_function("kubelet poll, unchanged node (hash)", |b| b.iter(|| hasher.hash_one(black_box(body.as_bytes()))));
    c.bench_function("kubelet poll, changed node (decode + targets)", |b| {
        b.iter(|| pods_targets(&decode(black_box(body.as_bytes())).unwrap()))
    });
    let unchanged = per_iter(|| {
        black_box(hasher.hash_one(body.as_bytes()));
    });
    let changed = per_iter(|| {
        black_box(pods_targets(&decode(body.as_bytes()).unwrap()));
    });
    println!("\n{PODS} pods, {} KiB PodList", body.len() / 1024);
    println!(
        "kubelet source: {unchanged:?} CPU per unchanged poll (plus one local HTTPS GET), {changed:?} per changed poll"
    );
    println!("kubelet source: 0 API-server requests per hour (720 kubelet requests at the default 5 s poll)");
    println!(
        "api source:     ~13 API-server requests per hour at steady state (one watch per 290 s timeout, plus the initial list), \
         each a long-lived stream; plus a list per 410 Gone"
    );
}

criterion_group! { name = benches; config = Criterion::default().sample_size(20); targets = bench }

fn main() {
    benches();
}
