//! Which proxy a URL goes through: prometheus/common's `TestProxyConfig_Proxy` table, and
//! golang.org/x/net's `no_proxy` forms.

use super::*;
use crate::http_client::no_proxy::NoProxy;

fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
}

fn proxy_of(cfg: &ProxyConfig, vars: &'static [(&'static str, &'static str)], url: &str) -> Option<String> {
    let proxies = Proxies::new(cfg, &env_of(vars)).unwrap();
    proxies.for_uri(&url.parse().unwrap()).unwrap().map(|p| p.uri.to_string())
}

fn fixed(url: &str, no_proxy: &str) -> ProxyConfig {
    ProxyConfig { url: Some(Secret::new(url)), no_proxy: no_proxy.into(), ..ProxyConfig::default() }
}

/// prometheus/common `TestProxyConfig_Proxy`, case by case.
#[test]
fn proxies_are_chosen_as_prometheus_common_chooses_them() {
    let p = Some("http://proxy:3128/".to_string());
    let from_env = ProxyConfig { from_environment: true, ..ProxyConfig::default() };
    let env: &[_] = &[("HTTP_PROXY", "http://proxy:3128")];
    assert_eq!(proxy_of(&from_env, env, "http://prometheus.io/"), p, "proxy from environment");
    let env_no: &[_] = &[("HTTP_PROXY", "http://proxy:3128"), ("NO_PROXY", "prometheus.io")];
    assert_eq!(proxy_of(&from_env, env_no, "http://prometheus.io/"), None, "proxy_from_environment with no_proxy");
    assert_eq!(proxy_of(&from_env, env, "http://localhost/"), None, "proxy_from_environment and localhost");
    let url = fixed("http://proxy:3128", "");
    assert_eq!(proxy_of(&url, &[], "http://localhost/"), p, "valid proxy_url and localhost");
    let no = fixed("http://proxy:3128", "prometheus.io");
    assert_eq!(proxy_of(&no, &[], "http://localhost/"), None, "valid proxy_url and no_proxy and localhost");
    assert_eq!(proxy_of(&url, &[], "http://prometheus.io/"), p, "valid proxy_url");
    assert_eq!(proxy_of(&no, &[], "http://prometheus.io/"), None, "valid proxy url and no_proxy");
    let many = fixed("http://proxy:3128", "promcon.io,prometheus.io,cncf.io");
    assert_eq!(proxy_of(&many, &[], "http://prometheus.io/"), None, "valid proxy url and no_proxies");
    let others = fixed("http://proxy:3128", "promcon.io,cncf.io");
    assert_eq!(proxy_of(&others, &[], "http://prometheus.io/"), p, "no_proxies that do not include target");
}

#[test]
fn the_environment_as_go_reads_it() {
    let from_env = ProxyConfig { from_environment: true, ..ProxyConfig::default() };
    let env: &[_] = &[("http_proxy", "plain:8080"), ("HTTPS_PROXY", "http://secure:3129"), ("https_proxy", "x:1")];
    assert_eq!(proxy_of(&from_env, env, "http://a.example/").as_deref(), Some("http://plain:8080/"));
    assert_eq!(proxy_of(&from_env, env, "https://a.example/").as_deref(), Some("http://secure:3129/"));
    let only_http: &[_] = &[("HTTP_PROXY", "http://p:1")];
    assert_eq!(proxy_of(&from_env, only_http, "https://a.example/"), None, "https uses HTTPS_PROXY only");
    assert_eq!(proxy_of(&from_env, &[], "http://a.example/"), None);
    let cgi: &[_] = &[("HTTP_PROXY", "http://p:1"), ("REQUEST_METHOD", "GET")];
    let proxies = Proxies::new(&from_env, &env_of(cgi)).unwrap();
    let err = proxies.for_uri(&"http://a.example/".parse().unwrap()).unwrap_err();
    assert!(err.to_string().contains("refusing to use HTTP_PROXY value in CGI environment"), "{err}");
}

/// golang.org/x/net `httpproxy` `TestUseProxy` and the forms its `init` reads.
#[test]
fn no_proxy_matches_hosts_domains_ips_cidrs_and_ports() {
    let n = NoProxy::parse(
        " Example.COM, .sub.org, *.star.net, 10.0.0.0/8, 192.168.1.1, [2001:db8::1]:8443, fd00::/8, port.io:8080",
    );
    let cases = [
        ("example.com", 80, false),
        ("www.example.com", 80, false),
        ("notexample.com", 80, true),
        ("sub.org", 80, true),
        ("a.sub.org", 80, false),
        ("star.net", 80, true),
        ("x.star.net", 80, false),
        ("10.1.2.3", 80, false),
        ("11.0.0.1", 80, true),
        ("192.168.1.1", 9100, false),
        ("[2001:db8::1]", 8443, false),
        ("[2001:db8::1]", 443, true),
        ("[fd00::5]", 80, false),
        ("port.io", 8080, false),
        ("port.io", 80, true),
        ("localhost", 80, false),
        ("127.0.0.2", 80, false),
        ("[::1]", 80, false),
        ("other.com", 80, true),
    ];
    for (host, port, want) in cases {
        assert_eq!(n.use_proxy(host, port), want, "{host}:{port}");
    }
    assert!(!NoProxy::parse("a.com,*").use_proxy("b.com", 80), "* matches everything");
    assert!(NoProxy::parse(":80, ,").use_proxy("b.com", 80), "entries without a host are ignored");
}

#[test]
fn proxy_urls_take_userinfo_as_basic_auth_and_only_http() {
    let p = ProxyUrl::parse("http://us%40er:p%3Ass@proxy").unwrap();
    assert_eq!(p.uri.to_string(), "http://proxy:80/");
    assert_eq!(p.authorization.unwrap().to_str().unwrap(), "Basic dXNAZXI6cDpzcw==", "base64 of us@er:p:ss");
    let err = ProxyUrl::parse("socks5://u:hunter2@proxy:1080").unwrap_err();
    assert!(err.contains("\"socks5\" is not supported") && !err.contains("hunter2"), "{err}");
    let err = ProxyUrl::parse("http://u:hunter2@bad host").unwrap_err();
    assert!(!err.contains("hunter2"), "{err}");
}
