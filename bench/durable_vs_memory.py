"""Durable task completion against raw in-memory SpiffWorkflow, same diagram, same run.

    python -m bench.durable_vs_memory [--rounds N]

Both sides take applications through the happy path (11 user tasks). The
in-memory side is SpiffWorkflow alone (parse once, run, no persistence) with
the engine's safe script engine, so that conditions evaluate the same way.
The durable side is ``Engine.complete`` on SQLite (and on PostgreSQL when
PTSP_BENCH_POSTGRES_URL is set): validation, authorization, the workflow step,
state serialization, projections, events, one commit. Rounds alternate
between the sides so that machine noise hits both. Target: ratio <= 3.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import load_definition
from engine.demo import sample_form_data
from engine.runtime import compile_definition
from engine.scripting import EngineScriptEngine

from .common import BPMN, WHO, form_data_for, fresh_engine, postgres_url, scratch_postgres, summary

PARSED = load_definition(BPMN)
COMPILED = compile_definition(1, 1, PARSED)
FORMS = {t.id: t.form for t in PARSED.model.tasks.values()}


def in_memory_round(script_engine: EngineScriptEngine) -> list[float]:
    """Per-task milliseconds for one application, SpiffWorkflow only."""
    wf = BpmnWorkflow(COMPILED.spec, COMPILED.subprocess_specs, script_engine=script_engine)
    wf.do_engine_steps()
    times = []
    while True:
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            return times
        task = ready[0]
        element = task.task_spec.bpmn_id
        data = sample_form_data(FORMS[element], {"berkas_lengkap": True} if "Memeriksa" in element else {})
        started = time.perf_counter()
        task.data.update(data)
        for obj in task.task_spec.data_output_associations:
            task.data[obj.bpmn_id] = {"document": obj.bpmn_id}
        task.run()
        wf.do_engine_steps()
        times.append((time.perf_counter() - started) * 1000)


def durable_round(engine, forms: dict) -> list[float]:
    started = engine.start(as_user="warga")
    task = engine.tasks(instance=started.instance)[0]
    times = []
    while task is not None:
        data = form_data_for(engine, task.element, task.id, forms)
        t0 = time.perf_counter()
        result = engine.complete(task.id, as_user=WHO[task.lane], data=data)
        times.append((time.perf_counter() - t0) * 1000)
        task = result.next_tasks[0] if result.next_tasks else None
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    with ExitStack() as stack:
        sides = {"sqlite": fresh_engine()[0], "sqlite, no workflow cache": fresh_engine(workflow_cache_size=0)[0]}
        if postgres_url():
            sides["postgresql"] = fresh_engine(stack.enter_context(scratch_postgres(postgres_url())))[0]
        compare(sides, args.rounds)
        for engine in sides.values():
            engine.close()


def compare(sides: dict, rounds: int) -> None:
    script_engine = EngineScriptEngine()
    forms: dict = {}
    memory: list[float] = []
    durable: dict[str, list[float]] = {name: [] for name in sides}
    for engine in sides.values():  # warm up: parse, caches, connections
        durable_round(engine, forms)
    in_memory_round(script_engine)
    for _ in range(rounds):
        memory += in_memory_round(script_engine)
        for name, engine in sides.items():
            durable[name] += durable_round(engine, forms)

    base = statistics.median(memory)
    print("Durable task completion vs raw in-memory SpiffWorkflow (ptsp.bpmn, happy path, 11 user tasks)")
    print(f"  {'in-memory SpiffWorkflow':<35}{summary(memory)}")
    for name, times in durable.items():
        print(f"  durable, {name:<26}{summary(times)}  ratio {statistics.median(times) / base:4.2f}x")
    print("  target: durable (sqlite, cached) <= 3.0x in-memory")


if __name__ == "__main__":
    main()
