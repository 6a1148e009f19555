"""Driving applications through the process in tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import Engine
from engine.demo import sample_form_data
from engine.store.models import Base
from engine.views import CompleteResult, TaskSummary

from .conftest import BY_LANE

STEP_ELEMENTS = {
    1: "Langkah1_MenanyakanPelayanan",
    2: "Langkah2_MenjelaskanJenisStandarLayanan",
    3: "Langkah3_MenyerahkanBerkasPermohonan",
    4: "Langkah4_MemeriksaKelengkapanBerkas",
    "3b": "Langkah3_MelengkapiBerkasPermohonan",
    5: "Langkah5_DisposisiKepalaKantor",
    6: "Langkah6_DisposisiKasubag",
    "7a": "Langkah7_MemprosesLayanan",
    "7b": "Langkah7_ParafTandaTangan",
    "7c": "Langkah7_MendokumentasikanProduk",
    8: "Langkah8_MenerimaProdukUntukDiserahkan",
    9: "Langkah9_MenerimaProdukLayanan",
}
HAPPY_PATH = [1, 2, 3, 4, 5, 6, "7a", "7b", "7c", 8, 9]


def valid_data(engine: Engine, task_id: str, **overrides: Any) -> dict[str, Any]:
    return sample_form_data(engine.task(task_id).form, overrides)


class Application:
    """One application and the people who work on it.

    ``people`` names who works in a lane instead of the shared staff of
    ``BY_LANE`` (a Kasi of another Seksi, say). Form data comes from
    ``valid_data``: the demo service at step 1 (from the catalogue when one is
    stored), at step 4 a complete file unless told otherwise (a returned file
    ticks a missing requirement and writes the note), the disposition notes at
    steps 5 and 6, and at step 6 the Seksi the engine prefilled.
    """

    def __init__(self, engine: Engine, applicant: str = "warga", people: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.applicant = applicant
        self.people = {**BY_LANE, **(people or {})}
        started = engine.start(as_user=applicant)
        self.id = started.instance
        self.registration = started.registration

    def ready(self) -> list[TaskSummary]:
        return self.engine.tasks(instance=self.id)

    def current(self) -> TaskSummary:
        ready = self.ready()
        assert len(ready) == 1, f"expected one ready task, found {[t.name for t in ready]}"
        return ready[0]

    def who(self, task: TaskSummary) -> str:
        people = getattr(self, "people", BY_LANE)  # some tests build an Application with __new__
        return self.applicant if task.lane == "Pemohon" else people[task.lane]

    def do(self, step: Any, as_user: str | None = None, data: dict | None = None, **overrides: Any) -> CompleteResult:
        task = self.current()
        assert task.element == STEP_ELEMENTS[step], f"expected step {step}, the process waits at {task.element}"
        if data is None:
            data = valid_data(
                self.engine, task.id, **({"berkas_lengkap": True} | overrides if step == 4 else overrides)
            )
        return self.engine.complete(task.id, as_user=as_user or self.who(task), data=data)

    def walk(self, steps: list[Any]) -> None:
        for step in steps:
            self.do(step)

    def events(self) -> list[str]:
        return [e.type for e in self.engine.history(self.id)]


def fingerprint(engine: Engine, without: dict[str, set[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table: compare before and after a refused command.

    ``without`` leaves columns out, by table (columns a schema downgrade drops, say).
    """
    out: dict[str, list[tuple]] = {}
    with engine.db.reader() as session:
        for table in Base.metadata.sorted_tables:
            skipped = (without or {}).get(table.name, set())
            rows = session.execute(select(*(c for c in table.columns if c.name not in skipped))).all()
            out[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return out
