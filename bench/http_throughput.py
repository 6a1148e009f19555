"""End-to-end throughput over HTTP on PostgreSQL, and its scaling from 1 to 4 web workers.

    python -m bench.http_throughput [--applications 150] [--clients 50] [--workers 1 2 4]

For each number of gunicorn workers a fresh cluster comes up (private
PostgreSQL, gunicorn, 2 timer workers: ``deploy/cluster.py``) and 50 API
clients (``deploy/load.py``) file the applications and complete every task
of them, as in the load test. Printed per configuration: completed tasks per
second, the same per CPU core of this machine, p50 and p95 latency of a
completion as the client sees it, and the ratio of the throughput to the
1-worker baseline measured in the same run. Clients, server and database share
the machine's cores, so the per-core figure is for the whole system.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from deploy import load
from deploy.cluster import Cluster, pg_bin


def one(workers: int, applications: int, clients: int) -> load.LoadReport:
    directory = Path(tempfile.mkdtemp(prefix="ptsp-bench-http-"))
    cluster = Cluster(directory, web_workers=workers, timer_workers=2)
    try:
        cluster.up(demo_users=False)
        tokens = load.prepare(cluster.database_url)
        data = load.form_data(cluster.bpmn.read_bytes())
        report = load.run(
            cluster.base_url, cluster.database_url, tokens, data, applications=applications, clients=clients
        )
    finally:
        cluster.down()
        shutil.rmtree(directory, ignore_errors=True)
    if report.errors or report.server_errors or not report.finished:
        raise SystemExit(f"{workers} workers: the run failed: {report.summary()} {report.errors[:3]}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=150)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    if pg_bin() is None:
        raise SystemExit("needs PostgreSQL's server programs (initdb, pg_ctl)")
    cores = os.cpu_count() or 1
    print(f"{args.applications} applications, {args.clients} API clients, {cores} CPU cores, PostgreSQL")
    print(f"  {'web workers':>11}  {'tasks/s':>8}  {'per core':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'vs 1':>6}")
    baseline = None
    for workers in args.workers:
        report = one(workers, args.applications, args.clients)
        baseline = baseline or report.tasks_per_second
        print(
            f"  {workers:>11}  {report.tasks_per_second:>8.1f}  {report.tasks_per_second / cores:>8.1f}  "
            f"{report.latency(0.5):>7.0f}  {report.latency(0.95):>7.0f}  {report.tasks_per_second / baseline:>5.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
