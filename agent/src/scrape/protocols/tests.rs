//! Negotiation cases from Prometheus v3.14.0 (commit d7598b7141418fa35be2b5ec5d0fefb634199610):
//! `TestAcceptHeader` (scrape/scrape_test.go) and `TestNewParser` (model/textparse/interface_test.go).

use super::*;
use ScrapeProtocol::*;

#[test]
fn accept_header_matches_prometheus_for_text_protocols() {
    assert_eq!(
        accept_header(&DEFAULT_PROTOCOLS, NameEscaping::Underscores),
        "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    );
    assert_eq!(
        accept_header(&DEFAULT_PROTOCOLS, NameEscaping::AllowUtf8),
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    );
}

#[test]
fn accept_header_never_offers_protobuf() {
    let proto_first =
        [PrometheusProto, OpenMetricsText1_0_0, OpenMetricsText0_0_1, PrometheusText1_0_0, PrometheusText0_0_4];
    let header = accept_header(&proto_first, NameEscaping::Dots);
    assert!(!header.contains("protobuf"), "{header}");
    assert_eq!(header, accept_header(&proto_first[1..], NameEscaping::Dots));
    assert_eq!(
        accept_header(&[PrometheusText0_0_4], NameEscaping::AllowUtf8),
        "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
    );
}

#[test]
fn body_format_follows_prometheus_content_type_rules() {
    let text = Ok(Format::Text);
    let om = Ok(Format::OpenMetrics);
    let cases: &[(&str, Option<ScrapeProtocol>, Result<Format, &str>)] = &[
        ("", None, Err("non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol")),
        ("", Some(PrometheusText0_0_4), text),
        ("invalid/", None, Err("expected token after slash")),
        ("invalid/", Some(PrometheusText0_0_4), text),
        ("invalid/", Some(OpenMetricsText0_0_1), om),
        ("invalid/invalid/invalid", None, Err("unexpected content after media subtype")),
        ("invalid/invalid/invalid", Some(PrometheusText1_0_0), text),
        ("/", None, Err("no media type")),
        ("/", Some(PrometheusText1_0_0), text),
        ("application/openmetrics-text; charset=UTF-8; charset=utf-8", None, Err("duplicate parameter name")),
        ("application/openmetrics-text; charset=UTF-8; charset=utf-8", Some(OpenMetricsText1_0_0), om),
        ("application/openmetrics-text", None, om),
        ("application/openmetrics-text; charset=utf-8", None, om),
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", None, om),
        ("text/plain", None, text),
        ("text/plain; version=0.0.4", None, text),
        ("text/plain; version=1.0.0; escaping=allow-utf-8", None, text),
        ("TEXT/Plain;version=0.0.4;", None, text),
        ("text/html", None, Err("received unsupported Content-Type \"text/html\" and no fallback_scrape_protocol")),
        ("text/html", Some(PrometheusText0_0_4), text),
        ("application/vnd.google.protobuf", None, Err("protobuf exposition format")),
        ("", Some(PrometheusProto), Err("not supported yet")),
    ];
    for (ct, fallback, want) in cases {
        let got = body_format(ct, *fallback);
        match (want, &got) {
            (Ok(f), Ok(g)) => assert_eq!(f, g, "{ct:?} {fallback:?}"),
            (Err(part), Err(e)) => assert!(e.contains(part), "{ct:?} {fallback:?}: {e}"),
            _ => panic!("{ct:?} {fallback:?}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn protocol_names_are_prometheus_spellings() {
    assert_eq!(ScrapeProtocol::parse("OpenMetricsText1.0.0"), Ok(OpenMetricsText1_0_0));
    assert!(ScrapeProtocol::parse("openmetricstext1.0.0").unwrap_err().starts_with("unknown scrape protocol"));
    assert!(validate_protocols(&[]).is_err());
    assert!(validate_protocols(&[PrometheusText0_0_4, PrometheusText0_0_4]).unwrap_err().contains("duplicated"));
}
