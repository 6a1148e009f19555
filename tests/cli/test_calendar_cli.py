"""`ptsp calendar show / close / open / revoke / hours / sync / deadline`."""

from __future__ import annotations

from engine import Engine

from ..helpers import fingerprint


def _unchanged(ptsp, *args: str, message: str) -> None:
    engine = Engine(ptsp.url)
    before = fingerprint(engine)
    result = ptsp(*args, ok=False)
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert fingerprint(engine) == before
    engine.close()


def test_show_lists_working_days_holidays_and_hours(ptsp) -> None:
    text = ptsp("calendar", "show", "--from", "2026-12-21", "--to", "2026-12-28").stdout
    assert "Regular hours: Mon-Thu 07.30-16.00; Fri 07.30-16.30; Sat-Sun closed (WIB)" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line[:2].isdigit()}
    assert "07.30-16.00" in lines["23-12-2026"]
    assert "closed" in lines["24-12-2026"] and "Cuti Bersama Hari Raya Natal (cuti bersama" in lines["24-12-2026"]
    assert "Hari Raya Natal (national holiday" in lines["25-12-2026"]
    assert "weekend" in lines["26-12-2026"] and "07.30-16.00" in lines["28-12-2026"]
    assert len(lines) == 8

    shown = ptsp.json("calendar", "show", "--from", "2026-12-24", "--to", "2026-12-25")
    assert shown["mode"] == "office"
    assert [(d["day"], d["working"]) for d in shown["days"]] == [("2026-12-24", False), ("2026-12-25", False)]
    assert [(r["day"], r["kind"], r["source"]) for r in shown["non_working_days"]] == [
        ("2026-12-24", "cuti_bersama", "holidays 0.109"),
        ("2026-12-25", "holiday", "holidays 0.109"),
    ]
    assert shown["regular_hours"]["hours"]["5"] == ["07:30", "16:30"]
    default = ptsp.json("calendar", "show")  # today (Monday 23 November 2026) and the next two weeks
    assert (default["from"], default["to"]) == ("2026-11-23", "2026-12-06")


def test_close_open_and_revoke(ptsp) -> None:
    closed = ptsp.json("calendar", "close", "2026-12-02", "--note", "Rapat kerja seluruh pegawai", "--by", "kasubag")
    assert (closed["day"], closed["kind"], closed["name"], closed["created_by"], closed["source"]) == (
        "2026-12-02",
        "closure",
        "Rapat kerja seluruh pegawai",
        "kasubag",
        "admin",
    )
    text = ptsp("calendar", "show", "--from", "2026-12-02", "--to", "2026-12-02").stdout
    assert "Rapat kerja seluruh pegawai (office closure" in text
    _unchanged(ptsp, "calendar", "close", "2026-12-02", "--note", "lagi", message="already a non-working day")
    _unchanged(ptsp, "calendar", "close", "2026-11-28", "--note", "Sabtu", message="no office hours")
    _unchanged(ptsp, "calendar", "close", "2026-02-30", "--note", "x", message="not a date")
    _unchanged(ptsp, "calendar", "close", "2026-11-20", "--note", "x", message="has passed")
    _unchanged(ptsp, "calendar", "open", "2026-12-03", message="nothing to open")

    opened = ptsp.json("calendar", "open", "2026-12-02", "--by", "kasubag")
    assert [(r["id"], r["revoked_by"]) for r in opened] == [(closed["id"], "kasubag")]
    assert opened[0]["revoked_at"] is not None
    text = ptsp("calendar", "show", "--from", "2026-12-02", "--to", "2026-12-02").stdout
    assert "Rapat kerja" not in text and "07.30-16.00" in text

    cuti = ptsp.json("calendar", "show", "--from", "2026-12-24", "--to", "2026-12-24")["non_working_days"][0]
    said = ptsp("calendar", "revoke", str(cuti["id"]), "--by", "kepala").stdout
    assert said.startswith("opened 24-12-2026: Cuti Bersama Hari Raya Natal (cuti bersama")
    _unchanged(ptsp, "calendar", "revoke", str(cuti["id"]), message="already revoked")
    _unchanged(ptsp, "calendar", "revoke", "999999", message="not found")
    assert ptsp.json("calendar", "show", "--from", "2026-12-24", "--to", "2026-12-24")["days"][0]["working"]


def test_special_hours_and_regular_hours(ptsp) -> None:
    period = ptsp.json(
        "calendar",
        "hours",
        "--from",
        "2027-02-08",
        "--to",
        "2027-03-09",
        "--name",
        "Jam kerja Ramadan",
        "--weekday-hours",
        "sen-kam 08.00-15.00; jum 08.00-15.30",
        "--by",
        "kasubag",
    )
    assert (period["name"], period["from"], period["to"], period["regular"]) == (
        "Jam kerja Ramadan",
        "2027-02-08",
        "2027-03-09",
        False,
    )
    assert period["hours"] == {
        "1": ["08:00", "15:00"],
        "2": ["08:00", "15:00"],
        "3": ["08:00", "15:00"],
        "4": ["08:00", "15:00"],
        "5": ["08:00", "15:30"],
        "6": None,
        "7": None,
    }
    text = ptsp("calendar", "show", "--from", "2027-02-15", "--to", "2027-02-19").stdout
    assert "08.00-15.00" in text and "08.00-15.30" in text and "Jam kerja Ramadan (special hours" in text
    base = ("calendar", "hours", "--from", "2027-02-08", "--to", "2027-03-09", "--name", "R", "--weekday-hours")
    _unchanged(ptsp, *base, "mon-thu 15.00-08.00", message="closes before it opens")
    _unchanged(ptsp, *base, "setiap hari", message="not a day")
    _unchanged(ptsp, "calendar", "hours", "--weekday-hours", "mon 08.00-15.00", message="need --from, --to and --name")

    revoked = ptsp.json("calendar", "revoke", "--hours", str(period["id"]))
    assert revoked["revoked_at"] is not None
    regular = ptsp.json("calendar", "hours", "--regular", "--weekday-hours", "mon-fri 08.00-16.00", "--by", "kepala")
    assert regular["regular"] and regular["hours"]["5"] == ["08:00", "16:00"]
    _unchanged(ptsp, "calendar", "revoke", "--hours", str(regular["id"]), message="cannot be revoked")


def test_sync_and_deadline(ptsp) -> None:
    first = ptsp.json("calendar", "sync", "--years", "2023", "--categories", "public")
    assert first["years"] == [2023] and first["categories"] == ["public"] and first["source"] == "holidays 0.109"
    assert first["added"] and {r["kind"] for r in first["added"]} == {"holiday"}
    assert "0 new non-working day(s)" in ptsp("calendar", "sync", "--years", "2023", "--categories", "public").stdout
    assert {r["kind"] for r in ptsp.json("calendar", "sync", "--years", "2023")["added"]} == {"cuti_bersama"}
    _unchanged(ptsp, "calendar", "sync", "--years", "2028-2026", message="runs backwards")
    _unchanged(ptsp, "calendar", "sync", "--categories", "semua", message="unknown holiday category")

    said = ptsp("calendar", "deadline", "2026-12-23T15:50", "PT15M").stdout
    assert "batas waktu 28-12-2026 07:35 WIB" in said
    found = ptsp.json("calendar", "deadline", "2026-11-27T10:00+07:00", "P1D")
    assert found == {
        "start": "2026-11-27T10:00:00+07:00",
        "standard": "P1D",
        "due": "2026-11-30T03:00:00+00:00",
        "calendar": "office",
    }
    assert ptsp("calendar", "deadline", "2026-11-27T10:00", "1 hari", ok=False).exit_code == 1
