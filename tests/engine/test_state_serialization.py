"""The engine's fast state dump writes exactly what SpiffWorkflow's serializer writes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine import Engine
from engine.runtime import Runtime

from ..conftest import minutes
from ..helpers import HAPPY_PATH, Application


@pytest.fixture
def checked_dumps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    original = Runtime.dump
    compared: list[int] = []

    def dump(self: Runtime, wf) -> str:
        fast = original(self, wf)
        reference = Runtime.dump_reference(wf)
        fast_dict, reference_dict = json.loads(fast), json.loads(reference)
        assert fast_dict == reference_dict
        assert list(fast_dict["tasks"]) == list(reference_dict["tasks"]), "task order is part of the state"
        compared.append(1)
        return fast

    monkeypatch.setattr(Runtime, "dump", dump)
    return compared


@pytest.mark.parametrize("cache_size", [256, 0])
def test_dumps_match_spiffworkflow_through_loops_breaches_and_reloads(
    sqlite_url: str, ptsp_xml: bytes, clock, checked_dumps: list[int], cache_size: int
) -> None:
    from ..conftest import make_engine

    # about serialization, not calendars: wall-clock deadlines make every 9-hour shift a breach
    engine: Engine = make_engine(sqlite_url, ptsp_xml, workflow_cache_size=cache_size, calendar="wall-clock")
    app = Application(engine)
    app.walk([1, 2, 3])
    app.do(4, berkas_lengkap=False)
    clock.shift(minutes(20))
    engine.tick()
    app.do("3b")
    app.do(4)
    for step in HAPPY_PATH[HAPPY_PATH.index(5) :]:
        clock.shift(timedelta(hours=9))
        engine.tick()
        app.do(step)
    assert engine.show(app.id).status == "completed"
    assert len(checked_dumps) >= 20
    engine.close()
