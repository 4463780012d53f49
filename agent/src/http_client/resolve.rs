//! Name resolution for the client's connections: the system resolver (`getaddrinfo` on the
//! blocking pool, as hyper's own), and Prometheus' `round_robin_dns`: each new connection dials
//! one address picked at random among those the name resolves to
//! (`storage/remote/dial_context.go`), so the connections of several shards spread over a
//! backend's addresses instead of all going to the first.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::Name;

/// The resolver of a client's connector.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resolver {
    pub round_robin: bool,
}

type Resolving = Pin<Box<dyn Future<Output = std::io::Result<std::vec::IntoIter<SocketAddr>>> + Send>>;

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let round_robin = self.round_robin;
        Box::pin(async move {
            // The connector sets the port; 0 here, as hyper's own resolver asks.
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            Ok(pick(addrs, round_robin, rand::random_range).into_iter())
        })
    }
}

/// All addresses in the resolver's order, or with `round_robin` the one at `random(0..n)`.
fn pick(mut addrs: Vec<SocketAddr>, round_robin: bool, random: fn(std::ops::Range<usize>) -> usize) -> Vec<SocketAddr> {
    if round_robin && addrs.len() > 1 {
        let chosen = addrs.swap_remove(random(0..addrs.len()));
        return vec![chosen];
    }
    addrs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs() -> Vec<SocketAddr> {
        ["10.0.0.1:0", "10.0.0.2:0", "[fd00::3]:0"].iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn without_round_robin_every_address_in_order() {
        assert_eq!(pick(addrs(), false, |_| unreachable!()), addrs());
    }

    #[test]
    fn round_robin_dials_one_address_drawn_from_all() {
        assert_eq!(pick(addrs(), true, |r| r.end - 1), [addrs()[2]]);
        assert_eq!(pick(addrs(), true, |r| r.start), [addrs()[0]]);
        let one = vec![addrs()[1]];
        assert_eq!(pick(one.clone(), true, |_| unreachable!()), one);
        // With the real draw every address comes up (1,000 draws of 3: missing one is ~1e-176).
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            seen.extend(pick(addrs(), true, rand::random_range));
        }
        assert_eq!(seen.len(), 3);
    }

    #[tokio::test]
    async fn resolves_a_name_and_an_address() {
        use tower_service::Service;
        let mut r = Resolver { round_robin: true };
        let got: Vec<_> = r.call("127.0.0.1".parse().unwrap()).await.unwrap().collect();
        assert_eq!(got, ["127.0.0.1:0".parse::<SocketAddr>().unwrap()]);
        let got: Vec<_> = Resolver::default().call("localhost".parse().unwrap()).await.unwrap().collect();
        assert!(got.iter().all(|a| a.ip().is_loopback()) && !got.is_empty(), "{got:?}");
    }
}
