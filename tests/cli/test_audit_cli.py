"""ptsp audit verify and auditors on the command line."""

from __future__ import annotations

import json
import sqlite3

from .test_cli import setup


def test_verify_reports_intact_histories_and_exits_zero(ptsp) -> None:
    setup(ptsp)
    assert ptsp.json("audit", "verify", "--all") == {"ok": True, "checked": 1, "failures": []}
    assert ptsp.json("audit", "verify", "PTSP/2026/000001", "1")["checked"] == 2
    assert "1 application(s) checked: all intact" in ptsp("audit", "verify", "--all").stdout


def test_verify_names_the_altered_event_and_exits_non_zero(ptsp) -> None:
    setup(ptsp)
    db = sqlite3.connect(ptsp.url.removeprefix("sqlite:///"))
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET actor = 'ptsp' WHERE seq = 1")
    db.commit()
    db.close()
    result = ptsp("audit", "verify", "--all", "--json", ok=False)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "ok": False,
        "checked": 1,
        "failures": [
            {
                "instance": 1,
                "registration": "PTSP/2026/000001",
                "check": "chain",
                "reason": "event 1 (instance_started) was changed: its content does not match its hash",
                "seq": 1,
            }
        ],
    }
    table = ptsp("audit", "verify", "1", ok=False)
    assert table.exit_code == 1
    assert "FAILED PTSP/2026/000001 (chain at event 1): event 1 (instance_started) was changed" in table.stdout


def test_verify_needs_applications_or_all(ptsp) -> None:
    setup(ptsp)
    for args in ([], ["1", "--all"]):
        result = ptsp("audit", "verify", *args, ok=False)
        assert result.exit_code == 1 and "name the applications to check, or pass --all" in result.stderr
    result = ptsp("audit", "verify", "PTSP/2026/999999", ok=False)
    assert "error: application PTSP/2026/999999 not found" in result.stderr


def test_an_auditor_works_in_no_lane(ptsp) -> None:
    setup(ptsp)
    added = ptsp.json("user", "add", "auditor1", "--role", "auditor", "--name", "Inspektorat")
    assert (added["lanes"], added["roles"]) == ([], ["auditor"])
    refused = ptsp("user", "add", "auditor2", "--role", "auditor", "--lane", "Kasi", ok=False)
    assert "an auditor works in no lane" in refused.stderr
    assert "unknown role 'admin'" in ptsp("user", "add", "x1", "--role", "admin", ok=False).stderr
    assert "at least one lane" in ptsp("user", "add", "x2", ok=False).stderr
    task = ptsp.json("tasks")[0]["id"]
    refused = ptsp("complete", task, "--as", "auditor1", "--data", "{}", ok=False)
    assert "auditor1 is not a member of lane 'Pemohon'" in refused.stderr
    assert ptsp.json("show", "1", "--as", "auditor1")["registration"] == "PTSP/2026/000001"
