"""The SKM survey (once, by the applicant, after completion) and the IKM as PermenPANRB 14/2017 defines it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from engine import Conflict, Engine, FormInvalid, InvalidInput, NotFound, PermissionDenied
from engine.calendar import WIB
from engine.skm import CODES, category, compute, rounded

from ..conftest import T0
from ..helpers import HAPPY_PATH, Application, fingerprint

ALL = {code: 4 for code in CODES}


def answers(*values: int) -> dict[str, int]:
    assert len(values) == 9
    return dict(zip(CODES, values, strict=True))


@pytest.fixture
def auditor(engine: Engine) -> str:
    engine.add_user("inspektorat", [], roles=["auditor"])
    return "inspektorat"


def completed(engine: Engine, applicant: str = "warga") -> Application:
    a = Application(engine, applicant)
    a.walk(HAPPY_PATH)
    return a


# ---------------------------------------------------------------------------- arithmetic
def test_a_hand_computed_ikm() -> None:
    """Three respondents; every number below is worked out by hand.

    NRR per element: u1 (4+3+2)/3 = 3, u2 (4+3+3)/3 = 10/3, u3 (4+3+4)/3 = 11/3,
    u4 (4+3+1)/3 = 8/3, u5 3, u6 10/3, u7 11/3, u8 8/3, u9 3.
    Their sum is 9 + 58/3 = 85/3; times the weight 1/9: NRR tertimbang 85/27 = 3.148...
    IKM = 85/27 x 25 = 2125/27 = 78.7037... -> 78.70: between 76.61 and 88.30, B (Baik).
    """
    result = compute(
        [
            answers(4, 4, 4, 4, 4, 4, 4, 4, 4),
            answers(3, 3, 3, 3, 3, 3, 3, 3, 3),
            answers(2, 3, 4, 1, 2, 3, 4, 1, 2),
        ]
    )
    assert result.respondents == 3
    assert result.element_nrr == tuple(Fraction(n, 3) for n in (9, 10, 11, 8, 9, 10, 11, 8, 9))
    assert result.weighted == Fraction(85, 27)
    assert rounded(result.weighted, 3) == Decimal("3.148")
    assert result.ikm == Fraction(2125, 27)
    assert result.ikm_rounded == Decimal("78.70")
    assert (result.letter, result.quality) == ("B", "good")
    assert result.as_dict()["ikm"] == 78.7 and result.as_dict()["category"] == "B"


def test_the_extremes() -> None:
    best = compute([ALL, ALL])
    assert best.weighted == 4 and best.ikm == 100 and best.letter == "A"
    worst = compute([{code: 1 for code in CODES}])
    assert worst.weighted == 1 and worst.ikm == 25 and worst.letter == "D"
    empty = compute([])
    assert empty.respondents == 0 and empty.ikm is None and empty.letter is None


def test_exactly_on_the_c_boundary() -> None:
    """Five respondents, 27 answers of 3 and 18 of 2: weighted NRR 117/45 = 2.60, IKM 65.00: C."""
    twos_and_threes = (
        [answers(3, 3, 3, 3, 3, 3, 2, 2, 2)] * 3
        + [answers(3, 3, 3, 3, 3, 2, 2, 2, 2)]
        + [answers(3, 3, 3, 3, 2, 2, 2, 2, 2)]
    )
    assert sum(sum(r.values()) for r in twos_and_threes) == 117
    result = compute(twos_and_threes)
    assert result.weighted == Fraction(26, 10) and result.ikm == 65
    assert result.letter == "C"
    one_less = [*twos_and_threes[:-1], answers(3, 3, 3, 2, 2, 2, 2, 2, 2)]  # 116: IKM 64.44
    assert compute(one_less).ikm_rounded == Decimal("64.44") and compute(one_less).letter == "D"


@pytest.mark.parametrize(
    ("ikm", "letter"),
    [
        ("25.00", "D"),
        ("64.99", "D"),
        ("64.994", "D"),  # rounds to 64.99
        ("64.995", "C"),  # rounds half-up to 65.00
        ("65.00", "C"),
        ("76.60", "C"),
        ("76.61", "B"),
        ("88.30", "B"),
        ("88.3049", "B"),
        ("88.305", "A"),
        ("88.31", "A"),
        ("100.00", "A"),
    ],
)
def test_the_category_boundaries(ikm: str, letter: str) -> None:
    assert category(Decimal(ikm))[0] == letter


@pytest.mark.parametrize(
    ("nrr", "letter"),
    [("2.5996", "D"), ("2.60", "C"), ("3.064", "C"), ("3.0644", "B"), ("3.532", "B"), ("3.5324", "A"), ("4", "A")],
)
def test_the_regulations_perception_intervals(nrr: str, letter: str) -> None:
    """The regulation's intervals of the weighted NRR, times 25, give the same letters."""
    assert category(Decimal(nrr) * 25)[0] == letter


# ----------------------------------------------------------------------------- the survey
def test_the_applicant_fills_it_once_after_completion(engine: Engine, clock) -> None:
    a = completed(engine)
    assert engine.skm_status(a.id, as_user="warga").may_submit
    clock.shift(timedelta(minutes=30))
    sent = engine.submit_skm(
        a.id, as_user="warga", answers={**ALL, "u3": "2", "u4": 3}, suggestion="  Ruang tunggu panas  "
    )
    assert sent.answers == {**ALL, "u3": 2, "u4": 3}
    assert sent.suggestion == "Ruang tunggu panas"
    assert sent.submitted_at == T0 + timedelta(minutes=30)
    status = engine.skm_status(a.id, as_user="warga")
    assert not status.may_submit and status.answers == sent.answers and status.submitted_at == sent.submitted_at

    before = fingerprint(engine)
    with pytest.raises(Conflict, match="already filled"):
        engine.submit_skm(a.id, as_user="warga", answers={code: 1 for code in CODES}, suggestion="lagi")
    assert fingerprint(engine) == before
    assert len(before["skm_responses"]) == 1


def test_not_before_completion(engine: Engine) -> None:
    a = Application(engine)
    a.walk(HAPPY_PATH[:-1])  # the product is ready, not yet handed over
    assert not engine.skm_status(a.id, as_user="warga").may_submit
    before = fingerprint(engine)
    with pytest.raises(Conflict, match="opens when the application is completed"):
        engine.submit_skm(a.id, as_user="warga", answers=ALL)
    b = Application(engine)
    engine.cancel(b.id, as_user="warga")
    with pytest.raises(Conflict):
        engine.submit_skm(b.id, as_user="warga", answers=ALL)
    assert fingerprint(engine)["skm_responses"] == before["skm_responses"] == []


def test_only_the_owner(engine: Engine, auditor) -> None:
    a = completed(engine)
    before = fingerprint(engine)
    with pytest.raises(NotFound):
        engine.submit_skm(a.id, as_user="warga2", answers=ALL)
    with pytest.raises(NotFound):
        engine.skm_status(a.id, as_user="warga2")
    for login in ("ptsp", "kepala", "kasubag", "kasi", auditor):
        with pytest.raises(PermissionDenied, match="only the applicant"):
            engine.submit_skm(a.id, as_user=login, answers=ALL)
    with pytest.raises(NotFound):
        engine.submit_skm(999, as_user="warga", answers=ALL)
    assert fingerprint(engine) == before


@pytest.mark.parametrize(
    ("given", "fields"),
    [
        ({**ALL, "u1": 0}, {"u1"}),
        ({**ALL, "u2": 5}, {"u2"}),
        ({**ALL, "u3": "x"}, {"u3"}),
        ({**ALL, "u4": True}, {"u4"}),
        ({**ALL, "u5": 2.5}, {"u5"}),
        ({**ALL, "u6": "12"}, {"u6"}),
        ({k: v for k, v in ALL.items() if k != "u9"}, {"u9"}),
        ({**ALL, "u10": 4}, {"u10"}),
        ({}, set(CODES)),
    ],
)
def test_values_1_to_4_only(engine: Engine, given: dict, fields: set[str]) -> None:
    a = completed(engine)
    before = fingerprint(engine)
    with pytest.raises(FormInvalid) as refused:
        engine.submit_skm(a.id, as_user="warga", answers=given)
    assert {e.field for e in refused.value.errors} == fields
    assert fingerprint(engine) == before


def test_a_bad_suggestion_or_shape(engine: Engine) -> None:
    a = completed(engine)
    before = fingerprint(engine)
    with pytest.raises(FormInvalid) as refused:
        engine.submit_skm(a.id, as_user="warga", answers=ALL, suggestion="x" * 2001)
    assert [e.field for e in refused.value.errors] == ["suggestion"]
    with pytest.raises(FormInvalid):
        engine.submit_skm(a.id, as_user="warga", answers=ALL, suggestion="bad\x00text")
    with pytest.raises(InvalidInput):
        engine.submit_skm(a.id, as_user="warga", answers=[4] * 9)  # type: ignore[arg-type]
    assert fingerprint(engine) == before
    assert engine.submit_skm(a.id, as_user="warga", answers=ALL, suggestion="   ").suggestion is None


# ------------------------------------------------------------------------------- the report
def test_the_ikm_report_per_period_and_service(engine: Engine, clock, auditor) -> None:
    a = completed(engine)
    b = completed(engine, "warga2")
    engine.submit_skm(a.id, as_user="warga", answers=answers(4, 4, 4, 4, 4, 4, 4, 4, 4), suggestion="Bagus")
    engine.submit_skm(b.id, as_user="warga2", answers=answers(2, 3, 4, 1, 2, 3, 4, 1, 2))
    clock.shift(timedelta(days=10))
    c = completed(engine)
    engine.submit_skm(c.id, as_user="warga", answers=answers(3, 3, 3, 3, 3, 3, 3, 3, 3))

    day = datetime(2026, 11, 23, tzinfo=WIB)
    everything = engine.ikm_report(day, day + timedelta(days=30), as_user="kepala")
    assert everything.overall.respondents == 3
    assert everything.overall.ikm == Fraction(2125, 27)  # the hand-computed example above
    assert [s.service for s in everything.by_service] == ["Rekomendasi mutasi siswa madrasah"]
    assert everything.by_service[0].result == everything.overall
    assert [s.text for s in everything.suggestions] == ["Bagus"]
    text = repr(everything.as_dict())
    assert "warga" not in text.lower() and "Siti" not in text  # no respondent is named

    first_week = engine.ikm_report(day, day + timedelta(days=7), as_user=auditor)
    assert first_week.overall.respondents == 2
    assert first_week.overall.element_nrr[0] == 3  # (4 + 2) / 2
    assert engine.ikm_report(day - timedelta(days=7), day).is_empty


def test_the_ikm_groups_by_service_code(engine: Engine) -> None:
    a, b = completed(engine), completed(engine)
    from sqlalchemy import update

    from engine.store.models import Instance

    with engine.db.engine.begin() as connection:  # the catalogue sets the code on new applications
        connection.execute(update(Instance).where(Instance.id == a.id).values(service_code="MUTASI"))
        connection.execute(update(Instance).where(Instance.id == b.id).values(service_code=None))
    engine.submit_skm(a.id, as_user="warga", answers=ALL)
    engine.submit_skm(b.id, as_user="warga", answers={code: 1 for code in CODES})
    report = engine.ikm_report(T0 - timedelta(days=1), T0 + timedelta(days=1))
    codes = sorted((s.service_code or "", s.result.ikm) for s in report.by_service)
    assert codes == [("", 25), ("MUTASI", 100)]


def test_who_reads_the_ikm(engine: Engine, auditor) -> None:
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=1)
    engine.ikm_report(since, until, as_user="kepala")
    engine.ikm_report(since, until, as_user=auditor)
    for login in ("warga", "ptsp", "kasubag", "kasi"):
        with pytest.raises(PermissionDenied, match="Kepala Kantor and auditors"):
            engine.ikm_report(since, until, as_user=login)
    with pytest.raises(InvalidInput, match="ends before it begins"):
        engine.ikm_report(until, since, as_user="kepala")
    with pytest.raises(InvalidInput):
        engine.ikm_report(datetime(2026, 11, 1), datetime(2026, 12, 1), as_user="kepala")
