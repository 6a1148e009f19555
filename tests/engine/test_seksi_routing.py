"""Step 6 routes the application to a Seksi; Kasi-lane work belongs to that Seksi's staff alone.

Dispositions (steps 5 and 6) carry a note that everyone working on the
application afterwards sees, with who disposed and when.
"""

from __future__ import annotations

import pytest

from engine import Engine, NotFound, PermissionDenied
from engine.audit import reexecute
from webui import create_app

from ..conftest import password_of
from ..helpers import Application, fingerprint

MADRASAH, BIMAS = "Pendidikan Madrasah", "Bimas Islam"
KASI_MADRASAH, KASI_BIMAS, KASI_NONE = "kasi.madrasah", "kasi.bimas", "kasi.tanpa"


@pytest.fixture
def office(engine: Engine) -> Engine:
    engine.ensure_catalogue()
    engine.add_user(KASI_MADRASAH, ["Kasi"], seksi=MADRASAH, password=password_of(KASI_MADRASAH))
    engine.add_user(KASI_BIMAS, ["Kasi"], seksi=BIMAS, password=password_of(KASI_BIMAS))
    engine.add_user(KASI_NONE, ["Kasi"], password=password_of(KASI_NONE))
    return engine


def routed(engine: Engine, service: str, kasi: str = KASI_MADRASAH, **step6) -> Application:
    """An application of ``service`` taken to step 7, its Kasi work done by ``kasi``."""
    app = Application(engine, people={"Kasi": kasi})
    app.do(1, jenis_layanan=service)
    app.walk([2, 3, 4])
    app.do(5, catatan_disposisi_kepala="Segera tindak lanjuti")
    app.do(6, **step6)
    return app


def test_step_6_is_prefilled_with_the_seksi_of_the_service(office: Engine) -> None:
    for service, expected in [("legalisir_dokumen", "pendidikan_madrasah"), ("pengukuran_arah_kiblat", "bimas_islam")]:
        app = Application(office)
        app.do(1, jenis_layanan=service)
        app.walk([2, 3, 4, 5])
        field = office.task(app.current().id).form.field("seksi_tujuan")
        assert field.default == expected
        assert [v.name for v in field.enum][:3] == [MADRASAH, "Pendidikan Agama Islam", BIMAS]


def test_the_kasubag_may_route_elsewhere(office: Engine) -> None:
    app = routed(office, "legalisir_dokumen", kasi=KASI_BIMAS, seksi_tujuan="bimas_islam")
    assert office.show(app.id).seksi == BIMAS
    task = app.current()
    assert (task.lane, task.seksi) == ("Kasi", BIMAS)
    assert office.tasks(as_user=KASI_BIMAS) == [task]
    assert office.tasks(as_user=KASI_MADRASAH) == []
    app.walk(["7a", "7b", "7c", 8, 9])
    assert office.show(app.id).status == "completed"
    assert office.audit_verify([app.id]).ok


def test_kasi_work_is_invisible_and_refused_to_another_seksi(office: Engine) -> None:
    app = routed(office, "rekomendasi_mutasi_siswa")
    task = app.current()
    assert task.seksi == MADRASAH
    assert [t.id for t in office.tasks(as_user=KASI_MADRASAH)] == [task.id]
    assert [t.id for t in office.tasks(lane="Kasi", as_user=KASI_MADRASAH)] == [task.id]
    for outsider in (KASI_BIMAS, KASI_NONE):
        assert office.tasks(as_user=outsider) == []
        assert office.tasks(lane="Kasi", as_user=outsider) == []
        assert office.tasks(instance=app.id, as_user=outsider) == []
        with pytest.raises(NotFound):
            office.task(task.id, as_user=outsider)
        before = fingerprint(office)
        with pytest.raises(PermissionDenied):
            app.do("7a", as_user=outsider)
        assert fingerprint(office) == before
    assert office.task(task.id, as_user=KASI_MADRASAH).summary.id == task.id
    app.do("7a")
    assert office.tasks(as_user=KASI_MADRASAH) == []  # 7b is the Kepala Kantor's
    app.do("7b")
    assert [t.element for t in office.tasks(as_user=KASI_MADRASAH)] == ["Langkah7_MendokumentasikanProduk"]
    assert office.tasks(as_user=KASI_BIMAS) == []


def test_other_lanes_are_not_split_by_seksi(office: Engine) -> None:
    app = routed(office, "pengukuran_arah_kiblat", kasi=KASI_BIMAS)
    app.do("7a")
    assert [t.lane for t in office.tasks(as_user="kepala")] == ["Kepala Kantor"]
    assert office.tasks(lane="Kasi") == []  # no user: everything, and nothing waits there now
    app.do("7b")
    assert office.tasks(lane="Kasi")[0].seksi == BIMAS


def test_lane_counts_follow_the_seksi(office: Engine) -> None:
    routed(office, "rekomendasi_mutasi_siswa")
    routed(office, "pengukuran_arah_kiblat", kasi=KASI_BIMAS)
    routed(office, "skt_majelis_taklim", kasi=KASI_BIMAS)

    def kasi_open(login: str) -> int:
        return next(c.open for c in office.user_lane_counts(as_user=login) if c.lane == "Kasi")

    assert (kasi_open(KASI_MADRASAH), kasi_open(KASI_BIMAS), kasi_open(KASI_NONE)) == (1, 2, 0)
    assert next(c.open for c in office.lane_counts(["Kasi"])) == 3
    per_seksi = {c.seksi: c.open for c in office.seksi_counts()}
    assert per_seksi[MADRASAH] == 1 and per_seksi[BIMAS] == 2 and per_seksi["Penyelenggara Hindu"] == 0
    assert [c.lane for c in office.user_lane_counts(as_user="kasubag")] == ["Kasubag"]


def test_dispositions_are_shown_downstream_with_who_when_and_note(office: Engine, clock) -> None:
    app = routed(office, "pengukuran_arah_kiblat", kasi=KASI_BIMAS, catatan_disposisi_kasubag="Jadwalkan minggu ini")
    for viewer in (KASI_BIMAS, "kepala", "ptsp", None):
        found = office.show(app.id, as_user=viewer).dispositions
        assert [(d.sop_step, d.by, d.note, d.seksi) for d in found] == [
            (5, "kepala", "Segera tindak lanjuti", None),
            (6, "kasubag", "Jadwalkan minggu ini", BIMAS),
        ]
        assert all(d.at is not None and d.by_name for d in found)
    assert office.show(app.id, as_user="warga").dispositions == ()  # the office's own notes
    assert office.show(app.id, as_user=KASI_BIMAS).as_dict()["dispositions"][1]["note"] == "Jadwalkan minggu ini"


def test_audit_verify_holds_and_also_compares_the_seksi_of_tasks(office: Engine, monkeypatch) -> None:
    app = routed(office, "rekomendasi_mutasi_siswa")
    app.walk(["7a", "7b", "7c", 8, 9])
    returned = Application(office, people={"Kasi": KASI_BIMAS})
    returned.do(1, jenis_layanan="skt_majelis_taklim")
    returned.walk([2, 3])
    returned.do(4, berkas_lengkap=False)
    returned.walk(["3b", 4, 5, 6, "7a"])
    assert office.audit_verify().ok
    # with the Seksi compared too (see the report: _TASK_FIELDS in engine/audit/reexecute.py)
    monkeypatch.setattr(reexecute, "_TASK_FIELDS", (*reexecute._TASK_FIELDS, "seksi"))
    assert office.audit_verify().ok
    with office.db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE tasks SET seksi = 'Pendidikan Madrasah' WHERE seksi = 'Bimas Islam'")
    report = office.audit_verify([returned.id])
    assert not report.ok


# ------------------------------------------------------------- the web and the API
@pytest.fixture
def client_for(office: Engine):
    app = create_app({"ENGINE": office, "TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})

    def make(login: str):
        client = app.test_client()
        response = client.post("/masuk", data={"login": login, "password": password_of(login)})
        assert response.status_code == 302
        return client

    return make


def test_the_task_page_and_lane_list_of_another_seksi(office: Engine, client_for) -> None:
    app = routed(office, "rekomendasi_mutasi_siswa")
    task = app.current()
    other, own = client_for(KASI_BIMAS), client_for(KASI_MADRASAH)
    assert other.get(f"/tugas/{task.id}").status_code == 404
    assert other.post(f"/tugas/{task.id}", data={"uraian_proses": "x"}).status_code == 404
    assert task.registration not in other.get("/tugas/lajur/kasi").get_data(as_text=True)
    assert task.registration in own.get("/tugas/lajur/kasi").get_data(as_text=True)
    assert MADRASAH in own.get("/tugas").get_data(as_text=True)  # whose Kasi lane the counts are
    assert "<td>1</td>" in own.get("/tugas").get_data(as_text=True)
    assert "<td>1</td>" not in other.get("/tugas").get_data(as_text=True)
    assert BIMAS in other.get("/tugas/lajur/kasi").get_data(as_text=True)
    page = own.get(f"/tugas/{task.id}").get_data(as_text=True)
    assert 'class="dispositions"' in page and "Segera tindak lanjuti" in page
    assert office.tasks(instance=app.id)[0].id == task.id  # nothing done by the outsider
    done = own.post(f"/tugas/{task.id}", data={"uraian_proses": "Disiapkan"})
    assert done.status_code == 302
    assert office.tasks(instance=app.id)[0].element == "Langkah7_ParafTandaTangan"


def test_the_api_follows_the_seksi(office: Engine, client_for) -> None:
    app = routed(office, "rekomendasi_mutasi_siswa")
    task = app.current()
    client = client_for(KASI_BIMAS)

    def headers(login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {office.create_token(login)[0]}"}

    outsider, insider = headers(KASI_BIMAS), headers(KASI_MADRASAH)
    assert client.get("/api/v1/tasks", headers=outsider).get_json()["tasks"] == []
    assert client.get(f"/api/v1/tasks/{task.id}", headers=outsider).status_code == 404
    refused = client.post(f"/api/v1/tasks/{task.id}/complete", headers=outsider, json={"data": {"uraian_proses": "x"}})
    assert refused.status_code in (403, 404)
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=insider).get_json()["tasks"]] == [task.id]
    assert client.get(f"/api/v1/tasks/{task.id}", headers=insider).get_json()["seksi"] == MADRASAH
    ok = client.post(f"/api/v1/tasks/{task.id}/complete", headers=insider, json={"data": {"uraian_proses": "x"}})
    assert ok.status_code == 200


def test_a_kasi_task_routed_to_no_seksi_is_every_kasis(office: Engine) -> None:
    """A task that became ready before routing existed (an upgraded database) has no Seksi: no Kasi is
    stranded from it, while routed tasks stay with their Seksi."""
    from sqlalchemy import update

    from engine.store.models import TaskRow

    unrouted = routed(office, "rekomendasi_mutasi_siswa")
    task = unrouted.current()
    with office.db.engine.begin() as connection:
        connection.execute(update(TaskRow).where(TaskRow.id == task.id).values(seksi=None))
    for login in (KASI_MADRASAH, KASI_BIMAS, KASI_NONE):
        assert task.id in {t.id for t in office.tasks(lane="Kasi", as_user=login)}, login
        assert office.task(task.id, as_user=login).summary.id == task.id
    still_routed = routed(office, "rekomendasi_mutasi_siswa").current()
    assert still_routed.id not in {t.id for t in office.tasks(lane="Kasi", as_user=KASI_BIMAS)}
    assert still_routed.id not in {t.id for t in office.tasks(lane="Kasi", as_user=KASI_NONE)}
    unrouted.do("7a", as_user=KASI_BIMAS)  # any Kasi may take it
