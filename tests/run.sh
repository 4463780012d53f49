#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh machine, checks formatting
# and lints, then runs every test (unit tests and the end-to-end tests against real binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the end-to-end tests run for real.
# promtool (the alert rules test) comes with the prometheus package; Java, Tomcat 9 and Jolokia
# run the real Tomcat of the jmx plugin's tests; vmagent is the discovery oracle's reference.
tests/debs.sh /usr/bin/prometheus=prometheus /usr/bin/promtool=prometheus \
  /usr/bin/prometheus-node-exporter=prometheus-node-exporter /usr/bin/vmagent=victoria-metrics \
  /usr/bin/javac=openjdk-17-jdk-headless /usr/share/java/tomcat9-catalina.jar=libtomcat9-java \
  /usr/share/java/jolokia-core.jar=libjolokia-core-java /usr/share/java/json-simple.jar=libjson-simple-java

# kubectl renders deploy/ (`kubectl kustomize`); the manifest tests fail without it. The `kubectl`
# package comes from the configured apt sources when one has it; Debian's own archive has only
# kubectl 1.20 (`kubernetes-client`, kustomize v2: no components, no `labels:`), so otherwise from
# the Kubernetes project's apt repository, as its install guide does.
if ! command -v kubectl >/dev/null && ! tests/debs.sh /usr/bin/kubectl=kubectl; then
  tests/debs.sh /usr/bin/curl=curl /usr/bin/gpg=gnupg
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  repo=https://pkgs.k8s.io/core:/stable:/v1.33/deb/
  $sudo install -d -m 0755 /etc/apt/keyrings
  curl -fsSL "${repo}Release.key" | $sudo gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] $repo /" | $sudo tee /etc/apt/sources.list.d/kubernetes.list >/dev/null
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends kubectl >/dev/null
fi

# kubernetes-validate (PyPI) checks deploy/ strictly, offline: it ships the Kubernetes schemas.
command -v kubernetes-validate >/dev/null || python3 -m pip install -q kubernetes-validate

# Plugins (and the tests' plugin fixtures) build for WebAssembly components.
rustup target add wasm32-wasip2

# CI builds once from scratch: incremental caches would only add ~1.6 GB to the disk it fills.
if [[ "${CI:-}" == true ]]; then export CARGO_INCREMENTAL=0; fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The plugins workspace (guests for wasm32-wasip2, their own Cargo.lock and target/): formatting,
# lints for their target, and their unit tests on the host.
(cd plugins && cargo fmt --all -- --check \
  && cargo clippy --workspace --all-targets --target wasm32-wasip2 -- -D warnings \
  && cargo test --workspace)
# The binary the end-to-end tests start, built in the same invocation as the test targets so that
# it shares their dependency features (tokio's test-util, a dev-dependency) and every dependency
# is compiled once, not once for the binary and again for the tests.
cargo build --workspace --bins --tests
cargo test --workspace

# Miri on the series module's tests (its unsafe code: the allocation, the lock-free pair table, the
# stress test's intern / release / sweep on several threads), on a pinned nightly.
miri=nightly-2026-10-29
rustup toolchain install "$miri" --profile minimal -c miri -c rust-src
cargo +"$miri" miri test -p scrapelet --lib -- series::tests:: series::pairs:: series::stress_tests:: --skip scrape::
