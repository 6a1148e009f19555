"""Applicants signing up, API tokens, supervisors' counts, an applicant's list, the live diagram."""

from __future__ import annotations

import pytest
from lxml import etree

from engine import Conflict, Engine, InvalidInput, NotFound

from ..conftest import T0, minutes
from ..helpers import STEP_ELEMENTS, Application


def test_an_applicant_registers_and_logs_in(engine: Engine) -> None:
    info = engine.register_applicant("budi.santoso", "kata-sandi-panjang", name="Budi Santoso")
    assert info.lanes == ("Pemohon",)
    assert engine.authenticate("budi.santoso", "kata-sandi-panjang").name == "Budi Santoso"
    assert engine.authenticate("budi.santoso", "salah") is None
    with pytest.raises(InvalidInput, match="password is required"):
        engine.register_applicant("ani", "", name="Ani")
    with pytest.raises(Conflict, match="already exists"):
        engine.register_applicant("budi.santoso", "kata-sandi-lain", name="Budi")


def test_tokens_are_shown_once_stored_hashed_and_revocable(engine: Engine) -> None:
    token, info = engine.create_token("ptsp", label="aplikasi loket")
    assert token.startswith("ptsp_") and len(token) > 40
    assert engine.authenticate_token(token).login == "ptsp"
    assert engine.authenticate_token(token + "x") is None
    assert engine.authenticate_token("Bearer " + token) is None
    with engine.db.reader() as session:
        from sqlalchemy import text

        stored = session.execute(text("select token_hash from api_tokens")).scalars().all()
    assert token not in stored and len(stored[0]) == 64
    assert [t.label for t in engine.list_tokens("ptsp")] == ["aplikasi loket"]
    engine.revoke_token(info.id)
    assert engine.authenticate_token(token) is None
    with pytest.raises(NotFound):
        engine.revoke_token(info.id)


def test_lane_counts(engine: Engine, clock) -> None:
    a, b = Application(engine), Application(engine, "warga2")
    a.do(1)
    clock.shift(minutes(20))
    counts = {c.lane: c for c in engine.lane_counts()}
    assert (counts["Pemohon"].open, counts["Pemohon"].overdue) == (1, 1)
    assert (counts["PTSP"].open, counts["PTSP"].overdue, counts["PTSP"].completed_today) == (1, 1, 0)
    assert counts["Pemohon"].completed_today == 1
    assert counts["Kasi"].open == 0
    b.do(1)
    assert {c.lane: c.open for c in engine.lane_counts(["PTSP"])} == {"PTSP": 2}


def test_completions_today_count_from_midnight_wib(engine: Engine, clock) -> None:
    app = Application(engine)
    app.do(1)  # 09:00 WIB on 23 November
    clock.move_to(T0.replace(hour=17, minute=30))  # 00:30 WIB on 24 November
    assert {c.lane: c.completed_today for c in engine.lane_counts()}["Pemohon"] == 0


def test_an_applicants_applications_and_service(engine: Engine) -> None:
    first = Application(engine)
    first.do(1)
    Application(engine)
    Application(engine, "warga2")
    mine = engine.applications(as_user="warga")
    assert [a.registration for a in mine] == ["PTSP/2026/000002", "PTSP/2026/000001"]
    assert mine[1].service == "Rekomendasi mutasi siswa madrasah"
    assert mine[1].waiting_for[0].lane == "PTSP"
    assert engine.tasks(instance=first.id)[0].service == "Rekomendasi mutasi siswa madrasah"
    assert engine.show(first.id).service == "Rekomendasi mutasi siswa madrasah"


def test_next_timer_due(engine: Engine) -> None:
    assert engine.next_timer_due() is None
    Application(engine)
    assert engine.next_timer_due() == T0 + minutes(15)


def test_the_live_diagram_marks_the_application(engine: Engine, clock) -> None:
    app = Application(engine)
    app.do(1)
    clock.shift(minutes(16))
    svg = engine.diagram_svg(app.id, as_user="warga")
    root = etree.fromstring(svg.encode())
    classes = {g.get("data-element"): g.get("class") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert "is-completed" in classes[STEP_ELEMENTS[1]]
    assert "is-overdue" in classes[STEP_ELEMENTS[2]]
    assert "PTSP/2026/000001" in svg
    with pytest.raises(NotFound):
        engine.diagram_svg(app.id, as_user="warga2")
