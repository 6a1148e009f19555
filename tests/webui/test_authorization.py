"""Every page and API route against every role and an anonymous visitor.

The scene: ``warga`` filed application A (now at step 2, a PTSP task) and
application B (at step 1, warga's own task). ``warga2`` is another applicant.
Each route is asked by everyone; the expected status is written out in full.
"""

from __future__ import annotations

import pytest

from engine import Engine

from ..helpers import Application, valid_data

USERS = ["anon", "warga", "warga2", "ptsp", "kepala", "kasubag", "kasi"]
LOGIN = 302  # sent to the login page


@pytest.fixture
def scene(engine: Engine, browser):
    a = Application(engine)
    a.do(1)
    b = Application(engine)
    clients = {user: browser(None if user == "anon" else user) for user in USERS}
    tokens = {user: engine.create_token(user)[0] for user in USERS if user != "anon"}
    return {
        "a": a.id,
        "b": b.id,
        "ptsp_task": engine.tasks(instance=a.id)[0].id,
        "warga_task": engine.tasks(instance=b.id)[0].id,
        "clients": clients,
        "tokens": tokens,
        "engine": engine,
    }


def statuses(scene: dict, method: str, path: str, data: dict | None = None) -> dict[str, int]:
    out = {}
    for user, client in scene["clients"].items():
        url = path.format(**scene)
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        out[user] = response.status_code
    return out


PAGES = [
    ("GET", "/", {u: 302 for u in USERS}),
    ("GET", "/masuk", {"anon": 200} | {u: 302 for u in USERS[1:]}),
    ("GET", "/daftar", {"anon": 200} | {u: 302 for u in USERS[1:]}),
    (
        "GET",
        "/tugas",
        {"anon": LOGIN, "warga": 403, "warga2": 403, "ptsp": 200, "kepala": 200, "kasubag": 200, "kasi": 200},
    ),
    (
        "GET",
        "/tugas/lajur/ptsp",
        {"anon": LOGIN, "warga": 403, "warga2": 403, "ptsp": 200, "kepala": 403, "kasubag": 403, "kasi": 403},
    ),
    (
        "GET",
        "/tugas/lajur/kepala-kantor",
        {"anon": LOGIN, "warga": 403, "warga2": 403, "ptsp": 403, "kepala": 200, "kasubag": 403, "kasi": 403},
    ),
    ("GET", "/tugas/lajur/pemohon", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    ("GET", "/tugas/lajur/satpam", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    (
        "GET",
        "/tugas/{ptsp_task}",
        {"anon": LOGIN, "warga": 404, "warga2": 404, "ptsp": 200, "kepala": 404, "kasubag": 404, "kasi": 404},
    ),
    (
        "GET",
        "/tugas/{warga_task}",
        {"anon": LOGIN, "warga": 200, "warga2": 404, "ptsp": 404, "kepala": 404, "kasubag": 404, "kasi": 404},
    ),
    ("GET", "/tugas/tidak-ada", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    (
        "GET",
        "/dasbor",
        {"anon": LOGIN, "warga": 403, "warga2": 403, "ptsp": 403, "kepala": 200, "kasubag": 200, "kasi": 403},
    ),
    (
        "GET",
        "/permohonan",
        {"anon": LOGIN, "warga": 200, "warga2": 200, "ptsp": 403, "kepala": 403, "kasubag": 403, "kasi": 403},
    ),
    (
        "GET",
        "/permohonan/baru",
        {"anon": LOGIN, "warga": 200, "warga2": 200, "ptsp": 403, "kepala": 403, "kasubag": 403, "kasi": 403},
    ),
    ("GET", "/permohonan/{a}", {"anon": LOGIN, "warga": 200, "warga2": 404} | {u: 200 for u in USERS[3:]}),
    ("GET", "/permohonan/{a}/diagram.svg", {"anon": LOGIN, "warga": 200, "warga2": 404} | {u: 200 for u in USERS[3:]}),
    ("GET", "/permohonan/999", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
]


@pytest.mark.parametrize(("method", "path", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(scene: dict, method: str, path: str, expected: dict[str, int]) -> None:
    assert statuses(scene, method, path) == expected


def test_completing_a_task_only_by_its_lane(scene: dict) -> None:
    engine: Engine = scene["engine"]
    data = valid_data(engine, scene["ptsp_task"])
    got = {}
    for user in ["anon", "warga", "warga2", "kepala", "kasubag", "kasi", "ptsp"]:
        response = scene["clients"][user].post(f"/tugas/{scene['ptsp_task']}", data)
        got[user] = response.status_code
    assert got == {"anon": LOGIN, "warga": 404, "warga2": 404, "kepala": 404, "kasubag": 404, "kasi": 404, "ptsp": 302}
    assert [e.type for e in engine.history(scene["a"])].count("task_completed") == 2


def test_filing_an_application_only_by_applicants(scene: dict) -> None:
    got = {user: scene["clients"][user].post("/permohonan/baru").status_code for user in USERS}
    assert got == {"anon": LOGIN, "warga": 302, "warga2": 302, "ptsp": 403, "kepala": 403, "kasubag": 403, "kasi": 403}


API = [
    ("GET", "/api/v1/tasks", {"warga": 200, "warga2": 200, "ptsp": 200, "kepala": 200, "kasubag": 200, "kasi": 200}),
    (
        "GET",
        "/api/v1/tasks/{ptsp_task}",
        {"warga": 404, "warga2": 404, "ptsp": 200, "kepala": 404, "kasubag": 404, "kasi": 404},
    ),
    (
        "GET",
        "/api/v1/tasks/{warga_task}",
        {"warga": 200, "warga2": 404, "ptsp": 404, "kepala": 404, "kasubag": 404, "kasi": 404},
    ),
    (
        "GET",
        "/api/v1/instances/{a}",
        {"warga": 200, "warga2": 404, "ptsp": 200, "kepala": 200, "kasubag": 200, "kasi": 200},
    ),
    (
        "GET",
        "/api/v1/instances/{a}/history",
        {"warga": 200, "warga2": 404, "ptsp": 200, "kepala": 200, "kasubag": 200, "kasi": 200},
    ),
    (
        "GET",
        "/api/v1/instances/{a}/diagram.svg",
        {"warga": 200, "warga2": 404, "ptsp": 200, "kepala": 200, "kasubag": 200, "kasi": 200},
    ),
    (
        "POST",
        "/api/v1/instances",
        {"warga": 201, "warga2": 201, "ptsp": 403, "kepala": 403, "kasubag": 403, "kasi": 403},
    ),
    (
        "POST",
        "/api/v1/tasks/{warga_task}/complete",
        {"warga2": 403, "ptsp": 403, "kepala": 403, "kasubag": 403, "kasi": 403, "warga": 422},
    ),
]


@pytest.mark.parametrize(("method", "path", "expected"), API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(scene: dict, app, method: str, path: str, expected: dict[str, int]) -> None:
    client = app.test_client()
    url = path.format(**scene)
    anonymous = client.get(url) if method == "GET" else client.post(url, json={"data": {}})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    got = {}
    for user in expected:
        headers = {"Authorization": f"Bearer {scene['tokens'][user]}"}
        response = (
            client.get(url, headers=headers)
            if method == "GET"
            else client.post(url, headers=headers, json={"data": {}})
        )
        got[user] = response.status_code
    assert got == expected
