#!/usr/bin/env bash
# Peer benchmark (issue 7): scrapelet vs vmagent vs the Prometheus agent on the same workload.
# Installs the peers and nginx from Debian if missing, builds scrapelet in release mode, then runs
# tests/bench/peers.py (pass its options through, e.g. --targets 10 --series 1000 --window 30;
# --delays 0,50,200 for a distant backend, --outage 300 for the catch-up after an outage).
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/debs.sh /usr/bin/vmagent=victoria-metrics /usr/bin/prometheus=prometheus /usr/sbin/nginx=nginx-light
cargo build --release -p scrapelet -p scrapelet-tests --bin scrapelet --bin rw-sink
exec python3 tests/bench/peers.py "$@"
