"""Step 4 checks the file against its service's persyaratan; a returned file says exactly what to bring."""

from __future__ import annotations

import pytest

from engine import Engine, FormInvalid, NotFound
from engine.errors import FieldError

from ..conftest import OWNER
from ..helpers import Application, fingerprint, valid_data

MUTASI = "rekomendasi_mutasi_siswa"


@pytest.fixture
def office(engine: Engine) -> Engine:
    engine.ensure_catalogue()
    return engine


def at_step_4(engine: Engine, service: str = MUTASI) -> Application:
    app = Application(engine)
    app.do(1, jenis_layanan=service)
    app.walk([2, 3])
    return app


def refused_fields(engine: Engine, app: Application, data: dict) -> dict[str, FieldError]:
    task = app.current()
    before = fingerprint(engine)
    with pytest.raises(FormInvalid) as caught:
        engine.complete(task.id, as_user="ptsp", data=data)
    assert fingerprint(engine) == before  # a refusal changes nothing
    assert app.current().id == task.id
    return {e.field: e for e in caught.value.errors}


def test_step_4_offers_the_checklist_of_the_applications_service(office: Engine) -> None:
    app = at_step_4(office, "legalisir_dokumen")
    form = office.task(app.current().id).form
    checklist = form.field("kekurangan")
    service = office.service("legalisir_dokumen")
    assert checklist.type == "checklist"
    assert [(v.id, v.name) for v in checklist.enum] == [(r.code, r.text) for r in service.persyaratan]
    assert form.field("catatan_kekurangan").required_when == ("berkas_lengkap", False)
    assert office.task(app.current().id).as_dict()["form"]["fields"][1]["enum"][0]["id"] == "surat_permohonan"


def test_returning_a_file_needs_the_missing_items_and_a_note(office: Engine) -> None:
    app = at_step_4(office)
    errors = refused_fields(office, app, {"berkas_lengkap": False})
    assert set(errors) == {"kekurangan", "catatan_kekurangan"}
    assert errors["kekurangan"].code == "required" and "berkas_lengkap is no" in errors["kekurangan"].message
    errors = refused_fields(office, app, {"berkas_lengkap": False, "kekurangan": ["rapor"]})
    assert set(errors) == {"catatan_kekurangan"}
    errors = refused_fields(office, app, {"berkas_lengkap": False, "catatan_kekurangan": "Bawa rapor"})
    assert set(errors) == {"kekurangan"}
    errors = refused_fields(office, app, {"berkas_lengkap": False, "kekurangan": [], "catatan_kekurangan": "x"})
    assert set(errors) == {"kekurangan"}
    errors = refused_fields(
        office, app, {"berkas_lengkap": False, "kekurangan": ["ijazah"], "catatan_kekurangan": "Bawa ijazah"}
    )
    assert errors["kekurangan"].code == "not_allowed"  # not a requirement of this service
    errors = refused_fields(office, app, {"berkas_lengkap": False, "kekurangan": "rapor,kk", "catatan_kekurangan": "x"})
    assert errors["kekurangan"].code == "not_allowed"
    errors = refused_fields(office, app, {"berkas_lengkap": False, "kekurangan": {"a": 1}, "catatan_kekurangan": "x"})
    assert errors["kekurangan"].code == "not_list"


def test_a_complete_file_has_nothing_missing(office: Engine) -> None:
    app = at_step_4(office)
    errors = refused_fields(office, app, {"berkas_lengkap": True, "kekurangan": ["rapor"], "catatan_kekurangan": "x"})
    assert {e.code for e in errors.values()} == {"not_applicable"}
    assert set(errors) == {"kekurangan", "catatan_kekurangan"}


def test_the_applicant_sees_exactly_what_to_bring(office: Engine) -> None:
    app = at_step_4(office)
    app.do(4, berkas_lengkap=False, kekurangan=["kartu_keluarga", "rapor"], catatan_kekurangan="Bawa yang asli juga.")
    texts = {r.code: r.text for r in office.service(MUTASI).persyaratan}
    for viewer in ("warga", "ptsp", None):
        info = office.show(app.id, as_user=viewer)
        # in the service's order, whatever order they were ticked in
        assert [(m.code, m.text) for m in info.missing] == [
            ("rapor", texts["rapor"]),
            ("kartu_keluarga", texts["kartu_keluarga"]),
        ]
        assert info.missing_note == "Bawa yang asli juga."
    shown = office.show(app.id, as_user="warga").as_dict()
    assert shown["missing"] == [
        {"code": "rapor", "text": texts["rapor"]},
        {"code": "kartu_keluarga", "text": texts["kartu_keluarga"]},
    ]
    assert shown["missing_note"] == "Bawa yang asli juga."
    # step 3 again: the applicant's task, with the same list beside it
    task = app.current()
    assert task.name == "Melengkapi Berkas Permohonan" and task.lane == "Pemohon"
    staff = dict((field_id, value) for field_id, _label, value in office.show(app.id, as_user="ptsp").described)
    assert staff["kekurangan"] == f"{texts['rapor']}; {texts['kartu_keluarga']}"
    app.do("3b")
    app.do(4)  # complete now
    info = office.show(app.id, as_user="warga")
    assert info.missing == () and info.missing_note is None
    assert office.service_of(app.id, as_user="warga").code == MUTASI
    with pytest.raises(NotFound):
        office.service_of(app.id, as_user="warga2")
    assert office.audit_verify([app.id]).ok


def test_an_application_keeps_the_checklist_of_the_catalogue_it_was_filed_under(office: Engine) -> None:
    app = at_step_4(office)
    before = [v.id for v in office.task(app.current().id).form.field("kekurangan").enum]
    assert "rapor" in before
    office.save_service(
        {
            "name": "Rekomendasi mutasi siswa madrasah",
            "seksi": "Pendidikan Madrasah",
            "persyaratan": "surat_permohonan: Surat permohonan\nijazah: Fotokopi ijazah",
            "produk": "Surat rekomendasi",
            "standard": "P2D",
            "biaya": "Gratis",
        },
        as_user=OWNER,
        note="persyaratan baru",
        base_version=1,
        code=MUTASI,
    )
    assert [v.id for v in office.task(app.current().id).form.field("kekurangan").enum] == before
    app.do(4, berkas_lengkap=False, kekurangan=["rapor"], catatan_kekurangan="Bawa rapor")
    assert [m.text for m in office.show(app.id).missing] == ["Fotokopi rapor semester terakhir"]
    newer = at_step_4(office)
    assert [v.id for v in office.task(newer.current().id).form.field("kekurangan").enum] == [
        "surat_permohonan",
        "ijazah",
    ]
    assert office.audit_verify().ok


def test_helpers_fill_in_a_returned_file(office: Engine) -> None:
    app = at_step_4(office)
    data = valid_data(office, app.current().id, berkas_lengkap=False)
    assert data["kekurangan"] == ["rapor"] and data["catatan_kekurangan"]
    assert "kekurangan" not in valid_data(office, app.current().id, berkas_lengkap=True)
