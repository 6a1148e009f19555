"""The service catalogue: parsed and checked with every problem located, versioned, chosen at step 1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import Engine, FormInvalid, InvalidInput, PermissionDenied
from engine.catalogue import CatalogueInvalid, dump, parse
from engine.errors import Conflict, DefinitionInvalid, NotFound
from engine.model import SEKSI, SERVICE_RECORD

from ..conftest import OWNER, PTSP_BPMN
from ..helpers import Application, fingerprint

SERVICES_YAML = PTSP_BPMN.parent / "services.yaml"
HAJJ_MINISTRY = "Kementerian Haji dan Umrah"


@pytest.fixture
def office(engine: Engine) -> Engine:
    engine.ensure_catalogue()
    return engine


def problems_of(text: str) -> list:
    with pytest.raises(CatalogueInvalid) as caught:
        parse(text)
    return caught.value.problems


# ---------------------------------------------------------------- the shipped file
def test_the_catalogue_lists_the_offices_services_and_the_hajj_and_umrah_referrals() -> None:
    catalogue = parse(SERVICES_YAML.read_text(encoding="utf-8"))
    served = [s for s in catalogue if not s.is_referral]
    referrals = [s for s in catalogue if s.is_referral]
    assert len(served) >= 10
    codes = {s.code for s in served}
    assert {
        "legalisir_dokumen",
        "rekomendasi_mutasi_siswa",
        "izin_operasional_mdt_tpq",
        "skt_majelis_taklim",
        "pengukuran_arah_kiblat",
        "rekomendasi_rumah_ibadat",
        "surat_tanda_lapor_gereja",
        "rekomendasi_laz",
        "permohonan_rohaniwan",
        "izin_penelitian_magang",
    } <= codes
    for service in served:
        assert service.seksi in SEKSI
        assert service.persyaratan and all(r.code and r.text for r in service.persyaratan)
        assert service.produk and service.standard and service.dasar_hukum
        assert service.biaya == "Gratis"  # Kemenag PTSP services are free
    assert catalogue.get("legalisir_dokumen").standard == "PT15M"
    assert catalogue.get("rekomendasi_mutasi_siswa").standard_text == "2 hari kerja"
    assert catalogue.get("pengukuran_arah_kiblat").seksi == "Bimas Islam"
    names = " ".join(s.name.lower() for s in referrals)
    assert "haji" in names and "umrah" in names
    assert all(HAJJ_MINISTRY in s.referral and not s.persyaratan and s.seksi is None for s in referrals)


def test_a_dumped_catalogue_reads_back_the_same() -> None:
    catalogue = parse(SERVICES_YAML.read_bytes())
    again = parse(dump(catalogue))
    assert again == catalogue
    assert [s.code for s in again] == [s.code for s in catalogue]


# ------------------------------------------------------------------ problems
BROKEN = """\
services:
  - code: legalisir_dokumen
    name: Legalisir dokumen
    seksi: Seksi Pendidikan
    persyaratan:
      - code: ktp
        text: Fotokopi KTP
      - code: ktp
        text: Fotokopi KTP lagi
    produk: Dokumen yang dilegalisir
    standard: PT1D
    biaya: Gratis
  - code: legalisir_dokumen
    name: Legalisir lagi
    seksi: Bimas Islam
    produk: Sesuatu
    standard: 15 menit
    biaya: Gratis
    persyratan: []
  - code: Izin-Magang
    name: Izin magang
    seksi: Subbagian Tata Usaha
    persyaratan:
      - code: surat
        text: Surat pengantar
    produk: Surat izin
    standard: P2D
    biaya: -5
  - code: haji
    name: Haji
    seksi: Bimas Islam
    referral: Ke Kementerian Haji dan Umrah
"""


def test_every_problem_is_listed_with_its_line_and_entry() -> None:
    found = problems_of(BROKEN)
    messages = "\n".join(str(p) for p in found)

    def has(line: int, entry: str, text: str) -> bool:
        return any(p.line == line and p.element == entry and text in p.message for p in found)

    assert has(4, "legalisir_dokumen", "unknown seksi 'Seksi Pendidikan'"), messages
    assert has(8, "legalisir_dokumen", "persyaratan item code 'ktp' is used twice"), messages
    assert has(
        11, "legalisir_dokumen", "the standard 'PT1D' is not a working time in ISO 8601: days go before the T"
    ), messages
    assert has(13, "legalisir_dokumen", "the code 'legalisir_dokumen' is used twice (also on line 2)"), messages
    assert has(13, "legalisir_dokumen", "the service has no persyaratan"), messages
    assert has(17, "legalisir_dokumen", "15 menit is PT15M"), messages
    assert has(19, "legalisir_dokumen", "unknown key 'persyratan'"), messages
    assert has(20, "services[3]", "entry 3 needs a code"), messages
    assert has(28, "services[3]", "biaya must be Gratis or an amount in rupiah"), messages
    assert has(31, "haji", "a referral (served by another ministry) has no seksi"), messages
    assert len(found) == 10, messages


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("services:\n  - code: a\n    name: x: y\n", 3, "this is not valid YAML"),
        ("title: x\nservices: 3\n", 1, "must have a list services:"),
        ("services: []\n", 1, "lists no service"),
        ("base: &b {name: x}\nservices:\n  - *b\n", 3, "anchors and aliases"),
        ("services:\n  - code: a\n    code: b\n", 3, "written twice in one entry"),
        ("title: x\nservices:\n  - 3\n", None, "entry 1 of services is not a service"),
    ],
)
def test_malformed_files_are_refused_with_a_located_problem(text: str, line: int | None, expected: str) -> None:
    found = problems_of(text)
    assert any(expected in p.message and p.line == line for p in found), [str(p) for p in found]


def test_non_utf8_and_oversized_files_are_refused() -> None:
    assert "UTF-8" in problems_of(b"services:\n  - name: \xff\n")[0].message  # type: ignore[arg-type]
    assert "larger than" in problems_of(b"#" * (600 * 1024))[0].message  # type: ignore[arg-type]


# ------------------------------------------------------------------ versions
@pytest.fixture
def bare(db_url: str, clock) -> Iterator[Engine]:
    """An engine on a database without a catalogue (make_engine may seed one)."""
    eng = Engine(db_url)
    yield eng
    eng.close()


def test_the_catalogue_is_seeded_once_and_versioned(bare: Engine) -> None:
    engine = bare
    assert engine.catalogue().info is None
    seeded = engine.ensure_catalogue()
    assert seeded is not None and seeded.version == 1 and seeded.services == len(parse(SERVICES_YAML.read_text()))
    assert engine.ensure_catalogue() is None  # never replaces what is there
    same = engine.deploy_catalogue(SERVICES_YAML.read_bytes(), note="again")
    assert not same.created and same.version == 1
    changed = SERVICES_YAML.read_text().replace("standard: PT15M", "standard: PT20M", 1)
    v2 = engine.deploy_catalogue(changed, note="legalisir 20 menit", created_by="pemilik")
    assert (v2.version, v2.created, v2.in_use) == (2, True, True)
    assert engine.catalogue().catalogue.get("legalisir_dokumen").standard == "PT20M"
    assert engine.catalogue(version=1).catalogue.get("legalisir_dokumen").standard == "PT15M"
    restored = engine.deploy_catalogue(SERVICES_YAML.read_bytes(), note="rollback")
    assert restored.version == 3 and restored.created
    assert engine.catalogue_file(3).content.startswith("# Versi 3 memulihkan isi versi 1")
    assert engine.catalogue_file(1).content == SERVICES_YAML.read_text()
    assert [v.version for v in engine.catalogue_versions()] == [3, 2, 1]
    assert [v.in_use for v in engine.catalogue_versions()] == [True, False, False]
    with pytest.raises(NotFound):
        engine.catalogue_file(9)


def test_a_refused_catalogue_changes_nothing(office: Engine) -> None:
    before = fingerprint(office)
    with pytest.raises(CatalogueInvalid) as caught:
        office.deploy_catalogue(BROKEN, note="broken")
    assert len(caught.value.problems) == 10
    with pytest.raises(PermissionDenied):
        office.deploy_catalogue(SERVICES_YAML.read_text() + "\n# x\n", as_user="ptsp")
    with pytest.raises(Conflict):
        office.deploy_catalogue(SERVICES_YAML.read_text() + "\n# x\n", as_user=OWNER, base_version=7)
    assert fingerprint(office) == before


def test_process_owners_edit_add_and_remove_services(office: Engine) -> None:
    fields = {
        "code": "rekomendasi_paspor_santri",
        "name": "Rekomendasi paspor santri",
        "seksi": "Pendidikan Agama Islam",
        "persyaratan": "surat: Surat permohonan\nFotokopi KTP orang tua",
        "produk": "Surat rekomendasi",
        "standard": "P1D",
        "biaya": "Gratis",
        "dasar_hukum": "KMA 109/2017",
    }
    added = office.save_service(fields, as_user=OWNER, note="layanan baru", base_version=1)
    assert added.version == 2 and added.note == "layanan baru" and added.created_by == OWNER
    new = office.service("rekomendasi_paspor_santri")
    assert [r.code for r in new.persyaratan] == ["surat", "fotokopi_ktp_orang_tua"]
    edited = office.save_service(
        {**fields, "name": "Rekomendasi paspor bagi santri"},
        as_user=OWNER,
        note="nama",
        base_version=2,
        code="rekomendasi_paspor_santri",
    )
    assert edited.version == 3 and office.service("rekomendasi_paspor_santri").name.endswith("bagi santri")
    removed = office.remove_service("rekomendasi_paspor_santri", as_user=OWNER, note="batal", base_version=3)
    assert removed.version == 4
    with pytest.raises(NotFound):
        office.service("rekomendasi_paspor_santri")
    assert office.service("rekomendasi_paspor_santri", version=3).name.endswith("bagi santri")


def test_only_process_owners_change_the_catalogue_and_refusals_change_nothing(office: Engine) -> None:
    before = fingerprint(office)
    good = {"name": "x", "seksi": "Bimas Islam", "persyaratan": "a", "produk": "p", "standard": "P1D", "biaya": "0"}
    for who in ("ptsp", "kasi", "warga"):
        with pytest.raises(PermissionDenied):
            office.save_service({**good, "code": "baru"}, as_user=who, note="n", base_version=1)
        with pytest.raises(PermissionDenied):
            office.remove_service("legalisir_dokumen", as_user=who, note="n", base_version=1)
    with pytest.raises(InvalidInput, match="note"):
        office.save_service({**good, "code": "baru"}, as_user=OWNER, note=" ", base_version=1)
    with pytest.raises(CatalogueInvalid) as caught:
        office.save_service({**good, "code": "baru", "standard": "2 hari"}, as_user=OWNER, note="n", base_version=1)
    assert any("2 hari" in p.message and p.element == "baru" for p in caught.value.problems)
    with pytest.raises(Conflict):
        office.save_service({**good, "code": "legalisir_dokumen"}, as_user=OWNER, note="n", base_version=1)
    with pytest.raises(Conflict):
        office.save_service({**good, "code": "baru"}, as_user=OWNER, note="n", base_version=0)
    with pytest.raises(NotFound):
        office.remove_service("tidak_ada", as_user=OWNER, note="n", base_version=1)
    assert fingerprint(office) == before


# ------------------------------------------------------- step 1 chooses the service
def test_step_one_offers_the_catalogue_in_use(office: Engine) -> None:
    app = Application(office)
    field = office.task(app.current().id).form.field("jenis_layanan")
    codes = [v.id for v in field.enum]
    assert codes == [s.code for s in office.catalogue().catalogue]
    referral = next(v for v in field.enum if v.id == "layanan_haji")
    assert HAJJ_MINISTRY in referral.referral
    assert field.as_dict()["enum"][codes.index("layanan_haji")]["referral"] == referral.referral


def test_choosing_a_referral_is_refused_with_the_referral_text(office: Engine) -> None:
    app = Application(office)
    task = app.current()
    before = fingerprint(office)
    for code in ("layanan_haji", "layanan_umrah"):
        with pytest.raises(FormInvalid) as caught:
            app.do(1, jenis_layanan=code)
        error = next(e for e in caught.value.errors if e.field == "jenis_layanan")
        assert error.code == "referral" and HAJJ_MINISTRY in error.message
        assert error.message == office.service(code).referral
    assert fingerprint(office) == before
    assert app.current().id == task.id


def test_the_chosen_service_sets_its_code_label_and_seksi(office: Engine) -> None:
    app = Application(office)
    app.do(1, jenis_layanan="pengukuran_arah_kiblat")
    info = office.show(app.id)
    assert info.service == "Pengukuran arah kiblat masjid dan musala"
    assert (info.service_code, info.seksi) == ("pengukuran_arah_kiblat", "Bimas Islam")
    recorded = office.history(app.id)[2].data["form"][SERVICE_RECORD]
    assert recorded == {
        "code": "pengukuran_arah_kiblat",
        "name": "Pengukuran arah kiblat masjid dan musala",
        "seksi": "Bimas Islam",
        "version": 1,
    }
    assert office.audit_verify([app.id]).ok


def test_a_service_added_by_the_owner_can_be_chosen_at_once(office: Engine) -> None:
    office.save_service(
        {
            "code": "konsultasi_keagamaan",
            "name": "Konsultasi keagamaan",
            "seksi": "Bimas Islam",
            "persyaratan": "ktp: Fotokopi KTP",
            "produk": "Catatan konsultasi",
            "standard": "PT30M",
            "biaya": "Gratis",
        },
        as_user=OWNER,
        note="layanan baru",
        base_version=1,
    )
    app = Application(office)
    app.do(1, jenis_layanan="konsultasi_keagamaan")
    assert office.show(app.id).service_code == "konsultasi_keagamaan"
    assert office.audit_verify([app.id]).ok


def test_without_a_catalogue_step_one_keeps_the_diagrams_choices(bare: Engine, ptsp_xml: bytes) -> None:
    engine = bare
    engine.deploy(ptsp_xml)
    engine.add_user("warga", ["Pemohon"])
    app = Application(engine)
    field = engine.task(app.current().id).form.field("jenis_layanan")
    assert "layanan_lainnya" in {v.id for v in field.enum}
    app.do(1, jenis_layanan="legalisir_dokumen")
    info = engine.show(app.id)
    assert (info.service_code, info.service, info.seksi) == ("legalisir_dokumen", "Legalisir dokumen", None)


# ------------------------------------------------------------- the diagram's markers
def _mutated(old: str, new: str) -> bytes:
    text = PTSP_BPMN.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '<camunda:property id="catalogue" value="services" />',
            '<camunda:property id="catalogue" value="layanan" />',
            "the property catalogue must be one of services, persyaratan, seksi, not 'layanan'",
        ),
        (
            '<camunda:formField id="kekurangan" label="Persyaratan yang belum lengkap" type="checklist">',
            '<camunda:formField id="kekurangan" label="Persyaratan yang belum lengkap" type="string">',
            "takes its options from the catalogue (persyaratan), so its type must be checklist",
        ),
        (
            '<camunda:property id="required_when" value="berkas_lengkap=false" />',
            '<camunda:property id="required_when" value="lengkap=tidak" />',
            "the property required_when must name a yes/no field of this form",
        ),
    ],
)
def test_a_wrong_catalogue_marker_in_the_diagram_is_a_problem(old: str, new: str, expected: str) -> None:
    from engine.definitions import load_definition

    with pytest.raises(DefinitionInvalid) as caught:
        load_definition(_mutated(old, new))
    assert any(expected in p.message for p in caught.value.problems), [str(p) for p in caught.value.problems]


def test_the_diagram_marks_its_catalogue_fields() -> None:
    from engine.definitions import load_definition

    model = load_definition(Path(PTSP_BPMN).read_bytes()).model
    fields = {f.id: f for t in model.tasks.values() for f in t.form.fields}
    assert fields["jenis_layanan"].catalogue == "services"
    assert fields["kekurangan"].type == "checklist" and fields["kekurangan"].catalogue == "persyaratan"
    assert fields["kekurangan"].required_when == ("berkas_lengkap", False)
    assert fields["catatan_kekurangan"].required_when == ("berkas_lengkap", False)
    assert fields["seksi_tujuan"].catalogue == "seksi"
    assert fields["catatan_disposisi_kepala"].is_disposition and fields["catatan_disposisi_kasubag"].is_disposition
