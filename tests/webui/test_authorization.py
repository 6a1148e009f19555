"""Every page and API route against every role and an anonymous visitor.

The scene: ``warga`` filed application A (now at step 2, a PTSP task) and
application B (at step 1, warga's own task). ``warga2`` is another applicant;
``inspektorat`` is an auditor (no lane: reads everything, changes nothing).
Each route is asked by everyone; the expected status is written out in full.
Every route of the app (rule and method) must appear in a matrix below:
``test_every_route_is_in_a_matrix`` fails naming any that does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound

from engine import Engine, PermissionDenied

from ..conftest import OWNER, password_of
from ..helpers import Application, fingerprint, valid_data

USERS = ["anon", "warga", "warga2", "ptsp", "kepala", "kasubag", "kasi", "inspektorat"]
EVERYONE = dict.fromkeys(USERS, 200)
LOGIN = 302  # sent to the login page
NO_TOKEN = 401
AUDITORS_ONLY = {u: 403 for u in USERS[1:-1]} | {"anon": LOGIN, "inspektorat": 200}
REPORT_READERS = AUDITORS_ONLY | {"kepala": 200}


@pytest.fixture
def scene(engine: Engine, browser, auditor):
    a = Application(engine)
    a.do(1)
    b = Application(engine)
    clients = {user: browser(None if user == "anon" else user) for user in USERS}
    tokens = {user: engine.create_token(user)[0] for user in [*USERS, OWNER] if user != "anon"}
    return {
        "a": a.id,
        "b": b.id,
        "ptsp_task": engine.tasks(instance=a.id)[0].id,
        "warga_task": engine.tasks(instance=b.id)[0].id,
        "clients": clients,
        "tokens": tokens,
        "engine": engine,
    }


def statuses(scene: dict, method: str, path: str, data: Callable[[dict], dict] | None = None) -> dict[str, int]:
    """Each user in the order of ``USERS`` (a POST that succeeds changes what later users meet)."""
    out = {}
    for user, client in scene["clients"].items():
        url = path.format(**scene)
        response = client.get(url) if method == "GET" else client.post(url, data(scene) if data else {})
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
    # public: the style sheet and script, and the load balancer's health check
    ("GET", "/static/app.css", EVERYONE),
    ("GET", "/static/app.js", EVERYONE),
    ("GET", "/static/tidak-ada.css", dict.fromkeys(USERS, 404)),
    ("GET", "/healthz", EVERYONE),
]


# The process owner's pages: auditors read them; nobody else in USERS (the owner is tested below).
VERSION_READERS = {"anon": LOGIN, "inspektorat": 200} | {u: 403 for u in USERS[1:-1]}
VERSION_CHANGERS = {"anon": LOGIN} | {u: 403 for u in USERS[1:]}
PAGES += [
    ("GET", "/proses/versi", VERSION_READERS),
    ("GET", "/proses/versi/1", VERSION_READERS),
    ("GET", "/proses/versi/1/diagram.svg", VERSION_READERS),
    ("GET", "/proses/versi/1/bpmn", VERSION_READERS),
]


# Issue 7's pages. The applicant's side: scene application A waits at step 2 (no receipt yet, not completed).
CALENDAR_CHANGERS = {"anon": LOGIN} | {u: 403 for u in USERS[1:]}  # the administrator is none of USERS
CATALOGUE_CHANGERS = {"anon": LOGIN} | {u: 403 for u in USERS[1:]}  # process owners only
PAGES += [
    (
        "GET",
        "/permohonan/{a}/tanda-terima",
        {"anon": LOGIN, "warga": 404, "warga2": 404, "ptsp": 404}
        | {u: 403 for u in ["kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    ("GET", "/permohonan/999/tanda-terima", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    ("GET", "/lacak", EVERYONE),
    ("GET", "/lacak?nomor=PTSP/2026/000001&kode=AAAAAAAA", dict.fromkeys(USERS, 404)),
    (
        "GET",
        "/permohonan/{a}/survei",
        {"anon": LOGIN, "warga": 200, "warga2": 404}
        | {u: 403 for u in ["ptsp", "kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    ("GET", "/permohonan/999/survei", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}),
    ("GET", "/laporan/ikm", REPORT_READERS),
    ("GET", "/laporan/ikm?dari=2026-11-01&sampai=2026-11-30", REPORT_READERS),
    ("GET", "/laporan/ikm.csv", REPORT_READERS),
    ("GET", "/kalender", {"anon": LOGIN} | {u: 200 for u in USERS[1:]}),
    ("GET", "/layanan", {"anon": LOGIN} | {u: 200 for u in USERS[1:]}),
    ("GET", "/layanan/versi", AUDITORS_ONLY),
    ("GET", "/layanan/versi/1/yaml", AUDITORS_ONLY),
    ("GET", "/layanan/baru", CATALOGUE_CHANGERS),
    ("GET", "/layanan/legalisir_dokumen/ubah", CATALOGUE_CHANGERS),
    ("GET", "/notifikasi", {"anon": LOGIN} | {u: 200 for u in USERS[1:]}),
]


@pytest.mark.parametrize(("method", "path", "expected"), PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(scene: dict, method: str, path: str, expected: dict[str, int]) -> None:
    assert statuses(scene, method, path) == expected


def _sign_up(_scene: dict) -> dict:
    return {"name": "Ani Wijaya", "login": "ani", "password": "kata-sandi-ani", "confirm": "kata-sandi-ani"}


NOT_FOUND_BUT = {u: 404 for u in USERS[1:]}  # a task is "not found" for whoever may not see it
CATALOGUE_ENTRY = {
    "versi": "1",
    "name": "Legalisir dokumen",
    "seksi": "Pendidikan Madrasah",
    "persyaratan": "ktp_pemohon: Fotokopi KTP pemohon",
    "produk": "Dokumen yang dilegalisir",
    "standard": "PT15M",
    "biaya": "Gratis",
    "catatan": "uji",
}


# Forms the pages post (with a valid CSRF token and valid data), in the order of USERS.
POSTS: list[tuple[str, str, dict[str, int], Callable[[dict], dict] | None]] = [
    # logged-in users are sent home; the visitor logs in / signs up
    ("POST", "/masuk", dict.fromkeys(USERS, 302), lambda _s: {"login": "warga", "password": password_of("warga")}),
    ("POST", "/daftar", dict.fromkeys(USERS, 302), _sign_up),
    ("POST", "/keluar", dict.fromkeys(USERS, 302), None),
    ("POST", "/bahasa", dict.fromkeys(USERS, 302), lambda _s: {"lang": "en"}),
    (
        "POST",
        "/tugas/{ptsp_task}",
        NOT_FOUND_BUT | {"anon": LOGIN, "ptsp": 302},
        lambda s: valid_data(s["engine"], s["ptsp_task"]),
    ),
    (
        "POST",
        "/tugas/{warga_task}",
        NOT_FOUND_BUT | {"anon": LOGIN, "warga": 302},
        lambda s: valid_data(s["engine"], s["warga_task"]),
    ),
    ("POST", "/tugas/tidak-ada", NOT_FOUND_BUT | {"anon": LOGIN}, None),
    (
        "POST",
        "/permohonan/baru",
        {"anon": LOGIN, "warga": 302, "warga2": 302}
        | {u: 403 for u in ["ptsp", "kepala", "kasubag", "kasi", "inspektorat"]},
        None,
    ),
    ("POST", "/proses/versi", VERSION_CHANGERS, None),
    ("POST", "/proses/versi/1/aktifkan", VERSION_CHANGERS, lambda _s: {"catatan": "kembali ke versi 1"}),
    ("POST", "/proses/versi/1/migrasi", VERSION_CHANGERS, lambda _s: {"mode": "uji", "dari": "1"}),
    ("POST", "/lacak", dict.fromkeys(USERS, 404), lambda _s: {"nomor": "PTSP/2026/000001", "kode": "AAAAAAAA"}),
    (  # warga 409: A is not completed; nothing is stored
        "POST",
        "/permohonan/{a}/survei",
        {"anon": LOGIN, "warga": 409, "warga2": 404}
        | {u: 403 for u in ["ptsp", "kepala", "kasubag", "kasi", "inspektorat"]},
        lambda _s: {f"u{n}": "4" for n in range(1, 10)},
    ),
    ("POST", "/kalender/penutupan", CALENDAR_CHANGERS, lambda _s: {"tanggal": "2026-12-02", "catatan": "Rapat kerja"}),
    ("POST", "/kalender/libur/1/cabut", CALENDAR_CHANGERS, None),
    (
        "POST",
        "/kalender/jam-khusus",
        CALENDAR_CHANGERS,
        lambda _s: {
            "nama": "Ramadan",
            "dari": "2027-02-08",
            "sampai": "2027-03-09",
            "buka_1": "08:00",
            "tutup_1": "15:00",
        },
    ),
    ("POST", "/kalender/jam-khusus/1/cabut", CALENDAR_CHANGERS, None),
    ("POST", "/layanan/baru", CATALOGUE_CHANGERS, lambda _s: CATALOGUE_ENTRY | {"code": "layanan_uji"}),
    ("POST", "/layanan/legalisir_dokumen/ubah", CATALOGUE_CHANGERS, lambda _s: CATALOGUE_ENTRY),
    ("POST", "/layanan/legalisir_dokumen/hapus", CATALOGUE_CHANGERS, lambda _s: {"versi": "1", "catatan": "uji"}),
    ("POST", "/notifikasi/dibaca", dict.fromkeys(USERS, 302), None),
    ("POST", "/notifikasi/999999/dibaca", {"anon": LOGIN} | {u: 404 for u in USERS[1:]}, None),
]


@pytest.mark.parametrize(("method", "path", "expected", "data"), POSTS, ids=[f"{m} {p}" for m, p, _, _ in POSTS])
def test_posts(scene: dict, method: str, path: str, expected: dict[str, int], data) -> None:
    assert statuses(scene, method, path, data) == expected


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
    ("GET", "/api/v1/openapi.json", EVERYONE),  # the API's description is public
    ("GET", "/api/v1/tasks", {"anon": NO_TOKEN} | {u: 200 for u in USERS[1:]}),
    (
        "GET",
        "/api/v1/tasks/{ptsp_task}",
        {
            "anon": NO_TOKEN,
            "warga": 404,
            "warga2": 404,
            "ptsp": 200,
            "kepala": 404,
            "kasubag": 404,
            "kasi": 404,
            "inspektorat": 404,
        },
    ),
    (
        "GET",
        "/api/v1/tasks/{warga_task}",
        {
            "anon": NO_TOKEN,
            "warga": 200,
            "warga2": 404,
            "ptsp": 404,
            "kepala": 404,
            "kasubag": 404,
            "kasi": 404,
            "inspektorat": 404,
        },
    ),
    (
        "GET",
        "/api/v1/instances/{a}",
        {
            "anon": NO_TOKEN,
            "warga": 200,
            "warga2": 404,
            "ptsp": 200,
            "kepala": 200,
            "kasubag": 200,
            "kasi": 200,
            "inspektorat": 200,
        },
    ),
    (
        "GET",
        "/api/v1/instances/{a}/history",
        {
            "anon": NO_TOKEN,
            "warga": 200,
            "warga2": 404,
            "ptsp": 200,
            "kepala": 200,
            "kasubag": 200,
            "kasi": 200,
            "inspektorat": 200,
        },
    ),
    (
        "GET",
        "/api/v1/instances/{a}/diagram.svg",
        {
            "anon": NO_TOKEN,
            "warga": 200,
            "warga2": 404,
            "ptsp": 200,
            "kepala": 200,
            "kasubag": 200,
            "kasi": 200,
            "inspektorat": 200,
        },
    ),
    (
        "POST",
        "/api/v1/instances",
        {
            "anon": NO_TOKEN,
            "warga": 201,
            "warga2": 201,
            "ptsp": 403,
            "kepala": 403,
            "kasubag": 403,
            "kasi": 403,
            "inspektorat": 403,
        },
    ),
    (
        "POST",
        "/api/v1/tasks/{warga_task}/complete",
        {
            "anon": NO_TOKEN,
            "warga2": 403,
            "ptsp": 403,
            "kepala": 403,
            "kasubag": 403,
            "kasi": 403,
            "warga": 422,
            "inspektorat": 403,
        },
    ),
]


# The process owner's routes: everyone above, and the process owner (no lane).
STAFF_AND_APPLICANTS = ["warga", "warga2", "ptsp", "kepala", "kasubag", "kasi"]
VERSION_API = [
    (
        "GET",
        "/api/v1/definitions",
        {"anon": NO_TOKEN, OWNER: 200, "inspektorat": 200} | dict.fromkeys(STAFF_AND_APPLICANTS, 403),
    ),
    (
        "GET",
        "/api/v1/definitions/1/bpmn",
        {"anon": NO_TOKEN, OWNER: 200, "inspektorat": 200} | dict.fromkeys(STAFF_AND_APPLICANTS, 403),
    ),
    (  # the JSON body is not a file: only the process owner gets that far
        "POST",
        "/api/v1/definitions",
        {"anon": NO_TOKEN, OWNER: 400, "inspektorat": 403} | dict.fromkeys(STAFF_AND_APPLICANTS, 403),
    ),
    (
        "POST",
        "/api/v1/definitions/1/activate",
        {"anon": NO_TOKEN, OWNER: 400, "inspektorat": 403} | dict.fromkeys(STAFF_AND_APPLICANTS, 403),
    ),
]
API += VERSION_API


@pytest.mark.parametrize(("method", "path", "expected"), API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(scene: dict, app, method: str, path: str, expected: dict[str, int]) -> None:
    client = app.test_client()
    url = path.format(**scene)
    got = {}
    for user in expected:
        headers = {} if user == "anon" else {"Authorization": f"Bearer {scene['tokens'][user]}"}
        response = (
            client.get(url, headers=headers)
            if method == "GET"
            else client.post(url, headers=headers, json={"data": {}})
        )
        got[user] = response.status_code
        if response.status_code == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert got == expected


# ------------------------------------------------------------ completeness
# Stand-ins for the scene's values: enough for the URL map to tell which rule a path is.
PLACEHOLDERS = {"a": 1, "b": 2, "ptsp_task": "tugas-a", "warga_task": "tugas-b"}


def uncovered_routes(app: Flask, matrices: list[list[tuple[Any, ...]]]) -> list[str]:
    """Each rule and method of ``app`` that no matrix entry reaches, as ``METHOD rule (endpoint)``."""
    adapter = app.url_map.bind("localhost")
    covered = set()
    for matrix in matrices:
        for method, path, *_ in matrix:
            try:
                rule, _args = adapter.match(path.format(**PLACEHOLDERS).split("?")[0], method, return_rule=True)
            except (NotFound, MethodNotAllowed):
                continue  # a path no route takes covers nothing
            covered.add((method, rule.rule))
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    return missing


MATRICES = [PAGES, POSTS, API]


def test_every_route_is_in_a_matrix(app: Flask) -> None:
    """A new route must say who may use it: add it to PAGES, POSTS or API above."""
    assert uncovered_routes(app, MATRICES) == []


def test_a_route_outside_the_matrices_is_named(app: Flask) -> None:
    app.add_url_rule("/rahasia", "rahasia", lambda: "", methods=["GET", "POST"])
    assert uncovered_routes(app, MATRICES) == ["GET /rahasia (rahasia)", "POST /rahasia (rahasia)"]
    assert uncovered_routes(app, [[("GET", "/masuk", {})]])[:2] == [
        "GET /static/<path:filename> (static)",
        "POST /masuk (auth.login)",
    ]


def test_the_process_owner_manages_versions_and_does_no_lane_work(scene: dict, browser) -> None:
    owner = browser(OWNER)
    for path in ("/proses/versi", "/proses/versi/1", "/proses/versi/1/diagram.svg", "/proses/versi/1/bpmn"):
        assert owner.get(path).status_code == 200, path
    for path in (
        "/tugas",
        "/tugas/lajur/ptsp",
        "/dasbor",
        "/audit",
        "/permohonan/baru",
        f"/tugas/{scene['ptsp_task']}",
    ):
        assert owner.get(path).status_code in (403, 404), path
    assert (
        owner.post(f"/tugas/{scene['ptsp_task']}", valid_data(scene["engine"], scene["ptsp_task"])).status_code == 404
    )
    headers = {"Authorization": f"Bearer {scene['tokens'][OWNER]}"}
    client = owner.client
    assert client.get("/api/v1/tasks", headers=headers).get_json()["tasks"] == []
    assert client.post("/api/v1/instances", headers=headers, json={"data": {}}).status_code == 403
