#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh machine, checks formatting
# and lints, then runs every test (unit tests and the end-to-end tests against real binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the end-to-end tests run for real.
# promtool (the alert rules test) comes with the prometheus package; Java, Tomcat 9 and Jolokia
# run the real Tomcat of the jmx plugin's tests.
tests/debs.sh /usr/bin/prometheus=prometheus /usr/bin/promtool=prometheus \
  /usr/bin/prometheus-node-exporter=prometheus-node-exporter \
  /usr/bin/javac=openjdk-17-jdk-headless /usr/share/java/tomcat9-catalina.jar=libtomcat9-java \
  /usr/share/java/jolokia-core.jar=libjolokia-core-java /usr/share/java/json-simple.jar=libjson-simple-java

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
