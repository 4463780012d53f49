#!/usr/bin/env bash
# The README's main command: a local demo of the whole pipeline on a fresh machine.
# Starts a real Prometheus with the remote-write receiver (127.0.0.1:9090), a node exporter
# (127.0.0.1:9100) and a Tomcat 9 with Jolokia (127.0.0.1:8080, Debian's jars, no javaagent),
# sends the Tomcat some traffic, runs scrapelet on its embedded default config (it scrapes
# itself, the node exporter, and the Tomcat through the jmx plugin with the JMX exporter's own
# Tomcat rules, and remote-writes to Prometheus), then queries Prometheus to show the data
# arrived. Everything keeps running so you can explore http://127.0.0.1:9090;
# `tests/demo.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
run=/tmp/scrapelet-demo

stop() {
  for p in "$run"/*.pid; do
    [ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
    rm -f "$p"
  done
}
if [ "${1:-}" = stop ]; then stop; echo "demo stopped"; exit 0; fi
stop
mkdir -p "$run"

tests/debs.sh /usr/bin/prometheus=prometheus /usr/bin/prometheus-node-exporter=prometheus-node-exporter \
  /usr/bin/javac=openjdk-17-jdk-headless /usr/share/java/tomcat9-catalina.jar=libtomcat9-java \
  /usr/share/java/jolokia-core.jar=libjolokia-core-java /usr/share/java/json-simple.jar=libjson-simple-java
rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
cargo build --release -p scrapelet
(cd plugins && cargo build --release --target wasm32-wasip2 -p jmx)

# Tomcat 9 with Jolokia at /jolokia, the same embedded Tomcat the tests use, engine Catalina
# (standalone Tomcat's MBean domain, which the upstream rules name).
classpath=$(grep -v '^$' tests/java/classpath.txt | paste -sd:)
javac -d "$run/tomcat-classes" -cp "$classpath" tests/java/EmbeddedTomcat.java
java -Xmx256m -cp "$run/tomcat-classes:$classpath" EmbeddedTomcat 8080 Catalina "$run/tomcat" >"$run/tomcat.log" 2>&1 &
echo $! > "$run/tomcat.pid"
for _ in $(seq 60); do curl -sf http://127.0.0.1:8080/jolokia/version >/dev/null && break; sleep 1; done
curl -sf http://127.0.0.1:8080/jolokia/version >/dev/null || { echo "Tomcat did not start; $run/tomcat.log:" >&2; tail -20 "$run/tomcat.log" >&2; exit 1; }
for _ in $(seq 5); do curl -s -o /dev/null http://127.0.0.1:8080/demo/ok?ms=10; done
curl -s -o /dev/null http://127.0.0.1:8080/demo/fail; curl -s -o /dev/null http://127.0.0.1:8080/demo/session

printf 'global:\n  scrape_interval: 1h\n' > "$run/prometheus.yml"
/usr/bin/prometheus --config.file="$run/prometheus.yml" --storage.tsdb.path="$run/prometheus-data" \
  --web.listen-address=127.0.0.1:9090 --web.enable-remote-write-receiver >"$run/prometheus.log" 2>&1 &
echo $! > "$run/prometheus.pid"
/usr/bin/prometheus-node-exporter --web.listen-address=127.0.0.1:9100 >"$run/node-exporter.log" 2>&1 &
echo $! > "$run/node-exporter.pid"
for _ in $(seq 60); do curl -sf http://127.0.0.1:9090/-/ready >/dev/null && break; sleep 1; done

REMOTE_WRITE_URL=http://127.0.0.1:9090/api/v1/write SCRAPELET_PLUGIN_DIR=plugins/target/wasm32-wasip2/release \
  nohup target/release/scrapelet run \
  --data-dir "$run/scrapelet-data" --web.listen-address=127.0.0.1:9271 >"$run/scrapelet.log" 2>&1 &
echo $! > "$run/scrapelet.pid"

query='up or count by (job) ({__name__=~"node_.+|scrapelet_.+|tomcat_.+|jvm_.+"})'
tomcat='{__name__=~"tomcat_servlet_requestcount_total|tomcat_requestcount_total|tomcat_session_sessioncounter_total",job="tomcat"}'
show() { python3 -c 'import json,sys; [print(r["metric"], r["value"][1]) for r in json.load(sys.stdin)["data"]["result"]]'; }
echo "waiting for samples to arrive in Prometheus..."
for _ in $(seq 90); do
  result=$(curl -sf http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$query" || true)
  tomcat_result=$(curl -sf http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$tomcat" || true)
  if echo "$result" | grep -q '"job":"node"' && echo "$result" | grep -q '"job":"scrapelet"' \
    && echo "$result" | grep -q '"__name__":"up"' && echo "$tomcat_result" | grep -q '"servlet":"ok"'; then
    echo "PromQL: $query"
    echo "$result" | show
    echo
    echo "PromQL: $tomcat"
    echo "$tomcat_result" | show
    echo "Samples arrived. Prometheus: http://127.0.0.1:9090  scrapelet: http://127.0.0.1:9271/targets  stop: tests/demo.sh stop"
    exit 0
  fi
  sleep 1
done
echo "no samples arrived; logs in $run" >&2
tail -20 "$run/scrapelet.log" >&2
exit 1
