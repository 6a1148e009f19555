"""Faults under load: a timer worker killed while firing, web workers killed mid-request, PostgreSQL crashing.

Afterwards nothing is lost (every completion the API confirmed is stored),
nothing is duplicated (no task completed twice, no standard breached twice),
every history re-executes, and the system carried on by itself: the same
processes (or gunicorn's replacements) finished the work.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

from deploy import load
from engine import Engine
from engine.store.models import Event

from .conftest import assert_consistent


def count_breaches(database_url: str) -> Counter:
    engine = Engine(database_url)
    try:
        with engine.db.reader() as s:
            return Counter(s.scalars(select(Event.instance_id).where(Event.type == "sla_breached")))
    finally:
        engine.close()


def wait_until(condition, timeout: float, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def test_a_timer_worker_killed_while_firing(cluster_factory) -> None:
    cluster = cluster_factory(web_workers=2, timer_workers=1, standard_seconds=1)
    first = cluster.workers[0]
    first.send_signal(signal.SIGTERM)
    assert first.wait(15) == 0
    tokens = load.prepare(cluster.database_url)
    report = load.LoadReport()
    filer = load.Client(cluster.base_url, tokens.applicants[0], load.APPLICANT_LANE, {}, seed=0)
    for _ in range(150):
        filer.start(report)
    assert len(report.started) == 150
    time.sleep(1.5)  # every step-1 standard has passed; nobody fires them

    victim = cluster.start_timer_worker()
    assert wait_until(lambda: sum(count_breaches(cluster.database_url).values()) > 0, 30)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    fired_before_death = sum(count_breaches(cluster.database_url).values())
    assert 0 < fired_before_death < 150, f"killed after {fired_before_death} of 150: not in the middle"

    cluster.start_timer_worker()
    cluster.start_timer_worker()
    assert wait_until(lambda: sum(count_breaches(cluster.database_url).values()) >= 150, 90, every=0.5)
    time.sleep(1)  # room for a duplicate to appear, were there one
    breaches = count_breaches(cluster.database_url)
    assert set(breaches) == set(report.started)
    assert set(breaches.values()) == {1}, "a standard was recorded as breached twice"
    engine = Engine(cluster.database_url)
    try:
        assert engine.audit_verify(report.started, jobs=2).ok
    finally:
        engine.close()


def test_web_workers_killed_mid_request(cluster_factory) -> None:
    cluster = cluster_factory(web_workers=4, timer_workers=2, standard_seconds=3)
    tokens = load.prepare(cluster.database_url)
    data = load.form_data(cluster.bpmn.read_bytes())
    killed = []

    def kill_web_workers(report: load.LoadReport) -> None:
        for _ in range(3):
            time.sleep(4)
            pid = cluster.web_worker_pids()[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    report = load.run(
        cluster.base_url, cluster.database_url, tokens, data, applications=150, time_limit=600, during=kill_web_workers
    )
    print("\nweb workers killed:", report.summary())
    assert len(killed) == 3
    assert_consistent(cluster.database_url, report)
    assert wait_until(lambda: len(cluster.web_worker_pids()) == 4, 30), "gunicorn did not replace its workers"
    assert not set(killed) & set(cluster.web_worker_pids())


def test_postgresql_restarted_under_load(cluster_factory) -> None:
    cluster = cluster_factory(web_workers=4, timer_workers=2, standard_seconds=3)
    tokens = load.prepare(cluster.database_url)
    data = load.form_data(cluster.bpmn.read_bytes())

    restarted = {}

    def crash_postgres(report: load.LoadReport) -> None:
        time.sleep(6)
        cluster.postgres.restart("immediate")  # a crash: recovery replays the WAL
        restarted["at"] = datetime.now(UTC)

    report = load.run(
        cluster.base_url, cluster.database_url, tokens, data, applications=150, time_limit=600, during=crash_postgres
    )
    print("\npostgresql restarted:", report.summary())
    # while the server was away the API answered 503, and nothing else went wrong
    assert all(e.split(":")[1].strip().startswith("503") for e in report.server_errors), report.server_errors[:3]
    assert_consistent(cluster.database_url, report)
    assert all(w.poll() is None for w in cluster.workers), "a timer worker gave up"
    assert cluster.health()["status"] == "ok"
    engine = Engine(cluster.database_url)
    try:  # the timer workers came back on their own and went on firing
        with engine.db.reader() as s:
            last = s.scalar(select(func.max(Event.at)).where(Event.type == "sla_breached"))
        assert last is not None and last > restarted["at"]
    finally:
        engine.close()
