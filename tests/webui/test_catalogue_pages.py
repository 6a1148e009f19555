"""The catalogue pages (everyone reads, process owners change), and the catalogue on the task pages."""

from __future__ import annotations

import pytest

from engine import Engine

from ..conftest import OWNER, PTSP_BPMN
from ..helpers import Application, fingerprint
from .conftest import add_auditor

SERVICES_YAML = PTSP_BPMN.parent / "services.yaml"
READERS = ["warga", "ptsp", "kepala", "kasubag", "kasi", OWNER]


@pytest.fixture
def office(engine: Engine) -> Engine:
    engine.ensure_catalogue()
    return engine


def edit_form(**changes: str) -> dict[str, str]:
    form = {
        "versi": "1",
        "name": "Legalisir dokumen madrasah",
        "seksi": "Pendidikan Madrasah",
        "persyaratan": "surat_permohonan: Surat permohonan legalisir\nktp_pemohon: Fotokopi KTP pemohon",
        "produk": "Fotokopi dokumen yang telah dilegalisir",
        "standard": "PT20M",
        "biaya": "Gratis",
        "dasar_hukum": "Keputusan Menteri Agama Nomor 109 Tahun 2017",
        "catatan": "legalisir kini 20 menit",
    }
    return form | changes


def test_every_logged_in_user_reads_the_services(office: Engine, browser, app) -> None:
    for login in [*READERS, add_auditor(office)]:
        page = browser(login).get("/layanan")
        assert page.status_code == 200, login
        text = page.get_data(as_text=True)
        assert 'id="layanan-legalisir_dokumen"' in text and "Fotokopi KTP pemohon" in text
        assert "Kementerian Haji dan Umrah" in text  # the referrals are listed
        assert ("/layanan/legalisir_dokumen/ubah" in text) == (login == OWNER)
    anon = app.test_client().get("/layanan")
    assert anon.status_code == 302 and "/masuk" in anon.headers["Location"]


def test_a_process_owner_edits_a_service_as_a_new_version(office: Engine, browser) -> None:
    b = browser(OWNER)
    form = b.get("/layanan/legalisir_dokumen/ubah")
    assert form.status_code == 200
    assert "ktp_pemohon: Fotokopi KTP pemohon" in form.get_data(as_text=True)
    saved = b.post("/layanan/legalisir_dokumen/ubah", edit_form())
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/layanan#layanan-legalisir_dokumen")
    latest = office.catalogue_versions()[0]
    assert (latest.version, latest.note, latest.created_by) == (2, "legalisir kini 20 menit", OWNER)
    service = office.service("legalisir_dokumen")
    assert service.standard == "PT20M" and [r.code for r in service.persyaratan] == ["surat_permohonan", "ktp_pemohon"]
    versions = b.get("/layanan/versi").get_data(as_text=True)
    assert "legalisir kini 20 menit" in versions
    download = b.get("/layanan/versi/1/yaml")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True) == SERVICES_YAML.read_text(encoding="utf-8")
    assert "standard: PT20M" in b.get("/layanan/versi/2/yaml").get_data(as_text=True)
    assert b.get("/layanan/versi/9/yaml").status_code == 404


def test_a_process_owner_adds_and_removes_a_service(office: Engine, browser) -> None:
    b = browser(OWNER)
    assert b.get("/layanan/baru").status_code == 200
    added = b.post(
        "/layanan/baru", edit_form(code="konsultasi_keagamaan", name="Konsultasi keagamaan", seksi="Bimas Islam")
    )
    assert added.status_code == 302
    assert office.service("konsultasi_keagamaan").seksi == "Bimas Islam"
    removed = b.post("/layanan/konsultasi_keagamaan/hapus", {"versi": "2", "catatan": "tidak jadi"})
    assert removed.status_code == 302
    assert office.catalogue_versions()[0].version == 3
    assert office.catalogue().catalogue.get("konsultasi_keagamaan") is None


def test_a_refused_edit_shows_every_problem_and_stores_nothing(office: Engine, browser) -> None:
    b = browser(OWNER)
    before = fingerprint(office)
    page = b.post("/layanan/legalisir_dokumen/ubah", edit_form(standard="20 menit", seksi="Seksi Legalisir"))
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "20 menit" in text and "Seksi Legalisir" in text and 'id="problems"' in text
    assert b.post("/layanan/legalisir_dokumen/ubah", edit_form(catatan="")).status_code == 422
    assert b.post("/layanan/legalisir_dokumen/ubah", edit_form(versi="7")).status_code == 409  # changed meanwhile
    assert b.post("/layanan/tidak_ada/ubah", edit_form()).status_code == 404
    assert b.post("/layanan/tidak_ada/hapus", {"versi": "1", "catatan": "x"}).status_code == 404
    assert fingerprint(office) == before


@pytest.mark.parametrize("login", ["warga", "ptsp", "kasubag", "kasi", "inspektorat"])
def test_only_process_owners_change_the_catalogue(office: Engine, browser, login: str) -> None:
    if login == "inspektorat":
        add_auditor(office)
    b = browser(login)
    before = fingerprint(office)
    assert b.get("/layanan/baru").status_code == 403
    assert b.get("/layanan/legalisir_dokumen/ubah").status_code == 403
    assert b.post("/layanan/legalisir_dokumen/ubah", edit_form()).status_code == 403
    assert b.post("/layanan/baru", edit_form(code="baru")).status_code == 403
    assert b.post("/layanan/legalisir_dokumen/hapus", {"versi": "1", "catatan": "x"}).status_code == 403
    expected = 200 if login == "inspektorat" else 403  # auditors read the versions, like the diagram's
    assert b.get("/layanan/versi").status_code == expected
    assert b.get("/layanan/versi/1/yaml").status_code == expected
    assert fingerprint(office) == before


# ------------------------------------------------------------------ the task pages
def test_step_1_lists_the_catalogue_and_refuses_a_referral_with_its_text(office: Engine, browser) -> None:
    app = Application(office)
    task = app.current()
    b = browser("warga")
    page = b.get(f"/tugas/{task.id}").get_data(as_text=True)
    assert '<option value="pengukuran_arah_kiblat"' in page and '<option value="layanan_haji"' in page
    refused = b.post(
        f"/tugas/{task.id}",
        {"jenis_layanan": "layanan_haji", "nama_pemohon": "Siti Aminah", "nomor_hp": "081234567890"},
    )
    assert refused.status_code == 422
    assert "Kementerian Haji dan Umrah" in refused.get_data(as_text=True)
    assert app.current().id == task.id


def test_step_4_ticks_what_is_missing_and_the_applicant_sees_it(office: Engine, browser) -> None:
    app = Application(office)
    app.do(1, jenis_layanan="legalisir_dokumen")
    app.walk([2, 3])
    task = app.current()
    b = browser("ptsp")
    page = b.get(f"/tugas/{task.id}").get_data(as_text=True)
    assert page.count('type="checkbox" name="kekurangan"') == 4
    refused = b.post(f"/tugas/{task.id}", {"berkas_lengkap": "false"})
    assert refused.status_code == 422 and 'id="kekurangan-error"' in refused.get_data(as_text=True)
    client = b.client
    done = client.post(
        f"/tugas/{task.id}",
        data={
            "csrf_token": b.token,
            "berkas_lengkap": "false",
            "kekurangan": ["dokumen_asli", "ktp_pemohon"],
            "catatan_kekurangan": "Bawa dokumen asli dan KTP.",
        },
    )
    assert done.status_code == 302
    assert [m.code for m in office.show(app.id).missing] == ["dokumen_asli", "ktp_pemohon"]
    returned = app.current()
    applicant = browser("warga")
    text = applicant.get(f"/tugas/{returned.id}").get_data(as_text=True)
    assert 'class="missing-items"' in text
    assert "Dokumen asli untuk diperlihatkan kepada petugas" in text and "Fotokopi KTP pemohon" in text
    assert "Bawa dokumen asli dan KTP." in text
