"""What staff and applicants see and do on the pages."""

from __future__ import annotations

import re

from engine import Engine
from engine.passwords import _hasher

from ..conftest import minutes
from ..helpers import STEP_ELEMENTS, Application, fingerprint, valid_data


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_lane_list_shows_registration_service_step_waiting_and_deadline(engine: Engine, browser, clock) -> None:
    app = Application(engine)
    app.do(1)
    page = text_of(browser("ptsp").get("/tugas/lajur/ptsp"))
    assert "PTSP/2026/000001" in page
    assert "Rekomendasi mutasi siswa madrasah" in page
    assert "Langkah 2: Menjelaskan Jenis dan Standar Layanan" in page
    assert "23 Nov 2026 09.00 WIB" in page  # waiting since, in WIB
    assert "23 Nov 2026 09.15 WIB" in page  # batas waktu
    assert "badge-ok" in page and "sisa 15 menit" in page
    clock.shift(minutes(12))
    assert "badge-soon" in text_of(browser("ptsp").get("/tugas/lajur/ptsp"))
    clock.shift(minutes(10))
    late = text_of(browser("ptsp").get("/tugas/lajur/ptsp"))
    assert "badge-late" in late and "terlambat 7 menit" in late


def test_lane_list_is_sorted_paginated_and_refreshes_its_table(engine: Engine, browser, app, clock) -> None:
    app.config["PAGE_SIZE"] = 2
    for _ in range(3):
        Application(engine).do(1)
        clock.shift(minutes(1))
    b = browser("ptsp")
    first = text_of(b.get("/tugas/lajur/ptsp"))
    assert re.findall(r"PTSP/2026/00000\d", first) == ["PTSP/2026/000001", "PTSP/2026/000002"]
    assert 'rel="next"' in first and 'data-refresh-url="/tugas/lajur/ptsp?halaman=1&amp;potongan=1"' in first
    second = text_of(b.get("/tugas/lajur/ptsp?halaman=2"))
    assert re.findall(r"PTSP/2026/00000\d", second) == ["PTSP/2026/000003"] and 'rel="prev"' in second
    fragment = text_of(b.get("/tugas/lajur/ptsp?potongan=1"))
    assert fragment.lstrip().startswith("<table") and "<html" not in fragment
    assert b.get("/tugas/lajur/ptsp?halaman=-5").status_code == 200


def test_the_task_page_shows_the_step_its_standard_the_application_and_its_history(engine: Engine, browser) -> None:
    app = Application(engine)
    app.do(1)
    task = app.current()
    page = text_of(browser("ptsp").get(f"/tugas/{task.id}"))
    assert "<title>Menjelaskan Jenis dan Standar Layanan · PTSP/2026/000001" in page
    assert "Langkah 2" in page and "Dokumen Permohonan" in page and "15 menit" in page  # Mutu Baku
    assert "Siti Aminah" in page or "Warga" in page  # the applicant
    assert "Tugas diselesaikan: Menanyakan Pelayanan" in page  # history
    assert 'name="standar_layanan_dijelaskan" value="true"' in page  # a boolean as Ya/Tidak
    assert '<label for="f-daftar_persyaratan">Persyaratan yang harus diserahkan' in page


def test_invalid_form_data_is_shown_next_to_each_field_and_changes_nothing(engine: Engine, browser) -> None:
    app = Application(engine)
    task = app.current()
    b = browser("warga")
    b.get(f"/tugas/{task.id}")
    before = fingerprint(engine)
    response = b.post(
        f"/tugas/{task.id}",
        {"jenis_layanan": "umrah", "nama_pemohon": "", "nomor_hp": "08123", "uraian_keperluan": "Mohon dibantu"},
    )
    page = text_of(response)
    assert response.status_code == 422
    assert fingerprint(engine) == before
    assert '<p class="error" id="jenis_layanan-error">Pilih salah satu pilihan.</p>' in page
    assert '<p class="error" id="nama_pemohon-error">Wajib diisi.</p>' in page
    assert '<p class="error" id="nomor_hp-error">Paling sedikit 8 karakter.</p>' in page
    assert 'aria-describedby="nomor_hp-error" aria-invalid="true"' in page
    assert "Mohon dibantu</textarea>" in page  # what was typed stays


def test_completing_returns_to_the_list_with_a_confirmation_and_a_double_submit_completes_once(
    engine: Engine, browser
) -> None:
    app = Application(engine)
    app.do(1)
    task = app.current()
    b = browser("ptsp")
    b.get(f"/tugas/{task.id}")
    data = {k: ("true" if v is True else v) for k, v in valid_data(engine, task.id).items() if v is not None}
    first = b.post(f"/tugas/{task.id}", data)
    assert first.status_code == 302 and first.location.endswith("/tugas/lajur/ptsp")
    assert "“Menjelaskan Jenis dan Standar Layanan” untuk PTSP/2026/000001 selesai." in text_of(b.get(first.location))
    second = b.post(f"/tugas/{task.id}", data)
    assert second.status_code == 302
    assert "sudah diselesaikan" in text_of(b.get(second.location))
    assert app.events().count("task_completed") == 2


def test_an_applicant_files_and_follows_an_application(engine: Engine, browser) -> None:
    b = browser("warga")
    assert "Anda belum mempunyai permohonan." in text_of(b.get("/permohonan"))
    filed = b.post("/permohonan/baru")
    assert filed.status_code == 302 and filed.location.endswith("/permohonan/1")
    page = text_of(b.get(filed.location))
    assert "PTSP/2026/000001" in page and "Permohonan diajukan" in page
    step1 = engine.tasks(instance=1)[0]
    assert f'href="/tugas/{step1.id}"' in page
    assert '<img src="/permohonan/1/diagram.svg"' in page
    mine = text_of(b.get("/permohonan"))
    assert "Giliran Anda: Menanyakan Pelayanan" in mine
    svg = b.get("/permohonan/1/diagram.svg")
    assert svg.mimetype == "image/svg+xml" and b"is-active" in svg.data


def test_an_applicant_never_sees_another_applicants_data(engine: Engine, browser) -> None:
    app = Application(engine, "warga")
    task = app.current()
    other = browser("warga2")
    for url in (f"/permohonan/{app.id}", f"/permohonan/{app.id}/diagram.svg", f"/tugas/{task.id}"):
        response = other.get(url)
        assert response.status_code == 404
        assert "PTSP/2026/000001" not in text_of(response)
    assert "PTSP/2026/000001" not in text_of(other.get("/permohonan"))


def test_script_in_applicant_text_is_inert(engine: Engine, browser) -> None:
    app = Application(engine)
    hostile = "<script>alert('x')</script>"
    app.do(1, nama_pemohon="Siti " + hostile, uraian_keperluan=hostile)
    task = app.current()
    for page in (text_of(browser("ptsp").get(f"/tugas/{task.id}")), text_of(browser("warga").get("/permohonan/1"))):
        assert "<script>alert" not in page
    staff = text_of(browser("ptsp").get(f"/tugas/{task.id}"))
    assert "Siti &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in staff


def test_lane_overview_and_dashboard(engine: Engine, browser, clock) -> None:
    Application(engine).do(1)
    Application(engine, "warga2")
    clock.shift(minutes(20))
    overview = text_of(browser("ptsp").get("/tugas"))
    assert 'href="/tugas/lajur/ptsp">PTSP</a>' in overview
    dashboard = text_of(browser("kepala").get("/dasbor"))
    assert "tugas terbuka" in dashboard and "melewati batas waktu" in dashboard
    assert re.search(r'<span class="number">1</span> tugas terbuka', dashboard)


def test_the_diagram_marks_where_the_application_is(engine: Engine, browser) -> None:
    app = Application(engine)
    app.walk([1, 2, 3])
    svg = browser("ptsp").get(f"/permohonan/{app.id}/diagram.svg").get_data(as_text=True)
    assert f'class="el userTask is-active" data-element="{STEP_ELEMENTS[4]}"' in svg
    assert f'class="el userTask is-completed" data-element="{STEP_ELEMENTS[1]}"' in svg


def test_passwords_use_argon2id_outside_tests() -> None:
    assert _hasher("default").hash("kata-sandi").startswith("$argon2id$v=19$m=65536")


def test_applicants_see_their_own_entries_and_staff_see_all(engine: Engine, browser) -> None:
    app = Application(engine)
    app.walk([1, 2, 3])
    app.do(4, catatan_pemeriksaan="Catatan internal petugas")
    app.do(5, catatan_disposisi_kepala="Disposisi rahasia")
    applicant = text_of(browser("warga").get(f"/permohonan/{app.id}"))
    staff = text_of(browser("kasubag").get(f"/permohonan/{app.id}"))
    assert "Nomor HP/WhatsApp" in applicant and "Disposisi rahasia" not in applicant
    assert "Disposisi rahasia" in staff and "Nomor HP/WhatsApp" in staff


def test_a_start_form_in_the_diagram_is_asked_when_filing(engine: Engine, browser, ptsp_xml: bytes) -> None:
    with_form = ptsp_xml.replace(
        b"untuk menanyakan layanan.</bpmn:documentation>",
        b"untuk menanyakan layanan.</bpmn:documentation><bpmn:extensionElements><camunda:formData>"
        b'<camunda:formField id="nomor_antrian" label="Nomor antrian" type="long"><camunda:validation>'
        b'<camunda:constraint name="required" /></camunda:validation></camunda:formField>'
        b"</camunda:formData></bpmn:extensionElements>",
    )
    engine.deploy(with_form, activate=True)
    b = browser("warga")
    page = text_of(b.get("/permohonan/baru"))
    assert 'name="nomor_antrian"' in page
    refused = b.post("/permohonan/baru", {"nomor_antrian": "abc"})
    assert refused.status_code == 422 and "Isi bilangan bulat." in text_of(refused)
    assert engine.applications(as_user="warga") == []
    filed = b.post("/permohonan/baru", {"nomor_antrian": "17"})
    assert filed.status_code == 302
    assert engine.show(1).data["nomor_antrian"] == 17
