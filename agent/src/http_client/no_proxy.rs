//! `no_proxy` and `NO_PROXY` as golang.org/x/net's `httpproxy` reads and applies them: hosts and
//! domain suffixes (`example.com`, `.example.com`, `*.example.com`), IPs, CIDRs, each with an
//! optional port; `*` for all; `localhost` and loopback addresses are never proxied.
//!
//! Entry point: [`NoProxy`]; [`NoProxy::use_proxy`] is Go's `useProxy`.

use std::net::IpAddr;

/// `no_proxy` / `NO_PROXY`, as golang.org/x/net's `httpproxy` reads it (lower-cased, without
/// its IDNA conversion of non-ASCII names).
#[derive(Debug, Default)]
pub(super) struct NoProxy {
    all: bool,
    ips: Vec<IpMatch>,
    domains: Vec<DomainMatch>,
}

#[derive(Debug)]
enum IpMatch {
    Cidr(IpAddr, u8),
    Ip(IpAddr, Option<String>),
}

#[derive(Debug)]
struct DomainMatch {
    /// With a leading dot.
    suffix: String,
    port: Option<String>,
    /// The entry had no leading dot: the domain itself matches too.
    match_host: bool,
}

impl NoProxy {
    pub(super) fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for entry in list.split(',') {
            let p = entry.trim().to_ascii_lowercase();
            if p.is_empty() {
                continue;
            }
            if p == "*" {
                return NoProxy { all: true, ..NoProxy::default() };
            }
            if let Some((ip, bits)) = parse_cidr(&p) {
                out.ips.push(IpMatch::Cidr(ip, bits));
                continue;
            }
            let (host, port) = match split_host_port(&p) {
                Some((h, _)) if h.is_empty() => continue,
                Some((h, port)) => (h.trim_start_matches('[').trim_end_matches(']').to_string(), Some(port)),
                None => (p.clone(), None),
            };
            if let Ok(ip) = host.parse::<IpAddr>() {
                out.ips.push(IpMatch::Ip(ip, port));
                continue;
            }
            let host = host.strip_prefix("*.").map(|h| format!(".{h}")).unwrap_or(host);
            let match_host = !host.starts_with('.');
            let suffix = if match_host { format!(".{host}") } else { host };
            out.domains.push(DomainMatch { suffix, port, match_host });
        }
        out
    }

    /// Go's `useProxy` for a request to `host` (as in a URI: an IPv6 address in brackets) on
    /// `port`.
    pub(super) fn use_proxy(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        if host == "localhost" || ip.is_some_and(|ip| ip.is_loopback() || is_mapped_loopback(ip)) {
            return false;
        }
        if self.all {
            return false;
        }
        let port = port.to_string();
        let port_ok = |p: &Option<String>| p.as_ref().is_none_or(|p| *p == port);
        if let Some(ip) = ip {
            let hit = self.ips.iter().any(|m| match m {
                IpMatch::Cidr(net, bits) => cidr_contains(*net, *bits, ip),
                IpMatch::Ip(want, p) => same_ip(*want, ip) && port_ok(p),
            });
            if hit {
                return false;
            }
        }
        let hit = self
            .domains
            .iter()
            .any(|m| (host.ends_with(&m.suffix) || (m.match_host && host == m.suffix[1..])) && port_ok(&m.port));
        !hit
    }
}

/// Go's `net.IP.IsLoopback` also holds for `::ffff:127.0.0.1`.
fn is_mapped_loopback(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
}

/// Go's `net.IP.Equal`: an IPv4 address equals its IPv4-mapped IPv6 form.
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// Go's `net.ParseCIDR` (the address, the prefix length).
fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits: u8 = bits.parse().ok().filter(|b| *b <= max && !bits.starts_with('+'))?;
    Some((ip, bits))
}

/// Go's `IPNet.Contains`: an IPv4 network holds the IPv4-mapped form of its addresses too.
fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    let (net, ip) = match (net, ip.to_canonical()) {
        (IpAddr::V4(n), IpAddr::V4(i)) => (u128::from(n.to_bits()) << 96, u128::from(i.to_bits()) << 96),
        (IpAddr::V6(n), IpAddr::V6(i)) => (n.to_bits(), i.to_bits()),
        _ => return false,
    };
    let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
    net & mask == ip & mask
}

/// Go's `net.SplitHostPort`: `None` when `s` has no port or too many colons.
fn split_host_port(s: &str) -> Option<(String, String)> {
    if s.starts_with('[') {
        let end = s.find(']')?;
        let port = s[end + 1..].strip_prefix(':')?;
        return Some((s[1..end].to_string(), port.to_string()));
    }
    let (host, port) = s.rsplit_once(':')?;
    (!host.contains(':') && !host.contains('[') && !host.contains(']')).then(|| (host.to_string(), port.to_string()))
}
