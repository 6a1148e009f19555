"""Exporting 1,000,000 events: throughput and peak memory, per format.

    python -m bench.audit_export [--events 1000000]

Forty applications are run through the SOP by the engine (loops, breaches,
late sign-offs), and their histories are copied under new registration
numbers, one filing a minute, until the log holds the requested number of
events. Each export then runs in a fresh process that writes to a null sink
and reports its events per second and its peak resident memory:

* the baseline is the same process only reading the rows (no formatting);
* memory is measured for a tenth of the log and for all of it: flat means
  the peak does not grow with the size of the export.

Set PTSP_BENCH_POSTGRES_URL to run on PostgreSQL instead of SQLite.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import func, insert, select

from engine import Engine
from engine.services import audit_reads
from engine.store.models import Event, Instance

from .audit_verify import T0, run_application
from .common import fresh_engine, postgres_url, scratch_postgres

EVENTS, INSTANCES = Event.__table__, Instance.__table__


def build(url: str | None, target: int) -> tuple[str, datetime, datetime]:
    """A database whose log holds ``target`` events; returns it and the filing period of its first tenth."""
    engine, url = fresh_engine(url)
    forms: dict = {}
    with time_machine.travel(T0, tick=False) as clock:
        for shape in range(40):
            run_application(engine, clock, shape, forms)
    with engine.db.engine.begin() as connection:
        originals = [r._asdict() for r in connection.execute(select(INSTANCES))]
        events: dict[int, list[dict]] = {}
        for row in connection.execute(select(EVENTS).order_by(EVENTS.c.instance_id, EVENTS.c.seq)):
            event = row._asdict()
            event.pop("id")
            events.setdefault(row.instance_id, []).append(event)
        count = connection.execute(select(func.count()).select_from(EVENTS)).scalar_one()
        start = T0 + timedelta(days=30)
        new_id, batch_instances, batch_events = max(events) + 1, [], []
        while count < target:
            original = originals[(new_id - 1) % len(originals)]
            filed = start + timedelta(minutes=new_id)
            batch_instances.append(dict(original, id=new_id, registration=f"PTSP/2026/{new_id:07d}", started_at=filed))
            for event in events[original["id"]]:
                batch_events.append(dict(event, instance_id=new_id))
            count += len(events[original["id"]])
            new_id += 1
            if len(batch_events) >= 50_000 or count >= target:
                connection.execute(insert(INSTANCES), batch_instances)
                connection.execute(insert(EVENTS), batch_events)
                batch_instances, batch_events = [], []
        tenth_end = start + timedelta(minutes=(new_id - len(originals)) // 10)
    engine.close()
    return url, start, tenth_end


def rss_kib() -> int:
    """The process's resident memory now (Linux), sampled while exporting."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 1024


def child(url: str, fmt: str, since: str | None, until: str | None) -> None:
    """One export in this process; prints its figures as JSON."""
    engine = Engine(url)
    since_at = datetime.fromisoformat(since) if since else None
    until_at = datetime.fromisoformat(until) if until else None
    with engine.db.engine.connect() as connection:  # warm up: imports, connection, definition
        next(audit_reads.export_rows(connection, instance=1))
    before = peak = rss_kib()
    started = time.perf_counter()
    events = size = 0
    if fmt == "read":
        with engine.db.engine.connect() as connection:
            for _ in audit_reads.export_rows(connection, since=since_at, until=until_at):
                events += 1
                if events % 2000 == 0:
                    peak = max(peak, rss_kib())
    else:
        for n, chunk in enumerate(engine.audit_export(fmt, since=since_at, until=until_at)):
            size += len(chunk)
            if n % 8 == 0:
                peak = max(peak, rss_kib())
    elapsed = time.perf_counter() - started
    if fmt != "read":
        with engine.db.engine.connect() as connection:
            query = select(func.count()).select_from(EVENTS.join(INSTANCES, INSTANCES.c.id == EVENTS.c.instance_id))
            if since_at:
                query = query.where(INSTANCES.c.started_at >= since_at)
            if until_at:
                query = query.where(INSTANCES.c.started_at < until_at)
            events = connection.execute(query).scalar_one()
    print(json.dumps({"events": events, "bytes": size, "seconds": elapsed, "before_kib": before, "peak_kib": peak}))


def run_child(url: str, fmt: str, since: datetime | None = None, until: datetime | None = None) -> dict:
    args = [sys.executable, "-m", "bench.audit_export", "--child", fmt, "--url", url]
    if since:
        args += ["--since", since.isoformat()]
    if until:
        args += ["--until", until.isoformat()]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(url: str, start: datetime, tenth_end: datetime) -> None:
    print(
        f"{'format':<7} {'events':>9} {'events/s':>10} {'MB/s':>6} {'vs read':>8}  "
        f"{'peak RSS, 1/10 of the log':>26} {'peak RSS, all of it':>20}"
    )
    base = None
    for fmt in ("read", "csv", "jsonl", "xes"):
        small = run_child(url, fmt, until=tenth_end)
        full = run_child(url, fmt)
        rate = full["events"] / full["seconds"]
        base = base or rate
        growth = (full["peak_kib"] - full["before_kib"]) / 1024
        growth_small = (small["peak_kib"] - small["before_kib"]) / 1024
        print(
            f"{fmt:<7} {full['events']:>9} {rate:>10.0f} {full['bytes'] / full['seconds'] / 1e6:>6.1f} "
            f"{base / rate:>7.2f}x  {small['peak_kib'] / 1024:>8.1f} MiB (+{growth_small:5.1f})"
            f"{full['peak_kib'] / 1024:>12.1f} MiB (+{growth:5.1f})"
        )
    print(
        "(peak resident memory sampled while exporting; +N: its growth over the process before the export;\n"
        " 'vs read': export time relative to only reading the same rows)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--since")
    parser.add_argument("--until")
    args = parser.parse_args()
    if args.child:
        child(args.url, args.child, args.since, args.until)
        return
    started = time.perf_counter()
    if postgres_url():
        with scratch_postgres(postgres_url()) as scratch:
            url, start, tenth_end = build(scratch, args.events)
            print(f"PostgreSQL log of {args.events} events built in {time.perf_counter() - started:.0f} s")
            report(url, start, tenth_end)
        return
    url, start, tenth_end = build(None, args.events)
    print(f"SQLite log of {args.events} events built in {time.perf_counter() - started:.0f} s")
    report(url, start, tenth_end)


if __name__ == "__main__":
    main()
