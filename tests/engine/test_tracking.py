"""Public tracking: the code, the same "not found" for every mismatch, what is shown, the rate limit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Engine, NotFound, TooManyAttempts
from engine.services.throttle import Limit
from engine.services.tracking import (
    ALPHABET,
    TrackingPolicy,
    build_view,
    normalize_code,
    normalize_registration,
    tracking_code,
)
from engine.store.models import LoginAttempt

from ..conftest import T0, minutes
from ..helpers import HAPPY_PATH, Application, fingerprint

KEY = bytes(range(32))
STRICT = TrackingPolicy(Limit(3, timedelta(minutes=15)))
PERSONAL = [
    "Siti Aminah",  # the applicant's name as entered
    "081234567890",  # phone
    "Warga",  # the applicant's account name
    "MTs Negeri",  # the purpose entered
    "Mohon segera",  # a disposition note
    "B-1234",  # the product number
    "kasubag",
    "kepala",
    "kasi",
    "Rekomendasi mutasi",  # the service: not asked for either
]


def receipt_of(engine: Engine, clock) -> tuple[Application, str]:
    a = Application(engine)
    a.walk([1, 2])
    clock.shift(minutes(10))
    a.do(3)
    return a, engine.receipt(a.id).tracking_code


def attempts(engine: Engine) -> list[tuple[str, str]]:
    with engine.db.reader() as session:
        rows = session.execute(select(LoginAttempt.kind, LoginAttempt.address)).all()
    return [tuple(r) for r in rows]


# ------------------------------------------------------------------------------ the code
def test_the_code_alphabet_and_shape() -> None:
    assert len(ALPHABET) == 32 and not set("01OI") & set(ALPHABET)
    codes = {tracking_code(KEY, f"PTSP/2026/{n:06d}") for n in range(1, 2001)}
    assert len(codes) == 2000
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert tracking_code(KEY, "PTSP/2026/000001") == tracking_code(KEY, "PTSP/2026/000001")
    assert tracking_code(bytes(32), "PTSP/2026/000001") != tracking_code(KEY, "PTSP/2026/000001")


def test_what_people_type_is_normalised() -> None:
    assert normalize_registration("  ptsp/2026/000001 ") == "PTSP/2026/000001"
    assert normalize_registration("PTSP/2026/000001'; --") == ""
    assert normalize_registration(None) == normalize_registration(123) == ""
    assert normalize_code("abcd-efgh") == "ABCDEFGH"
    assert normalize_code(" ABCD EFGH ") == "ABCDEFGH"
    for bad in ("ABCDEFG", "ABCDEFGHJ", "ABCDEFG0", "ABCDEFGI", "", None, "A" * 100, "ABCD\x00EFGH"):
        assert normalize_code(bad) == ""


# ----------------------------------------------------------------------------- the look-up
def test_the_right_number_and_code_show_the_progress(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    view = engine.track(a.registration, code)
    assert view.registration == a.registration
    assert view.status == "running" and view.phase == "in_progress"
    assert view.filed_at == T0
    assert [(e.kind, e.sop_step) for e in view.timeline] == [
        ("filed", None),
        ("step", 1),
        ("step", 2),
        ("step", 3),
        ("waiting", 4),
    ]
    assert view.timeline[3].at == T0 + minutes(10)
    assert view.waiting_steps == (4,)
    # typed as people type it
    assert engine.track(f"  {a.registration.lower()} ", f"{code[:4].lower()}-{code[4:]}") == view
    assert attempts(engine) == []  # successes are not counted


def test_every_mismatch_is_the_same_not_found(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    _b, code_b = receipt_of(engine, clock)
    wrong_code = "".join(ALPHABET[(ALPHABET.index(c) + 1) % 32] for c in code)
    cases = [
        (a.registration, wrong_code),  # wrong code
        ("PTSP/2026/000999", code),  # wrong registration
        (a.registration, code_b),  # another application's code
        (a.registration, ""),  # missing code
        ("", code),  # missing number
        (None, None),  # nothing at all
        (a.registration, "X" * 500),
        ({"x": 1}, ["y"]),
    ]
    before = fingerprint(engine)
    messages = set()
    for number, given in cases:
        with pytest.raises(NotFound) as refused:
            engine.track(number, given, address="10.0.0.1")
        messages.add(refused.value.message)
    assert len(messages) == 1
    # each failure counted once, against the address, and nothing else changed
    after = fingerprint(engine)
    assert len(after["login_attempts"]) == len(cases)
    assert {k: v for k, v in after.items() if k != "login_attempts"} == {
        k: v for k, v in before.items() if k != "login_attempts"
    }
    assert set(attempts(engine)) == {("tracking", "10.0.0.1")}


def test_nothing_personal_is_shown(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    a.walk(HAPPY_PATH[3:])
    view = engine.track(a.registration, code)
    text = json.dumps(view.as_dict())
    for word in PERSONAL:
        assert word.lower() not in text.lower(), word
    assert set(view.as_dict()) == {
        "registration",
        "status",
        "phase",
        "filed_at",
        "timeline",
        "waiting_steps",
        "missing",
        "missing_note",
        "ready_at",
        "handed_over_at",
    }


def test_a_returned_file_says_what_is_missing(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    clock.shift(minutes(5))
    a.do(
        4,
        berkas_lengkap=False,
        kekurangan=["rapor"],
        catatan_kekurangan="Rapor semester terakhir belum ada",
        catatan_pemeriksaan="internal: pemohon kurang teliti",
    )
    view = engine.track(a.registration, code)
    assert view.phase == "returned"
    assert view.missing_note == "Rapor semester terakhir belum ada"
    # the requirements ticked, in the catalogue's words (as the application page shows them)
    assert view.missing == tuple(item.text for item in engine.show(a.id).missing)
    assert "internal" not in json.dumps(view.as_dict())  # the staff's own note is never shown
    assert view.timeline[-2].sop_step == 4 and view.timeline[-2].outcome == "incomplete"
    assert view.timeline[-1].kind == "waiting" and view.timeline[-1].sop_step == 3
    a.do("3b")
    view = engine.track(a.registration, code)
    assert view.phase == "in_progress" and view.missing == () and view.missing_note is None
    steps = [(e.sop_step, e.outcome) for e in view.timeline if e.kind == "step"]
    assert steps[-2:] == [(4, "incomplete"), (3, "again")]


def test_ready_then_handed_over(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    a.walk([4, 5, 6, "7a", "7b", "7c"])
    assert engine.track(a.registration, code).phase == "in_progress"
    clock.shift(timedelta(hours=3))
    a.do(8)
    view = engine.track(a.registration, code)
    assert view.phase == "ready" and view.ready_at == T0 + minutes(10) + timedelta(hours=3)
    assert view.waiting_steps == (9,)
    clock.shift(timedelta(hours=1))
    a.do(9)
    view = engine.track(a.registration, code)
    assert view.status == "completed" and view.phase == "handed_over"
    assert view.handed_over_at == view.ready_at + timedelta(hours=1)
    assert view.timeline[-1].kind == "completed"
    # step 7's three tasks are one line
    assert [e.sop_step for e in view.timeline if e.kind == "step"] == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_a_cancelled_application(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    engine.cancel(a.id, as_user="warga", reason="tidak jadi")
    view = engine.track(a.registration, code)
    assert view.phase == "cancelled" and view.timeline[-1].kind == "cancelled"
    assert "tidak jadi" not in json.dumps(view.as_dict())


def test_missing_items_in_any_shape() -> None:
    """Step 4's form may list what is missing (``kekurangan``) besides the note."""
    events = [
        ("task_completed", T0, {"sop_step": 3, "form": {}}),
        (
            "task_completed",
            T0,
            {
                "sop_step": 4,
                "form": {
                    "berkas_lengkap": False,
                    "kekurangan": ["Rapor", {"text": "Kartu keluarga"}, {"nama": "Akta"}, ""],
                    "catatan_kekurangan": "Lengkapi dalam 7 hari",
                    "catatan_pemeriksaan": "internal: never shown",
                },
            },
        ),
    ]
    view = build_view("PTSP/2026/000001", "running", T0, events, [(3, T0)])
    assert view.phase == "returned"
    assert view.missing == ("Rapor", "Kartu keluarga", "Akta")
    assert view.missing_note == "Lengkapi dalam 7 hari"


# ------------------------------------------------------------------------------ rate limit
def test_failures_are_limited_per_address(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    for _ in range(3):
        with pytest.raises(NotFound):
            engine.track(a.registration, "AAAAAAAA", address="10.0.0.1", policy=STRICT)
    # limited now: even the right code is refused, and the refusal is not counted
    with pytest.raises(TooManyAttempts) as refused:
        engine.track(a.registration, code, address="10.0.0.1", policy=STRICT)
    assert refused.value.retry_after == 15 * 60
    assert len(attempts(engine)) == 3
    # another address is not limited
    assert engine.track(a.registration, code, address="10.0.0.2", policy=STRICT).phase == "in_progress"
    clock.shift(minutes(15))
    assert engine.track(a.registration, code, address="10.0.0.1", policy=STRICT).phase == "in_progress"


def test_the_window_slides(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    for _ in range(3):
        with pytest.raises(NotFound):
            engine.track("PTSP/2026/000777", code, address="10.0.0.9", policy=STRICT)
        clock.shift(minutes(6))
    # the first failure is 18 minutes old: out of the window, two remain
    with pytest.raises(NotFound):
        engine.track("PTSP/2026/000777", code, address="10.0.0.9", policy=STRICT)
    with pytest.raises(TooManyAttempts):
        engine.track(a.registration, code, address="10.0.0.9", policy=STRICT)


def test_the_default_policy_allows_twenty_failures(engine: Engine, clock) -> None:
    a, code = receipt_of(engine, clock)
    for _ in range(20):
        with pytest.raises(NotFound):
            engine.track(a.registration, "BBBBBBBB", address="10.1.1.1")
    with pytest.raises(TooManyAttempts):
        engine.track(a.registration, code, address="10.1.1.1")


def test_no_receipt_ever_means_nothing_matches(engine: Engine) -> None:
    a = Application(engine)
    with pytest.raises(NotFound):
        engine.track(a.registration, tracking_code(bytes(32), a.registration))
