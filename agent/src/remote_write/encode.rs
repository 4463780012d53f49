//! Hand-written remote-write 1.0 protobuf: label bytes once per series, a few bytes per sample.
//!
//! Entry points: [`RemoteSeries::resolve`] computes a series' labels as one remote sends them
//! (external labels, write relabelling, encoding) once per series; [`RequestBuilder`] appends one
//! `TimeSeries` per sample and snappy-compresses the finished `WriteRequest`. Nothing here
//! allocates per sample; the buffers are reused from request to request.

use bytes::Bytes;

use crate::labels::Labels;
use crate::relabel::RelabelConfig;
use crate::series::Series;
use crate::series::rw1::{TAG_1_LEN, TAG_2_LEN, decode_labels, put_varint, varint_len};

/// `Sample.value` (field 1, 64-bit).
const TAG_1_F64: u8 = 0x09;
/// `Sample.timestamp` (field 2, varint).
const TAG_2_VARINT: u8 = 0x10;

/// What a remote does to a series before sending it.
#[derive(Debug, Default)]
pub struct SeriesRules {
    /// Added to every series; a series' own label of the same name wins.
    pub external_labels: Labels,
    pub write_relabel_configs: Vec<RelabelConfig>,
}

impl SeriesRules {
    /// The remote sends every series as the scrape side made it.
    pub fn is_identity(&self) -> bool {
        self.external_labels.is_empty() && self.write_relabel_configs.is_empty()
    }
}

/// The labels a remote sends for a series: external labels merged in, write relabelling applied;
/// `None` if relabelling drops it.
pub fn final_labels(labels: &Labels, rules: &SeriesRules) -> Option<Labels> {
    let mut labels = with_external(labels, &rules.external_labels);
    if !rules.write_relabel_configs.is_empty() && !crate::relabel::process(&mut labels, &rules.write_relabel_configs) {
        return None;
    }
    (!labels.is_empty()).then_some(labels)
}

static DROPPED: std::sync::LazyLock<RemoteSeries> =
    std::sync::LazyLock::new(|| RemoteSeries(Series::new(0, &Labels::default())));

/// A series as one remote sends it: its final labels as a [`Series`], whose pairs are interned
/// process-wide (cloning is a reference count; encoding concatenates the pairs' bytes).
///
/// When the remote changes nothing (no external labels, no write relabelling) and the series is
/// still alive on the scrape side, it is the scrape side's own `Series`: a series is held once
/// in the process, not once more per remote. Otherwise the remote makes a series of its own (id
/// 0) whose pairs are mostly the same interned ones.
#[derive(Clone, Debug)]
pub struct RemoteSeries(Series);

impl RemoteSeries {
    /// Resolved once per series per WAL segment, for a series record with labels `rw1`; `None`
    /// if the remote's relabelling drops it (or the labels are malformed). `live` is the scrape
    /// side's series of that record, if this process wrote it and the WAL handed it over (only to
    /// a remote whose rules are identity; see `wal::live`); its labels stand for `rw1` then.
    pub fn for_record(rw1: &[u8], rules: &SeriesRules, live: Option<Series>) -> Option<RemoteSeries> {
        if !rules.is_identity() {
            let labels = live.map_or_else(|| decode_labels(rw1), |s| Some(s.labels()));
            return labels.and_then(|labels| Self::resolve(&labels, rules));
        }
        live.or_else(|| Series::from_rw1(0, rw1)).map(RemoteSeries)
    }

    /// The scrape side's series, for a remote that sends the labels as they are.
    pub fn shared(series: &Series) -> RemoteSeries {
        RemoteSeries(series.clone())
    }

    /// A series of the remote's own, labels as the remote sends them; `None` if dropped.
    pub fn resolve(labels: &Labels, rules: &SeriesRules) -> Option<RemoteSeries> {
        final_labels(labels, rules).map(|labels| RemoteSeries(Series::new(0, &labels)))
    }

    /// Stands for a series the remote drops (one shared series with no labels, so that a
    /// remote's table holds 8 bytes a series, not 16 for an `Option`).
    pub fn dropped() -> RemoteSeries {
        DROPPED.clone()
    }

    pub fn is_dropped(&self) -> bool {
        Series::ptr_eq(&self.0, &DROPPED.0)
    }

    pub fn series(&self) -> &Series {
        &self.0
    }

    /// Identifies the series' allocation (one per series per segment).
    pub fn id(&self) -> *const u8 {
        self.0.addr()
    }

    /// The (name, value) pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.0.pairs()
    }
}

/// Appends one `TimeSeries` (remote write 1.0) with `series`' labels and one sample to `raw`.
pub fn push_series(raw: &mut Vec<u8>, series: &Series, t: i64, v: f64) {
    push_series_with(raw, series, t, v, |raw| series.write_rw1(raw));
}

/// [`push_series`], returning the series' [`Series::label_hash`] (read in the same pass).
pub fn push_series_hashed(raw: &mut Vec<u8>, series: &Series, t: i64, v: f64) -> u64 {
    let mut hash = 0;
    push_series_with(raw, series, t, v, |raw| hash = series.write_rw1_hashed(raw));
    hash
}

fn push_series_with(raw: &mut Vec<u8>, series: &Series, t: i64, v: f64, labels: impl FnOnce(&mut Vec<u8>)) {
    let sample_len = 1 + 8 + 1 + varint_len(t as u64);
    let series_len = series.rw1_len() + 2 + sample_len;
    raw.push(TAG_1_LEN);
    put_varint(raw, series_len as u64);
    labels(raw);
    raw.extend_from_slice(&[TAG_2_LEN, sample_len as u8, TAG_1_F64]);
    raw.extend_from_slice(&v.to_bits().to_le_bytes());
    raw.push(TAG_2_VARINT);
    put_varint(raw, t as u64);
}

/// Samples already encoded as remote-write 1.0 `TimeSeries` (a piece of a request): what the
/// pump hands a shard once the remote speaks 1.0, so that a series' label bytes are read once,
/// while they are at hand, and a queued sample holds no reference to them.
#[derive(Debug)]
pub struct Encoded {
    pub raw: Vec<u8>,
    pub samples: usize,
    pub highest_timestamp: i64,
}

impl Default for Encoded {
    fn default() -> Encoded {
        Encoded { raw: Vec::new(), samples: 0, highest_timestamp: i64::MIN }
    }
}

impl Encoded {
    pub fn with_capacity(bytes: usize) -> Encoded {
        Encoded { raw: Vec::with_capacity(bytes), ..Encoded::default() }
    }

    pub fn push(&mut self, series: &Series, t: i64, v: f64) {
        push_series(&mut self.raw, series, t, v);
        self.samples += 1;
        self.highest_timestamp = self.highest_timestamp.max(t);
    }

    /// Appends one `TimeSeries` already encoded (by [`push_series_hashed`]) with timestamp `t`.
    pub fn push_encoded_one(&mut self, time_series: &[u8], t: i64) {
        self.raw.extend_from_slice(time_series);
        self.samples += 1;
        self.highest_timestamp = self.highest_timestamp.max(t);
    }

    /// The piece compressed on its own; `raw` is left empty (its buffer kept, for reuse).
    pub fn compress(&mut self) -> Compressed {
        let piece = SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            Compressed::of(&self.raw, &mut s.snappy, &mut s.compressed, self.samples, self.highest_timestamp)
        });
        self.raw.clear();
        self.samples = 0;
        self.highest_timestamp = i64::MIN;
        piece
    }
}

/// A piece of a request compressed on its own: its snappy elements without the block's length
/// preamble. A snappy block's copies point back from where they are written, so the elements of
/// pieces compressed apart, written one after another under the preamble of their summed
/// length, decode as one block to the pieces joined (the encoder itself restarts every 64 KiB).
/// Pieces wait in a shard's queue compressed, and a request is put together without copying
/// its uncompressed bytes again.
#[derive(Debug)]
pub struct Compressed {
    elements: Vec<u8>,
    raw_len: usize,
    pub samples: usize,
    pub highest_timestamp: i64,
}

impl Compressed {
    fn of(raw: &[u8], snappy: &mut snap::raw::Encoder, buf: &mut Vec<u8>, samples: usize, highest: i64) -> Self {
        buf.resize(snap::raw::max_compress_len(raw.len()), 0);
        let n = snappy.compress(raw, buf).expect("buffer sized by max_compress_len");
        let preamble = varint_len(raw.len() as u64);
        let elements = buf[preamble..n].to_vec();
        Compressed { elements, raw_len: raw.len(), samples, highest_timestamp: highest }
    }

    /// Bytes of the piece uncompressed.
    pub fn raw_len(&self) -> usize {
        self.raw_len
    }

    /// The piece's uncompressed bytes (for tests and benchmarks).
    fn decompress(&self) -> Vec<u8> {
        let mut block = Vec::with_capacity(10 + self.elements.len());
        put_varint(&mut block, self.raw_len as u64);
        block.extend_from_slice(&self.elements);
        snap::raw::Decoder::new().decompress_vec(&block).expect("a block this process compressed")
    }
}

/// One sample waiting in a shard.
#[derive(Clone, Debug)]
pub struct QueuedSample {
    pub series: RemoteSeries,
    pub t: i64,
    pub v: f64,
}

fn with_external(labels: &Labels, external: &Labels) -> Labels {
    let mut merged = labels.clone();
    for e in external.iter().filter(|e| labels.get(&e.name).is_none()) {
        merged.set(e.name.clone(), e.value.clone());
    }
    merged
}

/// One `WriteRequest` being built: encoded pieces in, snappy-compressed body out.
///
/// A request waiting to be sent holds its pieces compressed (as the pump compressed them, or as
/// [`push`](Self::push) filled one); finishing writes the block's preamble and their elements
/// one after another (see [`Compressed`]): a shard keeps no request-sized buffers of its own.
pub struct RequestBuilder {
    pieces: Vec<Compressed>,
    /// Filled by [`push`](Self::push), compressed when the request is finished.
    open: Encoded,
    samples: usize,
    highest_timestamp: i64,
}

impl Default for RequestBuilder {
    fn default() -> Self {
        RequestBuilder { pieces: Vec::new(), open: Encoded::default(), samples: 0, highest_timestamp: i64::MIN }
    }
}

/// A thread's buffer for compressing pieces, and its snappy encoder.
struct Scratch {
    compressed: Vec<u8>,
    snappy: snap::raw::Encoder,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> =
        std::cell::RefCell::new(Scratch { compressed: Vec::new(), snappy: snap::raw::Encoder::new() });
}

impl RequestBuilder {
    /// Appends one `TimeSeries` with `series`' labels and one sample. The value's bits go out
    /// unchanged, so a stale NaN stays a stale NaN.
    pub fn push(&mut self, series: &Series, t: i64, v: f64) {
        self.open.push(series, t, v);
        self.samples += 1;
        self.highest_timestamp = self.highest_timestamp.max(t);
    }

    /// Appends a piece encoded and compressed elsewhere ([`Encoded::compress`]).
    pub fn push_encoded(&mut self, piece: Compressed) {
        self.seal();
        self.samples += piece.samples;
        self.highest_timestamp = self.highest_timestamp.max(piece.highest_timestamp);
        self.pieces.push(piece);
    }

    /// Samples in the request so far.
    pub fn len(&self) -> usize {
        self.samples
    }

    pub fn is_empty(&self) -> bool {
        self.samples == 0
    }

    /// The newest sample timestamp pushed since the last [`finish`](Self::finish), in ms.
    pub fn highest_timestamp(&self) -> i64 {
        self.highest_timestamp
    }

    /// Builds the whole request with `encode` instead of [`push`](Self::push) (remote write 2.0).
    pub fn encode_with(&mut self, samples: usize, encode: impl FnOnce(&mut Vec<u8>)) {
        self.pieces.clear();
        self.open = Encoded::default();
        encode(&mut self.open.raw);
        self.samples = samples;
    }

    /// The uncompressed `WriteRequest` so far (joined: for tests and benchmarks).
    pub fn raw(&self) -> Vec<u8> {
        let mut raw: Vec<u8> = self.pieces.iter().flat_map(Compressed::decompress).collect();
        raw.extend_from_slice(&self.open.raw);
        raw
    }

    /// Compresses what [`push`](Self::push) filled into a piece of its own.
    fn seal(&mut self) {
        if !self.open.raw.is_empty() {
            // Its buffer goes too: a shard keeps none between requests.
            self.pieces.push(std::mem::take(&mut self.open).compress());
        }
    }

    /// The request as one snappy block, and a new one started.
    pub fn finish(&mut self) -> Bytes {
        self.seal();
        let raw_len: usize = self.pieces.iter().map(|p| p.raw_len).sum();
        let mut body = Vec::with_capacity(10 + self.pieces.iter().map(|p| p.elements.len()).sum::<usize>());
        put_varint(&mut body, raw_len as u64);
        self.pieces.drain(..).for_each(|p| body.extend_from_slice(&p.elements));
        self.samples = 0;
        self.highest_timestamp = i64::MIN;
        Bytes::from(body)
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::remote_write::proto;
    use crate::series::{SeriesFactory, stale_nan};

    fn rules(external: &[(&str, &str)]) -> SeriesRules {
        SeriesRules { external_labels: Labels::from_pairs(external.iter().copied()), write_relabel_configs: vec![] }
    }

    fn decode(body: &[u8]) -> proto::WriteRequest {
        let raw = snap::raw::Decoder::new().decompress_vec(body).unwrap();
        proto::WriteRequest::decode(raw.as_slice()).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<proto::Label> {
        pairs.iter().map(|(n, v)| proto::Label { name: n.to_string(), value: v.to_string() }).collect()
    }

    #[test]
    fn hand_encoding_decodes_to_the_expected_write_request() {
        let f = SeriesFactory::default();
        let a = f.make(Labels::from_pairs([("__name__", "up"), ("job", "node")]));
        let long = "x".repeat(300);
        let b = f.make(Labels::from_pairs([("__name__", "temp"), ("sensor", long.as_str())]));
        let r = rules(&[("cluster", "eu1"), ("job", "ext")]);
        let (ra, rb) =
            (RemoteSeries::resolve(&a.labels(), &r).unwrap(), RemoteSeries::resolve(&b.labels(), &r).unwrap());
        let mut req = RequestBuilder::default();
        req.push(ra.series(), 1_700_000_000_123, 1.0);
        req.push(rb.series(), -5, 0.0);
        req.push(ra.series(), 1_700_000_015_123, stale_nan());
        assert_eq!((req.len(), req.highest_timestamp()), (3, 1_700_000_015_123));
        let got = decode(&req.finish());
        let la = labels(&[("__name__", "up"), ("cluster", "eu1"), ("job", "node")]);
        let lb = labels(&[("__name__", "temp"), ("cluster", "eu1"), ("job", "ext"), ("sensor", &long)]);
        let ts = |labels: &Vec<proto::Label>, timestamp, value| proto::TimeSeries {
            labels: labels.clone(),
            samples: vec![proto::Sample { value, timestamp }],
        };
        assert_eq!(got.timeseries[..2], [ts(&la, 1_700_000_000_123, 1.0), ts(&lb, -5, 0.0)]);
        assert_eq!(got.timeseries[2].labels, la);
        assert_eq!(got.timeseries[2].samples[0].value.to_bits(), stale_nan().to_bits());
        assert!(req.is_empty());
    }

    #[test]
    fn pieces_compressed_apart_decode_as_one_request() {
        // Two pieces of the pump (the first over snappy's 64 KiB block), then one pushed sample:
        // one snappy block that a standard decoder reads as the three joined.
        let f = SeriesFactory::default();
        let series: Vec<Series> =
            (0..1_500).map(|i| f.make(Labels::from_pairs([("__name__", "m"), ("i", &format!("{i:0>40}"))]))).collect();
        let (mut a, mut b, mut joined) = (Encoded::default(), Encoded::default(), RequestBuilder::default());
        series[..1_000].iter().enumerate().for_each(|(i, s)| a.push(s, i as i64, 1.0));
        series[1_000..].iter().enumerate().for_each(|(i, s)| b.push(s, i as i64, 2.0));
        assert!(a.raw.len() > 1 << 16);
        let mut want = a.raw.clone();
        want.extend_from_slice(&b.raw);
        let mut req = RequestBuilder::default();
        req.push_encoded(a.compress());
        req.push_encoded(b.compress());
        req.push(&series[0], 7, 3.0);
        joined.push(&series[0], 7, 3.0);
        want.extend_from_slice(&joined.raw());
        assert_eq!((req.len(), req.raw()), (1_501, want.clone()));
        let body = req.finish();
        assert_eq!(snap::raw::Decoder::new().decompress_vec(&body).unwrap(), want);
        assert_eq!(decode(&body).timeseries.len(), 1_501);
        assert!(a.raw.is_empty() && a.samples == 0, "compressing empties the piece for reuse");
    }

    #[test]
    fn matches_prost_encoding_byte_for_byte() {
        let f = SeriesFactory::default();
        let s = f.make(Labels::from_pairs([("__name__", "a"), ("b", "c")]));
        let mut req = RequestBuilder::default();
        req.push(&s, 42, 2.5);
        let expected = proto::WriteRequest {
            timeseries: vec![proto::TimeSeries {
                labels: labels(&[("__name__", "a"), ("b", "c")]),
                samples: vec![proto::Sample { value: 2.5, timestamp: 42 }],
            }],
            metadata: vec![],
        };
        assert_eq!(req.raw(), expected.encode_to_vec());
        assert_eq!(decode(&req.finish()), expected);
    }

    #[test]
    fn a_remote_that_changes_nothing_shares_the_scrape_side_series() {
        let live = SeriesFactory::default().make(Labels::from_pairs([("__name__", "up"), ("job", "a")]));
        let record = live.to_rw1();
        let same = RemoteSeries::for_record(&record, &SeriesRules::default(), Some(live.clone()));
        assert_eq!(same.unwrap().id(), live.addr());
        let replayed = RemoteSeries::for_record(&record, &SeriesRules::default(), None).unwrap();
        assert_eq!(replayed.series().to_rw1(), record);
        assert_eq!(replayed.series().id(), 0, "a remote's own series is never in the WAL");
        let rules = rules(&[("cluster", "c")]);
        let own = RemoteSeries::for_record(&record, &rules, Some(live.clone())).unwrap();
        assert_ne!(own.id(), live.addr());
        assert_eq!(own.series().labels().get("cluster"), Some("c"));
        assert_eq!(own.series().labels().get("job"), Some("a"));
        assert!(RemoteSeries::for_record(b"\x0a\x05\x0a\x01a", &SeriesRules::default(), None).is_none());
    }

    #[test]
    fn remote_series_pairs_read_back_the_encoded_labels() {
        let long = "v".repeat(20_000);
        let l = Labels::from_pairs([("__name__", "up"), ("a", ""), ("big", long.as_str()), ("z", "1")]);
        let s = RemoteSeries::resolve(&l, &rules(&[("cluster", "c")])).unwrap();
        let got: Vec<(&[u8], &[u8])> = s.pairs().collect();
        let want: Vec<(&[u8], &[u8])> =
            vec![(b"__name__", b"up"), (b"big", long.as_bytes()), (b"cluster", b"c"), (b"z", b"1")];
        assert_eq!(got, want);
    }
}
