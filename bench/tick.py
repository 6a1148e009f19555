"""``tick`` with 10,000 timers due at once: timers fired per second.

    python -m bench.tick [--timers 10000]

10,000 applications are started (each waits at step 1 with its 15-minute
timer), the clock moves 16 minutes ahead, and one ``Engine.tick`` fires them
all: each instance is read from the database, deserialized, fired, serialized
and written with its breach event in its own transaction. The baseline is the
same firing done by SpiffWorkflow alone on the same 10,000 workflows held in
memory, in the same run. Set PTSP_BENCH_POSTGRES_URL to add PostgreSQL.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import time_machine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.definitions import load_definition
from engine.runtime import compile_definition
from engine.scripting import EngineScriptEngine

from .common import BPMN, fresh_engine, postgres_url, scratch_postgres

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def in_memory(count: int) -> float:
    compiled = compile_definition(1, 1, load_definition(BPMN))
    script_engine = EngineScriptEngine()
    with time_machine.travel(T0, tick=False) as clock:
        workflows = []
        for _ in range(count):
            wf = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=script_engine)
            wf.do_engine_steps()
            workflows.append(wf)
        clock.shift(timedelta(minutes=16))
        started = time.perf_counter()
        for wf in workflows:
            wf.refresh_timers()
            wf.do_engine_steps()
        return time.perf_counter() - started


def durable(url: str | None, count: int) -> tuple[float, int, str]:
    engine, url = fresh_engine(url)
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(count):
            engine.start(as_user="warga")
        engine.ctx.workflows.clear()  # a worker meets most due instances cold
        clock.shift(timedelta(minutes=16))
        started = time.perf_counter()
        result = engine.tick()
        elapsed = time.perf_counter() - started
    dialect = engine.db.dialect
    engine.close()
    assert not result.failed, result.failed
    return elapsed, result.fired, dialect


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timers", type=int, default=10_000)
    args = parser.parse_args()
    n = args.timers
    base = in_memory(n)
    print(f"Firing {n} due SLA timers at once")
    print(f"  in-memory SpiffWorkflow   {n / base:9.0f} timers/s  ({base:6.2f} s)")
    runs = [durable(None, n)]
    if postgres_url():
        with scratch_postgres(postgres_url()) as url:
            runs.append(durable(url, n))
    for elapsed, fired, dialect in runs:
        assert fired == n, (fired, n)
        print(
            f"  engine.tick, {dialect:<12} {fired / elapsed:9.0f} timers/s  ({elapsed:6.2f} s)  "
            f"{elapsed / base:5.1f}x the in-memory time"
        )


if __name__ == "__main__":
    main()
