"""The timer sweep: only due instances, each on its own, a broken one never blocks the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from engine import Engine
from engine.store.models import Instance

from ..conftest import minutes
from ..helpers import Application


def test_tick_loads_only_instances_with_a_due_timer(engine: Engine, clock, monkeypatch: pytest.MonkeyPatch) -> None:
    early = [Application(engine) for _ in range(3)]
    clock.shift(minutes(10))
    later = [Application(engine, "warga2") for _ in range(2)]
    loaded = []
    original = engine.ctx.runtime.load
    monkeypatch.setattr(
        engine.ctx.runtime, "load", lambda compiled, state: loaded.append(1) or original(compiled, state)
    )
    engine.ctx.workflows.clear()
    clock.shift(minutes(5))  # only the first three are due
    result = engine.tick()
    assert (result.fired, result.instances) == (3, 3)
    assert len(loaded) == 3
    for app in early:
        assert app.events()[-1] == "sla_breached"
    for app in later:
        assert "sla_breached" not in app.events()
    clock.shift(minutes(10))
    assert engine.tick().fired == 2


def test_one_broken_instance_does_not_block_the_sweep(engine: Engine, clock) -> None:
    broken, healthy = Application(engine), Application(engine, "warga2")
    with engine.db.writer.begin() as session:
        session.execute(update(Instance).where(Instance.id == broken.id).values(state="{not json", version=99))
    engine.ctx.workflows.clear()
    clock.shift(minutes(16))
    result = engine.tick()
    assert result.fired == 1
    assert [f["instance"] for f in result.failed] == [broken.id]
    assert "sla_breached" in healthy.events()
    assert "sla_breached" not in broken.events()


def test_a_breach_is_recorded_once_even_with_two_sweepers(engine: Engine, db_url: str, clock) -> None:
    apps = [Application(engine) for _ in range(5)]
    other = Engine(db_url)
    try:
        clock.shift(minutes(15))
        import threading

        results = []
        threads = [threading.Thread(target=lambda e=e: results.append(e.tick())) for e in (engine, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sum(r.fired for r in results) == 5
        assert all(not r.failed for r in results)
        for app in apps:
            assert app.events().count("sla_breached") == 1
    finally:
        other.close()


def test_breach_of_a_task_waiting_days(engine: Engine, clock) -> None:
    app = Application(engine)
    clock.shift(timedelta(days=3))
    assert engine.tick().fired == 1
    [breach] = [e for e in engine.history(app.id) if e.type == "sla_breached"]
    assert breach.at - app.current().due_at == timedelta(days=3) - minutes(15)


def test_a_stale_timer_row_is_dropped_not_fired_forever(engine: Engine, clock, caplog) -> None:
    from sqlalchemy import func, insert, select

    from engine.store.models import TimerRow

    app = Application(engine)
    with engine.db.write_engine.begin() as conn:
        conn.execute(
            insert(TimerRow.__table__).values(
                id="00000000-0000-4000-8000-000000000000",
                instance_id=app.id,
                element_id="BatasWaktu_Hilang",
                task_id=None,
                due_at=app.current().ready_at,
            )
        )
    result = engine.tick()
    assert result.failed == () and result.fired == 0
    assert "dropping timer rows" in caplog.text
    with engine.db.reader() as session:
        count = session.execute(select(func.count()).select_from(TimerRow)).scalar_one()
    assert count == 1  # only the real step-1 timer remains
    assert engine.tick().instances == 0
