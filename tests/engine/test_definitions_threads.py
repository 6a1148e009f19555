"""Validating diagrams from many threads at once, as the first requests of a fresh web worker do."""

from __future__ import annotations

import threading

from engine import definitions
from engine.definitions import load_definition

from ..conftest import PTSP_BPMN

THREADS = 8


def _validate_together(data: bytes) -> tuple[list[BaseException], list[object]]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    schemas: list[object] = []

    def check() -> None:
        try:
            barrier.wait()
            load_definition(data)
            schemas.append(definitions._schema())
        except BaseException as exc:  # any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors, schemas


def test_cold_threads_validate_at_once_without_crashing() -> None:
    """Each thread builds its own schema (one at a time) and validates with it. A cold start under
    load once crashed a gunicorn worker with SIGSEGV when threads built one schema concurrently."""
    data = PTSP_BPMN.read_bytes()
    for _round in range(3):
        definitions._SCHEMAS = threading.local()  # every thread starts cold
        errors, schemas = _validate_together(data)
        assert errors == []
        assert len({id(s) for s in schemas}) == THREADS  # one schema per thread
