#!/usr/bin/env bash
# JMX scrape cost benchmark (issue 19): the jmx plugin before and after reading only what the rules
# need, against a real Tomcat 9 with Jolokia. Installs Java, Tomcat 9 and Jolokia from Debian if
# missing, builds the agent (release), rw-sink and the plugin, then runs tests/bench/jmx.py (pass
# its options through, e.g. --interval 1 --warmup 15 --window 60). Prints a table.
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/debs.sh /usr/bin/javac=openjdk-17-jdk-headless /usr/share/java/tomcat9-catalina.jar=libtomcat9-java \
  /usr/share/java/jolokia-core.jar=libjolokia-core-java /usr/share/java/json-simple.jar=libjson-simple-java
cargo build --release -p scrapelet -p scrapelet-tests --bin scrapelet --bin rw-sink
(cd plugins && cargo build --release --target wasm32-wasip2 -p jmx)
exec python3 tests/bench/jmx.py "$@"
