"""Helpers shared by the benchmarks (not part of the test suite)."""

from __future__ import annotations

import os
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from engine import Engine
from engine.demo import sample_form_data
from engine.store.db import normalize_url

ROOT = Path(__file__).resolve().parent.parent
BPMN = (ROOT / "processes" / "ptsp.bpmn").read_bytes()
WHO = {"Pemohon": "warga", "PTSP": "ptsp", "Kepala Kantor": "kepala", "Kasubag": "kasubag", "Kasi": "kasi"}


def fresh_engine(url: str | None = None, **kwargs) -> tuple[Engine, str]:
    """An Engine on a new SQLite file (or the given URL), with the diagram and one user per lane."""
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='ptsp-bench-')}/bench.db"
    engine = Engine(url, **kwargs)
    engine.init_db()
    engine.deploy(BPMN)
    for lane, login in WHO.items():
        try:
            engine.user(login)
        except Exception:
            engine.add_user(login, [lane])
    return engine, url


def postgres_url() -> str | None:
    return os.environ.get("PTSP_BENCH_POSTGRES_URL")


@contextmanager
def scratch_postgres(base_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one benchmark run, dropped afterwards."""
    base = normalize_url(base_url)
    name = f"ptsp_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):7.2f} ms  p95 {percentile(values, 95):7.2f} ms  n={len(values)}"


def form_data_for(engine: Engine, element: str, task_id: str, cache: dict) -> dict:
    if element not in cache:
        cache[element] = engine.task(task_id).form
    overrides = {"berkas_lengkap": True} if element == "Langkah4_MemeriksaKelengkapanBerkas" else {}
    return sample_form_data(cache[element], overrides)
