//! Content negotiation with a target, as Prometheus 3 does it: the `Accept` header built from the
//! job's `scrape_protocols` and `metric_name_escaping_scheme`, and the body's format read from the
//! response's `Content-Type`, with `fallback_scrape_protocol` for a missing or unusable one.
//!
//! Entry points: [`accept_header`], [`body_format`]. scrapelet parses the text formats only (the
//! protobuf format is not implemented yet): `PrometheusProto` is accepted in the config but never
//! offered in `Accept`, and a protobuf body fails the scrape with a clear error.

use super::parse::Format;

/// One of Prometheus' scrape protocols (`scrape_protocols`, `fallback_scrape_protocol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScrapeProtocol {
    PrometheusProto,
    PrometheusText0_0_4,
    PrometheusText1_0_0,
    OpenMetricsText0_0_1,
    OpenMetricsText1_0_0,
}

/// Prometheus' `DefaultScrapeProtocols`.
pub const DEFAULT_PROTOCOLS: [ScrapeProtocol; 4] = [
    ScrapeProtocol::OpenMetricsText1_0_0,
    ScrapeProtocol::OpenMetricsText0_0_1,
    ScrapeProtocol::PrometheusText1_0_0,
    ScrapeProtocol::PrometheusText0_0_4,
];

const ALL: [ScrapeProtocol; 5] = [
    ScrapeProtocol::OpenMetricsText0_0_1,
    ScrapeProtocol::OpenMetricsText1_0_0,
    ScrapeProtocol::PrometheusProto,
    ScrapeProtocol::PrometheusText0_0_4,
    ScrapeProtocol::PrometheusText1_0_0,
];

impl ScrapeProtocol {
    /// The config spelling (case-sensitive), or Prometheus' error.
    pub fn parse(s: &str) -> Result<ScrapeProtocol, String> {
        ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| {
            let names: Vec<&str> = ALL.iter().map(|p| p.name()).collect();
            format!("unknown scrape protocol {s}, supported: [{}]", names.join(" "))
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => "PrometheusProto",
            ScrapeProtocol::PrometheusText0_0_4 => "PrometheusText0.0.4",
            ScrapeProtocol::PrometheusText1_0_0 => "PrometheusText1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "OpenMetricsText0.0.1",
            ScrapeProtocol::OpenMetricsText1_0_0 => "OpenMetricsText1.0.0",
        }
    }

    /// Prometheus' `ScrapeProtocolsHeaders`.
    fn header(self) -> &'static str {
        match self {
            ScrapeProtocol::PrometheusProto => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::OpenMetricsText1_0_0 => "application/openmetrics-text;version=1.0.0",
        }
    }

    /// The format a body of this protocol is in; `None` for protobuf (not parsed yet).
    pub fn format(self) -> Option<Format> {
        match self {
            ScrapeProtocol::PrometheusProto => None,
            ScrapeProtocol::PrometheusText0_0_4 | ScrapeProtocol::PrometheusText1_0_0 => Some(Format::Text),
            ScrapeProtocol::OpenMetricsText0_0_1 | ScrapeProtocol::OpenMetricsText1_0_0 => Some(Format::OpenMetrics),
        }
    }
}

/// Prometheus' `validateAcceptScrapeProtocols`.
pub fn validate_protocols(list: &[ScrapeProtocol]) -> Result<(), String> {
    if list.is_empty() {
        return Err("scrape_protocols cannot be empty".into());
    }
    for (i, p) in list.iter().enumerate() {
        if list[..i].contains(p) {
            let names: Vec<&str> = list.iter().map(|p| p.name()).collect();
            return Err(format!("duplicated protocol in scrape_protocols, got [{}]", names.join(" ")));
        }
    }
    Ok(())
}

/// `metric_name_escaping_scheme`: how a target should escape names that are not legacy names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum NameEscaping {
    #[default]
    AllowUtf8,
    Underscores,
    Dots,
    Values,
}

impl NameEscaping {
    /// The config spelling; `""` is unset (`Ok(None)`).
    pub fn parse(s: &str) -> Result<Option<NameEscaping>, String> {
        Ok(Some(match s {
            "" => return Ok(None),
            "allow-utf-8" => NameEscaping::AllowUtf8,
            "underscores" => NameEscaping::Underscores,
            "dots" => NameEscaping::Dots,
            "values" => NameEscaping::Values,
            _ => return Err(format!("unknown name escaping method {s:?}")),
        }))
    }

    /// The spelling in config and in `escaping=`.
    pub fn name(self) -> &'static str {
        match self {
            NameEscaping::AllowUtf8 => "allow-utf-8",
            NameEscaping::Underscores => "underscores",
            NameEscaping::Dots => "dots",
            NameEscaping::Values => "values",
        }
    }
}

/// Prometheus' `acceptHeader`: each protocol with a falling `q`, `escaping=` on the 1.0.0 text
/// formats, then `*/*`. Protobuf is left out (scrapelet cannot parse it yet), so the header is
/// the one Prometheus sends for the same list without it.
pub fn accept_header(protocols: &[ScrapeProtocol], escaping: NameEscaping) -> String {
    let mut weight = ALL.len() + 1;
    let mut parts = Vec::new();
    for p in protocols.iter().filter(|p| p.format().is_some()) {
        let mut v = p.header().to_string();
        if matches!(p, ScrapeProtocol::PrometheusText1_0_0 | ScrapeProtocol::OpenMetricsText1_0_0) {
            v.push_str(";escaping=");
            v.push_str(escaping.name());
        }
        parts.push(format!("{v};q=0.{weight}"));
        weight -= 1;
    }
    parts.push(format!("*/*;q=0.{weight}"));
    parts.join(",")
}

/// Prometheus 3's `extractMediaType`: the format of a body from its `Content-Type` (empty when
/// absent). A missing, unparsable or unknown type fails the scrape unless the job has a
/// `fallback_scrape_protocol`; a protobuf body fails it (not supported yet).
pub fn body_format(content_type: &str, fallback: Option<ScrapeProtocol>) -> Result<Format, String> {
    let fallback_format = |why: String| match fallback {
        None => Err(why),
        Some(p) => {
            p.format().ok_or_else(|| format!("{why}; fallback_scrape_protocol {} is not supported yet", p.name()))
        }
    };
    if content_type.is_empty() {
        return fallback_format(
            "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target"
                .into(),
        );
    }
    let media = match parse_media_type(content_type) {
        Ok(m) => m,
        Err(e) => {
            return fallback_format(format!(
                "cannot parse Content-Type {content_type:?} and no fallback_scrape_protocol for target: {e}"
            ));
        }
    };
    match media.as_str() {
        "text/plain" => Ok(Format::Text),
        "application/openmetrics-text" => Ok(Format::OpenMetrics),
        "application/vnd.google.protobuf" => {
            Err("the target sent the protobuf exposition format, which scrapelet does not parse yet".into())
        }
        _ => fallback_format(format!(
            "received unsupported Content-Type {content_type:?} and no fallback_scrape_protocol specified for target"
        )),
    }
}

/// Go's `mime.ParseMediaType`, as far as deciding validity: `type[/subtype]` of tokens, then
/// `; name=value` parameters (token or quoted-string values, names unique); the media type
/// lower-cased.
fn parse_media_type(v: &str) -> Result<String, &'static str> {
    let (media, mut params) = v.split_once(';').map_or((v, ""), |(m, p)| (m, p));
    let media = media.trim().to_ascii_lowercase();
    let token = |s: &str| s.bytes().take_while(|&b| is_token_byte(b)).count();
    let typ = token(&media);
    if typ == 0 {
        return Err("mime: no media type");
    }
    let rest = &media[typ..];
    if !rest.is_empty() {
        let sub = rest.strip_prefix('/').ok_or("mime: expected slash after first token")?;
        let n = token(sub);
        if n == 0 {
            return Err("mime: expected token after slash");
        }
        if n < sub.len() {
            return Err("mime: unexpected content after media subtype");
        }
    }
    let mut seen: Vec<String> = Vec::new();
    loop {
        params = params.trim_start_matches([' ', '\t']);
        if params.is_empty() {
            return Ok(media);
        }
        let Some((name, rest)) = media_param(params) else {
            if params.trim() == ";" {
                return Ok(media); // a trailing semicolon is ignored
            }
            return Err("mime: invalid media parameter");
        };
        let name = name.to_ascii_lowercase();
        if seen.contains(&name) {
            return Err("mime: duplicate parameter name");
        }
        seen.push(name);
        params = rest;
    }
}

/// One `name=value` parameter (after the first `;`, or `; name=value` after that): the name and
/// what follows it.
fn media_param(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix(';').unwrap_or(s).trim_start_matches([' ', '\t']);
    let name_len = s.bytes().take_while(|&b| is_token_byte(b)).count();
    let (name, rest) = s.split_at(name_len);
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix('=')?.trim_start_matches([' ', '\t']);
    if name.is_empty() {
        return None;
    }
    let after = if let Some(q) = rest.strip_prefix('"') {
        let mut escaped = false;
        let end = q.char_indices().find(|&(_, c)| {
            let close = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            close
        })?;
        &q[end.0 + 1..]
    } else {
        let n = rest.bytes().take_while(|&b| is_token_byte(b)).count();
        if n == 0 {
            return None;
        }
        &rest[n..]
    };
    let after = after.trim_start_matches([' ', '\t']);
    (after.is_empty() || after.starts_with(';')).then_some((name, after))
}

/// RFC 2045 token characters: printable ASCII except tspecials and space.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b)
}

#[cfg(test)]
mod tests;
