"""Form validation and time standards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.calendar import WIB, Duration, WallClockCalendar, deadline
from engine.errors import ExpressionError, FormInvalid
from engine.forms import validate
from engine.model import EnumValue, Form, FormField

FORM = Form(
    (
        FormField("nama", "string", "Nama", True, constraints={"minlength": "3", "maxlength": "10"}),
        FormField("jumlah", "long", "Jumlah", False, constraints={"min": "1", "max": "5"}),
        FormField("lengkap", "boolean", "Lengkap", True),
        FormField("tanggal", "date", "Tanggal", False),
        FormField("layanan", "enum", "Layanan", True, (EnumValue("a", "A"), EnumValue("b", "B"))),
        FormField("kode", "string", "Kode", False, default="X1", constraints={"readonly": ""}),
    )
)


def test_html_strings_and_json_values_both_work() -> None:
    html = validate(FORM, {"nama": "  Budi ", "jumlah": "3", "lengkap": "on", "tanggal": "2026-11-23", "layanan": "b"})
    json_ = validate(FORM, {"nama": "Budi", "jumlah": 3, "lengkap": True, "tanggal": "2026-11-23", "layanan": "b"})
    assert (
        html
        == json_
        == {"nama": "Budi", "jumlah": 3, "lengkap": True, "tanggal": "2026-11-23", "layanan": "b", "kode": "X1"}
    )
    assert validate(FORM, {"nama": "Budi", "lengkap": "false", "layanan": "a"})["lengkap"] is False


def test_optional_fields_left_empty_become_none() -> None:
    cleaned = validate(FORM, {"nama": "Budi", "lengkap": False, "layanan": "a", "jumlah": ""})
    assert cleaned["jumlah"] is None and cleaned["tanggal"] is None


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("nama", "Bu", "too_short"),
        ("nama", "B" * 11, "too_long"),
        ("nama", "Bu\x00di", "control_characters"),
        ("nama", ["Budi"], "not_text"),
        ("jumlah", 0, "too_small"),
        ("jumlah", 6, "too_large"),
        ("jumlah", 2.5, "not_integer"),
        ("jumlah", True, "not_integer"),
        ("jumlah", "1e3", "not_integer"),
        ("lengkap", "mungkin", "not_boolean"),
        ("lengkap", 1, "not_boolean"),
        ("tanggal", "23/11/2026", "not_date"),
        ("tanggal", "2026-02-30", "not_date"),
        ("layanan", "c", "not_allowed"),
        ("kode", "Y2", "readonly"),
    ],
)
def test_each_problem_has_a_code(field: str, value: object, code: str) -> None:
    data = {"nama": "Budi", "lengkap": True, "layanan": "a", field: value}
    with pytest.raises(FormInvalid) as info:
        validate(FORM, data)
    assert [(e.field, e.code) for e in info.value.errors] == [(field, code)]


def test_not_an_object() -> None:
    with pytest.raises(FormInvalid, match="must be an object"):
        validate(FORM, ["nama"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT15M", Duration(minutes=15)),
        ("P1D", Duration(days=1)),
        ("PT10M", Duration(minutes=10)),
        ("P2W", Duration(weeks=2)),
        ("P1Y2M3DT4H5M6.5S", Duration(1, 2, 0, 3, 4, 5, 6.5)),
        ("pt1h", Duration(hours=1)),
    ],
)
def test_durations(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected


@pytest.mark.parametrize("text", ["PT1D", "P", "PT", "15M", "P1H", "PT-5M", "P1W1D", "", "P1DT"])
def test_invalid_durations(text: str) -> None:
    with pytest.raises(ExpressionError):
        Duration.parse(text)


def test_duration_words() -> None:
    assert str(Duration.parse("PT15M")) == "PT15M"
    assert Duration.parse("PT15M").describe() == "15 menit"
    assert Duration.parse("P1DT2H").describe() == "1 hari 2 jam"


def test_wall_clock_calendar() -> None:
    cal = WallClockCalendar()
    start = datetime(2026, 1, 31, 9, 0, tzinfo=WIB)
    assert deadline(cal, start, "P1D") == start + timedelta(days=1)
    assert deadline(cal, start, "P1D").tzinfo == UTC
    assert deadline(cal, start, "P1M") == datetime(2026, 2, 28, 2, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add(datetime(2026, 1, 1), Duration(days=1))


def test_readonly_defaults_are_typed() -> None:
    form = Form(
        (
            FormField("lengkap", "boolean", "Lengkap", False, default="false", constraints={"readonly": ""}),
            FormField("jumlah", "long", "Jumlah", False, default="3", constraints={"readonly": ""}),
        )
    )
    assert validate(form, {}) == {"lengkap": False, "jumlah": 3}
    assert validate(form, {"lengkap": False, "jumlah": "3"}) == {"lengkap": False, "jumlah": 3}
    with pytest.raises(FormInvalid, match="read-only"):
        validate(form, {"lengkap": True})
