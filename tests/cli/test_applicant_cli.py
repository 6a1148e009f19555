"""``ptsp receipt`` and ``ptsp ikm``."""

from __future__ import annotations

from datetime import datetime

from engine import Engine
from engine.cli import wib

from ..conftest import PTSP_BPMN, T0, make_engine, minutes
from ..helpers import HAPPY_PATH, Application, fingerprint

ALL_FOURS = {f"u{n}": 4 for n in range(1, 10)}


def prepared(ptsp) -> Engine:
    """The fixture's database with the diagram, the usual users, and the test clock's time."""
    return make_engine(ptsp.url, PTSP_BPMN.read_bytes())


def test_receipt_prints_the_code_and_the_expected_completion(ptsp, clock) -> None:
    engine = prepared(ptsp)
    a = Application(engine)
    a.walk([1, 2])
    refused = ptsp("receipt", a.registration, ok=False)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: PTSP/2026/000001 has no receipt yet")
    clock.shift(minutes(20))
    a.do(3)
    r = engine.receipt(a.id)
    engine.close()

    data = ptsp.json("receipt", a.registration)
    assert data["registration"] == "PTSP/2026/000001"
    assert data["tracking_code"] == r.tracking_code
    assert datetime.fromisoformat(data["received_at"]) == T0 + minutes(20)
    assert datetime.fromisoformat(data["expected_at"]) == r.expected_at
    assert [s["sop_step"] for s in data["remaining"]] == [4, 5, 6, 7, 8, 9]

    out = ptsp("receipt", "1").stdout
    assert f"Tracking code:  {r.code_display}" in out
    assert f"Expected:       {wib(r.expected_at)}" in out
    assert "File received:  23-11-2026 09:20 WIB" in out


def test_receipt_as_a_user(ptsp, clock) -> None:
    engine = prepared(ptsp)
    a = Application(engine)
    a.walk([1, 2, 3])
    engine.close()
    assert ptsp.json("receipt", "1", "--as", "ptsp")["registration"] == a.registration
    refused = ptsp("receipt", "1", "--as", "kepala", ok=False)
    assert refused.exit_code == 1 and "applicant and PTSP staff" in refused.stderr
    assert ptsp("receipt", "1", "--as", "warga2", ok=False).stderr.startswith("error: application 1 not found")


def test_ikm(ptsp, clock) -> None:
    engine = prepared(ptsp)
    for applicant, answers in (("warga", ALL_FOURS), ("warga2", {**ALL_FOURS, "u1": 1, "u2": 2})):
        a = Application(engine, applicant)
        a.walk(HAPPY_PATH)
        engine.submit_skm(a.id, as_user=applicant, answers=answers, suggestion="Terima kasih")
    before = fingerprint(engine)
    engine.close()

    report = ptsp.json("ikm")  # this month (November 2026, WIB)
    assert report["since"] == "2026-10-31T17:00:00+00:00" and report["until"] == "2026-11-30T17:00:00+00:00"
    overall = report["overall"]
    assert overall["respondents"] == 2
    assert overall["nrr"]["u1"] == 2.5 and overall["nrr"]["u2"] == 3.0 and overall["nrr"]["u9"] == 4.0
    # (2.5 + 3 + 4 x 7) / 9 = 33.5 / 9 = 3.7222; x 25 = 93.06: A
    assert overall["ikm"] == 93.06 and overall["category"] == "A"
    assert report["by_service"][0]["service"] == "Rekomendasi mutasi siswa madrasah"
    assert [s["text"] for s in report["suggestions"]] == ["Terima kasih", "Terima kasih"]

    out = ptsp("ikm", "--since", "2026-11-23", "--until", "2026-11-23").stdout
    assert "2 respondent(s)" in out
    assert "(all services)" in out and "93.06" in out and "A (Sangat Baik)" in out
    empty = ptsp("ikm", "--since", "2026-12-01", "--until", "2026-12-31").stdout
    assert "0 respondent(s)" in empty
    refused = ptsp("ikm", "--since", "2026-12-01", "--until", "2026-11-01", ok=False)
    assert refused.exit_code == 1 and "ends before it begins" in refused.stderr
    check = Engine(ptsp.url)
    assert fingerprint(check) == before
    check.close()
