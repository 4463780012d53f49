//! Counts the samples in a remote-write request body (1.0 `WriteRequest` or 2.0 `Request`,
//! snappy-compressed), without a protobuf dependency: the peer benchmark's sink checks that
//! every agent delivered the same number of samples.

/// Samples in one snappy-compressed request body; an error names what was malformed.
pub fn samples_in(compressed: &[u8]) -> Result<u64, String> {
    let body = snap::raw::Decoder::new().decompress_vec(compressed).map_err(|e| format!("snappy: {e}"))?;
    let mut n = 0;
    for (field, value) in fields(&body) {
        // 1.0: WriteRequest.timeseries = 1; 2.0: Request.timeseries = 5. In both, TimeSeries.samples = 2.
        if let (1 | 5, Value::Len(series)) = (field?, value) {
            for f in fields(series) {
                n += u64::from(matches!(f, (Ok(2), Value::Len(_))));
            }
        }
    }
    Ok(n)
}

enum Value<'a> {
    Len(&'a [u8]),
    Other,
}

/// The (field number, value) pairs of one message; a malformed field ends it with an error.
fn fields(mut b: &[u8]) -> impl Iterator<Item = (Result<u64, String>, Value<'_>)> {
    std::iter::from_fn(move || {
        if b.is_empty() {
            return None;
        }
        let parsed = (|| {
            let key = varint(&mut b)?;
            let value = match key & 7 {
                0 => varint(&mut b).map(|_| Value::Other)?,
                1 => take(&mut b, 8).map(|_| Value::Other)?,
                2 => {
                    let len = varint(&mut b)? as usize;
                    Value::Len(take(&mut b, len)?)
                }
                5 => take(&mut b, 4).map(|_| Value::Other)?,
                t => return Err(format!("wire type {t}")),
            };
            Ok((key >> 3, value))
        })();
        Some(match parsed {
            Ok((field, value)) => (Ok(field), value),
            Err(e) => {
                b = &[];
                (Err(e), Value::Other)
            }
        })
    })
}

fn varint(b: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for i in 0..10 {
        let (&byte, rest) = b.split_first().ok_or("truncated varint")?;
        *b = rest;
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if b.len() < n {
        return Err("truncated field".into());
    }
    let (head, rest) = b.split_at(n);
    *b = rest;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-delimited field.
    fn len_field(field: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![field << 3 | 2, body.len() as u8];
        out.extend_from_slice(body);
        out
    }

    fn request(series: &[(u8, usize)], top_field: u8) -> Vec<u8> {
        let sample = [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0x01]; // value 1.0, timestamp 1
        let mut req = Vec::new();
        for &(labels, samples) in series {
            let mut ts = len_field(1, &vec![b'x'; labels as usize]);
            (0..samples).for_each(|_| ts.extend(len_field(2, &sample)));
            req.extend(len_field(top_field, &ts));
        }
        snap::raw::Encoder::new().compress_vec(&req).unwrap()
    }

    #[test]
    fn counts_samples_of_every_series_in_both_versions() {
        assert_eq!(samples_in(&request(&[(10, 1), (3, 2), (0, 0)], 1)), Ok(3));
        assert_eq!(samples_in(&request(&[(4, 3)], 5)), Ok(3));
        assert_eq!(samples_in(&request(&[(4, 3)], 4)), Ok(0), "symbols are not series");
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(samples_in(b"not snappy").is_err());
        let truncated = snap::raw::Encoder::new().compress_vec(&[0x0a, 0x20, 1]).unwrap();
        assert_eq!(samples_in(&truncated), Err("truncated field".into()));
    }
}
