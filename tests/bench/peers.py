#!/usr/bin/env python3
"""Peer benchmark: scrapelet, vmagent and the Prometheus agent, one after another, on the same
targets (nginx serving a generated body on N ports) writing to the same discarding receiver
(`rw-sink`, from tests/src/bin: answers 204 and counts the samples and bytes it received). For
each agent it prints CPU seconds per million samples and ns per sample (from /proc, over a fixed
window after warm-up), peak RSS and RSS per active series, the samples delivered in the window
(as a share of those scraped), bytes sent per sample, and the ratios to vmagent. Run through
tests/bench/peers.sh.

Scale: `--matrix 10x1000,100x5000,500x1000,10x50000` runs one table per TARGETSxSERIES point
(with `--agents scrapelet` for a quick look at how the agent alone grows with work).
Profiling: `--perf DIR` records `perf record -g` of scrapelet over the window into DIR.

Memory after a restart: `--restart` (see restart.py). A distant backend: `--delays 0,50,200` answers every write that many milliseconds after it
arrived and measures every agent at each delay (one table per delay). An outage: `--outage 300`
lets the agents settle for the warm-up, answers 503 for that many seconds, then prints how long each
agent took to deliver the backlog (the samples delivered since the outage began reaching 99% of
those scraped since), with its CPU and peak RSS over the whole run."""
import argparse, datetime, os, platform, shutil, signal, subprocess, sys, tempfile, time, urllib.request

import restart

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = 19999
TICK = os.sysconf("SC_CLK_TCK")


def nginx_conf(d, targets, first_port):
    listens = "".join(f"    listen 127.0.0.1:{first_port + i};\n" for i in range(targets))
    return f"""worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{
{listens}    root {d}/www;
    default_type "text/plain; version=0.0.4";
  }}
}}
"""


def scrape_config(targets, first_port, interval):
    lines = [f"global:\n  scrape_interval: {interval}s\n  scrape_timeout: {max(1, interval - 1)}s\n",
             "scrape_configs:\n  - job_name: bench\n    static_configs:\n      - targets:\n"]
    lines += [f"        - 127.0.0.1:{first_port + i}\n" for i in range(targets)]
    lines.append(f"remote_write:\n  - url: http://127.0.0.1:{RECEIVER}/api/v1/write\n")
    return "".join(lines)


def agents(repo, d, cfg):
    return {
        "scrapelet": [f"{repo}/target/release/scrapelet", "run", "--config", cfg, "--data-dir", f"{d}/scrapelet",
                      "--web.listen-address=127.0.0.1:9272"],
        "vmagent": ["/usr/bin/vmagent", f"-promscrape.config={cfg}", f"-remoteWrite.url=http://127.0.0.1:{RECEIVER}/api/v1/write",
                    f"-remoteWrite.tmpDataPath={d}/vmagent", "-promscrape.config.strictParse=false", "-httpListenAddr=127.0.0.1:8430", "-loggerLevel=ERROR"],
        "prometheus-agent": ["/usr/bin/prometheus", "--enable-feature=agent", f"--config.file={cfg}",
                             f"--storage.agent.path={d}/prometheus", "--web.listen-address=127.0.0.1:9096", "--log.level=error"],
    }


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def peak_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sink(path="count"):
    """(samples, bytes, requests, malformed requests) the receiver has seen so far; `path` may
    first change how it answers (`delay/MS`, `fail`, `ok`)."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{RECEIVER}/{path}", timeout=10).read()
    return [int(x) for x in body.split()]


def sink_counts():
    return sink()


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def measure_outage(name, argv, d, samples_per_second, warmup, outage, limit):
    """Settles, fails every write for `outage` seconds, then times the delivery of the backlog."""
    log = open(f"{d}/{name}.log", "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=log)
    caught = None
    try:
        time.sleep(warmup)
        if proc.poll() is not None:
            sys.exit(f"{name} exited early; see {d}/{name}.log")
        c0, r0, t0 = cpu_seconds(proc.pid), sink()[0], time.time()
        sink("fail")
        time.sleep(outage)
        sink("ok")
        t1 = time.time()
        while time.time() - t1 < limit:
            time.sleep(1)
            delivered, scraped = sink()[0] - r0, samples_per_second * (time.time() - t0)
            if delivered >= 0.99 * scraped:
                caught = time.time() - t1
                break
        delivered = sink()[0] - r0
        cpu, rss = cpu_seconds(proc.pid) - c0, peak_rss_mb(proc.pid)
        scraped = samples_per_second * (time.time() - t0)
    finally:
        sink("ok")
        stop(proc)
    return {"agent": name, "backlog": samples_per_second * outage, "caught_s": caught, "cpu_s": cpu,
            "rss_mb": rss, "delivered": delivered, "scraped": scraped}


def measure(name, argv, d, samples_per_second, warmup, window, perf_dir=None):
    log = open(f"{d}/{name}.log", "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=log)
    try:
        time.sleep(warmup)
        if proc.poll() is not None:
            sys.exit(f"{name} exited early; see {d}/{name}.log")
        r0 = sink_counts()
        perf = None
        if perf_dir and name == "scrapelet":
            os.makedirs(perf_dir, exist_ok=True)
            perf = subprocess.Popen(["perf", "record", "-g", "-o", f"{perf_dir}/perf.data", "-p", str(proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        c0, t0 = cpu_seconds(proc.pid), time.time()
        time.sleep(window)
        c1, t1 = cpu_seconds(proc.pid), time.time()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        r1 = sink_counts()
        rss = peak_rss_mb(proc.pid)
    finally:
        stop(proc)
    samples = samples_per_second * (t1 - t0)
    cpu = c1 - c0
    delivered, sent, malformed = r1[0] - r0[0], r1[1] - r0[1], r1[3] - r0[3]
    return {"agent": name, "cpu_s": cpu, "samples": samples, "cpu_per_m": cpu / samples * 1e6,
            "ns_per_sample": cpu / samples * 1e9, "rss_mb": rss, "delivered": delivered, "malformed": malformed,
            "bytes_per_sample": sent / max(delivered, 1)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--targets", type=int, default=100)
    p.add_argument("--series", type=int, default=5000)
    p.add_argument("--interval", type=int, default=5)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--window", type=int, default=60)
    p.add_argument("--agents", default="scrapelet,vmagent,prometheus-agent")
    p.add_argument("--matrix", help="TARGETSxSERIES points, comma-separated; overrides --targets/--series")
    p.add_argument("--perf", metavar="DIR", help="perf record scrapelet over the window into DIR")
    p.add_argument("--delays", default="0", help="receiver delays in ms, comma-separated: one table each")
    p.add_argument("--outage", type=int, help="seconds of 503s after the warm-up; prints the catch-up time")
    p.add_argument("--catchup-limit", type=int, default=600, help="give up waiting for the backlog after this")
    p.add_argument("--restart", action="store_true", help="memory fresh, after a restart, and replaying a backlog")
    p.add_argument("--backlog", type=int, default=60, help="--restart: seconds of 503s that make the backlog")
    a = p.parse_args()
    points = [tuple(int(x) for x in pt.split("x")) for pt in a.matrix.split(",")] if a.matrix else [(a.targets, a.series)]
    for a.targets, a.series in points:
        run_point(a)


def run_point(a):
    repo = os.path.dirname(os.path.dirname(HERE))
    d = tempfile.mkdtemp(prefix="scrapelet-peers-")
    os.chmod(d, 0o755)  # nginx's workers run as nobody
    os.makedirs(f"{d}/www")
    body = subprocess.run([sys.executable, f"{HERE}/workload.py", str(a.series)], capture_output=True, text=True, check=True).stdout
    open(f"{d}/www/metrics", "w").write(body)
    per_body = sum(1 for l in body.splitlines() if l and not l.startswith("#"))
    first_port = 20000
    open(f"{d}/nginx.conf", "w").write(nginx_conf(d, a.targets, first_port))
    open(f"{d}/scrape.yml", "w").write(scrape_config(a.targets, first_port, a.interval))
    nginx = subprocess.Popen(["/usr/sbin/nginx", "-c", f"{d}/nginx.conf", "-p", d], stderr=subprocess.DEVNULL)
    sink_proc = subprocess.Popen([f"{repo}/target/release/rw-sink", f"127.0.0.1:{RECEIVER}"])
    rate = a.targets * per_body / a.interval
    try:
        time.sleep(1)
        urllib.request.urlopen(f"http://127.0.0.1:{first_port}/metrics").read()
        all_agents = agents(repo, d, f"{d}/scrape.yml")
        for delay in [int(x) for x in a.delays.split(",")]:
            sink(f"delay/{delay}")
            results = []
            for name in a.agents.split(","):
                for data in ("scrapelet", "vmagent", "prometheus"):  # each run starts without a backlog
                    shutil.rmtree(f"{d}/{data}", ignore_errors=True)
                if a.restart:
                    print(f"{name}: fresh, restarted, restarted with a backlog ...", file=sys.stderr)
                    results.append(restart.measure(name, all_agents[name], d, rate, a.warmup, a.window, a.backlog, a.catchup_limit))
                elif a.outage:
                    print(f"{name}: {a.warmup}s warm-up, {a.outage}s outage, delay {delay} ms ...", file=sys.stderr)
                    results.append(measure_outage(name, all_agents[name], d, rate, a.warmup, a.outage, a.catchup_limit))
                else:
                    print(f"measuring {name}: {a.warmup}s warm-up, {a.window}s window, delay {delay} ms ...", file=sys.stderr)
                    results.append(measure(name, all_agents[name], d, rate, a.warmup, a.window, a.perf))
            (restart.report if a.restart else report_outage if a.outage else report)(a, per_body, results, delay)
    finally:
        nginx.terminate()
        sink_proc.terminate()
    shutil.rmtree(d, ignore_errors=True)


def header(a, per_body, delay, what):
    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"\n{datetime.date.today()} · {platform.node()} · {os.cpu_count()} cores · {cpu_model}")
    print(f"{a.targets} targets × {per_body} samples every {a.interval}s = {a.targets * per_body:,} active series; "
          f"receiver answers after {delay} ms; {what}\n")


def report_outage(a, per_body, results, delay):
    header(a, per_body, delay, f"{a.warmup}s warm-up, then {a.outage}s of 503s")
    print("| agent | backlog (samples) | backlog delivered after | delivered (of scraped since the outage began) | CPU s (outage + catch-up) | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for r in results:
        caught = f"{r['caught_s']:.0f} s" if r["caught_s"] is not None else f"not within {a.catchup_limit} s"
        print(f"| {r['agent']} | {r['backlog']:,.0f} | {caught} | {r['delivered']:,} ({r['delivered'] / r['scraped']:.1%}) | "
              f"{r['cpu_s']:.1f} | {r['rss_mb']:.1f} |")


def report(a, per_body, results, delay):
    vm = next((r for r in results if r["agent"] == "vmagent"), None)
    header(a, per_body, delay, f"{a.warmup}s warm-up, {a.window}s window")
    print("| agent | CPU s / million samples | ns CPU / sample | peak RSS MB | RSS bytes / active series | samples delivered (of scraped) | bytes sent / sample | CPU vs vmagent | RSS vs vmagent |")
    print("|---|---|---|---|---|---|---|---|---|")
    active = a.targets * per_body
    for r in results:
        # Three places: the goals (0.15×, 0.5×) are decided at the third.
        cpu_ratio = f"{r['cpu_per_m'] / vm['cpu_per_m']:.3f}×" if vm else "-"
        rss_ratio = f"{r['rss_mb'] / vm['rss_mb']:.3f}×" if vm else "-"
        print(f"| {r['agent']} | {r['cpu_per_m']:.3f} | {r['ns_per_sample']:.0f} | {r['rss_mb']:.1f} | "
              f"{r['rss_mb'] * 1048576 / active:.0f} | "
              f"{r['delivered']:,} ({r['delivered'] / r['samples']:.1%}) | "
              f"{r['bytes_per_sample']:.2f} | {cpu_ratio} | {rss_ratio} |")
        if r["malformed"]:
            print(f"WARNING: {r['agent']} sent {r['malformed']} malformed requests (see the sink's messages above)")


if __name__ == "__main__":
    main()
