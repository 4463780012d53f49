//! Hand-written remote-write 2.0 protobuf (`io.prometheus.write.v2.Request`): a symbols table
//! (starting with `""`), and one `TimeSeries` per series in the batch with its label refs and all
//! of its samples in order.
//!
//! Entry point: [`encode_request`]. Metadata and created timestamps are not sent: the series the
//! WAL carries have neither (the fields are optional; receivers treat the type as unspecified).

use std::collections::HashMap;

use super::encode::{QueuedSample, RemoteSeries};
use crate::series::rw1::{put_bytes, put_varint, varint_len};

/// `Request.symbols` (field 4, length-delimited).
const TAG_SYMBOLS: u8 = 0x22;
/// `Request.timeseries` (field 5, length-delimited).
const TAG_TIMESERIES: u8 = 0x2a;
/// `TimeSeries.labels_refs` (field 1, packed).
const TAG_LABELS_REFS: u8 = 0x0a;
/// `TimeSeries.samples` (field 2).
const TAG_SAMPLES: u8 = 0x12;

/// One series' (timestamp, value) pairs in a request.
type Points = Vec<(i64, f64)>;

/// Encodes `samples` as one uncompressed `Request` into `out`.
pub fn encode_request(samples: &[QueuedSample], out: &mut Vec<u8>) {
    let mut symbols = Symbols::default();
    let mut order: Vec<(&RemoteSeries, Points)> = Vec::new();
    let mut index: HashMap<*const u8, usize> = HashMap::new();
    for s in samples {
        let i = *index.entry(s.series.id()).or_insert_with(|| {
            order.push((&s.series, Vec::new()));
            order.len() - 1
        });
        order[i].1.push((s.t, s.v));
    }
    let mut series = Vec::with_capacity(order.len());
    for (rs, points) in &order {
        let refs: Vec<u32> = rs.pairs().flat_map(|(n, v)| [symbols.get(n), symbols.get(v)]).collect();
        series.push((refs, points));
    }
    for s in &symbols.list {
        put_bytes(out, TAG_SYMBOLS, s);
    }
    let mut ts = Vec::new();
    for (refs, points) in series {
        ts.clear();
        encode_series(&refs, points, &mut ts);
        put_bytes(out, TAG_TIMESERIES, &ts);
    }
}

fn encode_series(refs: &[u32], points: &[(i64, f64)], out: &mut Vec<u8>) {
    let packed: usize = refs.iter().map(|r| varint_len(u64::from(*r))).sum();
    out.push(TAG_LABELS_REFS);
    put_varint(out, packed as u64);
    for r in refs {
        put_varint(out, u64::from(*r));
    }
    for &(t, v) in points {
        let len = 1 + 8 + 1 + varint_len(t as u64);
        out.extend_from_slice(&[TAG_SAMPLES, len as u8, 0x09]);
        out.extend_from_slice(&v.to_bits().to_le_bytes());
        out.push(0x10);
        put_varint(out, t as u64);
    }
}

/// The request's string table; index 0 is the empty string, as the spec requires.
struct Symbols<'a> {
    list: Vec<&'a [u8]>,
    index: HashMap<&'a [u8], u32>,
}

impl Default for Symbols<'_> {
    fn default() -> Self {
        Symbols { list: vec![b""], index: HashMap::from([(&b""[..], 0)]) }
    }
}

impl<'a> Symbols<'a> {
    fn get(&mut self, s: &'a [u8]) -> u32 {
        *self.index.entry(s).or_insert_with(|| {
            self.list.push(s);
            (self.list.len() - 1) as u32
        })
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::labels::Labels;
    use crate::remote_write::encode::SeriesRules;
    use crate::remote_write::proto::{RequestV2, Sample};
    use crate::series::stale_nan;

    fn series(pairs: &[(&str, &str)]) -> RemoteSeries {
        let rules = SeriesRules { external_labels: Labels::from_pairs([("cluster", "c1")]), ..SeriesRules::default() };
        RemoteSeries::resolve(&Labels::from_pairs(pairs.iter().copied()), &rules).unwrap()
    }

    #[test]
    fn v2_request_decodes_with_prost_to_symbols_and_refs() {
        let a = series(&[("__name__", "up"), ("job", "node")]);
        let b = series(&[("__name__", "temp"), ("job", "node")]);
        let q = |s: &RemoteSeries, t, v| QueuedSample { series: s.clone(), t, v };
        let batch = [q(&a, 1000, 1.0), q(&b, 1000, 20.5), q(&a, 2000, stale_nan())];
        let mut raw = Vec::new();
        encode_request(&batch, &mut raw);
        let req = RequestV2::decode(raw.as_slice()).unwrap();
        assert_eq!(req.symbols[0], "");
        let mut unique = req.symbols.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), req.symbols.len(), "symbols are de-duplicated");
        assert_eq!(req.timeseries.len(), 2);
        let labels = |refs: &[u32]| -> Vec<String> { refs.iter().map(|r| req.symbols[*r as usize].clone()).collect() };
        assert_eq!(labels(&req.timeseries[0].labels_refs), ["__name__", "up", "cluster", "c1", "job", "node"]);
        assert_eq!(labels(&req.timeseries[1].labels_refs), ["__name__", "temp", "cluster", "c1", "job", "node"]);
        let a_samples = &req.timeseries[0].samples;
        assert_eq!(a_samples[0], Sample { value: 1.0, timestamp: 1000 });
        assert_eq!((a_samples[1].timestamp, a_samples[1].value.to_bits()), (2000, stale_nan().to_bits()));
        assert_eq!(req.timeseries[1].samples, [Sample { value: 20.5, timestamp: 1000 }]);
        assert_eq!((req.timeseries[0].metadata.as_ref(), req.timeseries[0].created_timestamp), (None, 0));
    }

    #[test]
    fn a_v2_request_reads_as_an_empty_v1_request() {
        let a = series(&[("__name__", "up")]);
        let mut raw = Vec::new();
        encode_request(&[QueuedSample { series: a, t: 1, v: 1.0 }], &mut raw);
        let v1 = crate::remote_write::proto::WriteRequest::decode(raw.as_slice()).unwrap();
        assert!(v1.timeseries.is_empty(), "why a 2xx without the written header means a 1.x receiver");
    }
}
