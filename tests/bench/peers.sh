#!/usr/bin/env bash
# Peer benchmark (issue 7): scrapelet vs vmagent vs the Prometheus agent on the same workload.
# Installs the peers and nginx from Debian if missing, builds scrapelet in release mode, then runs
# tests/bench/peers.py (pass its options through, e.g. --targets 10 --series 1000 --window 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
[ -x /usr/bin/vmagent ] || need+=(victoria-metrics)
[ -x /usr/bin/prometheus ] || need+=(prometheus)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
cargo build --release -p scrapelet
exec python3 tests/bench/peers.py "$@"
