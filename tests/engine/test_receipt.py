"""The receipt (tanda terima): only after step 3, its expected completion, its code, who may open it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine import Engine, NotFound, PermissionDenied
from engine.calendar import Duration, WallClockCalendar
from engine.services.receipts import steps_ahead
from engine.services.tracking import ALPHABET, CODE_LENGTH, tracking_code

from ..conftest import T0, make_engine, minutes
from ..helpers import Application, fingerprint

# The time standards of SOP steps 4 to 9 in processes/ptsp.bpmn, in order (step 7 counts once).
STANDARDS_AFTER_STEP_3 = ["PT15M", "PT15M", "PT15M", "P1D", "PT15M", "PT10M"]


@pytest.fixture
def auditor(engine: Engine) -> str:
    engine.add_user("inspektorat", [], roles=["auditor"])
    return "inspektorat"


def fold(engine: Engine, start: datetime, standards: list[str]) -> datetime:
    """Each standard added in turn with the engine's own calendar, whichever it is."""
    calendar = engine.ctx.runtime.script_engine.calendar
    moment = start
    for standard in standards:
        moment = calendar.add(moment, Duration.parse(standard))
    return moment


def handed_in(engine: Engine, clock) -> Application:
    a = Application(engine)
    a.do(1)
    clock.shift(minutes(5))
    a.do(2)
    clock.shift(minutes(7))
    a.do(3)
    return a


def test_no_receipt_before_the_file_is_handed_in(engine: Engine, auditor) -> None:
    a = Application(engine)
    a.walk([1, 2])
    before = fingerprint(engine)
    for login in ("warga", "ptsp", None):
        with pytest.raises(NotFound, match="no receipt yet"):
            engine.receipt(a.id, as_user=login)
    assert fingerprint(engine) == before  # not even the tracking key is created


def test_the_receipt_after_step_3(engine: Engine, clock) -> None:
    a = handed_in(engine, clock)
    received = T0 + minutes(12)
    r = engine.receipt(a.id, as_user="warga")
    assert r.registration == a.registration == "PTSP/2026/000001"
    assert r.service == "Rekomendasi mutasi siswa madrasah"
    assert r.filed_at == T0
    assert r.received_at == received
    assert r.resubmitted_at is None
    assert r.expected_at == fold(engine, received, STANDARDS_AFTER_STEP_3)
    assert [s.sop_step for s in r.remaining] == [4, 5, 6, 7, 8, 9]
    assert r.remaining[3].standards == ("P1D",)  # three tasks of step 7, one standard
    assert r.remaining[-1].ends_at == r.expected_at
    assert len(r.tracking_code) == CODE_LENGTH and set(r.tracking_code) <= set(ALPHABET)
    assert r.code_display == f"{r.tracking_code[:4]}-{r.tracking_code[4:]}"
    # the same receipt later, and by PTSP staff at the desk
    clock.shift(timedelta(hours=3))
    again = engine.receipt(a.registration, as_user="ptsp")
    assert again == r
    assert engine.receipt(a.id) == r  # the command line


def test_the_standards_ahead_come_from_the_diagram(engine: Engine) -> None:
    a = Application(engine)
    with engine.db.reader() as session:
        from engine.store.models import Instance

        definition_id = session.get(Instance, a.id).definition_id
        model = engine.ctx.compiled(session.connection(), definition_id).model
    assert steps_ahead(model) == [
        (4, ("PT15M",)),
        (5, ("PT15M",)),
        (6, ("PT15M",)),
        (7, ("P1D",)),
        (8, ("PT15M",)),
        (9, ("PT10M",)),
    ]


def test_on_the_wall_clock_it_is_a_day_and_seventy_minutes(db_url: str, ptsp_xml: bytes, clock) -> None:
    engine = make_engine(db_url, ptsp_xml, calendar=WallClockCalendar())
    try:
        a = handed_in(engine, clock)
        r = engine.receipt(a.id, as_user="warga")
        assert r.expected_at == T0 + minutes(12) + timedelta(days=1, minutes=70)
    finally:
        engine.close()


class DoublingCalendar(WallClockCalendar):
    """A calendar unlike wall-clock time: every standard takes twice as long, plus a minute."""

    name = "doubling"

    def add(self, start: datetime, duration: Duration) -> datetime:
        once = super().add(start, duration)
        return once + (once - start) + timedelta(minutes=1)


def test_the_expected_completion_uses_the_engines_calendar(db_url: str, ptsp_xml: bytes, clock) -> None:
    engine = make_engine(db_url, ptsp_xml, calendar=DoublingCalendar())
    try:
        a = handed_in(engine, clock)
        r = engine.receipt(a.id, as_user="warga")
        assert r.expected_at == fold(engine, r.received_at, STANDARDS_AFTER_STEP_3)
        assert r.expected_at == r.received_at + timedelta(days=2, minutes=140 + 6)
    finally:
        engine.close()


def test_a_returned_file_restarts_the_count(engine: Engine, clock) -> None:
    a = handed_in(engine, clock)
    first = engine.receipt(a.id, as_user="warga")
    clock.shift(minutes(10))
    a.do(4, berkas_lengkap=False)
    clock.shift(timedelta(hours=2))
    a.do("3b")
    r = engine.receipt(a.id, as_user="warga")
    assert r.received_at == first.received_at
    assert r.resubmitted_at == first.received_at + timedelta(hours=2, minutes=10)
    assert r.expected_at == fold(engine, r.resubmitted_at, STANDARDS_AFTER_STEP_3)
    assert r.tracking_code == first.tracking_code  # the code never changes: reprints match


def test_who_may_open_the_receipt(engine: Engine, clock, auditor) -> None:
    a = handed_in(engine, clock)
    engine.receipt(a.id, as_user="warga")
    engine.receipt(a.id, as_user="ptsp")
    with pytest.raises(NotFound):
        engine.receipt(a.id, as_user="warga2")  # another applicant: it does not exist for them
    for login in ("kepala", "kasubag", "kasi", auditor):
        with pytest.raises(PermissionDenied, match="applicant and PTSP"):
            engine.receipt(a.id, as_user=login)
    with pytest.raises(NotFound):
        engine.receipt(999, as_user="warga")


def test_the_code_is_derived_not_stored(engine: Engine, clock) -> None:
    a = handed_in(engine, clock)
    b = Application(engine)
    b.walk([1, 2, 3])
    ra, rb = engine.receipt(a.id), engine.receipt(b.id)
    assert ra.tracking_code != rb.tracking_code
    rows = fingerprint(engine)
    text = repr(rows)
    for code in (ra.tracking_code, rb.tracking_code):
        assert code not in text and code.lower() not in text
    assert rows["instances"] and all("tracking_key" not in row[0] for row in rows["instances"])
    key_rows = [row for row in rows["counters"] if "tracking_key" in row[0]]
    assert len(key_rows) == 4  # 4 x 64 random bits, created once
    # opening receipts again changes nothing, and the code is the HMAC of the registration number
    engine.receipt(a.id)
    assert fingerprint(engine) == rows
    from engine.services.tracking import read_key

    with engine.db.reader() as session:
        key = read_key(session.connection())
    assert key is not None and len(key) == 32
    assert tracking_code(key, a.registration) == ra.tracking_code


def test_two_engines_derive_the_same_code(db_url: str, engine: Engine, clock) -> None:
    """Every web worker and the command line print the same code (the key is in the database)."""
    a = handed_in(engine, clock)
    other = Engine(db_url)
    try:
        assert other.receipt(a.id).tracking_code == engine.receipt(a.id).tracking_code
    finally:
        other.close()
