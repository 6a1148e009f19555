"""The applicant's pages: the receipt and its QR code, public tracking, the SKM survey, the IKM report."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from flask import Flask

from engine import Engine
from webui import create_app
from webui.applicant import QR_ERROR, QR_SVG
from webui.i18n import wib

from ..conftest import minutes
from ..helpers import HAPPY_PATH, Application, fingerprint
from .conftest import Browser

USERS = ["anon", "warga", "warga2", "ptsp", "kepala", "kasubag", "kasi", "inspektorat"]
ALL_FOURS = {f"u{n}": "4" for n in range(1, 10)}
PERSONAL = [
    "Siti Aminah",
    "081234567890",
    "Warga",
    "MTs Negeri",
    "Mohon segera",
    "B-1234",
    "kasubag",
    "Rekomendasi mutasi",
]


def text_of(response) -> str:
    return response.get_data(as_text=True)


def handed_in(engine: Engine, clock) -> Application:
    a = Application(engine)
    a.walk([1, 2])
    clock.shift(minutes(30))
    a.do(3)
    return a


def english(b: Browser) -> Browser:
    """The pages in English (the tests read English words until the Indonesian catalog is merged)."""
    b.post("/bahasa", {"lang": "en"})
    return b


def without_csrf(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", page)


# ------------------------------------------------------------------------------- receipt
def test_the_receipt_page(app: Flask, engine: Engine, browser, clock) -> None:
    a = handed_in(engine, clock)
    r = engine.receipt(a.id)
    b = browser("warga")
    page = b.get(f"/permohonan/{a.id}/tanda-terima")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = text_of(page)
    assert a.registration in html and r.code_display in html
    assert "Rekomendasi mutasi siswa madrasah" in html
    assert "23 Nov 2026 09.30 WIB" in html  # received (T0 + 30 min, in WIB)
    with app.test_request_context():
        assert f'<dd class="expected">{wib(r.expected_at)}</dd>' in html  # whichever calendar counts
    assert 'href="/static/receipt.css"' in html
    # no inline style or script (the CSP forbids them)
    assert " style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None


def test_the_qr_code_encodes_the_tracking_address(engine: Engine, browser, clock) -> None:
    a = handed_in(engine, clock)
    code = engine.receipt(a.id).tracking_code
    html = text_of(browser("warga").get(f"/permohonan/{a.id}/tanda-terima"))
    url = f"http://localhost/lacak?nomor=PTSP/2026/000001&kode={code}"
    expected = segno.make(url, error=QR_ERROR, micro=False).svg_inline(**QR_SVG)
    path = re.search(r'<path[^>]*\bd="([^"]+)"', expected).group(1)
    assert f'd="{path}"' in html
    # the address carries exactly the number and the code
    query = parse_qs(urlsplit(url).query)
    assert query == {"nomor": [a.registration], "kode": [code]}
    # and that address opens the application's progress, without logging in
    opened = browser().get(url.removeprefix("http://localhost"))
    assert opened.status_code == 200 and a.registration in text_of(opened)


def test_the_qr_code_uses_the_public_address(engine: Engine, clock) -> None:
    a = handed_in(engine, clock)
    code = engine.receipt(a.id).tracking_code
    app = create_app(
        {"ENGINE": engine, "TESTING": True, "SECRET_KEY": "s", "PUBLIC_URL": "https://ptsp.example.go.id/"}
    )
    html = text_of(Browser(app.test_client()).login("ptsp").get(f"/permohonan/{a.id}/tanda-terima"))
    url = f"https://ptsp.example.go.id/lacak?nomor=PTSP/2026/000001&kode={code}"
    expected = segno.make(url, error=QR_ERROR, micro=False).svg_inline(**QR_SVG)
    assert re.search(r'\bd="([^"]+)"', expected).group(1) in html
    assert "https://ptsp.example.go.id/lacak" in html


def test_the_print_stylesheet(app: Flask) -> None:
    response = app.test_client().get("/static/receipt.css")
    assert response.status_code == 200
    css = response.get_data(as_text=True)
    assert "@media print" in css and "main > :not(.receipt) { display: none; }" in css
    # linked from the applicant's pages only, not from every page
    assert "receipt.css" not in app.test_client().get("/masuk").get_data(as_text=True)


def test_who_opens_the_receipt(engine: Engine, browser, clock, auditor) -> None:
    a = Application(engine)
    a.walk([1, 2])
    url = f"/permohonan/{a.id}/tanda-terima"
    expected_before = {"anon": 302, "warga": 404, "warga2": 404, "ptsp": 404}
    expected_before |= {"kepala": 403, "kasubag": 403, "kasi": 403, "inspektorat": 403}
    clients = {u: browser(None if u == "anon" else u) for u in USERS}
    assert {u: c.get(url).status_code for u, c in clients.items()} == expected_before
    a.do(3)
    assert {u: c.get(url).status_code for u, c in clients.items()} == expected_before | {"warga": 200, "ptsp": 200}
    assert clients["warga"].get("/permohonan/999/tanda-terima").status_code == 404


def test_the_application_page_links(engine: Engine, browser, clock) -> None:
    a = Application(engine)
    a.walk([1, 2])
    b = browser("warga")
    receipt_link = f'href="/permohonan/{a.id}/tanda-terima"'
    survey_link = f'href="/permohonan/{a.id}/survei"'
    html = text_of(b.get(f"/permohonan/{a.id}"))
    assert receipt_link not in html and survey_link not in html
    a.do(3)
    html = text_of(b.get(f"/permohonan/{a.id}"))
    assert receipt_link in html and survey_link not in html
    assert receipt_link in text_of(browser("ptsp").get(f"/permohonan/{a.id}"))
    assert receipt_link not in text_of(browser("kepala").get(f"/permohonan/{a.id}"))
    a.walk(HAPPY_PATH[3:])
    html = text_of(b.get(f"/permohonan/{a.id}"))
    assert receipt_link in html and survey_link in html


def test_the_application_page_says_what_is_missing(engine: Engine, browser, clock) -> None:
    a = handed_in(engine, clock)
    a.do(4, berkas_lengkap=False, kekurangan=["rapor"], catatan_kekurangan="Bawa rapor asli")
    info = engine.show(a.id)
    html = text_of(browser("warga").get(f"/permohonan/{a.id}"))
    for item in info.missing:  # the catalogue's words for the requirements ticked
        assert item.text in html
    if info.missing_note:
        assert "Bawa rapor asli" in html
    a.do("3b")
    assert 'class="banner banner-fail missing"' not in text_of(browser("warga").get(f"/permohonan/{a.id}"))


# ------------------------------------------------------------------------------ tracking
def test_tracking_without_logging_in(engine: Engine, browser, clock) -> None:
    a = handed_in(engine, clock)
    code = engine.receipt(a.id).tracking_code
    b = english(browser())
    form = b.get("/lacak")
    assert form.status_code == 200 and 'name="nomor"' in text_of(form) and 'name="kode"' in text_of(form)
    found = b.post("/lacak", {"nomor": a.registration.lower(), "kode": f"{code[:4]}-{code[4:]}".lower()})
    assert found.status_code == 200
    html = text_of(found)
    assert a.registration in html and "In progress" in html
    assert "File handed in" in html and "The file is being checked for completeness" in html
    assert "23 Nov 2026 09.30 WIB" in html
    assert found.headers["Cache-Control"] == "no-store"
    for word in PERSONAL:
        assert word not in html, word


def test_every_mismatch_gets_the_same_answer(engine: Engine, browser, clock) -> None:
    a = handed_in(engine, clock)
    code = engine.receipt(a.id).tracking_code
    wrong = "".join("Z" if c != "Z" else "Y" for c in code)
    b = english(browser())
    b.get("/lacak")
    cases = [
        {"nomor": a.registration, "kode": wrong},  # wrong code
        {"nomor": "PTSP/2026/000999", "kode": code},  # wrong registration
        {"nomor": a.registration},  # missing code
        {"kode": code},  # missing number
        {},  # nothing
        {"nomor": a.registration, "kode": ""},
    ]
    answers = set()
    for data in cases:
        response = b.post("/lacak", data)
        assert response.status_code == 404
        answers.add(without_csrf(text_of(response)))
    assert len(answers) == 1
    page = answers.pop()
    assert "No application matches this registration number and tracking code" in page
    assert a.registration not in page
    # the same through the QR code's kind of address
    via_get = b.get(f"/lacak?nomor={a.registration}&kode={wrong}")
    assert via_get.status_code == 404


def test_tracking_shows_missing_items_and_readiness(engine: Engine, browser, clock) -> None:
    a = handed_in(engine, clock)
    code = engine.receipt(a.id).tracking_code
    a.do(4, berkas_lengkap=False, kekurangan=["rapor"], catatan_kekurangan="Fotokopi rapor belum ada")
    b = english(browser())

    def look() -> str:
        response = b.get(f"/lacak?nomor={a.registration}&kode={code}")
        assert response.status_code == 200
        return text_of(response)

    html = look()
    assert "Returned: the file is not complete" in html and "Fotokopi rapor belum ada" in html
    assert "File returned to be completed" in html
    a.walk(["3b", 4, 5, 6, "7a", "7b", "7c", 8])
    html = look()
    assert "The product is ready to be collected" in html and "Fotokopi rapor" not in html
    a.do(9)
    html = look()
    assert "The product has been handed over" in html and "Application completed" in html
    for word in PERSONAL:
        assert word not in html, word


def test_tracking_is_rate_limited(engine: Engine, clock) -> None:
    a = handed_in(engine, clock)
    code = engine.receipt(a.id).tracking_code
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "s", "TRACKING_MAX_FAILURES": 3})
    raw = app.test_client()
    raw.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    client = english(Browser(raw))
    for _ in range(3):
        assert client.get(f"/lacak?nomor={a.registration}&kode=AAAAAAAA").status_code == 404
    refused = client.get(f"/lacak?nomor={a.registration}&kode={code}")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "900"
    assert "Too many unsuccessful look-ups from your address. Try again in 15 minutes." in text_of(refused)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.9.8"
    assert other.get(f"/lacak?nomor={a.registration}&kode={code}").status_code == 200
    clock.shift(minutes(15))
    assert client.get(f"/lacak?nomor={a.registration}&kode={code}").status_code == 200


def test_a_bad_limit_setting_is_refused(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="PTSP_TRACKING_MAX_FAILURES"):
        create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "s", "TRACKING_MAX_FAILURES": 0})


# -------------------------------------------------------------------------------- survey
def test_the_survey_once_after_completion(engine: Engine, browser) -> None:
    a = Application(engine)
    a.walk(HAPPY_PATH[:-1])
    b = english(browser("warga"))
    url = f"/permohonan/{a.id}/survei"
    closed = b.get(url)
    assert closed.status_code == 200 and "The survey opens when the application is completed" in text_of(closed)
    assert 'name="u1"' not in text_of(closed)
    assert b.post(url, ALL_FOURS).status_code == 409
    a.do(9)
    page = b.get(url)
    html = text_of(page)
    assert page.status_code == 200
    for n in range(1, 10):
        assert html.count(f'name="u{n}"') == 4
    assert "Not appropriate" in html and "Very easy" in html and "Free" in html and "Well managed" in html

    invalid = b.post(url, {**ALL_FOURS, "u3": "5", "u7": ""})
    assert invalid.status_code == 422
    assert 'id="u3-error"' in text_of(invalid) and 'id="u7-error"' in text_of(invalid)
    assert fingerprint(engine)["skm_responses"] == []

    sent = b.post(url, {**ALL_FOURS, "u1": "2", "suggestion": "Antrean lebih tertib"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/permohonan/{a.id}")
    before = fingerprint(engine)
    assert len(before["skm_responses"]) == 1
    again = b.post(url, {**ALL_FOURS, "suggestion": "lagi"})
    assert again.status_code == 409
    assert "You already filled the survey of this application" in text_of(again)
    assert fingerprint(engine) == before
    done = text_of(b.get(url))
    assert "You filled this survey on" in done and "Antrean lebih tertib" in done and 'name="u1"' not in done


def test_who_fills_the_survey(engine: Engine, browser, auditor) -> None:
    a = Application(engine)
    a.walk(HAPPY_PATH)
    url = f"/permohonan/{a.id}/survei"
    expected = {"anon": 302, "warga": 200, "warga2": 404, "ptsp": 403}
    expected |= {"kepala": 403, "kasubag": 403, "kasi": 403, "inspektorat": 403}
    clients = {u: browser(None if u == "anon" else u) for u in USERS}
    assert {u: c.get(url).status_code for u, c in clients.items()} == expected
    before = fingerprint(engine)
    posted = {u: c.post(url, ALL_FOURS).status_code for u, c in clients.items() if u != "warga"}
    assert posted == {u: s for u, s in expected.items() if u != "warga"}
    assert fingerprint(engine) == before


# ---------------------------------------------------------------------------- IKM report
def test_the_ikm_report_page(engine: Engine, browser, auditor) -> None:
    for applicant, answers in (("warga", ALL_FOURS), ("warga2", {**ALL_FOURS, "u1": "1", "u2": "2"})):
        a = Application(engine, applicant)
        a.walk(HAPPY_PATH)
        engine.submit_skm(a.id, as_user=applicant, answers=answers, suggestion=f"saran {applicant}")
    b = english(browser("kepala"))
    page = b.get("/laporan/ikm")
    html = text_of(page)
    assert page.status_code == 200
    assert 'class="number respondents">2<' in html
    assert 'class="number ikm-value">93.06<' in html or 'class="number ikm-value">93,06<' in html
    assert 'class="number ikm-letter">A<' in html
    assert "Rekomendasi mutasi siswa madrasah" in html and "saran warga2" in html
    assert "Siti" not in html and ">warga<" not in html
    assert 'href="/static/receipt.css"' in html

    empty = text_of(b.get("/laporan/ikm?dari=2026-12-01&sampai=2026-12-31"))
    assert "No survey was submitted in this period." in empty
    assert b.get("/laporan/ikm?dari=2026-13-01").status_code == 400
    assert b.get("/laporan/ikm?dari=2026-12-01&sampai=2026-11-01").status_code == 400

    download = browser(auditor).get("/laporan/ikm.csv?dari=2026-11-01&sampai=2026-11-30")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == 'attachment; filename="laporan-ikm-2026-11-01-2026-11-30.csv"'
    rows = list(csv.reader(io.StringIO(text_of(download))))
    assert rows[0][:3] and len(rows) == 3  # header, all services, one service
    overall = rows[1]
    assert overall[2] == "2" and overall[3] == "2.500" and overall[-4] == "3.722" and overall[-3] == "93.06"
    assert overall[-2] == "A"


def test_who_reads_the_ikm(engine: Engine, browser, auditor) -> None:
    expected = {"anon": 302, "kepala": 200, "inspektorat": 200}
    expected |= {u: 403 for u in ["warga", "warga2", "ptsp", "kasubag", "kasi"]}
    for path in ("/laporan/ikm", "/laporan/ikm.csv"):
        got = {u: browser(None if u == "anon" else u).get(path).status_code for u in USERS}
        assert got == expected, path


# --------------------------------------------------------------- every route, everyone
@pytest.fixture
def scene(engine: Engine, browser, auditor) -> dict:
    """As in test_authorization: warga's application A waits at step 2, B at step 1."""
    a = Application(engine)
    a.do(1)
    Application(engine)
    return {"a": a.id, "clients": {u: browser(None if u == "anon" else u) for u in USERS}}


READERS = {"anon": 302, "kepala": 200, "inspektorat": 200} | {u: 403 for u in ["warga", "warga2", "ptsp", "kasubag"]}
READERS |= {"kasi": 403}
MATRIX = [
    (
        "GET",
        "/permohonan/{a}/tanda-terima",
        {"anon": 302, "warga": 404, "warga2": 404, "ptsp": 404}
        | {u: 403 for u in ["kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    ("GET", "/permohonan/999/tanda-terima", {"anon": 302} | {u: 404 for u in USERS[1:]}),
    ("GET", "/lacak", dict.fromkeys(USERS, 200)),
    ("GET", "/lacak?nomor=PTSP/2026/000001&kode=AAAAAAAA", dict.fromkeys(USERS, 404)),
    ("POST", "/lacak", dict.fromkeys(USERS, 404)),
    (
        "GET",
        "/permohonan/{a}/survei",
        {"anon": 302, "warga": 200, "warga2": 404}
        | {u: 403 for u in ["ptsp", "kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    (
        "POST",
        "/permohonan/{a}/survei",
        {"anon": 302, "warga": 409, "warga2": 404}
        | {u: 403 for u in ["ptsp", "kepala", "kasubag", "kasi", "inspektorat"]},
    ),
    ("GET", "/permohonan/999/survei", {"anon": 302} | {u: 404 for u in USERS[1:]}),
    ("GET", "/laporan/ikm", READERS),
    ("GET", "/laporan/ikm?dari=2026-11-01&sampai=2026-11-30", READERS),
    ("GET", "/laporan/ikm.csv", READERS),
    ("GET", "/static/receipt.css", dict.fromkeys(USERS, 200)),
]
POSTED = {"/lacak": {"nomor": "PTSP/2026/000001", "kode": "AAAAAAAA"}, "/permohonan/{a}/survei": ALL_FOURS}


@pytest.mark.parametrize(("method", "path", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_every_route_for_everyone(scene: dict, engine: Engine, method: str, path: str, expected: dict) -> None:
    before = fingerprint(engine)
    got = {}
    for user, client in scene["clients"].items():
        url = path.format(**scene)
        response = client.get(url) if method == "GET" else client.post(url, POSTED[path])
        got[user] = response.status_code
    assert got == expected
    after = fingerprint(engine)
    after.pop("login_attempts"), before.pop("login_attempts")  # failed look-ups are counted, nothing else
    assert after == before
