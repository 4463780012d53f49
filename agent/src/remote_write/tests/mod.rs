//! Queue, shard, retry and recovery behaviour end to end against an in-process fake backend and a
//! real WAL in a scratch directory, on paused time.

mod queue;
mod recovery;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::proto::{RequestV2, WriteRequest};
use super::*;
use crate::http_client::HttpClientConfig;
use crate::labels::Labels;
use crate::series::{Sample, SeriesFactory};
use crate::wal::{Wal, WalConfig};

/// What the fake backend answers to the next request.
#[derive(Clone, Copy)]
pub enum Step {
    Status(u16, Option<u64>),
    NetworkError,
}

/// How the fake treats remote write 2.0 requests.
#[derive(Clone, Copy, Default, PartialEq)]
pub enum V2Support {
    /// Decodes them and answers with `X-Prometheus-Remote-Write-Samples-Written`.
    #[default]
    Yes,
    /// Answers 415.
    Unsupported,
    /// A 1.x receiver: reads the body as an empty 1.0 request and answers 204 without the header.
    Ignores,
}

/// Records every request (decoded to 1.0 form) with its time and answers from a script, then 200.
#[derive(Clone, Default)]
pub struct Fake {
    pub script: Arc<Mutex<VecDeque<Step>>>,
    pub log: Arc<Mutex<Vec<(Instant, WriteRequest)>>>,
    /// Protocol of each request, in order.
    pub protocols: Arc<Mutex<Vec<Protocol>>>,
    /// When set, each request waits for one permit first (a slow backend).
    pub gate: Option<Arc<Semaphore>>,
    /// When set, each request is answered this long after it arrived (a distant backend).
    pub delay: Option<Duration>,
    /// A request holding a series of this name is answered 503 and not recorded (one shard stuck).
    pub refuse: Option<&'static str>,
    pub v2: V2Support,
}

impl Fake {
    pub fn scripted(steps: &[Step]) -> Fake {
        Fake { script: Arc::new(Mutex::new(steps.iter().copied().collect())), ..Fake::default() }
    }

    pub fn requests(&self) -> Vec<(Instant, WriteRequest)> {
        self.log.lock().unwrap().clone()
    }

    /// Every sample received, in arrival order: (series name, timestamp).
    pub fn by_series(&self) -> Vec<(String, i64)> {
        let reqs = self.requests();
        reqs.iter()
            .flat_map(|(_, r)| r.timeseries.iter())
            .flat_map(|ts| ts.samples.iter().map(|s| (ts.labels[0].value.clone(), s.timestamp)))
            .collect()
    }

    /// (value, timestamp) of every sample received, in order, per request.
    pub fn samples(&self) -> Vec<Vec<(f64, i64)>> {
        let reqs = self.requests();
        reqs.iter()
            .map(|(_, r)| {
                r.timeseries.iter().flat_map(|ts| ts.samples.iter().map(|s| (s.value, s.timestamp))).collect()
            })
            .collect()
    }

    fn record(&self, body: &[u8], protocol: Protocol) -> Option<Response> {
        let raw = snap::raw::Decoder::new().decompress_vec(body).unwrap();
        self.protocols.lock().unwrap().push(protocol);
        let req = match (protocol, self.v2) {
            (Protocol::V2, V2Support::Unsupported) => return Some(response(415, None)),
            (Protocol::V2, V2Support::Yes) => v2_as_v1(RequestV2::decode(raw.as_slice()).unwrap()),
            _ => WriteRequest::decode(raw.as_slice()).unwrap(),
        };
        if let Some(name) = self.refuse
            && req.timeseries.iter().any(|ts| ts.labels.iter().any(|l| l.value == name))
        {
            return Some(response(503, None));
        }
        self.log.lock().unwrap().push((Instant::now(), req));
        None
    }
}

fn response(status: u16, retry_after: Option<u64>) -> Response {
    let retry_after = retry_after.map(Duration::from_secs);
    Response { status, retry_after, message: "fake".into(), samples_written: None }
}

fn v2_as_v1(r: RequestV2) -> WriteRequest {
    let timeseries = r
        .timeseries
        .into_iter()
        .map(|ts| {
            let sym = |i: u32| r.symbols[i as usize].clone();
            let labels = ts.labels_refs.chunks(2).map(|p| proto::Label { name: sym(p[0]), value: sym(p[1]) }).collect();
            proto::TimeSeries { labels, samples: ts.samples }
        })
        .collect();
    WriteRequest { timeseries, metadata: vec![] }
}

impl Transport for Fake {
    async fn send(&self, body: Bytes, protocol: Protocol) -> Result<Response, TransportError> {
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let recorded = self.record(&body, protocol);
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        if let Some(r) = recorded {
            return Ok(r);
        }
        let step = self.script.lock().unwrap().pop_front().unwrap_or(Step::Status(200, None));
        match step {
            Step::Status(status, retry_after) => {
                let mut r = response(status, retry_after);
                if protocol == Protocol::V2 && self.v2 == V2Support::Yes {
                    r.samples_written = Some(0);
                }
                Ok(r)
            }
            Step::NetworkError => Err(TransportError::Client("connection refused".into())),
        }
    }
}

/// A scratch data directory, removed on drop.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("scrapelet-rw-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn wal(&self) -> Arc<Wal> {
        let dir = cap_std::fs::Dir::open_ambient_dir(&self.0, cap_std::ambient_authority()).unwrap();
        Wal::open(&dir, WalConfig::default()).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A writer over a fresh WAL (the scratch dir lives as long as the returned guard).
pub fn writer<T: Transport>(
    configs: &[RemoteWriteConfig],
    fakes: impl FnMut(&RemoteWriteConfig) -> T,
) -> (RemoteWriter, Scratch) {
    let scratch = Scratch::new(&configs[0].name);
    let w = RemoteWriter::start_with(configs, Labels::new(), scratch.wal(), fakes).unwrap();
    (w, scratch)
}

pub fn config(name: &str, q: QueueConfig) -> RemoteWriteConfig {
    RemoteWriteConfig {
        url: "http://127.0.0.1:1/api/v1/write".into(),
        name: name.into(),
        remote_timeout: Duration::from_secs(30),
        headers: vec![],
        http: HttpClientConfig::default(),
        write_relabel_configs: vec![],
        queue_config: q,
        protocol: Protocol::V1,
    }
}

pub fn queue(max_samples_per_send: usize) -> QueueConfig {
    QueueConfig { max_samples_per_send, ..QueueConfig::default() }
}

/// `n` samples of one series, values 0..n at timestamps 1000, 2000, ...
pub fn samples(f: &SeriesFactory, name: &str, n: usize) -> Batch {
    let s = f.make(Labels::from_pairs([("__name__", name)]));
    (0..n).map(|i| Sample { series: s.clone(), t: 1000 * (i as i64 + 1), v: i as f64 }).collect()
}

pub fn counter(f: &crate::metrics::Family<crate::metrics::Counter>, labels: &[&str]) -> u64 {
    f.with(labels).get()
}
