"""Who may act, and bad input: each refusal names what was wrong and changes nothing."""

from __future__ import annotations

import uuid

import pytest

from engine import Conflict, Engine, FormInvalid, InvalidInput, NotFound, PermissionDenied

from ..helpers import STEP_ELEMENTS, Application, fingerprint, valid_data


def refused(engine: Engine, error: type[Exception], match: str, action) -> Exception:
    before = fingerprint(engine)
    with pytest.raises(error, match=match) as info:
        action()
    assert fingerprint(engine) == before, "a refused command must not change any row"
    return info.value


def test_wrong_lane_is_refused(engine: Engine) -> None:
    app = Application(engine)
    task = app.current()
    refused(
        engine,
        PermissionDenied,
        "ptsp is not a member of lane 'Pemohon'",
        lambda: engine.complete(task.id, as_user="ptsp", data=valid_data(engine, task.id)),
    )


def test_kasi_cannot_sign_for_the_head(engine: Engine) -> None:
    app = Application(engine)
    app.walk([1, 2, 3, 4, 5, 6, "7a"])
    paraf = app.current()
    assert paraf.element == STEP_ELEMENTS["7b"]
    refused(
        engine,
        PermissionDenied,
        "kasi is not a member of lane 'Kepala Kantor'",
        lambda: engine.complete(paraf.id, as_user="kasi", data=valid_data(engine, paraf.id)),
    )
    app.do("7b", as_user="kepala")


def test_another_applicant_cannot_do_the_applicants_task(engine: Engine) -> None:
    app = Application(engine, "warga")
    task = app.current()
    refused(
        engine,
        PermissionDenied,
        "only the applicant who filed PTSP/2026/000001",
        lambda: engine.complete(task.id, as_user="warga2", data=valid_data(engine, task.id)),
    )


def test_unknown_user_is_refused(engine: Engine) -> None:
    app = Application(engine)
    task = app.current()
    refused(
        engine,
        NotFound,
        "user 'mallory' not found",
        lambda: engine.complete(task.id, as_user="mallory", data=valid_data(engine, task.id)),
    )
    refused(engine, NotFound, "user 'mallory' not found", lambda: engine.start(as_user="mallory"))


def test_staff_cannot_start_an_application(engine: Engine) -> None:
    refused(engine, PermissionDenied, "only members of lane 'Pemohon'", lambda: engine.start(as_user="ptsp"))


def test_start_refuses_data_the_start_event_has_no_form_for(engine: Engine) -> None:
    error = refused(
        engine, FormInvalid, "jenis_layanan", lambda: engine.start(as_user="warga", data={"jenis_layanan": "x"})
    )
    assert error.fields == {"jenis_layanan": "is not a field of this form"}


def test_invalid_form_data_names_every_field(engine: Engine) -> None:
    app = Application(engine)
    task = app.current()
    error = refused(
        engine,
        FormInvalid,
        "form data invalid",
        lambda: engine.complete(
            task.id,
            as_user="warga",
            data={
                "jenis_layanan": "umrah",
                "nama_pemohon": "",
                "nomor_hp": 812345678,
                "email": "x" * 500,
                "is_admin": True,
            },
        ),
    )
    assert set(error.fields) == {"jenis_layanan", "nama_pemohon", "nomor_hp", "email", "is_admin"}
    assert error.fields["nama_pemohon"] == "is required"
    assert error.fields["is_admin"] == "is not a field of this form"
    codes = {e.field: e.code for e in error.errors}
    assert codes == {
        "jenis_layanan": "not_allowed",
        "nama_pemohon": "required",
        "nomor_hp": "not_text",
        "email": "too_long",
        "is_admin": "unknown_field",
    }


def test_wrong_types_for_boolean_and_number(engine: Engine) -> None:
    app = Application(engine)
    app.walk([1, 2])
    task = app.current()
    error = refused(
        engine,
        FormInvalid,
        "jumlah_berkas",
        lambda: engine.complete(task.id, as_user="warga", data={"berkas_diserahkan": "KTP", "jumlah_berkas": "tiga"}),
    )
    assert error.fields == {"jumlah_berkas": "must be a whole number"}
    app.do(3)
    step4 = app.current()
    error = refused(
        engine,
        FormInvalid,
        "berkas_lengkap",
        lambda: engine.complete(step4.id, as_user="ptsp", data={"berkas_lengkap": "mungkin"}),
    )
    assert error.errors[0].code == "not_boolean"


def test_completed_task_is_not_ready(engine: Engine) -> None:
    app = Application(engine)
    task = app.current()
    data = valid_data(engine, task.id)
    engine.complete(task.id, as_user="warga", data=data)
    refused(engine, Conflict, "already completed", lambda: engine.complete(task.id, as_user="warga", data=data))
    assert app.events().count("task_completed") == 1


def test_unknown_task_ids(engine: Engine) -> None:
    Application(engine)
    for bogus in (str(uuid.uuid4()), "not-a-uuid", "", "'; DROP TABLE tasks; --"):
        refused(engine, NotFound, "not found", lambda b=bogus: engine.complete(b, as_user="warga", data={}))


def test_cancel_rights(engine: Engine) -> None:
    app = Application(engine)
    refused(engine, PermissionDenied, "may not cancel", lambda: engine.cancel(app.id, as_user="warga2"))
    refused(engine, PermissionDenied, "may not cancel", lambda: engine.cancel(app.id, as_user="kasi"))
    engine.cancel(app.id, as_user="ptsp", reason="Pemohon membatalkan di loket")
    refused(engine, Conflict, "already cancelled", lambda: engine.cancel(app.id, as_user="ptsp"))
    task = engine.tasks(instance=app.id, status="cancelled")[0]
    refused(engine, Conflict, "already cancelled", lambda: engine.complete(task.id, as_user="warga", data={}))


def test_task_lists_show_only_what_a_user_may_see(engine: Engine) -> None:
    mine = Application(engine, "warga")
    theirs = Application(engine, "warga2")
    assert [t.instance for t in engine.tasks(as_user="warga")] == [mine.id]
    assert [t.instance for t in engine.tasks(as_user="warga2")] == [theirs.id]
    assert engine.tasks(as_user="ptsp") == []
    mine.do(1)
    assert [t.lane for t in engine.tasks(as_user="ptsp")] == ["PTSP"]
    assert engine.tasks(as_user="kasi") == []
    with pytest.raises(NotFound):
        engine.show(mine.id, as_user="warga2")
    with pytest.raises(NotFound):
        engine.history(mine.id, as_user="warga2")
    with pytest.raises(NotFound):
        engine.task(engine.tasks(instance=theirs.id)[0].id, as_user="warga")
    assert engine.show(mine.id, as_user="warga").registration == mine.registration
    assert engine.show(mine.id, as_user="kasi").registration == mine.registration


def test_bad_query_arguments(engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="unknown lane 'Satpam'"):
        engine.tasks(lane="Satpam")
    with pytest.raises(InvalidInput, match="unknown status"):
        engine.tasks(status="lost")
    with pytest.raises(NotFound, match="application PTSP/1999/000001 not found"):
        engine.show("PTSP/1999/000001")


def test_user_input_is_checked(engine: Engine) -> None:
    refused(engine, InvalidInput, "unknown lane 'Satpam'", lambda: engine.add_user("budi", ["Satpam"]))
    refused(engine, InvalidInput, "invalid login", lambda: engine.add_user("Budi Santoso", ["PTSP"]))
    refused(engine, InvalidInput, "at least one lane", lambda: engine.add_user("budi", []))
    refused(engine, InvalidInput, "password too short", lambda: engine.add_user("budi", ["PTSP"], password="123"))
    refused(engine, Conflict, "already exists", lambda: engine.add_user("warga", ["Pemohon"]))
    engine.add_user("budi", ["PTSP", "Kasi"], name="Budi Santoso", password="rahasia-sekali")
    assert engine.authenticate("budi", "rahasia-sekali").lanes == ("PTSP", "Kasi")
    assert engine.authenticate("budi", "salah") is None


def test_a_user_in_both_applicant_and_staff_lanes_sees_only_own_applicant_tasks(engine: Engine) -> None:
    engine.add_user("campur", ["Pemohon", "PTSP"])
    app = Application(engine, "warga")
    task = app.current()
    with pytest.raises(NotFound):
        engine.task(task.id, as_user="campur")
    assert engine.tasks(as_user="campur") == []
    refused(
        engine,
        PermissionDenied,
        "only the applicant",
        lambda: engine.complete(task.id, as_user="campur", data=valid_data(engine, task.id)),
    )


@pytest.mark.parametrize("ref", ["²", "99999999999999999999", "-1", "0", "PTSP/2026/" + "9" * 200, 3.5, None])
def test_odd_application_references_are_not_found(engine: Engine, ref) -> None:
    Application(engine)
    with pytest.raises(NotFound):
        engine.show(ref)


def test_cancel_reason_must_be_text(engine: Engine) -> None:
    app = Application(engine)
    refused(engine, InvalidInput, "reason must be text", lambda: engine.cancel(app.id, as_user="warga", reason=5))
