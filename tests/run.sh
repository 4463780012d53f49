#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh machine, checks formatting
# and lints, then runs every test (unit tests and the end-to-end tests against real binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the end-to-end tests run for real.
need=()
[ -x /usr/bin/prometheus ] || need+=(prometheus)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# kubernetes-validate (PyPI) checks deploy/ strictly, offline: it ships the Kubernetes schemas.
command -v kubernetes-validate >/dev/null || python3 -m pip install -q kubernetes-validate

# Plugins (and the tests' plugin fixtures) build for WebAssembly components.
rustup target add wasm32-wasip2

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo build -p scrapelet
cargo test --workspace
