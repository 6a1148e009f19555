"""A real multi-node deployment on this machine: private PostgreSQL, gunicorn, timer workers.

These tests need PostgreSQL's server programs and run where the PostgreSQL
tests run (``PTSP_TEST_POSTGRES_URL`` set, as ``.ci/run`` does); elsewhere
they are skipped with that reason. Each test brings up its own cluster
(``deploy.cluster.Cluster``) in a temporary directory, on loopback only, and
takes it down afterwards; its logs stay in the directory for a failed run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from deploy.cluster import Cluster, pg_bin
from deploy.load import LoadReport
from engine import Engine
from engine.store.models import Event, Instance, TaskRow, TimerRow

from ..conftest import PG_ENV, PTSP_BPMN

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

STANDARDS = (b">PT15M<", b">P1D<", b">PT10M<")


def short_standards(seconds: int) -> bytes:
    """The real diagram with every time standard cut to ``seconds``, so that breaches happen under load."""
    xml = PTSP_BPMN.read_bytes()
    for standard in STANDARDS:
        xml = xml.replace(standard, f">PT{seconds}S<".encode())
    return xml


@pytest.fixture
def cluster_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    if not os.environ.get(PG_ENV):
        pytest.skip(f"the multi-node tests run where PostgreSQL does ({PG_ENV}, set by .ci/run); skipped here")
    if pg_bin() is None:
        pytest.skip("the multi-node tests need PostgreSQL's server programs (initdb, pg_ctl)")
    started: list[Cluster] = []
    # seconds-long standards on the wall clock: in office time the run would depend on when CI runs
    monkeypatch.setenv("PTSP_CALENDAR", "wall-clock")

    def make(*, web_workers: int = 4, timer_workers: int = 2, standard_seconds: int = 3) -> Cluster:
        bpmn = tmp_path / "ptsp-short.bpmn"
        bpmn.write_bytes(short_standards(standard_seconds))
        # not under tmp_path: PostgreSQL runs as its own user, who cannot enter pytest's private directories
        directory = Path(tempfile.mkdtemp(prefix="ptsp-cluster-"))
        cluster = Cluster(directory, web_workers=web_workers, timer_workers=timer_workers)
        cluster.bpmn = bpmn
        started.append(cluster)
        return cluster.up(demo_users=False)

    yield make
    for cluster in started:
        cluster.down()
        # the logs stay for a failed run to be read; the database files go
        shutil.rmtree(cluster.directory / "pgdata", ignore_errors=True)
        print(f"cluster logs: {cluster.directory}")


def assert_consistent(database_url: str, report: LoadReport, *, finished: bool = True) -> None:
    """What the clients saw agrees with the database, and every history re-executes.

    With ``finished`` every application must have reached its end; otherwise
    (a run cut off by its time limit) open applications are checked all the
    same: re-execution compares their open tasks and timers with the stored ones.
    """
    assert report.errors == [], report.errors[:5]
    assert report.completed_twice == [], "the API answered 200 twice for one task"
    if finished:
        assert report.finished, f"not every application finished in time: {report.summary()}"
    engine = Engine(database_url)
    try:
        with engine.db.reader() as s:
            completions = Counter(s.scalars(select(Event.task_id).where(Event.type == "task_completed")))
            breaches = Counter(s.scalars(select(Event.task_id).where(Event.type == "sla_breached")))
            statuses = Counter(s.scalars(select(Instance.status)))
            ready = s.scalars(select(TaskRow.id).where(TaskRow.status == "ready")).all()
            timers = s.scalars(select(TimerRow.id)).all()
        twice = [task for task, n in completions.items() if n > 1]
        assert not twice, f"tasks completed twice: {twice[:5]}"
        assert not [task for task, n in breaches.items() if n > 1], "a standard was recorded as breached twice"
        lost = set(report.completed) - set(completions)
        assert not lost, f"completions answered 200 but not stored: {sorted(lost)[:5]}"
        unexplained = set(completions) - set(report.completed) - report.uncertain
        assert not unexplained, f"stored completions nobody was told about: {sorted(unexplained)[:5]}"
        if finished:
            assert statuses["completed"] >= len(report.started), statuses
            assert set(statuses) == {"completed"}, statuses
            assert ready == [] and timers == [], "finished applications left ready tasks or timers behind"
        else:
            assert set(statuses) <= {"running", "completed"}, statuses
        verified = engine.audit_verify(jobs=2)
        assert verified.ok, verified.as_dict()["failures"][:3]
        assert verified.checked >= len(report.started)
    finally:
        engine.close()
