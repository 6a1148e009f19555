"""The JSON API, every response checked against its own OpenAPI document."""

from __future__ import annotations

import io

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from engine import Engine
from webui.openapi import document

from ..conftest import PTSP_BPMN
from ..helpers import Application, fingerprint, valid_data


def version_with(standard: str) -> bytes:
    """The diagram with step 2's time standard changed, as a process owner would deploy it."""
    old = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT15M</bpmn:timeDuration>'
    text = PTSP_BPMN.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, old.replace("PT15M", standard), 1).encode()


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    return OpenAPI.from_dict(document())


@pytest.fixture
def api(app, engine: Engine, spec: OpenAPI):
    client = app.test_client()
    tokens: dict[str, str] = {}
    checked: list[str] = []

    def call(method: str, path: str, user: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user is not None:
            if user not in tokens:  # one token per user, not one per call
                tokens[user] = engine.create_token(user)[0]
            headers["Authorization"] = f"Bearer {tokens[user]}"
        response = client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
        # the app consumed the request's body; validate against an identical fresh request
        sent = Request(EnvironBuilder(path=f"/api/v1{path}", method=method, headers=headers, **kwargs).get_environ())
        spec.validate_response(WerkzeugOpenAPIRequest(sent), WerkzeugOpenAPIResponse(response))
        checked.append(f"{method} {path} {response.status_code}")
        return response

    call.checked = checked
    return call


def test_the_document_is_served_and_valid(app, spec: OpenAPI) -> None:
    body = app.test_client().get("/api/v1/openapi.json").get_json()
    assert body["openapi"].startswith("3.") and "/tasks/{id}/complete" in body["paths"]
    spec.check_spec()


def test_an_application_through_the_api(api, engine: Engine) -> None:
    started = api("POST", "/instances", "warga", json={"data": {}})
    assert started.status_code == 201
    instance = started.get_json()["id"]
    assert started.get_json()["registration"] == "PTSP/2026/000001"

    tasks = api("GET", "/tasks", "warga").get_json()["tasks"]
    assert [t["sop_step"] for t in tasks] == [1] and tasks[0]["overdue"] is False
    task_id = tasks[0]["id"]
    detail = api("GET", f"/tasks/{task_id}", "warga").get_json()
    assert {f["id"] for f in detail["form"]["fields"]} >= {"jenis_layanan", "nama_pemohon"}
    assert detail["standard"] == "PT15M"

    invalid = api("POST", f"/tasks/{task_id}/complete", "warga", json={"data": {"jenis_layanan": "umrah"}})
    assert invalid.status_code == 422
    error = invalid.get_json()["error"]
    assert error["code"] == "form_invalid" and set(error["fields"]) >= {"jenis_layanan", "nama_pemohon"}

    done = api("POST", f"/tasks/{task_id}/complete", "warga", json={"data": valid_data(engine, task_id)})
    assert done.status_code == 200 and done.get_json()["next_tasks"][0]["lane"] == "PTSP"
    again = api("POST", f"/tasks/{task_id}/complete", "warga", json={"data": valid_data(engine, task_id)})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"

    shown = api("GET", f"/instances/{instance}", "ptsp").get_json()
    assert shown["status"] == "running" and shown["version"] == 1
    events = api("GET", f"/instances/{instance}/history", "warga").get_json()["events"]
    assert [e["type"] for e in events][:3] == ["instance_started", "task_ready", "task_completed"]
    svg = api("GET", f"/instances/{instance}/diagram.svg?lang=en", "warga")
    assert svg.mimetype == "image/svg+xml" and b"In progress" in svg.data
    assert [t["lane"] for t in api("GET", "/tasks?lane=PTSP", "ptsp").get_json()["tasks"]] == ["PTSP"]


def test_errors(api, engine: Engine) -> None:
    app = Application(engine)
    task = app.current()
    assert api("GET", "/tasks").status_code == 401
    assert api("GET", "/tasks", headers={"Authorization": "Bearer ptsp_palsu"}).status_code == 401
    assert api("GET", "/tasks", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    assert api("GET", "/tasks?lane=Satpam", "ptsp").status_code == 400
    assert api("GET", "/tasks?limit=0", "ptsp").status_code == 400
    bad_json = api("POST", f"/tasks/{task.id}/complete", "warga", data="{nope", content_type="application/json")
    assert bad_json.status_code == 400 and "JSON object" in bad_json.get_json()["error"]["message"]
    assert api("POST", f"/tasks/{task.id}/complete", "warga", json={"data": [1]}).status_code == 400
    assert api("POST", f"/tasks/{task.id}/complete", "ptsp", json={"data": {}}).status_code == 403
    assert api("GET", "/tasks/tidak-ada", "ptsp").status_code == 404
    assert api("GET", "/instances/999", "ptsp").status_code == 404
    assert api("POST", "/instances", "ptsp", json={"data": {}}).status_code == 403
    assert api("POST", "/instances", "warga", json={"data": {"x": 1}}).status_code == 422


def test_revoked_tokens_stop_working(app, engine: Engine) -> None:
    token, info = engine.create_token("ptsp")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    engine.revoke_token(info.id)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401


def test_unknown_api_paths_answer_in_json(app) -> None:
    response = app.test_client().get("/api/v1/tidak-ada")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = app.test_client().delete("/api/v1/tasks")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_every_documented_response_is_exercised(api, engine: Engine) -> None:
    """Each (path, method, status) the document promises is produced here and validated."""
    app = Application(engine)
    task = app.current()
    seen: set[tuple[str, str, str]] = set()

    def hit(method: str, template: str, concrete: str, user: str | None = None, **kwargs) -> None:
        response = api(method, concrete, user, **kwargs)
        seen.add((template, method.lower(), str(response.status_code)))

    hit("GET", "/openapi.json", "/openapi.json")
    hit("GET", "/tasks", "/tasks", "warga")
    hit("GET", "/tasks", "/tasks?limit=9999", "warga")
    hit("GET", "/tasks", "/tasks")
    hit("GET", "/tasks/{id}", f"/tasks/{task.id}", "warga")
    hit("GET", "/tasks/{id}", f"/tasks/{task.id}")
    hit("GET", "/tasks/{id}", "/tasks/nope", "warga")
    path = "/tasks/{id}/complete"
    hit("POST", path, f"/tasks/{task.id}/complete", "warga", data="[", content_type="application/json")
    hit("POST", path, f"/tasks/{task.id}/complete", json={"data": {}})
    hit("POST", path, f"/tasks/{task.id}/complete", "ptsp", json={"data": {}})
    hit("POST", path, "/tasks/nope/complete", "warga", json={"data": {}})
    hit("POST", path, f"/tasks/{task.id}/complete", "warga", json={"data": {}})
    hit("POST", path, f"/tasks/{task.id}/complete", "warga", json={"data": valid_data(engine, task.id)})
    hit("POST", path, f"/tasks/{task.id}/complete", "warga", json={"data": valid_data(engine, task.id)})
    hit("POST", "/instances", "/instances", "warga", json={"data": {}})
    hit("POST", "/instances", "/instances", "warga", data="[", content_type="application/json")
    hit("POST", "/instances", "/instances", json={"data": {}})
    hit("POST", "/instances", "/instances", "ptsp", json={"data": {}})
    hit("POST", "/instances", "/instances", "warga", json={"data": {"x": 1}})
    hit("GET", "/instances/{id}/diagram.svg", f"/instances/{app.id}/diagram.svg?lang=fr", "warga")
    for template in ("/instances/{id}", "/instances/{id}/history", "/instances/{id}/diagram.svg"):
        hit("GET", template, template.replace("{id}", str(app.id)), "warga")
        hit("GET", template, template.replace("{id}", str(app.id)))
        hit("GET", template, template.replace("{id}", "999"), "warga")
    xml, v2 = PTSP_BPMN.read_bytes(), version_with("PT20M")
    for who in ("pemilik", None, "kasi"):
        hit("GET", "/definitions", "/definitions", who)
    hit("GET", "/definitions", "/definitions?process=tidak_ada", "pemilik")
    hit("GET", "/definitions", "/definitions?process=b%21d", "pemilik")
    path = "/definitions"
    hit("POST", path, path, "pemilik", data=xml, content_type="text/plain")
    hit("POST", path, path, data=xml, content_type="application/xml")
    hit("POST", path, path, "kasi", data=xml, content_type="application/xml")
    hit("POST", path, path, "pemilik", data=b"<bukan-bpmn/>", content_type="application/xml")
    hit("POST", path, path, "pemilik", data=xml, content_type="application/xml")
    hit("POST", path, path, "pemilik", data=v2, content_type="application/xml")
    for who, number in (("pemilik", 2), (None, 2), ("kasi", 2), ("pemilik", 9)):
        hit("GET", "/definitions/{version}/bpmn", f"/definitions/{number}/bpmn", who)
    hit("GET", "/definitions/{version}/bpmn", "/definitions/1/bpmn?process=b%21d", "pemilik")
    path = "/definitions/{version}/activate"
    hit("POST", path, "/definitions/2/activate", "pemilik", json={"catatan": "x"})
    hit("POST", path, "/definitions/2/activate", json={"note": "x"})
    hit("POST", path, "/definitions/2/activate", "kasi", json={"note": "x"})
    hit("POST", path, "/definitions/9/activate", "pemilik", json={"note": "x"})
    hit("POST", path, "/definitions/2/activate", "pemilik", json={"note": "Langkah 2 menjadi 20 menit"})
    hit("POST", path, "/definitions/2/activate", "pemilik", json={"note": "sekali lagi"})

    documented = {
        (p, method, status)
        for p, operations in document()["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    assert documented - seen == set(), f"documented but never produced: {sorted(documented - seen)}"
    assert seen - documented == set(), f"produced but not documented: {sorted(seen - documented)}"


# ------------------------------------------------- found by tests/webui/test_api_fuzz.py and its probes
def _state(engine: Engine) -> dict:
    """Every table but the tokens, which the API fixture creates and every call marks as used."""
    return {table: rows for table, rows in fingerprint(engine).items() if table != "api_tokens"}


def test_deeply_nested_json_is_a_400_not_a_recursion_error(api, engine: Engine) -> None:
    task = Application(engine).current()
    before = _state(engine)
    body = '{"data": {"nama_pemohon": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    response = api("POST", f"/tasks/{task.id}/complete", "warga", data=body, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.get_json()["error"]["message"]
    response = api("POST", "/instances", "warga", data=body, content_type="application/json")
    assert response.status_code == 400
    assert _state(engine) == before


def test_a_lone_surrogate_in_form_data_is_a_400_not_a_unicode_error(api, engine: Engine) -> None:
    # JSON may escape half of a UTF-16 pair (\ud800); the audit hash and the database cannot encode it
    task = Application(engine).current()
    before = _state(engine)
    data = valid_data(engine, task.id, nama_pemohon="Budi \ud800 Santoso")
    response = api("POST", f"/tasks/{task.id}/complete", "warga", json={"data": data})
    assert response.status_code == 400 and "not valid Unicode" in response.get_json()["error"]["message"]
    response = api("POST", "/instances", "warga", json={"data": {"\udfff": "x"}})
    assert response.status_code == 400
    assert _state(engine) == before


@pytest.mark.parametrize("query", ["?lang=fr", "?lang=", "?lang=ID"])
def test_an_unknown_diagram_language_is_a_400(api, engine: Engine, query: str) -> None:
    # was served in Indonesian, while the document promised only id and en
    app = Application(engine)
    response = api("GET", f"/instances/{app.id}/diagram.svg{query}", "warga")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_input"


def test_an_empty_lane_is_a_400(api) -> None:
    # was read as "every lane", while the document lists the lanes a lane may be
    response = api("GET", "/tasks?lane=", "ptsp")
    assert response.status_code == 400 and "unknown lane ''" in response.get_json()["error"]["message"]


def test_the_document_states_the_limits_the_api_enforces(api) -> None:
    parameters = {p["name"]: p["schema"] for p in document()["paths"]["/tasks"]["get"]["parameters"]}
    assert parameters["offset"]["maximum"] == 999_999
    assert api("GET", "/tasks?offset=999999", "ptsp").status_code == 200
    assert api("GET", "/tasks?offset=1000000", "ptsp").status_code == 400
    assert set(parameters["lane"]["enum"]) == {"Pemohon", "PTSP", "Kepala Kantor", "Kasubag", "Kasi"}


def test_process_owners_deploy_download_and_activate_through_the_api(app, api, engine: Engine) -> None:
    api("GET", "/definitions", "pemilik")  # the token exists before the fingerprint
    before = fingerprint(engine)
    refused = api("POST", "/definitions", "pemilik", data=b"<bpmn:definitions", content_type="application/xml")
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "definition_invalid" and error["problems"][0]["line"] == 1
    assert fingerprint(engine) == before
    planned = api(
        "POST", "/definitions?dry_run=true", "pemilik", data=version_with("PT20M"), content_type="application/xml"
    )
    assert planned.status_code == 200 and planned.get_json()["version"] == 2 and planned.get_json()["dry_run"]
    assert fingerprint(engine) == before

    upload = {"file": (io.BytesIO(version_with("PT20M")), "ptsp.bpmn")}  # a browser's or curl -F's upload
    token = engine.create_token("pemilik")[0]
    deployed = app.test_client().post(
        "/api/v1/definitions?note=Langkah%202%20jadi%2020%20menit",
        data=upload,
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert deployed.status_code == 201
    assert {k: deployed.get_json()[k] for k in ("version", "created", "active")} == {
        "version": 2,
        "created": True,
        "active": False,
    }
    listed = api("GET", "/definitions", "pemilik").get_json()["definitions"]
    assert [(d["version"], d["active"], d["deployed_by"], d["note"]) for d in listed] == [
        (2, False, "pemilik", "Langkah 2 jadi 20 menit"),
        (1, True, "tests", None),
    ]
    download = api("GET", "/definitions/2/bpmn", "pemilik")
    assert download.data == version_with("PT20M")
    assert download.headers["Content-Disposition"] == 'attachment; filename="ptsp-v2.bpmn"'
    done = api("POST", "/definitions/2/activate", "pemilik", json={"note": "Standar baru berlaku"})
    assert done.status_code == 200 and done.get_json()["activated_by"] == "pemilik"
    assert [d["active"] for d in api("GET", "/definitions", "pemilik").get_json()["definitions"]] == [True, False]


def test_an_oversized_upload_is_refused_before_it_is_read(api, engine: Engine) -> None:
    api("GET", "/definitions", "pemilik")
    before = fingerprint(engine)
    big = b"<" + b"x" * (3 * 1024 * 1024)
    response = api("POST", "/definitions", "pemilik", data=big, content_type="application/xml")
    assert response.status_code == 400 and "larger than the limit" in response.get_json()["error"]["message"]
    assert fingerprint(engine) == before


def test_catalogue_bound_forms_conform_to_the_document(api, engine: Engine) -> None:
    """Step 1 offers the catalogue's services (referrals marked), step 4 the service's checklist."""
    app = Application(engine)
    step1 = api("GET", f"/tasks/{app.current().id}", "warga").get_json()
    services = next(f for f in step1["form"]["fields"] if f["id"] == "jenis_layanan")["enum"]
    assert any(o.get("referral") for o in services) and any(not o.get("referral") for o in services)
    app.walk([1, 2, 3])
    step4 = api("GET", f"/tasks/{app.current().id}", "ptsp").get_json()
    checklist = next(f for f in step4["form"]["fields"] if f["type"] == "checklist")
    assert checklist["enum"], checklist
