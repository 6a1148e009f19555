"""The office calendar page (Kalender Kerja): everyone logged in reads it, administrators change it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine import Engine
from engine.services import office_calendar

from ..conftest import OWNER, password_of
from ..helpers import fingerprint

ADMIN = "tu-admin"
READERS = ["warga", "ptsp", "kepala", "kasubag", "kasi", "inspektorat", OWNER]
FORMS = ("/kalender/penutupan", "/kalender/jam-khusus")
DASH = "\u2013"


@pytest.fixture
def admin(engine: Engine, auditor: str) -> str:
    engine.add_user(ADMIN, [], name="Admin Tata Usaha", roles=["administrator"], password=password_of(ADMIN))
    return ADMIN


def _rows(html: str, table: str) -> str:
    start = html.index(f'class="stack {table}"')
    return html[start : html.index("</table>", start)]


def test_everyone_logged_in_reads_the_calendar(browser, admin: str) -> None:
    assert browser().get("/kalender").status_code == 302  # to the login page
    for login in READERS:
        response = browser(login).get("/kalender")
        assert response.status_code == 200, login
        html = response.get_data(as_text=True)
        rows = _rows(html, "non-working-days")
        assert 'data-kind="cuti_bersama"' in rows and "Cuti Bersama Hari Raya Natal" in rows
        assert 'data-kind="holiday"' in rows and "Hari Raya Natal" in rows
        assert "Isra Mikraj Nabi Muhammad" in rows  # 5 January 2027: the coming months are listed
        assert f"07.30{DASH}16.00" in html and f"07.30{DASH}16.30" in html  # the regular hours
        for form in FORMS:
            assert f'action="{form}"' not in html, f"{login} sees a form to change the calendar"
        assert "/cabut" not in html
    html = browser(ADMIN).get("/kalender").get_data(as_text=True)
    for form in FORMS:
        assert f'action="{form}"' in html
    assert "/cabut" in html


def test_an_administrator_closes_a_day_and_opens_it_again(browser, admin: str, engine: Engine, clock) -> None:
    b = browser(ADMIN)
    response = b.post("/kalender/penutupan", {"tanggal": "2026-12-02", "catatan": "Rapat kerja seluruh pegawai"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/kalender")
    [row] = [r for r in engine.calendar_overview("2026-12-02", "2026-12-02").non_working]
    assert (row.kind, row.name, row.created_by) == ("closure", "Rapat kerja seluruh pegawai", ADMIN)
    html = b.get("/kalender").get_data(as_text=True)
    assert "Rapat kerja seluruh pegawai" in _rows(html, "non-working-days")

    clock.shift(office_calendar.SETTLE + timedelta(seconds=1))
    assert not [d for d in engine.calendar_days("2026-12-02", "2026-12-02") if d.working]
    assert b.post(f"/kalender/libur/{row.id}/cabut").status_code == 302
    html = b.get("/kalender").get_data(as_text=True)
    assert "Rapat kerja seluruh pegawai" not in _rows(html, "non-working-days")
    assert "Rapat kerja seluruh pegawai" in _rows(html, "revoked")  # kept, marked revoked
    assert engine.calendar_days("2026-12-02", "2026-12-02")[0].working


def test_an_administrator_sets_special_hours(browser, admin: str, engine: Engine) -> None:
    b = browser(ADMIN)
    form = {"nama": "Jam kerja Ramadan", "dari": "2027-02-08", "sampai": "2027-03-09"}
    form |= {f"buka_{d}": "08:00" for d in range(1, 6)}
    form |= {f"tutup_{d}": "15:00" for d in range(1, 5)} | {"tutup_5": "15:30"}
    assert b.post("/kalender/jam-khusus", form).status_code == 302
    [period] = engine.calendar_overview("2027-02-01", "2027-03-31").periods
    assert period.name == "Jam kerja Ramadan" and period.created_by == ADMIN
    assert period.hours[5][1].strftime("%H:%M") == "15:30" and period.hours[6] is None
    html = b.get("/kalender?dari=2027-02-01&sampai=2027-03-31").get_data(as_text=True)
    assert "Jam kerja Ramadan" in _rows(html, "special-hours") and f"08.00{DASH}15.30" in _rows(html, "special-hours")
    assert b.post(f"/kalender/jam-khusus/{period.id}/cabut").status_code == 302
    assert engine.calendar_overview("2027-02-01", "2027-03-31").periods == ()


def test_the_page_shows_a_chosen_period(browser, admin: str) -> None:
    html = browser("ptsp").get("/kalender?dari=2027-03-01&sampai=2027-03-31").get_data(as_text=True)
    rows = _rows(html, "non-working-days")
    assert "Hari Suci Nyepi" in rows and "Cuti Bersama Hari Raya Idul Fitri" in rows
    assert "Hari Raya Natal" not in rows
    response = browser("ptsp").get("/kalender?dari=kemarin")
    assert response.status_code == 400 and "not a date" in response.get_data(as_text=True)


@pytest.mark.parametrize("login", READERS)
def test_nobody_else_changes_the_calendar(browser, admin: str, engine: Engine, login: str) -> None:
    cuti = engine.calendar_overview("2026-12-24", "2026-12-24").non_working[0]
    regular = engine.calendar_overview().regular
    b = browser(login)
    before = fingerprint(engine)
    posts = [
        ("/kalender/penutupan", {"tanggal": "2026-12-02", "catatan": "Rapat"}),
        (f"/kalender/libur/{cuti.id}/cabut", {}),
        ("/kalender/jam-khusus", {"nama": "R", "dari": "2027-02-08", "sampai": "2027-03-09", "buka_1": "08:00"}),
        (f"/kalender/jam-khusus/{regular.id}/cabut", {}),
    ]
    for url, data in posts:
        assert b.post(url, data).status_code == 403, url
    assert fingerprint(engine) == before


def test_refused_changes_say_why_and_change_nothing(browser, admin: str, engine: Engine) -> None:
    b = browser(ADMIN)
    b.post("/bahasa", {"lang": "en", "next": "/kalender"})  # the reasons are checked in English
    b.post("/kalender/penutupan", {"tanggal": "2026-12-02", "catatan": "Rapat kerja"})
    before = fingerprint(engine)
    cases = [
        ("/kalender/penutupan", {"tanggal": "2026-12-02", "catatan": "lagi"}, 409, "already a non-working day"),
        ("/kalender/penutupan", {"tanggal": "2026-02-30", "catatan": "x"}, 400, "not a date"),
        ("/kalender/penutupan", {"tanggal": "", "catatan": "x"}, 400, "not a date"),
        ("/kalender/penutupan", {"tanggal": "2026-11-20", "catatan": "x"}, 400, "has passed"),
        ("/kalender/penutupan", {"tanggal": "2026-12-03", "catatan": ""}, 400, "note"),
        (
            "/kalender/jam-khusus",
            {"nama": "R", "dari": "2027-03-09", "sampai": "2027-02-08", "buka_1": "08:00", "tutup_1": "15:00"},
            400,
            "before it begins",
        ),
        (
            "/kalender/jam-khusus",
            {"nama": "R", "dari": "2027-02-08", "sampai": "2027-03-09", "buka_1": "08:00"},
            400,
            "Give both the opening and the closing time",
        ),
        ("/kalender/jam-khusus", {"nama": "R", "dari": "2027-02-08", "sampai": "2027-03-09"}, 400, "never be open"),
    ]
    for url, data, status, message in cases:
        response = b.post(url, data)
        html = response.get_data(as_text=True)
        assert response.status_code == status, (url, data, html[:300])
        assert message in html, (message, re.findall(r'class="flash[^"]*">([^<]*)', html))
    assert b.post("/kalender/libur/999999/cabut").status_code == 404
    # the entered values stay in the form
    response = b.post("/kalender/penutupan", {"tanggal": "2026-11-28", "catatan": "Kerja bakti"})
    assert response.status_code == 409 and 'value="Kerja bakti"' in response.get_data(as_text=True)
    assert fingerprint(engine) == before


def test_the_next_two_weeks_day_by_day(browser, admin: str) -> None:
    html = browser("kasi").get("/kalender").get_data(as_text=True)
    days = _rows(html, "calendar-days")
    assert days.count("<tr") == 15  # the header and 14 days from Monday 23 November 2026
    assert days.count('class="closed-day"') == 4  # two weekends
    assert "23 November 2026" in days and "6 Desember 2026" in days  # day names in the reader's language
