"""Two staff at once: of two simultaneous completions of one task exactly one wins."""

from __future__ import annotations

import threading

from engine import Conflict, Engine

from ..helpers import Application, valid_data


def race(engines: list[Engine], task_id: str, login: str, data: dict) -> list[object]:
    barrier = threading.Barrier(len(engines))
    results: list[object] = [None] * len(engines)

    def run(i: int, eng: Engine) -> None:
        barrier.wait()
        try:
            results[i] = eng.complete(task_id, as_user=login, data=data)
        except Exception as exc:  # recorded and asserted below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, e)) for i, e in enumerate(engines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_threads_complete_the_same_task_once(engine: Engine, db_url: str) -> None:
    # A second Engine is a second node: its own pool and its own workflow cache.
    other = Engine(db_url)
    try:
        for _ in range(4):
            app = Application(engine)
            task = app.current()
            results = race([engine, other], task.id, "warga", valid_data(engine, task.id))
            wins = [r for r in results if not isinstance(r, Exception)]
            losses = [r for r in results if isinstance(r, Exception)]
            assert len(wins) == 1, results
            assert len(losses) == 1 and isinstance(losses[0], Conflict), results
            events = engine.history(app.id)
            assert [e.type for e in events].count("task_completed") == 1
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            # the workflow moved exactly one step
            [step2] = engine.tasks(instance=app.id)
            assert step2.sop_step == 2
            # and the winner's state is what both nodes now continue from
            app.engine = other
            app.do(2)
            app.engine = engine
            app.do(3)
            assert engine.tasks(instance=app.id)[0].sop_step == 4
    finally:
        other.close()


def test_a_stale_cache_on_one_node_is_not_trusted(engine: Engine, db_url: str) -> None:
    other = Engine(db_url)
    try:
        app = Application(engine)
        app.do(1)  # node 1 caches the workflow at this version
        app.engine = other
        app.do(2)  # node 2 moves on
        app.engine = engine
        app.do(3)  # node 1 must reload, not reuse its stale copy
        assert engine.tasks(instance=app.id)[0].sop_step == 4
        assert [e.type for e in engine.history(app.id)].count("task_completed") == 3
    finally:
        other.close()
