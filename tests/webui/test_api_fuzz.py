"""The JSON API fuzzed from its own OpenAPI document (schemathesis, in process over WSGI).

For every operation of ``webui.openapi.document()`` schemathesis generates
requests, valid and invalid by the document, and sends them to the Flask app
as an applicant, as staff of two lanes, without a token and with a bogus one.
Path ids are often swapped for real tasks and applications, and form data for
what the task's form accepts, so that the fuzzer reaches past the 404s. Every
response must not be a server error and must conform to the document: a
documented status code, the documented content type, the documented schema
(errors are ``{"error": {"code", "message", "fields"?}}``).

Bounded and reproducible: ``derandomize``, a fixed example budget per
operation (``PTSP_API_FUZZ_EXAMPLES``, default 30).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine import Engine
from engine.clock import FixedClock
from engine.definitions import load_definition
from engine.demo import sample_form_data
from webui import create_app
from webui.openapi import document

from ..conftest import BY_LANE, PTSP_BPMN, T0, make_engine
from ..helpers import Application

EXAMPLES = int(os.environ.get("PTSP_API_FUZZ_EXAMPLES", "30"))
# A request the document calls valid may still be refused for what it means: a form value the
# task's form does not accept (422), someone else's task (403), a task already done (409).
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}}
)
SCHEMA = schemathesis.openapi.from_dict(document(), config=CONFIG)
OPERATIONS = [
    (path, method.upper())
    for path, operations in document()["paths"].items()
    for method in operations
    if method in ("get", "post", "put", "patch", "delete")
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # what the document forbids is refused with a 4xx
    positive_data_acceptance,  # what it allows is not refused as malformed
]
# Who sends the request: mostly an applicant or staff of two lanes, at times nobody or an impostor.
SENDERS = ["warga", "warga", "ptsp", "ptsp", "kasi", "pemilik", None, "bogus"]


class World:
    """A running system with applications in several states and a token per user."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        logins = ("warga", "warga2", "pemilik", *BY_LANE.values())
        self.tokens = {login: engine.create_token(login)[0] for login in logins}
        self.tokens["bogus"] = "ptsp_" + "x" * 40
        fresh = Application(engine)  # waits at step 1, for the applicant
        along = Application(engine)
        along.walk([1, 2, 3, 4, 5])  # waits at the Kasubag
        done = Application(engine)
        done.walk([1, 2, 3, 4, 5, 6, "7a", "7b", "7c", 8, 9])
        other = Application(engine, "warga2")  # not warga's: invisible to them
        self.instances = [fresh.id, along.id, done.id, other.id]

    def task_ids(self) -> list[str]:
        """Every task id, in a stable order (ids are random UUIDs; their order is not)."""
        found = []
        for status in ("ready", "completed"):
            for instance in self.instances:
                tasks = self.engine.tasks(instance=instance, status=status)
                found += [t.id for t in sorted(tasks, key=lambda t: (t.ready_at, t.element))]
        return found

    def sender_for(self, task_id: str) -> str:
        task = self.engine.task(task_id).summary
        if task.lane == "Pemohon":
            return "warga2" if task.instance == self.instances[-1] else "warga"
        return BY_LANE[task.lane]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    path = tmp_path_factory.mktemp("api-fuzz") / "ptsp.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}", PTSP_BPMN.read_bytes(), clock=FixedClock(T0))
    yield World(engine)
    engine.close()


@pytest.fixture(scope="module")
def app(world: World):
    return create_app({"ENGINE": world.engine, "TESTING": True, "SECRET_KEY": "test-secret"})


def _aim(world: World, case: Any, pick: int, valid_data: bool) -> tuple[str | None, set[str]]:
    """Point the case at a real task or application, and at times give it form data that fits.

    Returns who must send it (None: anybody) and which parts of the request were replaced.
    """
    sender, replaced = None, set()
    if "id" in (case.path_parameters or {}) and pick % 3 and not _negative(case) & {"path"}:
        replaced.add("path")
        if "/tasks/" in case.path:
            ids = world.task_ids()
            task_id = ids[pick % len(ids)]
            case.path_parameters = {"id": task_id}
            if valid_data and case.method == "POST" and not _negative(case) & {"body"}:
                case.body = {"data": sample_form_data(world.engine.task(task_id).form, {"berkas_lengkap": True})}
                sender = world.sender_for(task_id)
                replaced.add("body")
        else:
            case.path_parameters = {"id": world.instances[pick % len(world.instances)]}
    elif case.path == "/instances" and valid_data and not _negative(case) & {"body"}:
        case.body = {"data": {}}
        replaced.add("body")
    return sender, replaced


def _negative(case: Any) -> set[str]:
    """The parts of the request schemathesis made invalid on purpose."""
    components = case.meta.components if case.meta is not None else {}
    return {location.value for location, info in components.items() if info.mode.is_negative}


def _operations(mode: GenerationMode) -> list:
    # an operation without parameters or body has nothing to make invalid
    return [
        pytest.param(path, method, mode, id=f"{method} {path} {mode.value}")
        for path, method in OPERATIONS
        if mode.is_positive or path != "/openapi.json"
    ]


@pytest.mark.parametrize(
    ("path", "method", "mode"), _operations(GenerationMode.POSITIVE) + _operations(GenerationMode.NEGATIVE)
)
def test_every_response_conforms_to_the_document(app, world: World, path: str, method: str, mode) -> None:
    cases = SCHEMA[path][method].as_strategy(generation_mode=mode)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not os.environ.get("PTSP_FUZZ_RANDOM"),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=cases, sender=st.sampled_from(SENDERS), pick=st.integers(0, 1000), valid_data=st.booleans())
    def exchange(case, sender: str | None, pick: int, valid_data: bool) -> None:
        owner, replaced = _aim(world, case, pick, valid_data)
        sender = owner or sender
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        if sender is not None:
            headers["Authorization"] = f"Bearer {world.tokens[sender]}"
        case.headers = headers
        replaced.add("header")  # the only header is Authorization, always ours
        checks = CHECKS
        if mode.is_negative and not _negative(case) - replaced:
            # everything schemathesis broke was replaced by a valid value: the request is valid now
            checks = [c for c in CHECKS if c is not negative_data_rejection]
        response = case.call(app=app)
        case.validate_response(response, checks=checks)

    exchange()


# Form values beyond what the document describes ("any JSON"): text with every kind of
# character, half surrogate pairs included, numbers at the edges, deep lists and maps.
ANY_TEXT = st.text(st.characters(categories=["L", "N", "P", "S", "Zs", "Cc", "Cs"]), max_size=40)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)


def test_hostile_form_values_are_refused_cleanly(app, world: World) -> None:
    model = load_definition(PTSP_BPMN.read_bytes()).model
    fields = sorted({f.id for task in model.tasks.values() for f in task.form.fields})
    complete = SCHEMA["/tasks/{id}/complete"]["POST"]
    start = SCHEMA["/instances"]["POST"]
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

    @settings(
        max_examples=EXAMPLES * 3,
        deadline=None,
        derandomize=not os.environ.get("PTSP_FUZZ_RANDOM"),
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        values=st.dictionaries(st.sampled_from(fields) | ANY_TEXT, JSON_VALUES, max_size=6),
        based_on_valid=st.booleans(),
        pick=st.integers(0, 1000),
    )
    def exchange(values: dict, based_on_valid: bool, pick: int) -> None:
        ready = [t for t in world.task_ids() if world.engine.task(t).summary.status == "ready"]
        if pick % 4 == 0 or not ready:
            case = start.Case(body={"data": values}, headers={"Authorization": f"Bearer {world.tokens['warga']}"})
        else:
            task_id = ready[pick % len(ready)]
            data = sample_form_data(world.engine.task(task_id).form, {}) if based_on_valid else {}
            sender = world.tokens[world.sender_for(task_id)]
            case = complete.Case(
                path_parameters={"id": task_id},
                body={"data": data | values},
                headers={"Authorization": f"Bearer {sender}"},
            )
        response = case.call(app=app)
        case.validate_response(response, checks=checks)
        assert response.status_code in (200, 201, 400, 422), response.text[:300]

    exchange()
