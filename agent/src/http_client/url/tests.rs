//! Go's own `net/url` test tables (golang/go `src/net/url/url_test.go` at commit
//! 011829989365218ba4532e86ab0b6702971daab3: `shouldEscapeTests`, `queryEscapeTests`,
//! `encodeQueryTests`, `stringURLTests`, `requritests`, `TestParseErrors`, `TestURLRedacted`),
//! for the parts Prometheus' target URLs use, and the request-forgery cases of issue 20.

use super::*;

#[test]
fn should_escape_as_go() {
    let cases = [
        (b'a', Mode::Path, false),
        (b'a', Mode::QueryComponent, false),
        (b'a', Mode::Host, false),
        (b'-', Mode::Path, false),
        (b'-', Mode::QueryComponent, false),
        (b'.', Mode::Path, false),
        (b'_', Mode::Path, false),
        (b'~', Mode::Path, false),
    ];
    for (c, mode, want) in cases {
        assert_eq!(should_escape(c, mode), want, "{}", char::from(c));
    }
    for c in b"!$&'()*+,;=:[]09Az_-." {
        assert!(!should_escape(*c, Mode::Host), "host {}", char::from(*c));
    }
    for c in b"@/?# %\\{}|^`" {
        assert!(should_escape(*c, Mode::Host), "host {}", char::from(*c));
    }
}

#[test]
fn query_escape_as_go() {
    let cases = [
        ("", ""),
        ("abc", "abc"),
        ("one two", "one+two"),
        ("10%", "10%25"),
        (
            " ?&=#+%!<>#\"{}|\\^[]`☺\t:/@$'()*,;",
            "+%3F%26%3D%23%2B%25%21%3C%3E%23%22%7B%7D%7C%5C%5E%5B%5D%60%E2%98%BA%09%3A%2F%40%24%27%28%29%2A%2C%3B",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(escape(input, Mode::QueryComponent), want, "{input}");
    }
}

#[test]
fn encode_query_as_go() {
    let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    assert_eq!(encode_query(&[]), "");
    assert_eq!(encode_query(&p(&[("oe", "utf8"), ("q", "puppies")])), "oe=utf8&q=puppies");
    assert_eq!(encode_query(&p(&[("q", "dogs"), ("q", "&"), ("q", "7")])), "q=dogs&q=%26&q=7");
}

#[test]
fn string_as_go() {
    assert_eq!(format("http", "www.google.com", "search", ""), "http://www.google.com/search");
    assert_eq!(format("", "", "this:that", ""), "./this:that");
    assert_eq!(format("", "", "here/this:that", ""), "here/this:that");
    assert_eq!(format("http", "www.google.com", "this:that", ""), "http://www.google.com/this:that");
    assert_eq!(format("http", "example.com", "/a b", "q=go+language"), "http://example.com/a%20b?q=go+language");
    assert_eq!(format("http", "example.com", "/a?b", "q=go+language"), "http://example.com/a%3Fb?q=go+language");
}

#[test]
fn request_uri_as_go() {
    let uri = |s: &str| request_uri(s).map(|u| u.path_and_query().unwrap().to_string());
    assert_eq!(uri("http://example.com").unwrap(), "/");
    assert_eq!(uri("http://example.com/a%20b?q=go+language").unwrap(), "/a%20b?q=go+language");
    assert_eq!(uri("http://example.com//foo").unwrap(), "//foo");
    // TestParseErrors (the absolute http URLs).
    for ok in ["http://[::1]", "http://[::1]:80", "http://[::1]/", "http://[::1]:", "http://x:", "http://[::1]/%48"] {
        assert!(request_uri(ok).is_ok(), "{ok}: {:?}", request_uri(ok));
    }
    for bad in [
        "http://[::1]:namedport",
        "http://x:namedport",
        "http://[::1]a",
        "http://[::1]%23",
        "http://[::1]:%38%30",
        "http://[%10::1]",
        "http://%41:8080/",
        " http://foo.com",
        "ht tp://foo.com",
        "1http://foo.com",
        "http://a b.com/",
        "cache_object://foo",
        "cache_object:foo",
    ] {
        assert!(request_uri(bad).is_err(), "{bad}");
    }
}

/// What `url.URL{Scheme, Host: __address__, Path: __metrics_path__}` requests in Prometheus:
/// the path stays a path on the target, whatever it holds.
#[test]
fn a_path_never_changes_the_host() {
    let cases = [
        ("@169.254.169.254/latest/meta-data", "http://10.0.0.5:8080/@169.254.169.254/latest/meta-data"),
        ("//169.254.169.254/latest", "http://10.0.0.5:8080//169.254.169.254/latest"),
        ("http://169.254.169.254/", "http://10.0.0.5:8080/http://169.254.169.254/"),
        ("/x?y=1#z", "http://10.0.0.5:8080/x%3Fy=1%23z"),
        ("\\\\evil/x", "http://10.0.0.5:8080/%5C%5Cevil/x"),
        ("/a%2F..%2F", "http://10.0.0.5:8080/a%252F..%252F"),
        ("", "http://10.0.0.5:8080"),
    ];
    for (path, want) in cases {
        let url = format("http", "10.0.0.5:8080", path, "");
        assert_eq!(url, want, "{path}");
        let uri = request_uri(&url).unwrap();
        assert_eq!(uri.authority().unwrap().as_str(), "10.0.0.5:8080", "{path}");
    }
}

/// An address is a host: `user@`, `/`, `?` or `#` in it are escaped, and Go's parser then
/// refuses the URL, so nothing is requested.
#[test]
fn an_address_with_userinfo_or_delimiters_requests_nothing() {
    let cases = [
        ("evil@169.254.169.254:80", "invalid URL escape \"%40\""),
        ("user:pass@10.0.0.5:8080", "invalid URL escape \"%40\""),
        ("10.0.0.5:8080?x", "invalid port \":8080%3Fx\" after host"),
        ("10.0.0.5#x:8080", "invalid URL escape \"%23\""),
        ("10.0.0.5:http", "invalid port \":http\" after host"),
    ];
    for (address, want) in cases {
        let err = request_uri(&format("http", address, "/metrics", "")).unwrap_err();
        assert!(err.contains(want), "{address}: {err}");
    }
    let err = request_uri(&format("javascript", "10.0.0.5:80", "/metrics", "")).unwrap_err();
    assert!(err.ends_with("unsupported protocol scheme \"javascript\""), "{err}");
    let err = request_uri(&format("", "10.0.0.5:80", "/metrics", "")).unwrap_err();
    assert!(err.ends_with("unsupported protocol scheme \"\""), "{err}");
    assert_eq!(request_uri("HTTPS://h:1/m").unwrap().to_string(), "https://h:1/m");
    // A scheme label that is no scheme cannot name a host either (Go would request `other`).
    let url = format("http://other/#", "10.0.0.5:80", "/metrics", "");
    assert_eq!(url, "http%3A%2F%2Fother%2F%23://10.0.0.5:80/metrics");
    assert!(request_uri(&url).unwrap_err().ends_with("unsupported protocol scheme \"\""));
}

#[test]
fn redacts_the_password_as_go() {
    assert_eq!(redact("http://user:password@host.tld/this:that"), "http://user:xxxxx@host.tld/this:that");
    assert_eq!(redact("http://user@host.tld/this:that"), "http://user@host.tld/this:that");
    assert_eq!(redact("http://:password@host.tld/this:that"), "http://:xxxxx@host.tld/this:that");
    assert_eq!(redact("http://host.tld/this:that"), "http://host.tld/this:that");
    assert_eq!(redact("user:pass@10.0.0.5:8080"), "user:xxxxx@10.0.0.5:8080");
    assert_eq!(redact("http://user:pass%4010.0.0.5:8080/metrics"), "http://user:xxxxx%4010.0.0.5:8080/metrics");
    assert_eq!(redact("http://h/a:b@c"), "http://h/a:b@c");
}
