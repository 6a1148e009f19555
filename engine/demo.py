"""``ptsp demo``: a fresh system with one application taken through all five lanes.

Used by ``make run`` until the web UI exists: it creates the schema, deploys the
diagram, creates one demo user per lane (passwords printed once, when created),
then files an application and completes every task as the right person,
including one round of the incomplete-file loop, and prints the timeline.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from .errors import NotFound
from .facade import Engine
from .model import Form

DEMO_USERS = [
    ("warga", "Siti Aminah", ["Pemohon"]),
    ("ptsp", "Petugas PTSP", ["PTSP"]),
    ("kepala", "Kepala Kantor", ["Kepala Kantor"]),
    ("kasubag", "Kepala Subbagian Tata Usaha", ["Kasubag"]),
    ("kasi", "Kepala Seksi Pendidikan Madrasah", ["Kasi"]),
]
# the Seksi of the demo Kasi: the one the demo service (rekomendasi_mutasi_siswa) is routed to
DEMO_SEKSI = {"kasi": "Pendidikan Madrasah"}
# login, name, role: users beside the lanes
DEMO_ROLES = [
    ("auditor", "Auditor Inspektorat Jenderal", "auditor"),
    ("pemilik", "Pemilik Proses (Subbag Tata Usaha)", "process_owner"),
    ("admin", "Administrator Kalender Kerja", "administrator"),
]

SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "jenis_layanan": "rekomendasi_mutasi_siswa",
    "nama_pemohon": "Siti Aminah",
    "nomor_hp": "081234567890",
    "uraian_keperluan": "Rekomendasi pindah sekolah anak ke MTs Negeri 3 Jakarta",
    "daftar_persyaratan": "Surat permohonan, surat keterangan pindah, rapor, kartu keluarga",
    "berkas_diserahkan": "Surat permohonan, surat keterangan pindah, kartu keluarga",
    "catatan_pemeriksaan": "Rapor belum dilampirkan",
    # when the file is returned (berkas_lengkap false): the items missing and the note to the applicant
    "kekurangan": ["rapor"],
    "catatan_kekurangan": "Mohon lampirkan fotokopi rapor semester terakhir.",
    "berkas_dilengkapi": "Rapor semester terakhir",
    "catatan_disposisi_kepala": "Mohon segera diproses",
    "seksi_tujuan": "pendidikan_madrasah",
    "catatan_disposisi_kasubag": "Mohon diproses sesuai standar layanan",
    "uraian_proses": "Surat rekomendasi mutasi disiapkan",
    "nomor_produk": "B-1234/Kk.09.1/PP.00/11/2026",
    "nomor_agenda_arsip": "Agenda 2026/11/0456",
}


def sample_form_data(form: Form, overrides: dict[str, Any]) -> dict[str, Any]:
    """Valid values for every field ``form`` needs (``overrides`` win).

    A field required only for one answer (``required_when``) is filled in
    exactly when that answer is given; a field the engine prefilled from the
    catalogue (step 6's Seksi) keeps its prefilled value.
    """
    data: dict[str, Any] = {}
    conditional = []
    for f in form.fields:
        if f.id in overrides:
            data[f.id] = overrides[f.id]
        elif f.required_when is not None:
            conditional.append(f)
        elif f.catalogue and f.default not in (None, ""):
            data[f.id] = f.default
        elif f.id in SAMPLE_DATA and _offered(f, SAMPLE_DATA[f.id]):
            data[f.id] = SAMPLE_DATA[f.id]
        elif not f.required:
            continue
        elif f.type == "boolean":
            data[f.id] = True
        elif f.type == "long":
            data[f.id] = int(float(f.constraints.get("min", 1)))
        elif f.type == "enum":
            data[f.id] = next((v.id for v in f.enum if not v.referral), f.enum[0].id if f.enum else "")
        elif f.type == "checklist":
            data[f.id] = [f.enum[0].id] if f.enum else []
        elif f.type == "date":
            data[f.id] = date.today().isoformat()
        else:
            data[f.id] = "Contoh isian"
    for f in conditional:
        name, answer = f.required_when
        if data.get(name) is not answer:
            continue
        if f.type == "checklist":
            sample = [v for v in SAMPLE_DATA.get(f.id, []) if any(o.id == v for o in f.enum)]
            data[f.id] = sample or ([f.enum[0].id] if f.enum else [])
        else:
            data[f.id] = SAMPLE_DATA.get(f.id, "Contoh isian")
    return data


def _offered(f: Any, value: Any) -> bool:
    """Whether a sample value is among a field's options (a catalogue may not offer it)."""
    if f.type != "enum" or not f.enum:
        return True
    return any(v.id == value and not v.referral for v in f.enum)


def ensure_demo_users(engine: Engine, say: Callable[[str], None]) -> dict[str, str]:
    """Create missing demo users; return lane -> login."""
    created = []
    wanted = [(login, name, lanes, []) for login, name, lanes in DEMO_USERS]
    wanted += [(login, name, [], [role]) for login, name, role in DEMO_ROLES]
    for login, name, lanes, roles in wanted:
        try:
            engine.user(login)
        except NotFound:
            password = secrets.token_urlsafe(9)
            engine.add_user(login, lanes, name=name, password=password, roles=roles, seksi=DEMO_SEKSI.get(login))
            created.append((login, (lanes + roles)[0], password))
    if created:
        say("Demo users (passwords are shown only now):")
        for login, lane, password in created:
            say(f"  {login:<9} {lane:<14} {password}")
    else:
        say("Demo users already exist (their passwords were shown when they were created).")
    return {lanes[0]: login for login, _name, lanes in DEMO_USERS}


def run_demo(engine: Engine, bpmn: Path, say: Callable[[str], None], print_timeline: Callable[[list], None]) -> str:
    engine.init_db()
    deployed = engine.deploy(bpmn.read_bytes(), deployed_by="demo", note="demo setup")
    say(f"Diagram {bpmn}: process {deployed.process} version {deployed.version}")
    beside = bpmn.parent / "services.yaml"
    seeded = engine.ensure_catalogue(beside if beside.exists() else None)
    if seeded is not None:
        say(f"Service catalogue: version {seeded.version}, {seeded.services} services")
    by_lane = ensure_demo_users(engine, say)
    started = engine.start(as_user=by_lane["Pemohon"])
    say(f"Application {started.registration} started by {by_lane['Pemohon']}\n")
    checks = 0
    for _ in range(100):
        ready = engine.tasks(instance=started.instance)
        if not ready:
            break
        task = ready[0]
        detail = engine.task(task.id)
        overrides: dict[str, Any] = {}
        if "berkas_lengkap" in {f.id for f in detail.form.fields}:
            overrides["berkas_lengkap"] = checks > 0  # return the file once (the rapor missing), then accept it
            if checks > 0:
                overrides["catatan_pemeriksaan"] = None
            checks += 1
        data = sample_form_data(detail.form, overrides)
        engine.complete(task.id, as_user=by_lane[task.lane], data=data)
    info = engine.show(started.instance)
    say(f"{info.registration} is {info.status}. Timeline:\n")
    print_timeline(engine.history(started.instance))
    return started.registration
