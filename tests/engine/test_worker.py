"""The timer worker: fires a due timer at its deadline, once, woken by new timers, never polling.

Most tests here run on the real clock with a diagram whose time standards are
a couple of seconds, because what they prove is about real waiting: that a
sleeping worker wakes when a timer is armed, and records the breach within a
second of its deadline.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from engine import Engine, PermissionDenied
from engine.logs import JsonFormatter
from engine.worker import LocalWaker, PostgresWaker, TimerWorker

from ..conftest import make_engine, minutes
from ..helpers import Application

STANDARDS = (b">PT15M<", b">P1D<", b">PT10M<")


def fast_standards(xml: bytes, seconds: int) -> bytes:
    for standard in STANDARDS:
        xml = xml.replace(standard, f">PT{seconds}S<".encode())
    return xml


def breaches(engine: Engine, instance: int) -> list:
    return [e for e in engine.history(instance) if e.type == "sla_breached"]


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# ------------------------------------------------------------ frozen clock
def test_run_once_fires_only_when_a_timer_is_due(engine: Engine, clock) -> None:
    app = Application(engine)
    worker = TimerWorker(engine, max_sleep=120)
    clock.shift(minutes(14))
    assert worker.run_once() == pytest.approx(60.0)  # sleeps exactly until the deadline
    clock.shift(minutes(1))
    assert worker.run_once() == 0.0
    assert worker.fired == 1
    assert app.events()[-1] == "sla_breached"
    # the next deadline is step 2's, not yet armed: nothing due, the longest sleep
    assert worker.run_once() == 120


def test_with_no_timer_the_worker_sleeps_the_longest(engine: Engine) -> None:
    assert TimerWorker(engine, max_sleep=12.5).run_once() == 12.5


# -------------------------------------------------------------- real clock
@pytest.fixture
def fast_engine(db_url: str, ptsp_xml: bytes) -> Iterator[Engine]:
    eng = make_engine(db_url, fast_standards(ptsp_xml, 2))
    yield eng
    eng.close()


def test_a_sleeping_worker_wakes_for_a_new_timer_and_fires_on_time(fast_engine: Engine, db_url: str) -> None:
    # On PostgreSQL the worker has an engine (and connections) of its own, as a
    # separate process would: only the database can wake it.
    separate = fast_engine.db.dialect == "postgresql"
    worker_engine = Engine(db_url) if separate else fast_engine
    worker = TimerWorker(worker_engine, max_sleep=60, same_process=not separate).start()
    try:
        time.sleep(0.3)  # asleep: no timer at all, so up to 60 s
        app = Application(fast_engine)
        assert wait_for(lambda: breaches(fast_engine, app.id), timeout=6), "no breach within 6 s of a 2 s standard"
    finally:
        worker.stop()
        if separate:
            worker_engine.close()
    [breach] = breaches(fast_engine, app.id)
    late = (breach.at - datetime.fromisoformat(breach.data["due_at"])).total_seconds()
    assert 0 <= late < 1.0, f"the breach was recorded {late:.3f} s after its deadline"
    assert not worker.thread.is_alive()


@pytest.mark.postgres
def test_several_workers_fire_each_timer_exactly_once(postgres_url: str, ptsp_xml: bytes) -> None:
    from ..conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    commands = make_engine(postgres_url, fast_standards(ptsp_xml, 1))
    engines = [Engine(postgres_url) for _ in range(3)]
    workers = [TimerWorker(e, max_sleep=60).start() for e in engines]
    try:
        apps = [Application(commands) for _ in range(30)]
        assert wait_for(lambda: sum(w.fired for w in workers) >= 30, timeout=30)
        time.sleep(0.5)  # room for a duplicate to show up, were there one
    finally:
        for w in workers:
            w.stop()
        for e in engines:
            e.close()
    assert sum(w.fired for w in workers) == 30
    for app in apps:
        assert len(breaches(commands, app.id)) == 1
    commands.close()


@pytest.mark.postgres
def test_a_listening_worker_comes_back_after_its_connection_is_cut(postgres_url: str, ptsp_xml: bytes) -> None:
    from sqlalchemy import text

    from ..conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    commands = make_engine(postgres_url, fast_standards(ptsp_xml, 1))
    worker_engine = Engine(postgres_url)
    worker = TimerWorker(worker_engine, max_sleep=60).start()
    try:
        assert wait_for(lambda: isinstance(worker.waker, PostgresWaker) and worker.waker.connection, 5)
        with commands.db.engine.begin() as conn:  # what a database restart does to it
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"))
        time.sleep(1.5)
        app = Application(commands)
        assert wait_for(lambda: breaches(commands, app.id), timeout=15)
    finally:
        worker.stop()
        worker_engine.close()
        commands.close()


@pytest.mark.postgres
def test_a_later_deadline_does_not_make_workers_read_again(
    postgres_url: str, ptsp_xml: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command arms a timer and every worker hears it; only an earlier deadline changes a plan."""
    from ..conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    commands = make_engine(postgres_url, fast_standards(ptsp_xml, 5))
    worker_engine = Engine(postgres_url)
    reads = {"n": 0}
    real = worker_engine.next_timer_due

    def counted():
        reads["n"] += 1
        return real()

    monkeypatch.setattr(worker_engine, "next_timer_due", counted)
    worker = TimerWorker(worker_engine, max_sleep=60).start()
    try:
        first = Application(commands)  # due in 5 s: the worker plans to wake then
        assert wait_for(lambda: reads["n"] >= 2, 3)
        time.sleep(0.3)
        before = reads["n"]
        for _ in range(5):
            Application(commands)  # each due later than the first
        time.sleep(0.5)
        assert reads["n"] == before
        assert wait_for(lambda: breaches(commands, first.id), timeout=10)
    finally:
        worker.stop()
        worker_engine.close()
        commands.close()


def test_stop_interrupts_a_long_sleep(engine: Engine) -> None:
    worker = TimerWorker(engine, max_sleep=3600).start()
    time.sleep(0.2)
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 2
    assert not worker.thread.is_alive()


def test_a_separate_sqlite_worker_bounds_its_sleep(sqlite_url: str) -> None:
    """Another process cannot signal a SQLite worker, so it looks again every second."""
    engine = Engine(sqlite_url)
    waker = TimerWorker(engine).waker
    assert isinstance(waker, LocalWaker)
    assert waker.poll == 1.0
    assert TimerWorker(engine, same_process=True).waker.poll is None
    engine.close()


def test_a_rolled_back_command_wakes_nobody(engine: Engine) -> None:
    signal = engine.db.timers_changed
    signal.clear()
    with pytest.raises(PermissionDenied):
        engine.start(as_user="kasi")  # staff cannot file an application: refused, rolled back
    assert not signal.is_set()
    Application(engine)
    assert signal.is_set()


def test_one_failing_sweep_does_not_stop_the_worker(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = engine.next_timer_due

    def flaky():
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real()

    monkeypatch.setattr(engine, "next_timer_due", flaky)
    worker = TimerWorker(engine, max_sleep=0.1).start()
    try:
        assert wait_for(lambda: calls["n"] >= 3, timeout=5)
    finally:
        worker.stop()


# ------------------------------------------------------------------- logs
def test_json_logs_carry_the_extra_fields() -> None:
    record = logging.LogRecord("ptsp.worker", logging.INFO, __file__, 1, "%d fired", (3,), None)
    record.instance = 42
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "3 fired"
    assert entry["level"] == "info"
    assert entry["logger"] == "ptsp.worker"
    assert entry["instance"] == 42
    assert entry["ts"].endswith("+00:00")


def test_json_logs_keep_tracebacks() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exc"]


def test_threads_are_not_left_behind() -> None:
    assert not [t for t in threading.enumerate() if t.name == "ptsp-timers" and t.is_alive()]


def test_gunicorn_access_lines_become_fields() -> None:
    atoms = {"h": "127.0.0.1", "m": "POST", "U": "/api/v1/tasks/x/complete", "s": "200", "B": "42", "M": 17}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s %(m)s", (atoms,), None)
    entry = json.loads(JsonFormatter().format(record))
    wanted = {"method": "POST", "status": 200, "ms": 17, "bytes": 42, "path": "/api/v1/tasks/x/complete"}
    assert {k: entry.get(k) for k in wanted} == wanted
