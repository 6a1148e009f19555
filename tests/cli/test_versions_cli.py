"""`ptsp deploy / versions / diff / activate / migrate`, as a process owner uses them."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import PTSP_BPMN
from ..modeler_edit import STEP2_TASK, STEP2_TIMER, STEP3_TASK, standard_edit


def setup(ptsp, tmp_path: Path) -> Path:
    ptsp("deploy", str(PTSP_BPMN))
    ptsp("user", "add", "warga", "--lane", "Pemohon")
    ptsp("user", "add", "pemilik", "--role", "process_owner")
    edited = tmp_path / "ptsp-revisi.bpmn"
    edited.write_text(standard_edit(PTSP_BPMN.read_text(encoding="utf-8")), encoding="utf-8")
    return edited


def test_deploy_diff_activate_and_versions(ptsp, tmp_path: Path) -> None:
    edited = setup(ptsp, tmp_path)
    planned = ptsp.json("deploy", str(edited), "--dry-run")
    assert (planned["version"], planned["dry_run"], planned["problems"]) == (2, True, [])
    assert [v["version"] for v in ptsp.json("versions")] == [1]  # the dry run stored nothing

    deployed = ptsp("deploy", str(edited), "--note", "Langkah 2 menjadi 20 menit", "--by", "pemilik")
    assert "deployed version 2" in deployed.stdout and "ptsp activate 2" in deployed.stdout
    listed = ptsp.json("versions")
    assert [(v["version"], v["active"], v["running_instances"]) for v in listed] == [(2, False, 0), (1, True, 0)]
    assert set(listed[0]) >= {"version", "sha256", "deployed_at", "deployed_by", "active", "running_instances"}

    diff = ptsp.json("diff", "1", "2")
    assert set(diff) == {"tasks", "lanes", "timers", "forms", "flows", "gateways"}
    assert [(t["element"], t["old"], t["new"]) for t in diff["timers"]] == [(STEP2_TIMER, "PT15M", "PT20M")]
    assert [t["element"] for t in diff["tasks"]["renamed"]] == [STEP2_TASK]
    assert [(f["element"], f["field"], f["kind"]) for f in diff["forms"]] == [
        (STEP3_TASK, "nomor_tanda_terima", "field_added")
    ]
    assert diff["flows"] == [] and all(not v for v in diff["lanes"].values())
    text = ptsp("diff", "1", "2").stdout
    assert "PT15M" in text and "PT20M" in text and len(text.strip().splitlines()) == 3

    ptsp("activate", "2", "--note", "SOP revisi", "--by", "pemilik")
    assert [v["active"] for v in ptsp.json("versions")] == [True, False]
    again = ptsp("activate", "2", ok=False)
    assert again.exit_code == 1 and "already the active version" in again.stderr
    ptsp("activate", "1", "--note", "kembali")  # a rollback
    assert [v["active"] for v in ptsp.json("versions")] == [False, True]


def test_an_invalid_file_lists_its_problems_as_json_and_exits_1(ptsp, tmp_path: Path) -> None:
    setup(ptsp, tmp_path)
    broken = tmp_path / "rusak.bpmn"
    text = PTSP_BPMN.read_text(encoding="utf-8")
    broken.write_text(text.replace(">PT15M<", ">15 menit<", 1).replace('name="Kasi"', 'name="Satpam"', 1))
    result = ptsp("deploy", str(broken), "--json", ok=False)
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["version"] is None and len(body["problems"]) == 2
    assert all(set(p) >= {"line", "element", "message"} for p in body["problems"])
    assert all(isinstance(p["line"], int) for p in body["problems"])
    assert [v["version"] for v in ptsp.json("versions")] == [1]


def test_migrate_one_application(ptsp, tmp_path: Path) -> None:
    edited = setup(ptsp, tmp_path)
    started = ptsp.json("start", "--as", "warga")
    ptsp("deploy", str(edited))
    dry = ptsp.json("migrate", started["registration"], "--to", "2", "--as", "pemilik", "--dry-run")
    assert (dry["ok"], dry["reasons"], dry["migrated"]) == (True, [], False)
    assert ptsp.json("show", started["registration"])["version"] == 1
    done = ptsp("migrate", started["registration"], "--to", "2", "--as", "pemilik")
    assert "moved from version 1 to 2" in done.stdout
    assert ptsp.json("show", started["registration"])["version"] == 2
    refused = ptsp("migrate", started["registration"], "--to", "2", "--as", "pemilik", "--json", ok=False)
    assert refused.exit_code == 1 and json.loads(refused.stdout)["ok"] is False
    not_owner = ptsp("migrate", started["registration"], "--to", "1", "--as", "warga", ok=False)
    assert "not a process owner" in not_owner.stderr
