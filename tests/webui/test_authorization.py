"""Every page and API route against every role and an anonymous visitor.

The scene: ``warga`` filed application A (now at step 2, a PTSP task) and
application B (at step 1, warga's own task). ``warga2`` is another applicant;
``inspektorat`` is an auditor (no lane: reads everything, changes nothing).
Each route is asked by everyone; the expected status is written out in full.
"""

from __future__ import annotations

import pytest

from engine import Engine, PermissionDenied

from ..helpers import Application, fingerprint, valid_data

USERS = ["anon", "warga", "warga2", "ptsp", "kepala", "kasubag", "kasi", "inspektorat"]
LOGIN = 302  # sent to the login page
AUDITORS_ONLY = {u: 403 for u in USERS[1:-1]} | {"anon": LOGIN, "inspektorat": 200}
REPORT_READERS = AUDITORS_ONLY | {"kepala": 200}


@pytest.fixture
def scene(engine: Engine, browser, auditor):
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
        {
            "anon": LOGIN,
            "warga": 403,
            "warga2": 403,
            "ptsp": 200,
            "kepala": 200,
            "kasubag": 200,
            "kasi": 200,
            "inspektorat": 403,
        },
    ),
    (
        "GET",
        "/tugas/lajur/ptsp",
        {"anon": LOGIN, "ptsp": 200}
        | {u: 403 for u in ["warga", "warga2", "kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    (
        "GET",
        "/tugas/lajur/kepala-kantor",
        {"anon": LOGIN, "kepala": 200}
        | {u: 403 for u in ["warga", "warga2", "ptsp", "kasubag", "kasi", "inspektorat"]},
    ),
    ("GET", "/tugas/lajur/pemohon", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    ("GET", "/tugas/lajur/satpam", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    (
        "GET",
        "/tugas/{ptsp_task}",
        {"anon": LOGIN, "ptsp": 200}
        | {u: 404 for u in ["warga", "warga2", "kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    (
        "GET",
        "/tugas/{warga_task}",
        {"anon": LOGIN, "warga": 200}
        | {u: 404 for u in ["warga2", "ptsp", "kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    ("GET", "/tugas/tidak-ada", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    (
        "GET",
        "/dasbor",
        {"anon": LOGIN, "kepala": 200, "kasubag": 200}
        | {u: 403 for u in ["warga", "warga2", "ptsp", "kasi", "inspektorat"]},
    ),
    (
        "GET",
        "/permohonan",
        {"anon": LOGIN, "warga": 200, "warga2": 200}
        | {u: 403 for u in ["ptsp", "kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    (
        "GET",
        "/permohonan/baru",
        {"anon": LOGIN, "warga": 200, "warga2": 200}
        | {u: 403 for u in ["ptsp", "kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    ("GET", "/permohonan/{a}", {"anon": LOGIN, "warga": 200, "warga2": 404} | {u: 200 for u in USERS[3:]}),
    ("GET", "/permohonan/{a}/diagram.svg", {"anon": LOGIN, "warga": 200, "warga2": 404} | {u: 200 for u in USERS[3:]}),
    ("GET", "/permohonan/999", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    # the auditor's pages
    ("GET", "/audit", AUDITORS_ONLY),
    ("GET", "/audit?status=completed&pelanggaran=tidak&cari=PTSP", AUDITORS_ONLY),
    ("GET", "/audit/{a}", AUDITORS_ONLY),
    ("GET", "/audit/{a}?peristiwa=1", AUDITORS_ONLY),
    ("GET", "/audit/{a}/diagram.svg", AUDITORS_ONLY),
    ("GET", "/audit/999", AUDITORS_ONLY | {"inspektorat": 404}),
    ("GET", "/audit/999/diagram.svg", AUDITORS_ONLY | {"inspektorat": 404}),
    ("GET", "/audit/ekspor", AUDITORS_ONLY),
    ("GET", "/audit/ekspor?format=csv", AUDITORS_ONLY),
    ("GET", "/audit/ekspor?format=xes&nomor={a}", AUDITORS_ONLY),
    ("GET", "/laporan/sla", REPORT_READERS),
    ("GET", "/laporan/sla?dari=2026-11-01&sampai=2026-11-30", REPORT_READERS),
    ("GET", "/laporan/sla.svg", REPORT_READERS),
    ("GET", "/laporan/sla.csv", REPORT_READERS),
]


@pytest.mark.parametrize(("method", "path", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(scene: dict, method: str, path: str, expected: dict[str, int]) -> None:
    assert statuses(scene, method, path) == expected


def test_completing_a_task_only_by_its_lane(scene: dict) -> None:
    engine: Engine = scene["engine"]
    data = valid_data(engine, scene["ptsp_task"])
    got = {}
    for user in ["anon", "warga", "warga2", "kepala", "kasubag", "kasi", "inspektorat", "ptsp"]:
        response = scene["clients"][user].post(f"/tugas/{scene['ptsp_task']}", data)
        got[user] = response.status_code
    assert got == {"anon": LOGIN, "ptsp": 302} | {
        u: 404 for u in ["warga", "warga2", "kepala", "kasubag", "kasi", "inspektorat"]
    }
    assert [e.type for e in engine.history(scene["a"])].count("task_completed") == 2


def test_filing_an_application_only_by_applicants(scene: dict) -> None:
    got = {user: scene["clients"][user].post("/permohonan/baru").status_code for user in USERS}
    assert got == {"anon": LOGIN, "warga": 302, "warga2": 302} | {
        u: 403 for u in ["ptsp", "kepala", "kasubag", "kasi", "inspektorat"]
    }


def test_an_auditor_changes_nothing_through_the_pages_or_the_api(scene: dict, app) -> None:
    """Completing either task, filing an application: refused on every route, and no row changes."""
    engine: Engine = scene["engine"]
    auditor = scene["clients"]["inspektorat"]
    before = fingerprint(engine)
    for task in (scene["ptsp_task"], scene["warga_task"]):
        auditor.get(f"/tugas/{task}")
        refused = auditor.post(f"/tugas/{task}", valid_data(engine, task))
        assert refused.status_code == 404  # the auditor has no task to open, let alone complete
    assert auditor.post("/permohonan/baru").status_code == 403
    headers = {"Authorization": f"Bearer {scene['tokens']['inspektorat']}"}
    client = app.test_client()
    for task in (scene["ptsp_task"], scene["warga_task"]):
        response = client.post(f"/api/v1/tasks/{task}/complete", headers=headers, json={"data": {}})
        assert response.status_code == 403
    assert client.post("/api/v1/instances", headers=headers, json={"data": {}}).status_code == 403
    assert fingerprint(engine) == before
    # the engine itself refuses the cancel the web UI does not offer
    with pytest.raises(PermissionDenied):
        engine.cancel(scene["a"], as_user="inspektorat", reason="uji")
    assert fingerprint(engine) == before


API = [
    ("GET", "/api/v1/tasks", {u: 200 for u in USERS[1:]}),
    (
        "GET",
        "/api/v1/tasks/{ptsp_task}",
        {"warga": 404, "warga2": 404, "ptsp": 200, "kepala": 404, "kasubag": 404, "kasi": 404, "inspektorat": 404},
    ),
    (
        "GET",
        "/api/v1/tasks/{warga_task}",
        {"warga": 200, "warga2": 404, "ptsp": 404, "kepala": 404, "kasubag": 404, "kasi": 404, "inspektorat": 404},
    ),
    (
        "GET",
        "/api/v1/instances/{a}",
        {"warga": 200, "warga2": 404, "ptsp": 200, "kepala": 200, "kasubag": 200, "kasi": 200, "inspektorat": 200},
    ),
    (
        "GET",
        "/api/v1/instances/{a}/history",
        {"warga": 200, "warga2": 404, "ptsp": 200, "kepala": 200, "kasubag": 200, "kasi": 200, "inspektorat": 200},
    ),
    (
        "GET",
        "/api/v1/instances/{a}/diagram.svg",
        {"warga": 200, "warga2": 404, "ptsp": 200, "kepala": 200, "kasubag": 200, "kasi": 200, "inspektorat": 200},
    ),
    (
        "POST",
        "/api/v1/instances",
        {"warga": 201, "warga2": 201, "ptsp": 403, "kepala": 403, "kasubag": 403, "kasi": 403, "inspektorat": 403},
    ),
    (
        "POST",
        "/api/v1/tasks/{warga_task}/complete",
        {"warga2": 403, "ptsp": 403, "kepala": 403, "kasubag": 403, "kasi": 403, "warga": 422, "inspektorat": 403},
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
