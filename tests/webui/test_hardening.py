"""Odd input never becomes a 500; what review found stays fixed."""

from __future__ import annotations

import pytest

from engine import Engine

from ..helpers import Application


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_whole_number_field_is_shown_on_the_pages(engine: Engine, browser) -> None:
    app = Application(engine)
    app.walk([1, 2])
    app.do(3, jumlah_berkas=3)
    for login in ("warga", "ptsp"):
        page = browser(login).get(f"/permohonan/{app.id}")
        assert page.status_code == 200
        assert "<dt>Jumlah berkas</dt>" in text_of(page)
    assert browser("ptsp").get(f"/tugas/{app.current().id}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/tugas/a%00b",
        "/tugas/lajur/ptsp?halaman=%C2%B2",
        "/tugas/lajur/ptsp?halaman=99999999999999999999",
        "/permohonan/99999999999999999999",
        "/tugas/%E2%80%AE",
    ],
)
def test_odd_urls_are_not_found_or_fine(browser, url: str) -> None:
    assert browser("ptsp").get(url).status_code in (200, 404)


@pytest.mark.parametrize(
    "query", ["limit=%C2%B2", "offset=%C2%B2", "offset=99999999999999999999", "limit=-1", "limit=501"]
)
def test_odd_api_paging_is_a_400(app, engine: Engine, query: str) -> None:
    token = engine.create_token("ptsp")[0]
    response = app.test_client().get(f"/api/v1/tasks?{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_input"


def test_nul_bytes_in_logins_names_and_ids(app, engine: Engine, browser) -> None:
    b = browser()
    b.get("/masuk")
    assert b.post("/masuk", {"login": "a\x00b", "password": "x"}).status_code == 400
    b.get("/daftar")
    r = b.post(
        "/daftar", {"name": "A\x00bc", "login": "anak", "password": "kata-sandi-anak", "confirm": "kata-sandi-anak"}
    )
    assert r.status_code == 400 and "Hapus karakter kontrol." in text_of(r)
    token = engine.create_token("ptsp")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/tasks/a%00b", headers=headers).status_code == 404
    assert app.test_client().post("/api/v1/tasks/a%00b/complete", headers=headers, json={"data": {}}).status_code == 404


def test_redirect_targets_with_line_breaks_go_home(browser) -> None:
    b = browser()
    b.get("/masuk")
    r = b.client.post(
        "/masuk?next=/%0D%0ASet-Cookie:x=1",
        data={"login": "ptsp", "password": "ptsp-kata-sandi", "csrf_token": b.token},
    )
    assert r.status_code == 302 and "Set-Cookie:x" not in r.location
    b = browser("ptsp")
    assert b.post("/bahasa", {"lang": "en", "next": "/\r\nX: y"}).status_code == 302


def test_applicants_get_no_staff_entries_from_the_api(app, engine: Engine) -> None:
    application = Application(engine)
    application.walk([1, 2, 3])
    application.do(4, catatan_pemeriksaan="Catatan internal petugas")
    client = app.test_client()
    applicant = {"Authorization": f"Bearer {engine.create_token('warga')[0]}"}
    staff = {"Authorization": f"Bearer {engine.create_token('ptsp')[0]}"}
    shown = client.get(f"/api/v1/instances/{application.id}", headers=applicant).get_json()
    assert "nama_pemohon" in shown["data"] and "catatan_pemeriksaan" not in shown["data"]
    assert "catatan_pemeriksaan" in client.get(f"/api/v1/instances/{application.id}", headers=staff).get_json()["data"]
    history = client.get(f"/api/v1/instances/{application.id}/history", headers=applicant).get_json()["events"]
    assert "Catatan internal petugas" not in str(history)
    assert any(e["type"] == "gateway_decided" for e in history)


def test_error_pages_speak_indonesian_and_the_language_survives_login(browser) -> None:
    b = browser()
    b.get("/masuk")
    expired = b.post("/masuk", {"login": "ptsp", "password": "x"}, csrf=False)
    assert expired.status_code == 400 and "Formulir sudah kedaluwarsa" in text_of(expired)
    empty = b.post("/masuk", {"login": "", "password": ""})
    assert "Wajib diisi." in text_of(empty)
    b.post("/bahasa", {"lang": "en"})
    b.login("ptsp")
    assert '<html lang="en">' in text_of(b.get("/tugas"))


def test_fields_without_errors_have_no_dangling_aria(browser) -> None:
    page = text_of(browser().get("/masuk"))
    assert 'aria-describedby="None"' not in page and "aria-describedby" not in page


def test_security_headers(browser, engine: Engine) -> None:
    application = Application(engine)
    b = browser("warga")
    page = b.get("/permohonan")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    svg = b.get(f"/permohonan/{application.id}/diagram.svg")
    assert svg.headers["Content-Security-Policy"].startswith("default-src 'none'")
