"""Shared fixtures: a database per test on SQLite and (when configured) PostgreSQL.

PostgreSQL tests run when ``PTSP_TEST_POSTGRES_URL`` points at a server whose
user may create databases (``.ci/run`` sets it); elsewhere they are skipped
with that reason. Each test run creates its own PostgreSQL database and drops
it at the end, so parallel runs on one server do not meet.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, text

from engine import Engine
from engine.store.db import Database, normalize_url
from engine.store.models import Base
from engine.store.schema import upgrade

ROOT = Path(__file__).resolve().parent.parent
PTSP_BPMN = ROOT / "processes" / "ptsp.bpmn"
PG_ENV = "PTSP_TEST_POSTGRES_URL"
# argon2's cheapest parameters: the suite logs in hundreds of times (see engine/passwords.py)
os.environ.setdefault("PTSP_PASSWORD_PROFILE", "test")

# Monday 23 November 2026, 09:00 WIB
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

STAFF = {
    "ptsp": ["PTSP"],
    "kepala": ["Kepala Kantor"],
    "kasubag": ["Kasubag"],
    "kasi": ["Kasi"],
}
APPLICANTS = ["warga", "warga2"]
# the process owner (Pemilik Proses): deploys, activates, migrates
OWNER = "pemilik"
BY_LANE = {"Pemohon": "warga", "PTSP": "ptsp", "Kepala Kantor": "kepala", "Kasubag": "kasubag", "Kasi": "kasi"}


@pytest.fixture(scope="session")
def ptsp_xml() -> bytes:
    return PTSP_BPMN.read_bytes()


# ----------------------------------------------------------------- databases
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (set by .ci/run); skipped here")
    base = normalize_url(base)
    name = f"ptsp_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    database = Database(url)
    upgrade(database)
    database.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    database = Database(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "ptsp.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "ptsp.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# -------------------------------------------------------------------- time
@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Frozen time at T0; tests move it with ``clock.shift(timedelta(...))``."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


# ------------------------------------------------------------------ engines
def password_of(login: str) -> str:
    return f"{login}-kata-sandi"


def make_engine(url: str, xml: bytes, **kwargs) -> Engine:
    engine = Engine(url, **kwargs)
    engine.deploy(xml, deployed_by="tests")
    for login in APPLICANTS:
        engine.add_user(login, ["Pemohon"], name=login.title(), password=password_of(login))
    for login, lanes in STAFF.items():
        engine.add_user(login, lanes, password=password_of(login))
    engine.add_user(OWNER, [], name="Pemilik Proses", roles=["process_owner"], password=password_of(OWNER))
    return engine


@pytest.fixture
def engine(db_url: str, ptsp_xml: bytes, clock: time_machine.Coordinates) -> Iterator[Engine]:
    eng = make_engine(db_url, ptsp_xml)
    yield eng
    eng.close()


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """One line for all skips, grouped by reason, instead of one line per test."""
    skipped = terminalreporter.stats.get("skipped", [])
    reasons: dict[str, int] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"SKIPPED {count} test(s): {reason}", yellow=True)
