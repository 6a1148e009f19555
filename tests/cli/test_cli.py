"""The ptsp command: every command, its JSON shape, and one-line errors that change nothing."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from ..conftest import PTSP_BPMN, T0, minutes
from ..helpers import fingerprint


def setup(ptsp) -> dict:
    deployed = ptsp.json("deploy", str(PTSP_BPMN))
    assert deployed == {
        "process": "ptsp",
        "version": 1,
        "sha256": deployed["sha256"],
        "created": True,
        "active": True,  # the first version of a process goes into service at once
        "dry_run": False,
        "problems": [],
    }
    ptsp(
        "user",
        "add",
        "warga",
        "--lane",
        "Pemohon",
        "--name",
        "Siti Aminah",
        "--password-stdin",
        stdin="rahasia-sekali\n",
    )
    ptsp("user", "add", "ptsp", "--lane", "PTSP")
    return ptsp.json("start", "--as", "warga")


def test_db_init_is_idempotent(ptsp) -> None:
    assert "already at revision" in ptsp("db", "init").stdout  # the fixture's database is migrated
    assert "already at revision" in ptsp("db", "init").stdout


def test_the_commands_and_their_json(ptsp) -> None:
    started = setup(ptsp)
    assert started == {"instance": 1, "registration": "PTSP/2026/000001"}

    tasks = ptsp.json("tasks")
    assert len(tasks) == 1
    assert set(tasks[0]) >= {"id", "instance", "registration", "name", "lane", "sop_step", "ready_at", "due_at"}
    assert tasks[0]["due_at"] == (T0 + minutes(15)).isoformat()
    assert datetime.fromisoformat(tasks[0]["ready_at"]).utcoffset() is not None
    assert ptsp.json("tasks", "--lane", "PTSP") == []
    assert ptsp.json("tasks", "--instance", "PTSP/2026/000001")[0]["id"] == tasks[0]["id"]

    task = ptsp.json("task", tasks[0]["id"])
    fields = {f["id"]: f for f in task["form"]["fields"]}
    assert set(fields["jenis_layanan"]) >= {"id", "type", "label", "required", "enum"}
    assert fields["jenis_layanan"]["type"] == "enum" and fields["jenis_layanan"]["required"] is True
    assert {"id": "legalisir_dokumen", "name": "Legalisir dokumen"} in fields["jenis_layanan"]["enum"]
    assert task["mutu_baku"] == {"persyaratan": "Dokumen Layanan", "waktu": "15 menit", "output": "Dokumen Permohonan"}

    data = json.dumps({"jenis_layanan": "legalisir_dokumen", "nama_pemohon": "Siti", "nomor_hp": "0812345678"})
    done = ptsp.json("complete", tasks[0]["id"], "--as", "warga", "--data", data)
    assert done["status"] == "running" and done["next_tasks"][0]["lane"] == "PTSP"

    shown = ptsp.json("show", "1")
    assert {k: shown[k] for k in ("id", "registration", "status", "version")} == {
        "id": 1,
        "registration": "PTSP/2026/000001",
        "status": "running",
        "version": 1,
    }
    assert shown["data"]["jenis_layanan"] == "legalisir_dokumen"

    history = ptsp.json("history", "PTSP/2026/000001")
    assert [e["type"] for e in history] == ["instance_started", "task_ready", "task_completed", "task_ready"]
    for event in history:
        assert set(event) >= {"seq", "type", "at", "actor", "task", "task_name", "lane"}
    assert history[2]["task"] == tasks[0]["id"] and history[2]["actor"] == "warga"

    assert ptsp.json("tick") == {"fired": 0, "instances": 0, "failed": []}


def test_tick_fires_due_timers(ptsp, clock) -> None:
    setup(ptsp)
    clock.shift(minutes(15))
    assert ptsp.json("tick")["fired"] == 1
    breach = ptsp.json("history", "1")[-1]
    assert breach["type"] == "sla_breached" and breach["lane"] == "Pemohon"
    assert breach["due_at"] == (T0 + minutes(15)).isoformat()


def test_tables_are_readable_and_in_wib(ptsp) -> None:
    setup(ptsp)
    listing = ptsp("tasks").stdout
    assert "REGISTRATION" in listing and "PTSP/2026/000001" in listing
    assert "23-11-2026 09:00 WIB" in listing and "23-11-2026 09:15 WIB" in listing
    task_id = ptsp.json("tasks")[0]["id"]
    assert "jenis_layanan" in ptsp("task", task_id).stdout
    assert "Waiting for:" in ptsp("show", "PTSP/2026/000001").stdout
    assert "instance_started" in ptsp("history", "1").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["complete", "0000", "--as", "warga", "--data", "{}"], "error: task 0000 not found"),
        (["complete", "TASK", "--as", "ptsp", "--data", "{}"], "error: ptsp is not a member of lane 'Pemohon'"),
        (["complete", "TASK", "--as", "warga", "--data", "{nope"], "error: --data is not valid JSON"),
        (["complete", "TASK", "--as", "warga", "--data", "[1]"], "error: --data must be a JSON object"),
        (["complete", "TASK", "--as", "warga", "--data", '{"nama_pemohon": ""}'], "error: form data invalid"),
        (["start", "--as", "ptsp"], "error: ptsp may not start an application"),
        (["start", "--as", "nobody"], "error: user 'nobody' not found"),
        (["show", "PTSP/2026/999999"], "error: application PTSP/2026/999999 not found"),
        (["tasks", "--lane", "Satpam"], "error: unknown lane 'Satpam'"),
        (["user", "add", "warga", "--lane", "Pemohon"], "error: user 'warga' already exists"),
        (["deploy", "/does/not/exist.bpmn"], "error: cannot read /does/not/exist.bpmn"),
    ],
)
def test_refusals_print_one_line_and_change_nothing(ptsp, args: list[str], message: str) -> None:
    setup(ptsp)
    task_id = ptsp.json("tasks")[0]["id"]
    args = [task_id if a == "TASK" else a for a in args]
    from engine import Engine

    engine = Engine(ptsp.url)
    before = fingerprint(engine)
    result = ptsp(*args, ok=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert fingerprint(engine) == before
    engine.close()


def test_invalid_diagram_lists_its_problems(ptsp, tmp_path) -> None:
    bad = tmp_path / "bad.bpmn"
    bad.write_text(
        PTSP_BPMN.read_text(encoding="utf-8")
        .replace('name="Kasubag"', 'name="Satpam"')
        .replace(">PT10M<", ">10 menit<"),
        encoding="utf-8",
    )
    result = ptsp("deploy", str(bad), ok=False)
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("error: line ") for e in errors)
    as_json = ptsp("deploy", str(bad), "--json", ok=False)
    problems = json.loads(as_json.stdout)["problems"]
    assert {p["element"].split(" ")[0] for p in problems} == {
        "Lane_Kasubag",
        "BatasWaktu_Langkah9_MenerimaProdukLayanan",
    }
    assert all(set(p) == {"line", "element", "name", "message"} for p in problems)
    dry = ptsp("deploy", str(PTSP_BPMN), "--dry-run")
    assert "valid" in dry.stdout
    assert ptsp.json("deploy", str(PTSP_BPMN))["version"] == 1


def test_cancel(ptsp) -> None:
    setup(ptsp)
    assert ptsp.json("cancel", "PTSP/2026/000001", "--as", "warga", "--reason", "salah layanan") == {
        "registration": "PTSP/2026/000001",
        "status": "cancelled",
    }
    assert ptsp.json("show", "1")["status"] == "cancelled"


def test_data_from_a_file_and_stdin(ptsp, tmp_path) -> None:
    setup(ptsp)
    task_id = ptsp.json("tasks")[0]["id"]
    path = tmp_path / "data.json"
    path.write_text(
        json.dumps({"jenis_layanan": "legalisir_dokumen", "nama_pemohon": "Siti", "nomor_hp": "0812345678"}),
        encoding="utf-8",
    )
    ptsp("complete", task_id, "--as", "warga", "--data", f"@{path}")
    step2 = ptsp.json("tasks")[0]["id"]
    ptsp(
        "complete",
        step2,
        "--as",
        "ptsp",
        "--data",
        "-",
        stdin=json.dumps({"standar_layanan_dijelaskan": True, "daftar_persyaratan": "KTP"}),
    )
    assert ptsp.json("tasks")[0]["sop_step"] == 3


def test_demo_runs_one_application_through_every_lane(ptsp) -> None:
    out = ptsp("demo", "--bpmn", str(PTSP_BPMN)).stdout
    assert "Demo users (passwords are shown only now)" in out
    assert "PTSP/2026/000001 is completed" in out
    for lane in ("Pemohon", "PTSP", "Kepala Kantor", "Kasubag", "Kasi"):
        assert lane in out
    again = ptsp("demo", "--bpmn", str(PTSP_BPMN)).stdout
    assert "Demo users already exist" in again and "PTSP/2026/000002 is completed" in again


def test_show_and_history_as_a_user(ptsp) -> None:
    setup(ptsp)
    ptsp("user", "add", "warga2", "--lane", "Pemohon")
    assert ptsp.json("show", "1", "--as", "warga")["registration"] == "PTSP/2026/000001"
    result = ptsp("history", "1", "--as", "warga2", ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("error: application 1 not found")


def test_data_file_that_is_not_text(ptsp, tmp_path) -> None:
    setup(ptsp)
    task_id = ptsp.json("tasks")[0]["id"]
    binary = tmp_path / "foto.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\xff")
    result = ptsp("complete", task_id, "--as", "warga", "--data", f"@{binary}", ok=False)
    assert result.exit_code == 1 and result.stderr.strip() == "error: --data file is not UTF-8 text"


def test_set_a_password(ptsp) -> None:
    from engine import Engine

    setup(ptsp)
    assert "password of warga set" in ptsp("user", "password", "warga", stdin="kata-sandi-baru\n").stdout
    engine = Engine(ptsp.url)
    assert engine.authenticate("warga", "kata-sandi-baru") is not None
    assert engine.authenticate("warga", "rahasia-sekali") is None
    engine.close()
    short = ptsp("user", "password", "warga", stdin="123\n", ok=False)
    assert short.exit_code == 1 and "password too short" in short.stderr
    missing = ptsp("user", "password", "nobody", stdin="kata-sandi-baru\n", ok=False)
    assert missing.exit_code == 1 and "user 'nobody' not found" in missing.stderr
