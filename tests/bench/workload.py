#!/usr/bin/env python3
"""Writes one realistic scrape body: histograms with `le` buckets, counters with several labels,
gauges, long HELP lines. Usage: workload.py SERIES > body.prom (SERIES samples, approximately)."""
import sys

def main(target):
    out, n, family = [], 0, 0
    buckets = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
    while n < target:
        kind = family % 3
        name = f"app_family_{family}"
        help_text = f"Synthetic family {family} for the peer benchmark: " + "a long help text as real exporters write them, " * 3
        if kind == 0:
            out.append(f"# HELP {name}_seconds {help_text}\n# TYPE {name}_seconds histogram\n")
            for route in range(8):
                labels = f'method="GET",route="/api/v1/resource/{route}",code="200"'
                for i, le in enumerate(buckets):
                    out.append(f'{name}_seconds_bucket{{{labels},le="{le}"}} {route * 100 + i * 7}\n')
                out.append(f"{name}_seconds_sum{{{labels}}} {route * 3.25 + 0.5}\n{name}_seconds_count{{{labels}}} {route * 100 + 77}\n")
                n += len(buckets) + 2
        elif kind == 1:
            out.append(f"# HELP {name}_total {help_text}\n# TYPE {name}_total counter\n")
            for i in range(40):
                out.append(f'{name}_total{{method="{["GET", "POST", "PUT", "DELETE"][i % 4]}",status="{200 + i % 5}",instance_id="worker-{i}",region="eu-west-1"}} {i * 1234 + family}\n')
                n += 1
        else:
            out.append(f"# HELP {name}_bytes {help_text}\n# TYPE {name}_bytes gauge\n")
            for i in range(20):
                out.append(f'{name}_bytes{{pool="pool-{i}",area="heap"}} {i * 1048576.5 + family}\n')
                n += 1
        family += 1
    sys.stdout.write("".join(out))

if __name__ == "__main__":
    main(int(sys.argv[1]))
