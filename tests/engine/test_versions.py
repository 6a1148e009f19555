"""Versions of a process: deploy stores, activate puts into service, a rollback is an older activation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import Engine
from engine.errors import Conflict, DefinitionInvalid, InvalidInput, NotFound, PermissionDenied
from engine.store.models import Activation, Definition

from ..conftest import OWNER, PTSP_BPMN
from ..helpers import Application, fingerprint

XML = PTSP_BPMN.read_text(encoding="utf-8")
PT15M = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT15M</bpmn:timeDuration>'


def version_with(standard: str) -> bytes:
    assert PT15M in XML
    return XML.replace(PT15M, PT15M.replace("PT15M", standard), 1).encode()


def active_version(engine: Engine) -> int:
    return next(v.version for v in engine.versions() if v.active)


def test_the_first_version_is_active_and_a_later_one_waits(engine: Engine) -> None:
    assert [(v.version, v.active) for v in engine.versions()] == [(1, True)]
    deployed = engine.deploy(version_with("PT20M"), as_user=OWNER, note="Langkah 2 menjadi 20 menit")
    assert (deployed.version, deployed.created, deployed.active) == (2, True, False)
    listed = engine.versions(as_user=OWNER)
    assert [(v.version, v.active, v.deployed_by, v.note) for v in listed] == [
        (2, False, OWNER, "Langkah 2 menjadi 20 menit"),
        (1, True, "tests", None),
    ]
    assert engine.show(Application(engine).id).version == 1


def test_activate_and_roll_back(engine: Engine) -> None:
    running_on_1 = Application(engine)
    engine.deploy(version_with("PT20M"), as_user=OWNER)
    done = engine.activate(2, as_user=OWNER, note="Standar langkah 2 direvisi")
    assert (done.version, done.activated_by, done.note) == (2, OWNER, "Standar langkah 2 direvisi")
    on_2 = Application(engine)
    assert engine.show(on_2.id).version == 2
    assert engine.show(running_on_1.id).version == 1  # running applications stay on theirs
    engine.activate(1, as_user=OWNER, note="Kembali ke versi 1: revisi belum disahkan")
    assert active_version(engine) == 1
    assert engine.show(Application(engine).id).version == 1
    assert engine.show(on_2.id).version == 2
    history = engine.activations(as_user=OWNER)
    assert [(a.version, a.activated_by) for a in history] == [(1, OWNER), (2, OWNER), (1, "tests")]
    counts = {v.version: v.running_instances for v in engine.versions()}
    assert counts == {1: 2, 2: 1}


def test_activating_needs_a_process_owner_and_a_note(engine: Engine) -> None:
    engine.deploy(version_with("PT20M"), deployed_by="operator")
    before = fingerprint(engine)
    for login in ("kepala", "ptsp", "warga"):
        with pytest.raises(PermissionDenied, match="not a process owner"):
            engine.activate(2, as_user=login, note="x")
    with pytest.raises(InvalidInput, match="change note is required"):
        engine.activate(2, as_user=OWNER, note="  ")
    with pytest.raises(Conflict, match="already the active version"):
        engine.activate(1, as_user=OWNER, note="x")
    with pytest.raises(NotFound, match="ptsp has no version 7"):
        engine.activate(7, as_user=OWNER, note="x")
    with pytest.raises(InvalidInput, match="invalid version"):
        engine.activate(0, as_user=OWNER, note="x")
    with pytest.raises(InvalidInput, match="control characters"):
        engine.activate(2, as_user=OWNER, note="a\x00b")
    assert fingerprint(engine) == before


def test_deploying_as_a_user_needs_a_process_owner(engine: Engine) -> None:
    before = fingerprint(engine)
    with pytest.raises(PermissionDenied, match="not a process owner"):
        engine.deploy(version_with("PT20M"), as_user="kasubag")
    with pytest.raises(PermissionDenied):
        engine.versions(as_user="warga")
    with pytest.raises(PermissionDenied):
        engine.definition_file(1, as_user="kasi")
    assert fingerprint(engine) == before


def test_auditors_read_versions_but_change_nothing(engine: Engine) -> None:
    engine.add_user("inspektorat", [], roles=["auditor"])
    assert [v.version for v in engine.versions(as_user="inspektorat")] == [1]
    with pytest.raises(PermissionDenied):
        engine.deploy(version_with("PT20M"), as_user="inspektorat")
    with pytest.raises(PermissionDenied):
        engine.activate(1, as_user="inspektorat", note="x")


def test_dry_run_names_the_version_and_stores_nothing(engine: Engine) -> None:
    before = fingerprint(engine)
    planned = engine.deploy(version_with("PT20M"), as_user=OWNER, dry_run=True)
    assert (planned.version, planned.created, planned.active, planned.dry_run) == (2, True, False, True)
    known = engine.deploy(PTSP_BPMN.read_bytes(), dry_run=True)
    assert (known.version, known.created, known.active) == (1, False, True)
    with pytest.raises(DefinitionInvalid):
        engine.deploy(b"<bpmn:definitions/>", dry_run=True)
    assert fingerprint(engine) == before


def test_deploy_and_activate_in_one_step(engine: Engine) -> None:
    deployed = engine.deploy(version_with("PT20M"), as_user=OWNER, activate=True, note="langsung berlaku")
    assert deployed.active and active_version(engine) == 2
    # deploying known content with activate puts that version back into service
    again = engine.deploy(PTSP_BPMN.read_bytes(), as_user=OWNER, activate=True)
    assert (again.version, again.created, again.active) == (1, False, True)
    assert active_version(engine) == 1


def test_download_gives_the_exact_file(engine: Engine) -> None:
    data = version_with("PT20M").replace(b"\n", b"\r\n")  # a Windows modeler's line ends stay
    engine.deploy(data, as_user=OWNER)
    found = engine.definition_file(2, as_user=OWNER)
    assert (found.data, found.filename) == (data, "ptsp-v2.bpmn")
    assert engine.definition_file(1).data == PTSP_BPMN.read_bytes()


def test_one_activation_row_per_activation(engine: Engine) -> None:
    engine.deploy(version_with("PT20M"), as_user=OWNER, activate=True)
    with engine.db.reader() as session:
        assert session.execute(select(func.count()).select_from(Activation)).scalar_one() == 2
        assert session.execute(select(func.count()).select_from(Definition)).scalar_one() == 2
