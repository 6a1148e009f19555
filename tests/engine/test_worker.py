"""The timer loop ``ptsp serve`` runs: it fires a due timer and nothing before."""

from __future__ import annotations

import time

from engine import Engine
from engine.worker import TimerLoop

from ..conftest import minutes
from ..helpers import Application


def test_run_once_fires_only_when_a_timer_is_due(engine: Engine, clock) -> None:
    app = Application(engine)
    loop = TimerLoop(engine)
    clock.shift(minutes(14))
    assert loop.run_once() == 0
    clock.shift(minutes(1))
    assert loop.run_once() == 1
    assert app.events()[-1] == "sla_breached"
    assert loop.run_once() == 0


def test_the_loop_runs_in_a_thread_and_stops(engine: Engine, clock) -> None:
    app = Application(engine)
    clock.shift(minutes(16))
    loop = TimerLoop(engine, interval=0.05).start()
    try:
        for _ in range(100):
            if "sla_breached" in app.events():
                break
            time.sleep(0.05)
    finally:
        loop.stop()
    assert "sla_breached" in app.events()
    assert not loop.thread.is_alive()
