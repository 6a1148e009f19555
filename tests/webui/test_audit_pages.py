"""The auditor's pages: the application list, replay, exports, and the SLA report.

Who may open which page is in test_authorization.py; here is what the pages show.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator

import pytest
from lxml import etree

from engine import Engine
from webui import create_app

from ..conftest import make_engine, minutes
from ..engine.test_audit_verify import busy_office
from ..helpers import STEP_ELEMENTS, Application
from .conftest import AUDITOR, Browser, add_auditor

REGISTRATION_LINK = re.compile(r'<a href="/audit/\d+">(PTSP/2026/\d{6})</a>')


def text_of(response) -> str:
    return response.get_data(as_text=True)


def listed(page: str) -> list[str]:
    return REGISTRATION_LINK.findall(page)


@pytest.fixture
def office(engine: Engine, clock, auditor) -> list[str]:
    """000001 looped and late, 000002 on time, 000003 cancelled, 000004 open and late (see busy_office)."""
    return [a.registration for a in busy_office(engine, clock)]


# ------------------------------------------------------------------ the list
def test_an_auditor_starts_on_the_audit_list_and_the_menu_shows_the_audit_pages(engine: Engine, browser, auditor):
    b = browser(auditor)
    home = b.get("/")
    assert home.status_code == 302 and home.location.endswith("/audit")
    page = text_of(b.get("/audit"))
    assert '<a href="/audit">Audit</a>' in page and '<a href="/laporan/sla">Laporan SLA</a>' in page
    assert 'href="/tugas"' not in page and 'href="/permohonan"' not in page
    head = text_of(browser("kepala").get("/tugas"))
    assert '<a href="/laporan/sla">Laporan SLA</a>' in head and '<a href="/audit">' not in head
    for login in ("ptsp", "kasubag", "warga"):
        assert "/laporan/sla" not in text_of(browser(login).get("/", follow_redirects=True))


def test_the_list_shows_each_application_with_its_history_in_brief(engine: Engine, browser, office) -> None:
    looped, on_time, cancelled, open_ = office
    page = text_of(browser(AUDITOR).get("/audit"))
    assert listed(page) == [open_, cancelled, on_time, looped]  # newest first
    assert "Permohonan ditemukan: 4" in page
    row = page[page.index(f">{looped}</a>") :].split("</tr>")[0]
    assert "Rekomendasi mutasi siswa madrasah" in row and "Warga" in row
    assert "23 Nov 2026 09.00 WIB" in row and "25 Nov 2026 09.20 WIB" in row  # filed, ended
    assert "ptsp v1" in row and '<span class="badge badge-late">3</span>' in row
    waiting = page[page.index(f">{open_}</a>") :].split("</tr>")[0]
    assert 'data-label="Menunggu di">Kasi</td>' in waiting and "Sedang diproses" in waiting


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=completed", [1, 0]),
        ("status=cancelled", [2]),
        ("pelanggaran=ya", [3, 0]),
        ("pelanggaran=tidak", [2, 1]),
        ("pelanggaran=ya&lajur=Kepala+Kantor", [0]),  # signed late
        ("lajur=Kasi", [3]),  # waits there now
        ("cari=000001", [0]),
        ("cari=%25", []),
        ("layanan=Rekomendasi+mutasi+siswa+madrasah&status=running", [3]),
        ("dari=2026-11-25", [3, 2, 1]),
        ("sampai=2026-11-23", [0]),  # the last day counts whole, in WIB
        ("dari=2026-11-24&sampai=2026-11-24", []),
    ],
)
def test_the_filters(engine: Engine, browser, office, query: str, expected: list[int]) -> None:
    response = browser(AUDITOR).get(f"/audit?{query}")
    assert response.status_code == 200
    page = text_of(response)
    assert listed(page) == [office[i] for i in expected]
    if not expected:
        assert "Tidak ada permohonan yang sesuai dengan saringan ini." in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=hilang", "unknown status &#39;hilang&#39;"),
        ("lajur=Satpam", "unknown lane &#39;Satpam&#39;"),
        ("cari=" + "x" * 41, "at most 40 characters"),
        ("dari=2026-11-25&sampai=2026-11-20", "the period ends before it begins"),
        ("dari=2026-02-30", "Isi tanggal dengan format TTTT-BB-HH"),
        ("sampai=kemarin", "Isi tanggal dengan format TTTT-BB-HH"),
        ("pelanggaran=mungkin", "Pilih ya, tidak, atau semua."),
    ],
)
def test_a_bad_filter_is_a_400_that_names_the_problem(engine: Engine, browser, office, query, message) -> None:
    response = browser(AUDITOR).get(f"/audit?{query}")
    page = text_of(response)
    assert response.status_code == 400
    assert message in page
    assert listed(page) == [] and '<form method="get" action="/audit"' in page  # the form, to correct it


def test_the_list_is_paginated_and_the_pages_keep_the_filters(engine: Engine, browser, app, office) -> None:
    app.config["PAGE_SIZE"] = 2
    b = browser(AUDITOR)
    first = text_of(b.get("/audit?status=&pelanggaran=tidak"))
    assert listed(first) == [office[2], office[1]] and "Halaman 1 dari 1" in first
    everything = text_of(b.get("/audit"))
    assert listed(everything) == [office[3], office[2]] and "Halaman 1 dari 2" in everything
    assert '<a href="/audit?halaman=2" rel="next">' in everything
    second = text_of(b.get("/audit?halaman=2&cari=PTSP"))
    assert listed(second) == [office[1], office[0]] and 'href="/audit?halaman=1&amp;cari=PTSP" rel="prev"' in second
    assert b.get("/audit?halaman=-3").status_code == 200


# -------------------------------------------------------------------- replay
@pytest.fixture
def late_file(engine: Engine, clock, auditor) -> Application:
    """Steps 1 and 2 on time; the applicant hands in the file (step 3) five minutes late."""
    app = Application(engine)
    app.walk([1, 2])
    clock.shift(minutes(20))
    app.walk([3])
    return app


def position_of(engine: Engine, app: Application, type_: str, step: int | None = None) -> int:
    events = engine.history(app.id)
    return next(
        i for i, e in enumerate(events, 1) if e.type == type_ and (step is None or e.data.get("sop_step") == step)
    )


def test_replay_navigation_first_previous_next_last_and_the_slider(engine: Engine, browser, late_file) -> None:
    count = len(engine.history(late_file.id))
    b = browser(AUDITOR)
    url = f"/audit/{late_file.id}"

    first = text_of(b.get(f"{url}?peristiwa=1"))
    assert '<span class="disabled" aria-disabled="true">Pertama</span>' in first
    assert '<span class="disabled" aria-disabled="true">Sebelumnya</span>' in first
    assert f'<a href="{url}?peristiwa=2" rel="next"' in first
    assert f'<a href="{url}?peristiwa={count}" rel="last"' in first
    assert re.search(rf'type="range" id="peristiwa" name="peristiwa" min="1" max="{count}" step="1" value="1"', first)
    assert f'<a href="{url}?peristiwa=1" aria-current="step">1</a>' in first
    assert "Peristiwa 1 dari" in first and "Permohonan diajukan" in first

    middle = text_of(b.get(f"{url}?peristiwa=3"))
    assert f'<a href="{url}?peristiwa=1" rel="first"' in middle
    assert f'<a href="{url}?peristiwa=2" rel="prev"' in middle and f'<a href="{url}?peristiwa=4" rel="next"' in middle
    assert 'value="3"' in middle and f'<a href="{url}?peristiwa=3" aria-current="step">3</a>' in middle
    assert middle.count('aria-current="step"') == 1

    for newest in (f"{url}?peristiwa=999", url, f"{url}?peristiwa=abc"):  # clamped, or the default
        last = text_of(b.get(newest))
        assert f'value="{count}"' in last and f"Peristiwa {count} dari {count}" in last
        assert '<span class="disabled" aria-disabled="true">Berikutnya</span>' in last
        assert '<span class="disabled" aria-disabled="true">Terakhir</span>' in last
    assert 'value="1"' in text_of(b.get(f"{url}?peristiwa=-4"))
    assert b.get("/audit/999").status_code == 404


def test_replay_shows_the_event_its_data_what_changed_and_the_time_against_the_standard(
    engine: Engine, browser, late_file
) -> None:
    b = browser(AUDITOR)
    url = f"/audit/{late_file.id}"
    handed_in = text_of(b.get(f"{url}?peristiwa={position_of(engine, late_file, 'task_completed', 3)}"))
    assert "Tugas diselesaikan</span>: Menyerahkan Berkas Permohonan Layanan" in handed_in
    assert "<dt>Waktu</dt><dd>23 Nov 2026 09.20 WIB</dd>" in handed_in
    assert "<dt>Pelaku</dt><dd>warga</dd>" in handed_in and "<dt>Lajur</dt><dd>Pemohon</dd>" in handed_in
    assert "20 menit dari standar 15 menit" in handed_in
    assert '— <span class="badge badge-late">terlambat 5 menit</span>' in handed_in
    assert "<dt>Berkas yang diserahkan</dt>" in handed_in  # the data entered, by its label
    assert re.search(r'<tr><th scope="row">Berkas yang diserahkan</th><td>-</td><td>→ ', handed_in)  # before → after
    assert '<div class="banner banner-ok" role="status">' in handed_in and "Riwayat terverifikasi." in handed_in

    step1 = text_of(b.get(f"{url}?peristiwa={position_of(engine, late_file, 'task_completed', 1)}"))
    assert "0 detik dari standar 15 menit" in step1 and '<span class="badge badge-ok">tepat waktu</span>' in step1
    assert "Rekomendasi mutasi siswa madrasah" in step1  # an enum shown by its name
    ready = text_of(b.get(f"{url}?peristiwa=2"))
    assert "Tugas siap</span>: Menanyakan Pelayanan" in ready and "<dt>Pelaku</dt><dd>sistem</dd>" in ready
    breach = text_of(b.get(f"{url}?peristiwa={position_of(engine, late_file, 'sla_breached')}"))
    assert "Batas waktu terlampaui</span>: Menyerahkan Berkas Permohonan Layanan" in breach
    assert f'<img src="{url}/diagram.svg?peristiwa=' in breach


def test_a_gateway_decision_and_a_cancellation_in_office_words(engine: Engine, browser, clock, auditor) -> None:
    app = Application(engine)
    app.walk([1, 2, 3])
    app.do(4, berkas_lengkap=False)
    engine.cancel(app.id, as_user="ptsp", reason="Pemohon membatalkan")
    b = browser(auditor)
    decision = text_of(b.get(f"/audit/{app.id}?peristiwa={position_of(engine, app, 'gateway_decided')}"))
    assert "Keputusan gerbang</span>: Berkas lengkap?" in decision and "→ Belum lengkap" in decision
    cancelled = text_of(b.get(f"/audit/{app.id}"))
    assert "Permohonan dibatalkan" in cancelled and "<dd>Pemohon membatalkan</dd>" in cancelled


def test_the_diagram_at_a_point_of_the_history(engine: Engine, browser, late_file) -> None:
    b = browser(AUDITOR)
    early = b.get(f"/audit/{late_file.id}/diagram.svg?peristiwa=2")
    assert early.mimetype == "image/svg+xml" and early.headers["Cache-Control"] == "no-store"
    assert f'class="el userTask is-active" data-element="{STEP_ELEMENTS[1]}"' in text_of(early)
    now = text_of(b.get(f"/audit/{late_file.id}/diagram.svg"))
    assert f'class="el userTask is-completed" data-element="{STEP_ELEMENTS[1]}"' in now
    assert f'data-element="{STEP_ELEMENTS[4]}"' in now
    assert etree.fromstring(early.data).tag == "{http://www.w3.org/2000/svg}svg"


@pytest.fixture
def sqlite_office(sqlite_url: str, ptsp_xml: bytes, clock) -> Iterator[tuple[Browser, list[Application], str]]:
    """busy_office on an SQLite file that a test can tamper with."""
    engine = make_engine(sqlite_url, ptsp_xml)
    add_auditor(engine)
    apps = busy_office(engine, clock)
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test-secret"})
    yield Browser(app.test_client()).login(AUDITOR), apps, sqlite_url.removeprefix("sqlite:///")
    engine.close()


def test_a_tampered_history_shows_the_failure_naming_the_event(sqlite_office) -> None:
    b, apps, path = sqlite_office
    looped = apps[0]
    assert "Riwayat terverifikasi." in text_of(b.get(f"/audit/{looped.id}"))
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER events_no_update")
    (seq, data) = db.execute(
        "SELECT seq, data FROM events WHERE instance_id = ? AND type = 'task_completed' ORDER BY seq LIMIT 1 OFFSET 3",
        (looped.id,),
    ).fetchone()
    forged = json.loads(data)
    forged["form"]["berkas_lengkap"] = True  # "the file was complete the first time"
    db.execute("UPDATE events SET data = ? WHERE instance_id = ? AND seq = ?", (json.dumps(forged), looped.id, seq))
    db.commit()
    db.close()

    page = text_of(b.get(f"/audit/{looped.id}?peristiwa=1"))
    assert '<div class="banner banner-fail" role="alert">' in page and "Riwayat terverifikasi." not in page
    assert "Riwayat ini TIDAK lolos verifikasi" in page
    assert "Pemeriksaan gagal: rantai hash terputus." in page
    assert f'<a href="/audit/{looped.id}?peristiwa={seq}">Pada peristiwa ke-{seq}</a>' in page
    assert f"event {seq} (task_completed) was changed: its content does not match its hash" in page
    assert re.search(
        rf'<tr class="event-task_completed failed">\s*<td data-label="No."><a href="[^"]+">{seq}</a>', page
    )
    # the other applications still verify
    assert "Riwayat terverifikasi." in text_of(b.get(f"/audit/{apps[1].id}"))


# ------------------------------------------------------------------- exports
def test_the_export_form_and_a_csv_download_streamed_with_one_row_per_event(engine: Engine, browser, office) -> None:
    b = browser(AUDITOR)
    form = text_of(b.get("/audit/ekspor"))
    assert 'name="format" value="xes"' in form and 'name="nomor"' in form and 'type="date"' in form
    response = b.get("/audit/ekspor?format=csv&dari=2026-11-25&sampai=2026-11-25")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="riwayat-ptsp-2026-11-25-2026-11-25.csv"'
    rows = list(csv.DictReader(io.StringIO(text_of(response))))
    expected = sum(len(engine.history(registration)) for registration in office[1:])  # filed on 25 November
    assert len(rows) == expected
    assert {r["registration"] for r in rows} == set(office[1:])


def test_an_xes_export_of_one_application_parses(engine: Engine, browser, office) -> None:
    response = browser(AUDITOR).get(f"/audit/ekspor?format=xes&nomor={office[0]}")
    assert response.is_streamed and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="riwayat-ptsp-2026-000001.xes"'
    log = etree.fromstring(response.data)
    ns = {"x": "http://www.xes-standard.org/"}
    traces = log.findall("x:trace", ns)
    assert [t.find("x:string[@key='concept:name']", ns).get("value") for t in traces] == [office[0]]
    assert len(traces[0].findall("x:event", ns)) == len(engine.history(office[0]))


def test_a_jsonl_export_of_everything(engine: Engine, browser, office) -> None:
    response = browser(AUDITOR).get("/audit/ekspor?format=jsonl")
    assert response.is_streamed and response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in text_of(response).splitlines()]
    assert len(lines) == sum(len(engine.history(r)) for r in office)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("format=docx", 400, "Pilih salah satu format."),
        ("format=csv&nomor=PTSP/2026/999999", 404, "Tidak ada permohonan dengan nomor registrasi ini."),
        ("format=csv&dari=2026-11-25&sampai=2026-11-01", 400, "the period ends before it begins"),
        ("format=csv&dari=25-11-2026", 400, "Isi tanggal dengan format TTTT-BB-HH"),
    ],
)
def test_a_bad_export_request_says_why(engine: Engine, browser, office, query, status, message) -> None:
    response = browser(AUDITOR).get(f"/audit/ekspor?{query}")
    assert response.status_code == status and response.mimetype == "text/html"
    assert message in text_of(response)


# ---------------------------------------------------------------- SLA report
def test_the_sla_report_for_the_head_of_office(engine: Engine, browser, office) -> None:
    response = browser("kepala").get("/laporan/sla")
    page = text_of(response)
    assert response.status_code == 200
    assert 'name="dari" type="date" value="2026-11-01"' in page  # the current month in WIB
    assert 'name="sampai" type="date" value="2026-11-30"' in page
    assert "Per langkah SOP" in page and "Per lajur" in page and "Pelanggaran" in page
    step7 = page[page.index('<th scope="row" data-label="Langkah">7</th>') :].split("</tr>")[0]
    assert "Memberi Paraf dan Tanda Tangan" in step7 and "1 hari" in step7 and "50%" in step7
    step6 = page[page.index('<th scope="row" data-label="Langkah">6</th>') :].split("</tr>")[0]
    assert "66,7%" in step6 and "(2 dari 3)" in step6 and "/ standar 15 menit" in step6
    assert '<th scope="row" data-label="Lajur">Kasubag</th>' in page
    assert '<img src="/laporan/sla.svg?dari=2026-11-01&amp;sampai=2026-11-30"' in page
    assert 'href="/laporan/sla.csv?dari=2026-11-01&amp;sampai=2026-11-30"' in page
    # the breaches, by registration, without a way into the audit pages
    assert f'<td data-label="Nomor registrasi">{office[3]}</td>' in page and "/audit/" not in page


def test_the_sla_report_for_an_auditor_links_each_breach_to_its_replay(engine: Engine, browser, office) -> None:
    page = text_of(browser(AUDITOR).get("/laporan/sla?dari=2026-11-23&sampai=2026-11-25"))
    assert f'<a href="/audit/4">{office[3]}</a>' in page and f'<a href="/audit/1">{office[0]}</a>' in page
    assert "23 Nov 2026 09.15 WIB" in page  # a deadline, in WIB
    empty = text_of(browser(AUDITOR).get("/laporan/sla?dari=2027-01-01&sampai=2027-01-31"))
    assert "Tidak ada langkah yang dimulai dalam periode ini." in empty


def test_the_sla_chart_and_csv(engine: Engine, browser, office) -> None:
    b = browser("kepala")
    svg = b.get("/laporan/sla.svg?dari=2026-11-01&sampai=2026-11-30")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    root = etree.fromstring(svg.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g[@data-step]")) == 9
    assert "Kepatuhan standar waktu per langkah SOP" in text_of(svg)
    sheet = b.get("/laporan/sla.csv?dari=2026-11-01&sampai=2026-11-30")
    assert sheet.mimetype == "text/csv"
    assert sheet.headers["Content-Disposition"] == 'attachment; filename="laporan-sla-2026-11-01-2026-11-30.csv"'
    rows = list(csv.reader(io.StringIO(text_of(sheet))))
    assert rows[0] == ["Laporan kepatuhan standar waktu (SLA)"] and ["Per langkah SOP"] in rows


@pytest.mark.parametrize("path", ["/laporan/sla", "/laporan/sla.svg", "/laporan/sla.csv"])
def test_a_bad_report_period_is_a_400(engine: Engine, browser, auditor, path: str) -> None:
    b = browser(auditor)
    reversed_ = b.get(f"{path}?dari=2026-11-30&sampai=2026-11-01")
    assert reversed_.status_code == 400 and "the period must end after it starts" in text_of(reversed_)
    garbled = b.get(f"{path}?dari=2026-11-31")
    assert garbled.status_code == 400 and "Isi tanggal dengan format TTTT-BB-HH" in text_of(garbled)


# ----------------------------------------------------------------- languages
def test_the_audit_pages_in_english(engine: Engine, browser, late_file) -> None:
    b = browser(AUDITOR)
    b.post("/bahasa", {"lang": "en"})
    listing = text_of(b.get("/audit"))
    assert "Audit: applications" in listing and "Time standard breached" in listing and "Waiting in" in listing
    position = position_of(engine, late_file, "task_completed", 3)
    replay = text_of(b.get(f"/audit/{late_file.id}?peristiwa={position}"))
    assert "Task completed</span>: Menyerahkan Berkas Permohonan Layanan" in replay
    assert "20 minutes against a standard of 15 minutes" in replay and "late by 5 minutes" in replay
    assert "History verified." in replay and ">First<" in replay and ">Show<" in replay
    assert "Task ready" in text_of(b.get(f"/audit/{late_file.id}?peristiwa=2"))
    report = text_of(b.get("/laporan/sla"))
    assert "SLA compliance report" in report and "By SOP step" in report and "15 minutes" in report
    assert "Time-standard compliance per SOP step" in text_of(b.get("/laporan/sla.svg"))
    assert text_of(b.get("/laporan/sla.csv")).startswith("Time-standard (SLA) compliance report")
    assert "Export the event log" in text_of(b.get("/audit/ekspor"))
