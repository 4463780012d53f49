"""Memory after a restart (peers.py --restart): each agent runs three times on one data directory.

1. fresh: an empty data directory; warm-up, then a window.
2. restart, sent: started again on what run 1 left (its WAL or disk queue, all of it delivered).
3. restart, backlog: started on the directory again, the receiver fails for `--backlog` seconds,
   the agent is stopped (SIGTERM) while it fails, and started once more with the receiver up:
   that last start replays the backlog.

For each it prints peak RSS (VmHWM) and steady RSS (VmRSS at the end of the window); for the
backlog run also how long the backlog took to be delivered and the samples delivered."""
import os, shutil, subprocess, sys, time

import peers


def rss_mb(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_once(name, argv, d, warmup, window, log_name):
    """Starts the agent, waits warm-up + window; returns (peak MB, steady MB)."""
    log = open(f"{d}/{log_name}.log", "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=log)
    try:
        time.sleep(warmup + window)
        if proc.poll() is not None:
            sys.exit(f"{name} exited early; see {d}/{log_name}.log")
        return rss_mb(proc.pid, "VmHWM"), rss_mb(proc.pid, "VmRSS")
    finally:
        peers.stop(proc)


def measure(name, argv, d, rate, warmup, window, backlog, limit):
    for data in ("scrapelet", "vmagent", "prometheus"):
        shutil.rmtree(f"{d}/{data}", ignore_errors=True)
    fresh = run_once(name, argv, d, warmup, window, f"{name}-fresh")
    sent = run_once(name, argv, d, warmup, window, f"{name}-restart")
    # Build a backlog: up, then the receiver fails for `backlog` seconds, then a stop.
    log = open(f"{d}/{name}-backlog.log", "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=log)
    try:
        time.sleep(warmup)
        r0, t0 = peers.sink()[0], time.time()
        peers.sink("fail")
        time.sleep(backlog)
    finally:
        peers.stop(proc)
        peers.sink("ok")
    log = open(f"{d}/{name}-replay.log", "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=log)
    caught = None
    try:
        t1 = time.time()
        while time.time() - t1 < limit:
            time.sleep(1)
            # What was scraped since the outage began, less the time the agent was down.
            scraped = rate * (time.time() - t0 - (t1 - t0 - backlog))
            if peers.sink()[0] - r0 >= 0.99 * scraped:
                caught = time.time() - t1
                break
        time.sleep(max(0.0, warmup + window - (time.time() - t1)))
        replay = (rss_mb(proc.pid, "VmHWM"), rss_mb(proc.pid, "VmRSS"))
    finally:
        peers.stop(proc)
    return {"agent": name, "fresh": fresh, "sent": sent, "backlog": replay, "backlog_samples": rate * backlog,
            "caught_s": caught}


def report(a, per_body, results, delay):
    peers.header(a, per_body, delay, f"{a.warmup}s warm-up + {a.window}s each run; backlog: {a.backlog}s of 503s")
    print("| agent | fresh: peak / steady MB | restart, WAL sent: peak / steady MB | restart with a backlog: peak / steady MB | backlog delivered after |")
    print("|---|---|---|---|---|")
    for r in results:
        cell = lambda p: f"{p[0]:.1f} / {p[1]:.1f}"
        caught = f"{r['caught_s']:.0f} s ({r['backlog_samples']:,.0f} samples)" if r["caught_s"] is not None else "not within the limit"
        print(f"| {r['agent']} | {cell(r['fresh'])} | {cell(r['sent'])} | {cell(r['backlog'])} | {caught} |")
