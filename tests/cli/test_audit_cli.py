"""ptsp audit verify and auditors on the command line."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import timedelta

import pytest
from lxml import etree

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


def walked(ptsp) -> None:
    """One application filed, its first step done, and one filed a day later."""
    setup(ptsp)
    task = ptsp.json("tasks")[0]["id"]
    data = json.dumps({"jenis_layanan": "legalisir_dokumen", "nama_pemohon": "Siti", "nomor_hp": "0812345678"})
    ptsp("complete", task, "--as", "warga", "--data", data)


def test_export_streams_each_format(ptsp, tmp_path) -> None:
    walked(ptsp)
    rows = list(csv.DictReader(io.StringIO(ptsp("audit", "export", "--format", "csv").stdout)))
    assert [r["type"] for r in rows] == ["instance_started", "task_ready", "task_completed", "task_ready"]
    assert rows[2]["actor"] == "warga" and rows[0]["registration"] == "PTSP/2026/000001"
    lines = ptsp("audit", "export", "--format", "jsonl", "--instance", "PTSP/2026/000001").stdout.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4]
    target = tmp_path / "log.xes"
    ptsp("audit", "export", "--format", "xes", "-o", str(target))
    log = etree.parse(str(target)).getroot()
    assert len(log.findall("{http://www.xes-standard.org/}trace")) == 1
    assert not (tmp_path / "log.xes.partial").exists()


def test_export_selects_applications_by_filing_day_in_wib(ptsp, clock) -> None:
    walked(ptsp)
    clock.shift(timedelta(hours=16))  # 01:00 WIB on 24 November, still 23 November in UTC
    ptsp("start", "--as", "warga")

    def exported(*args: str) -> set[str]:
        out = ptsp("audit", "export", "--format", "jsonl", *args).stdout
        return {json.loads(line)["registration"] for line in out.splitlines()}

    assert exported("--until", "2026-11-23") == {"PTSP/2026/000001"}
    assert exported("--since", "2026-11-24") == {"PTSP/2026/000002"}
    assert exported("--since", "2026-11-23T10:00+07:00") == {"PTSP/2026/000002"}
    assert exported() == {"PTSP/2026/000001", "PTSP/2026/000002"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf"], "Invalid value for '--format'"),
        (["--format", "csv", "--since", "kemarin"], "is neither a date"),
        (["--format", "csv", "--since", "2026-11-23T09:00"], "has no offset"),
        (["--format", "csv", "--since", "2026-11-24", "--until", "2026-11-20"], "the period ends before it begins"),
        (["--format", "csv", "--instance", "PTSP/2026/999999"], "application PTSP/2026/999999 not found"),
    ],
)
def test_export_refusals_are_named(ptsp, args: list[str], message: str) -> None:
    walked(ptsp)
    result = ptsp("audit", "export", *args, ok=False)
    assert result.exit_code != 0 and message in result.stderr


def test_sla_report_on_the_command_line(ptsp, clock, tmp_path) -> None:
    walked(ptsp)
    clock.shift(timedelta(minutes=20))
    ptsp("tick")
    table = ptsp("audit", "sla", "--since", "2026-11-01", "--until", "2026-11-30").stdout
    assert "15 menit" in table and "PTSP/2026/000001" in table
    report = ptsp.json("audit", "sla", "--since", "2026-11-01", "--until", "2026-11-30")
    steps = {row["step"]: row for row in report["by_step"]}
    assert steps[1]["on_time_share"] == 1.0 and steps[2]["breaches"] == 1 and steps[2]["open_overdue"] == 1
    assert report["breaches"][0]["overrun"] == 300.0  # seconds past the deadline, at the time of asking
    chart = tmp_path / "sla.svg"
    period = ["--since", "2026-11-01", "--until", "2026-11-30"]
    out = ptsp("audit", "sla", *period, "--csv", "--lang", "en", "--svg", str(chart)).stdout
    sections = [row[0] for row in csv.reader(io.StringIO(out)) if len(row) == 1]
    assert sections == ["Time-standard (SLA) compliance report", "By SOP step", "By lane", "Breaches"]
    assert etree.parse(str(chart)).getroot().tag == "{http://www.w3.org/2000/svg}svg"
