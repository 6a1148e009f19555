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
from sqlalchemy import create_engine, insert, select, text

from engine import Engine
from engine.services import office_calendar
from engine.store.db import Database, normalize_url
from engine.store.models import Base, NonWorkingDay, SpecialHours
from engine.store.schema import upgrade
from engine.store.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
PTSP_BPMN = ROOT / "processes" / "ptsp.bpmn"
PG_ENV = "PTSP_TEST_POSTGRES_URL"
# argon2's cheapest parameters: the suite logs in hundreds of times (see engine/passwords.py)
os.environ.setdefault("PTSP_PASSWORD_PROFILE", "test")

# Monday 23 November 2026, 09:00 WIB
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
# Every test database starts with the office calendar (regular office hours, the national holidays
# and cuti bersama of 2024-2028) as known since 1 January 2025, before any moment a test travels
# to: deadlines are office time, as in production after ``ptsp setup``.
CALENDAR_KNOWN_SINCE = datetime(2025, 1, 1, tzinfo=UTC)
CALENDAR_YEARS = range(2024, 2029)
CALENDAR_TABLES = (NonWorkingDay.__table__, SpecialHours.__table__)

STAFF = {
    "ptsp": ["PTSP"],
    "kepala": ["Kepala Kantor"],
    "kasubag": ["Kasubag"],
    "kasi": ["Kasi"],
}
APPLICANTS = ["warga", "warga2"]
# the Seksi of the demo service (rekomendasi mutasi siswa): the Kasi who does step 7
STAFF_SEKSI = {"kasi": "Pendidikan Madrasah"}
# the process owner (Pemilik Proses): deploys, activates, migrates
OWNER = "pemilik"
BY_LANE = {"Pemohon": "warga", "PTSP": "ptsp", "Kepala Kantor": "kepala", "Kasubag": "kasubag", "Kasi": "kasi"}


@pytest.fixture(scope="session")
def ptsp_xml() -> bytes:
    return PTSP_BPMN.read_bytes()


# ----------------------------------------------------------------- databases
def seed_calendar(database: Database) -> dict[str, list[dict]]:
    """Store the tests' office calendar; return its rows (without ids) to restore it after a truncation."""
    with UnitOfWork(database.write_engine) as uow:
        office_calendar.sync(uow, CALENDAR_KNOWN_SINCE, CALENDAR_YEARS, office_calendar.DEFAULT_CATEGORIES)
        uow.commit()
    with database.engine.connect() as conn:
        return {
            table.name: [{k: v for k, v in row.items() if k != "id"} for row in conn.execute(select(table)).mappings()]
            for table in CALENDAR_TABLES
        }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the office calendar, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    seed_calendar(database)
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
    _CALENDAR_ROWS.update(seed_calendar(database))
    database.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_CALENDAR_ROWS: dict[str, list[dict]] = {}


def _truncate_postgres(url: str) -> None:
    database = Database(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for table in CALENDAR_TABLES:  # every test starts with the same office calendar
            conn.execute(insert(table), _CALENDAR_ROWS[table.name])
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
    engine.ensure_catalogue()
    for login in APPLICANTS:
        engine.add_user(login, ["Pemohon"], name=login.title(), password=password_of(login))
    for login, lanes in STAFF.items():
        engine.add_user(login, lanes, password=password_of(login), seksi=STAFF_SEKSI.get(login))
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
