//! The test API server against a real kube-rs client: lists, selectors, watcher event order,
//! pods leaving the node, recovery from dropped watches and from 410 Gone, bookmarks.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::{Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use kube::runtime::watcher::{self, Event, watcher};
use kube::runtime::{WatchStreamExt, reflector};
use kube::{Client, ResourceExt};
use scrapelet_tests::apiserver::{ApiServer, RequestKind, pod};
use serde_json::Value;

fn web(name: &str, node: &str, ip: &str) -> Value {
    pod(
        "default",
        name,
        node,
        ip,
        &[("app", "web")],
        &[("prometheus.io/scrape", "true"), ("prometheus.io/port", "8090")],
        &[("web", &[("metrics", 8090, "TCP")]), ("sidecar", &[])],
    )
}

async fn client(server: &ApiServer) -> Client {
    let path = scrapelet_tests::procs::scratch("apiserver-test").join("kubeconfig");
    server.write_kubeconfig(&path).unwrap();
    let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.unwrap();
    Client::try_from(config).unwrap()
}

/// The next watcher event, or a panic after 10 s.
async fn next<S: Stream<Item = watcher::Result<Event<Pod>>> + Unpin>(s: &mut S) -> Event<Pod> {
    let ev = tokio::time::timeout(Duration::from_secs(10), s.next()).await.expect("a watcher event within 10 s");
    ev.expect("stream open").expect("no watcher error")
}

fn describe(ev: &Event<Pod>) -> String {
    let node = |p: &Pod| p.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default();
    match ev {
        Event::Init => "init".into(),
        Event::InitApply(p) => format!("init-apply {} {}", p.name_any(), node(p)),
        Event::InitDone => "init-done".into(),
        Event::Apply(p) => format!("apply {} {}", p.name_any(), node(p)),
        Event::Delete(p) => format!("delete {} {}", p.name_any(), node(p)),
    }
}

/// Polls `f` every 100 ms for up to 20 s.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn list_with_field_selector_returns_only_that_nodes_pods() {
    let server = ApiServer::start();
    server.add_pod(web("a-1", "n1", "127.0.0.2"));
    server.add_pod(web("b-1", "n2", "127.0.0.3"));
    let mut other = web("c-1", "n1", "127.0.0.4");
    other["metadata"]["namespace"] = "kube-system".into();
    other["metadata"]["labels"] = serde_json::json!({"app": "dns"});
    server.add_pod(other);
    let api: Api<Pod> = Api::all(client(&server).await);

    let names = |list: kube::core::ObjectList<Pod>| list.items.iter().map(|p| p.name_any()).collect::<Vec<_>>();
    let lp = ListParams::default().fields("spec.nodeName=n1");
    assert_eq!(names(api.list(&lp).await.unwrap()), ["a-1", "c-1"]);
    assert_eq!(names(api.list(&lp.clone().labels("app in (web,db)")).await.unwrap()), ["a-1"]);
    assert_eq!(names(api.list(&lp.clone().labels("app!=web,!missing")).await.unwrap()), ["c-1"]);
    let not_n1 = ListParams::default().fields("spec.nodeName!=n1,status.phase=Running");
    assert_eq!(names(api.list(&not_n1).await.unwrap()), ["b-1"]);
    let ns: Api<Pod> = Api::namespaced(api.clone().into_client(), "kube-system");
    assert_eq!(names(ns.list(&lp).await.unwrap()), ["c-1"]);

    let list = api.list(&lp).await.unwrap();
    assert_eq!(list.metadata.resource_version, Some(server.resource_version().to_string()));
    let p = &list.items[0];
    assert_eq!(p.metadata.resource_version.as_deref(), Some("1001"));
    assert_eq!(p.status.as_ref().unwrap().pod_ip.as_deref(), Some("127.0.0.2"));
    assert_eq!(p.metadata.owner_references.as_ref().unwrap()[0].kind, "ReplicaSet");

    let bad = api.list(&ListParams::default().fields("spec.foo=bar")).await.unwrap_err();
    assert!(matches!(bad, kube::Error::Api(s) if s.code == 400), "unknown field is a 400");
    let cluster_wide: Vec<_> = server.unscoped_requests().into_iter().map(|r| r.field_selector).collect();
    assert_eq!(cluster_wide, [Some("spec.nodeName!=n1,status.phase=Running".into()), Some("spec.foo=bar".into())]);
    assert_eq!(server.requests()[0].authorization.as_deref(), Some("Bearer test-token"));
}

#[tokio::test]
async fn lists_paginate_with_limit_and_continue() {
    let server = ApiServer::start();
    for (i, node) in ["n1", "n2", "n1", "n1"].iter().enumerate() {
        server.add_pod(web(&format!("p-{i}"), node, "127.0.0.2"));
    }
    let api: Api<Pod> = Api::all(client(&server).await);
    let lp = ListParams::default().fields("spec.nodeName=n1").limit(2);
    let first = api.list(&lp).await.unwrap();
    assert_eq!(first.items.iter().map(|p| p.name_any()).collect::<Vec<_>>(), ["p-0", "p-2"]);
    assert_eq!(first.metadata.remaining_item_count, Some(1));
    let rv = first.metadata.resource_version.clone();
    server.add_pod(web("p-4", "n1", "127.0.0.2"));
    let second = api.list(&lp.clone().continue_token(first.metadata.continue_.as_deref().unwrap())).await.unwrap();
    assert_eq!(second.items.iter().map(|p| p.name_any()).collect::<Vec<_>>(), ["p-3", "p-4"]);
    assert_eq!((second.metadata.resource_version, second.metadata.continue_), (rv, None));

    let config = watcher::Config::default().fields("spec.nodeName=n1").page_size(1);
    let events: Vec<_> = watcher(api, config).take(6).map(|e| describe(&e.unwrap())).collect().await;
    assert_eq!(
        events,
        ["init", "init-apply p-0 n1", "init-apply p-2 n1", "init-apply p-3 n1", "init-apply p-4 n1", "init-done"]
    );
}

#[tokio::test]
async fn watcher_sees_changes_in_order_and_pods_leaving_the_node() {
    let server = ApiServer::start();
    server.add_pod(web("a-1", "n1", "127.0.0.2"));
    server.add_pod(web("b-1", "n2", "127.0.0.3"));
    let api: Api<Pod> = Api::all(client(&server).await);
    let mut events = watcher(api, watcher::Config::default().fields("spec.nodeName=n1")).boxed();

    assert_eq!(describe(&next(&mut events).await), "init");
    assert_eq!(describe(&next(&mut events).await), "init-apply a-1 n1");
    assert_eq!(describe(&next(&mut events).await), "init-done");
    server.add_pod(web("c-1", "n2", "127.0.0.4")); // not ours: no event
    server.add_pod(web("d-1", "n1", "127.0.0.5"));
    assert_eq!(describe(&next(&mut events).await), "apply d-1 n1");
    server.update_pod("default", "d-1", |p| p["metadata"]["labels"]["version"] = "2".into());
    let Event::Apply(modified) = next(&mut events).await else { panic!("expected the modification") };
    assert_eq!(modified.labels()["version"], "2");
    server.delete_pod("default", "d-1");
    assert_eq!(describe(&next(&mut events).await), "delete d-1 n1");
    server.move_pod("default", "a-1", "n2");
    assert_eq!(describe(&next(&mut events).await), "delete a-1 n1");
    server.move_pod("default", "b-1", "n1");
    assert_eq!(describe(&next(&mut events).await), "apply b-1 n1");
    assert!(server.unscoped_requests().is_empty(), "watcher stays on its node: {:?}", server.unscoped_requests());
    let kinds: Vec<_> = server.requests().iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RequestKind::List, RequestKind::Watch]);
}

/// A reflector over node `n1`'s pods, driven in the background; its store's pods by name and version.
fn reflect(api: Api<Pod>) -> impl Fn() -> BTreeMap<String, String> {
    let (reader, writer) = reflector::store();
    let stream = reflector(writer, watcher(api, watcher::Config::default().fields("spec.nodeName=n1")));
    tokio::spawn(stream.default_backoff().applied_objects().for_each(|_| async {}));
    move || reader.state().iter().map(|p| (p.name_any(), p.resource_version().unwrap_or_default())).collect()
}

/// What the server holds for node `n1`, in the same shape.
fn expected(server: &ApiServer) -> BTreeMap<String, String> {
    let s = |p: &Value, k: &str| p["metadata"][k].as_str().unwrap().to_string();
    let on_n1 = server.pods().into_iter().filter(|p| p["spec"]["nodeName"] == "n1");
    on_n1.map(|p| (s(&p, "name"), s(&p, "resourceVersion"))).collect()
}

#[tokio::test]
async fn reflector_recovers_after_dropped_watches_without_relisting() {
    let server = ApiServer::start();
    server.add_pod(web("a-1", "n1", "127.0.0.2"));
    server.add_pod(web("b-1", "n1", "127.0.0.3"));
    let state = reflect(Api::all(client(&server).await));
    eventually("initial sync", || state() == expected(&server)).await;

    server.drop_watches();
    server.add_pod(web("c-1", "n1", "127.0.0.4"));
    server.delete_pod("default", "a-1");
    server.move_pod("default", "b-1", "n2");
    server.update_pod("default", "c-1", |p| p["metadata"]["labels"]["x"] = "y".into());
    eventually("resync after dropped watch", || state() == expected(&server) && state().len() == 1).await;
    assert_eq!(server.count(RequestKind::List), 1, "resumed from its resourceVersion, no relist");
    assert!(server.count(RequestKind::Watch) >= 2);
    let resumed = server.requests().into_iter().filter(|r| r.kind == RequestKind::Watch).nth(1).unwrap();
    assert_ne!(resumed.resource_version.as_deref(), Some("0"));
}

#[tokio::test]
async fn reflector_relists_after_compaction_and_410() {
    let server = ApiServer::start();
    server.add_pod(web("a-1", "n1", "127.0.0.2"));
    server.add_pod(web("b-1", "n1", "127.0.0.3"));
    let state = reflect(Api::all(client(&server).await));
    eventually("initial sync", || state() == expected(&server)).await;

    server.compact();
    server.drop_watches();
    server.add_pod(web("c-1", "n1", "127.0.0.4"));
    server.delete_pod("default", "a-1");
    eventually("resync after 410", || state() == expected(&server)).await;
    assert_eq!(state().keys().collect::<Vec<_>>(), ["b-1", "c-1"]);
    assert_eq!(server.count(RequestKind::List), 2, "relisted once after 410");
    assert!(server.unscoped_requests().is_empty());

    // Compaction alone leaves an in-sync open watch running.
    server.compact();
    server.add_pod(web("d-1", "n1", "127.0.0.5"));
    eventually("event after compaction", || state() == expected(&server)).await;
    assert_eq!(server.count(RequestKind::List), 2);
}

#[tokio::test]
async fn resuming_from_a_compacted_version_is_410_expired() {
    let server = ApiServer::start();
    let rv = server.add_pod(web("a-1", "n1", "127.0.0.2"));
    server.compact();
    let api: Api<Pod> = Api::all(client(&server).await);
    let mut events = api.watch(&WatchParams::default(), &rv.to_string()).await.unwrap().boxed();
    let WatchEvent::Error(e) = events.try_next().await.unwrap().unwrap() else { panic!("expected an ERROR event") };
    assert_eq!(
        (e.code, e.reason.as_str(), e.status),
        (410, "Expired", Some(kube::core::response::StatusSummary::Failure))
    );
    assert_eq!(e.message, format!("too old resource version: {rv} ({})", rv + 1));
    assert!(events.try_next().await.unwrap().is_none(), "stream ends after the error");

    // The same through a history window of one change.
    server.set_history_limit(1);
    let first = server.add_pod(web("b-1", "n1", "127.0.0.3"));
    server.add_pod(web("c-1", "n1", "127.0.0.4"));
    let mut events = api.watch(&WatchParams::default(), &first.to_string()).await.unwrap().boxed();
    let WatchEvent::Added(p) = events.try_next().await.unwrap().unwrap() else { panic!("expected ADDED") };
    assert_eq!(p.name_any(), "c-1");
    let mut events = api.watch(&WatchParams::default(), &(first - 1).to_string()).await.unwrap().boxed();
    assert!(matches!(events.try_next().await.unwrap(), Some(WatchEvent::Error(e)) if e.code == 410));
}

#[tokio::test]
async fn bookmarks_arrive_when_asked_and_timeout_ends_the_stream() {
    let server = ApiServer::start();
    server.set_bookmark_interval(Duration::from_millis(200));
    let rv = server.add_pod(web("a-1", "n1", "127.0.0.2"));
    let api: Api<Pod> = Api::all(client(&server).await);

    let wp = WatchParams::default().fields("spec.nodeName=n1").timeout(2);
    let events: Vec<_> = api.watch(&wp, &rv.to_string()).await.unwrap().try_collect().await.unwrap();
    assert!(events.len() >= 3, "bookmarks every 200 ms for 2 s: {events:?}");
    for e in &events {
        let WatchEvent::Bookmark(b) = e else { panic!("only bookmarks expected: {e:?}") };
        assert_eq!(b.metadata.resource_version, rv.to_string());
    }

    let quiet = api.watch(&wp.clone().disable_bookmarks().timeout(1), &rv.to_string()).await.unwrap();
    assert!(quiet.try_collect::<Vec<_>>().await.unwrap().is_empty(), "no bookmarks unless asked");
}

#[tokio::test]
async fn watch_from_zero_starts_with_the_current_state() {
    let server = ApiServer::start();
    server.add_pod(web("a-1", "n1", "127.0.0.2"));
    server.add_pod(web("b-1", "n2", "127.0.0.3"));
    let api: Api<Pod> = Api::all(client(&server).await);
    let wp = WatchParams::default().fields("spec.nodeName=n1").disable_bookmarks().timeout(1);
    let events: Vec<_> = api.watch(&wp, "0").await.unwrap().try_collect().await.unwrap();
    assert!(matches!(&events[..], [WatchEvent::Added(p)] if p.name_any() == "a-1"), "{events:?}");
}

#[tokio::test]
async fn streaming_list_watcher_works() {
    let server = ApiServer::start();
    server.add_pod(web("a-1", "n1", "127.0.0.2"));
    let api: Api<Pod> = Api::all(client(&server).await);
    let config = watcher::Config::default().fields("spec.nodeName=n1").streaming_lists();
    let mut events = watcher(api, config).boxed();
    assert_eq!(describe(&next(&mut events).await), "init");
    assert_eq!(describe(&next(&mut events).await), "init-apply a-1 n1");
    assert_eq!(describe(&next(&mut events).await), "init-done");
    server.delete_pod("default", "a-1");
    assert_eq!(describe(&next(&mut events).await), "delete a-1 n1");
    assert_eq!(server.count(RequestKind::List), 0);
}

#[tokio::test]
async fn injected_failures_answer_a_status_then_clear() {
    let server = ApiServer::start();
    server.add_pod(web("a-1", "n1", "127.0.0.2"));
    let api: Api<Pod> = Api::all(client(&server).await);
    let lp = ListParams::default().fields("spec.nodeName=n1");
    server.fail_next(2, 500);
    for _ in 0..2 {
        let e = api.list(&lp).await.unwrap_err();
        assert!(matches!(e, kube::Error::Api(s) if s.code == 500), "500 expected");
    }
    // kube-rs retries 429 by itself (its default retry policy), honouring Retry-After.
    server.fail_next(1, 429);
    assert_eq!(api.list(&lp).await.unwrap().items.len(), 1);
    assert_eq!(server.count(RequestKind::List), 4);
    let default_api: Api<Pod> = Api::default_namespaced(api.into_client());
    assert_eq!(default_api.get("a-1").await.unwrap().name_any(), "a-1");
    assert!(matches!(default_api.get("zz").await.unwrap_err(), kube::Error::Api(s) if s.code == 404));
}
