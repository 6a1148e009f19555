"""`ptsp services`: list the catalogue (as JSON too), show one service, deploy a new version."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import PTSP_BPMN

SERVICES_YAML = PTSP_BPMN.parent / "services.yaml"


def test_services_json_lists_every_service_with_its_requirements(ptsp) -> None:
    assert ptsp.json("services") == []  # nothing stored yet
    ptsp("services", "deploy", str(SERVICES_YAML), "--note", "katalog awal", "--by", "pemilik")
    listed = json.loads(ptsp("services", "--json").stdout)
    assert len(listed) >= 12
    for entry in listed:
        assert {"code", "name", "seksi", "requirements", "standard"} <= set(entry)
    legalisir = next(e for e in listed if e["code"] == "legalisir_dokumen")
    assert legalisir["seksi"] == "Pendidikan Madrasah" and legalisir["standard"] == "PT15M"
    assert {"code": "ktp_pemohon", "text": "Fotokopi KTP pemohon"} in legalisir["requirements"]
    hajj = next(e for e in listed if e["code"] == "layanan_haji")
    assert hajj["requirements"] == [] and "Kementerian Haji dan Umrah" in hajj["referral"]
    table = ptsp("services").stdout
    assert "catalogue version 1" in table and "legalisir_dokumen" in table and "15 menit" in table


def test_services_show_and_versions(ptsp) -> None:
    ptsp("services", "deploy", str(SERVICES_YAML))
    shown = ptsp.json("services", "show", "pengukuran_arah_kiblat")
    assert shown["seksi"] == "Bimas Islam" and shown["standard"] == "P5D" and shown["biaya"] == "Gratis"
    text = ptsp("services", "show", "pengukuran_arah_kiblat").stdout
    assert "5 hari kerja" in text and "Persyaratan:" in text and "Dasar hukum:" in text
    missing = ptsp("services", "show", "tidak_ada", ok=False)
    assert missing.exit_code == 1 and "not in the catalogue" in missing.stderr
    versions = ptsp.json("services", "versions")
    assert [(v["version"], v["in_use"]) for v in versions] == [(1, True)]


def test_services_deploy_checks_the_whole_file(ptsp, tmp_path: Path) -> None:
    ptsp("services", "deploy", str(SERVICES_YAML))
    broken = tmp_path / "services.yaml"
    text = SERVICES_YAML.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("standard: P2D", "standard: 2 hari", 1).replace("seksi: Bimas Islam", "seksi: Bimas", 1)
    )
    refused = ptsp("services", "deploy", str(broken), "--json", ok=False)
    assert refused.exit_code == 1
    problems = json.loads(refused.stdout)["problems"]
    assert [(p["element"], "2 hari" in p["message"] or "unknown seksi" in p["message"]) for p in problems] == [
        ("rekomendasi_mutasi_siswa", True),
        ("skt_majelis_taklim", True),
    ]
    assert all(p["line"] for p in problems)
    assert "error: line" in refused.stderr
    assert [v["version"] for v in ptsp.json("services", "versions")] == [1]  # nothing stored

    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace("standard: PT15M", "standard: PT20M", 1), encoding="utf-8")
    planned = ptsp.json("services", "deploy", str(changed), "--dry-run")
    assert (planned["version"], planned["dry_run"]) == (2, True)
    done = ptsp("services", "deploy", str(changed), "--note", "legalisir 20 menit")
    assert "catalogue version 2 stored" in done.stdout
    again = ptsp("services", "deploy", str(changed))
    assert "already the catalogue in use (version 2)" in again.stdout
    out = tmp_path / "v1.yaml"
    ptsp("services", "download", "1", "-o", str(out))
    assert out.read_text(encoding="utf-8") == text
    assert ptsp.json("services", "--version", "1")[0]["standard"] == "PT15M"
