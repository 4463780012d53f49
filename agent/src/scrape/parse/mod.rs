//! Streaming parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! Entry point: [`Parser`], which borrows the scrape body and yields [`Entry`] items without
//! allocating; [`series_labels`] turns the raw series bytes of a sample into a [`Labels`] (only
//! on a series-cache miss). Names may be quoted (`{"my.metric","a.b"="c"}`, `# HELP "my.metric"`),
//! Prometheus 3's UTF-8 syntax in both formats. The syntax accepted is that of Prometheus' own
//! `model/textparse` lexers; where they differ from the written specs, Prometheus wins, so that
//! whatever a Prometheus server scrapes, scrapelet scrapes too.
//!
//! The parser works a line at a time: it finds the line end with `memchr`, then scans the line
//! once. It never allocates except to build an error message.

mod cursor;
mod labelset;
mod normalize;
mod number;
mod openmetrics;
mod text;

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_known;
#[cfg(test)]
mod tests_prom3;

pub use labelset::series_labels;
pub use normalize::format_openmetrics_float;
pub use number::NORMAL_NAN;

#[cfg(doc)]
use crate::labels::Labels;

/// Which exposition format a body is in (from the response's Content-Type, see
/// [`crate::scrape::protocols::body_format`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    OpenMetrics,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Unknown,
}

/// One item of a body.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry<'a> {
    /// A sample. `series` is the raw `name{labels}` bytes (the series-cache key) exactly as in
    /// the body, without surrounding blanks, value, timestamp or exemplar; `name` the metric
    /// name as written (a quoted one without quotes, escapes left in). A `NaN` value is always
    /// [`NORMAL_NAN`], never a staleness marker.
    Sample {
        series: &'a [u8],
        name: &'a str,
        value: f64,
        timestamp_ms: Option<i64>,
    },
    Type {
        name: &'a str,
        kind: MetricType,
    },
    /// `text` is raw: escapes (`\\`, `\n`, and in OpenMetrics `\"`) are left in.
    Help {
        name: &'a str,
        text: &'a str,
    },
    Unit {
        name: &'a str,
        unit: &'a str,
    },
}

/// What [`Parser::next_known`] found: a sample of a known series (what `known` answered, the
/// value and the timestamp), or any entry, parsed in full.
#[derive(Debug, PartialEq)]
pub enum Known<'a, T> {
    Cached(T, f64, Option<i64>),
    Parsed(Entry<'a>),
}

/// An OpenMetrics exemplar (` # {trace_id="..."} 1.5 1700000000.123` after a sample).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exemplar<'a> {
    /// The raw `{...}` label set, still escaped.
    pub labels: &'a [u8],
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based line in the body; 0 when not parsing a body ([`series_labels`]).
    pub line: usize,
    pub message: String,
}

/// Pull parser over one body.
pub struct Parser<'a> {
    body: &'a [u8],
    /// Start of the next line.
    pos: usize,
    /// Number of the line last read (1-based).
    line: usize,
    format: Format,
    done: bool,
    exemplar: Option<Exemplar<'a>>,
    /// The type the last `TYPE` line declared (Prometheus keeps it for the samples that follow,
    /// whatever their name).
    kind: MetricType,
}

impl<'a> Parser<'a> {
    pub fn new(body: &'a [u8], format: Format) -> Self {
        Parser { body, pos: 0, line: 0, format, done: false, exemplar: None, kind: MetricType::Unknown }
    }

    /// The next entry, `Ok(None)` at the end (for OpenMetrics, after `# EOF`). After an error
    /// the parser is exhausted and returns `Ok(None)`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Entry<'a>>, ParseError> {
        self.exemplar = None;
        let next = match self.format {
            Format::Text => self.next_text(),
            Format::OpenMetrics => self.next_openmetrics(),
        };
        let next = next.map_err(|message| ParseError { line: self.line, message });
        self.done |= !matches!(next, Ok(Some(_)));
        if let Ok(Some(Entry::Type { kind, .. })) = next {
            self.kind = kind;
        }
        next
    }

    /// The metric type of the samples being read: what the last `TYPE` line said, `Unknown`
    /// before any (for [`series_labels`]).
    pub fn metric_type(&self) -> MetricType {
        self.kind
    }

    /// Like [`next`](Self::next), but in the text format each sample line's series bytes are
    /// first found without scanning the label set and offered to `known`; when it answers
    /// `Some`, only the value and timestamp are read. `known` must answer `Some` only for series
    /// a parser returned in an [`Entry::Sample`] before (a scrape's series cache): those are
    /// valid, so skipping their label set changes nothing but the cost.
    pub fn next_known<T>(
        &mut self,
        mut known: impl FnMut(&'a [u8]) -> Option<T>,
    ) -> Result<Option<Known<'a, T>>, ParseError> {
        if self.format != Format::Text {
            return Ok(self.next()?.map(Known::Parsed));
        }
        while !self.done {
            let Some((line, _)) = self.next_line() else { break };
            let hit = text::quick_series(line).and_then(|(start, end)| Some((known(&line[start..end])?, end)));
            let parsed = match hit {
                Some((t, end)) => text::value_and_timestamp(line, end).map(|(v, ts)| Some(Known::Cached(t, v, ts))),
                None => text::line(line).map(|e| e.map(Known::Parsed)),
            };
            match parsed {
                Ok(None) => continue,
                Ok(Some(Known::Parsed(Entry::Type { name, kind }))) => {
                    self.kind = kind;
                    return Ok(Some(Known::Parsed(Entry::Type { name, kind })));
                }
                Ok(found) => return Ok(found),
                Err(message) => {
                    self.done = true;
                    return Err(ParseError { line: self.line, message });
                }
            }
        }
        self.done = true;
        Ok(None)
    }

    /// The exemplar of the sample last returned by [`Parser::next`], if it had one.
    pub fn exemplar(&self) -> Option<Exemplar<'a>> {
        self.exemplar
    }

    /// Number of the line the last entry or error came from (1-based; 0 before the first).
    #[cfg(test)]
    pub fn line(&self) -> usize {
        self.line
    }

    fn next_text(&mut self) -> Result<Option<Entry<'a>>, cursor::Fail> {
        while !self.done {
            // Like Prometheus, the last line needs no `\n`.
            let Some((line, _)) = self.next_line() else { break };
            if let Some(entry) = text::line(line)? {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }

    fn next_openmetrics(&mut self) -> Result<Option<Entry<'a>>, cursor::Fail> {
        if self.done {
            return Ok(None);
        }
        let Some((line, terminated)) = self.next_line() else {
            self.line += 1;
            return Err("unexpected end of input: missing # EOF".into());
        };
        match openmetrics::line(line)? {
            openmetrics::Line::Eof => self.after_eof(),
            _ if !terminated => Err("unexpected end of input: line not terminated, missing # EOF".into()),
            openmetrics::Line::Entry(entry, exemplar) => {
                self.exemplar = exemplar;
                Ok(Some(entry))
            }
        }
    }

    fn after_eof(&mut self) -> Result<Option<Entry<'a>>, cursor::Fail> {
        if self.pos < self.body.len() {
            self.line += 1;
            return Err("unexpected data after # EOF".into());
        }
        Ok(None)
    }

    /// The next line without its `\n`, and whether it had one; `None` at the end of the body.
    fn next_line(&mut self) -> Option<(&'a [u8], bool)> {
        let rest = self.body.get(self.pos..).filter(|r| !r.is_empty())?;
        self.line += 1;
        match memchr::memchr(b'\n', rest) {
            Some(n) => {
                self.pos += n + 1;
                Some((&rest[..n], true))
            }
            None => {
                self.pos = self.body.len();
                Some((rest, false))
            }
        }
    }
}
