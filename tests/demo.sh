#!/usr/bin/env bash
# The README's main command: a local demo of the core pipeline on a fresh machine.
# Starts a real Prometheus with the remote-write receiver (127.0.0.1:9090) and a node exporter
# (127.0.0.1:9100), runs scrapelet on its embedded default config (it scrapes itself and the
# node exporter and remote-writes to Prometheus), then queries Prometheus to show the data
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

tests/debs.sh /usr/bin/prometheus=prometheus /usr/bin/prometheus-node-exporter=prometheus-node-exporter
cargo build --release -p scrapelet

printf 'global:\n  scrape_interval: 1h\n' > "$run/prometheus.yml"
/usr/bin/prometheus --config.file="$run/prometheus.yml" --storage.tsdb.path="$run/prometheus-data" \
  --web.listen-address=127.0.0.1:9090 --web.enable-remote-write-receiver >"$run/prometheus.log" 2>&1 &
echo $! > "$run/prometheus.pid"
/usr/bin/prometheus-node-exporter --web.listen-address=127.0.0.1:9100 >"$run/node-exporter.log" 2>&1 &
echo $! > "$run/node-exporter.pid"
for _ in $(seq 60); do curl -sf http://127.0.0.1:9090/-/ready >/dev/null && break; sleep 1; done

REMOTE_WRITE_URL=http://127.0.0.1:9090/api/v1/write nohup target/release/scrapelet run \
  --data-dir "$run/scrapelet-data" --web.listen-address=127.0.0.1:9271 >"$run/scrapelet.log" 2>&1 &
echo $! > "$run/scrapelet.pid"

query='up or count by (job) ({__name__=~"node_.+|scrapelet_.+"})'
echo "waiting for samples to arrive in Prometheus..."
for _ in $(seq 60); do
  result=$(curl -sf http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$query" || true)
  if echo "$result" | grep -q '"job":"node"' && echo "$result" | grep -q '"job":"scrapelet"' && echo "$result" | grep -q '"__name__":"up"'; then
    echo "PromQL: $query"
    echo "$result" | python3 -c 'import json,sys; [print(r["metric"], r["value"][1]) for r in json.load(sys.stdin)["data"]["result"]]'
    echo "Samples arrived. Prometheus: http://127.0.0.1:9090  scrapelet: http://127.0.0.1:9271/metrics  stop: tests/demo.sh stop"
    exit 0
  fi
  sleep 1
done
echo "no samples arrived; logs in $run" >&2
tail -20 "$run/scrapelet.log" >&2
exit 1
