"""`python -m bench` (what `make bench` runs): every benchmark at its default sizes."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    ["bench.durable_fanout"],
    ["bench.provisioning", "--users", "100", "1000"],
    # every long-running operation takes 2 s and VM creates trickle in at one a second: the rate limit is the bound
    ["bench.provisioning", "--users", "100", "--latency", "2", "--vm-rate", "60", "--vm-burst", "1"],
    # Windows 365 provisions 100 Cloud PCs in 30 s through Graph, its throttling on; the app reads them every 5 s
    ["bench.provisioning", "--backend", "windows365", "--users", "100", "--latency", "30", "--poll", "5"],
    # three tenants at once, each with its own subscription; one tenant's burst of 200 beside ten of 20 each
    # (the acceptance runs: `--tenants 20 --users 50 --latency 2 --vm-rate 300 --processes 2`, and `--fairness`
    # with 1,000); the app on two worker processes, as Azure runs a Python app beside its host
    ["bench.tenants", "--tenants", "3", "--users", "10", "--latency", "2", "--vm-rate", "300", "--processes", "2"],
    ["bench.tenants", "--fairness", "--fairness-big", "200", "--latency", "2", "--vm-rate", "300"],
    # 200 clients on reads then writes, one invocation at a time and then on worker processes: 15 s a phase here
    # (the acceptance run is `python -m bench.load`, 60 s a phase)
    ["bench.load", "--seconds", "15"],
    # the All Cloud PCs page of a 5,000 Cloud PC tenant and the overview of six, in Chromium; the bundle size
    ["bench.portal", "--cloud-pcs", "5000"],
    # what the overview asks of the API across 100 tenants
    ["bench.overview", "--tenants", "100"],
    # the Cloud PCs of every tenant in one list: a prefix, a status, the first page by name and the next, over 10,000
    # (the acceptance run is `python -m bench.cross_tenant_search`: 100 tenants of 1,000, within 300 ms)
    ["bench.cross_tenant_search", "--tenants", "10", "--cloud-pcs", "1000"],
    # one tick of the Spot Group optimization over 50 groups in 5 tenants; a sweep's read among 10,000 Cloud PCs
    # (the acceptance run is `python -m bench.timer_ticks`: 500 groups in 50 tenants, 100,000 Cloud PCs)
    ["bench.timer_ticks", "--tenants", "5", "--groups", "50", "--cloud-pcs", "10000"],
    # an hour of every timer with nothing changing: 5 tenants of 20 Cloud PCs, 5 Spot Groups
    # (the acceptance run is `python -m bench.at_rest`: 100 tenants of 100, 50 Spot Groups)
    ["bench.at_rest", "--tenants", "5", "--cloud-pcs", "20", "--spot-groups", "5"],
)


def main() -> int:
    for args in BENCHMARKS:
        print(f"== python -m {' '.join(args)}", flush=True)
        if subprocess.call([sys.executable, "-m", *args]) != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
