"""The process owner's pages: upload with every problem listed, preview with diff, activate, download, migrate."""

from __future__ import annotations

import io

import pytest

from engine import Engine

from ..conftest import OWNER, PTSP_BPMN
from ..helpers import Application, fingerprint
from ..modeler_edit import standard_edit

EDITED = standard_edit(PTSP_BPMN.read_text(encoding="utf-8")).encode()


def upload(b, data: bytes, name: str = "ptsp.bpmn", note: str = ""):
    return b.post(
        "/proses/versi",
        {"berkas": (io.BytesIO(data), name), "catatan": note},
        content_type="multipart/form-data",
    )


def test_an_invalid_file_lists_every_problem_in_indonesian_and_stores_nothing(engine: Engine, browser) -> None:
    b = browser(OWNER)
    before = fingerprint(engine)
    broken = EDITED.replace(b"<bpmn:scriptTask", b"<bpmn:scriptTask", 1)
    broken = broken.replace(b">PT20M<", b">20 menit<", 1).replace(b'name="PTSP"', b'name="Satpam"', 1)
    page = upload(b, broken, "ptsp-rusak.bpmn")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "ptsp-rusak.bpmn" in text and "tidak ada yang disimpan" in text
    assert "BatasWaktu_Langkah2_MenjelaskanJenisStandarLayanan" in text  # the element of the bad timer
    assert "Satpam" in text
    assert fingerprint(engine) == before


def test_upload_preview_activate_and_migrate(engine: Engine, browser) -> None:
    waiting = Application(engine)  # at step 1, on version 1
    b = browser(OWNER)
    response = upload(b, EDITED, note="Langkah 2 menjadi 20 menit")
    assert response.status_code == 302 and response.headers["Location"].endswith("/proses/versi/2")
    page = b.get("/proses/versi/2").get_data(as_text=True)
    assert "Perubahan dibanding versi 1" in page
    for shown in ("PT15M", "PT20M", "Menjelaskan Jenis, Standar dan Biaya Layanan", "nomor_tanda_terima"):
        assert shown in page, shown
    assert page.count('<tr data-element="') == 3  # exactly the three edits; moved shapes are no change
    svg = b.get("/proses/versi/2/diagram.svg").get_data(as_text=True)
    assert ("change-changed" in svg and svg.startswith("<svg")) or "<svg" in svg[:200]
    assert engine.show(Application(engine).id).version == 1  # not active yet

    refused = b.post("/proses/versi/2/aktifkan", {"catatan": "  "}, follow_redirects=True)
    assert "Tulis catatan perubahan" in refused.get_data(as_text=True)
    done = b.post("/proses/versi/2/aktifkan", {"catatan": "SOP revisi 2026"}, follow_redirects=True)
    assert "Versi 2 aktif" in done.get_data(as_text=True)
    assert engine.show(Application(engine).id).version == 2

    download = b.get("/proses/versi/2/bpmn")
    assert download.data == EDITED and "ptsp-v2.bpmn" in download.headers["Content-Disposition"]

    dry = b.post("/proses/versi/2/migrasi", {"mode": "uji", "dari": "1"}).get_data(as_text=True)
    assert waiting.registration in dry and "bisa dipindahkan" in dry
    assert engine.show(waiting.id).version == 1  # a dry run changes nothing
    moved = b.post("/proses/versi/2/migrasi", {"mode": "jalankan", "dari": "1", "aplikasi": str(waiting.id)})
    assert "dipindahkan" in moved.get_data(as_text=True)
    assert engine.show(waiting.id).version == 2
    assert "instance_migrated" in [e.type for e in engine.history(waiting.id)]


@pytest.mark.parametrize(
    ("login", "status"),
    [("warga", 403), ("ptsp", 403), ("kepala", 403), ("kasi", 403)],
)
def test_staff_and_applicants_may_not_see_or_change_versions(engine: Engine, browser, login: str, status) -> None:
    b = browser(login)
    before = fingerprint(engine)
    assert b.get("/proses/versi").status_code == status
    assert b.get("/proses/versi/1").status_code == status
    assert b.get("/proses/versi/1/bpmn").status_code == status
    assert upload(b, EDITED).status_code == status
    assert b.post("/proses/versi/1/aktifkan", {"catatan": "x"}).status_code == status
    assert b.post("/proses/versi/1/migrasi", {"mode": "uji", "dari": "1"}).status_code == status
    assert fingerprint(engine) == before


def test_auditors_read_versions_but_may_not_change_them(engine: Engine, browser, auditor: str) -> None:
    engine.deploy(EDITED, as_user=OWNER)
    b = browser(auditor)
    assert b.get("/proses/versi").status_code == 200
    page = b.get("/proses/versi/2").get_data(as_text=True)
    assert "PT20M" in page and "Aktifkan versi" not in page
    assert b.get("/proses/versi/2/bpmn").data == EDITED
    before = fingerprint(engine)
    assert upload(b, EDITED).status_code == 403
    assert b.post("/proses/versi/2/aktifkan", {"catatan": "x"}).status_code == 403
    assert fingerprint(engine) == before


def test_the_process_owner_lands_on_the_versions_page(browser) -> None:
    b = browser(OWNER)
    response = b.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/proses/versi")
