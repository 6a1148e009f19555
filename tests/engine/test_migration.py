"""Migrating running applications to another deployed version of the diagram.

Each test deploys a second version made from ``processes/ptsp.bpmn`` by the
kind of edit a process owner makes in the modeler, then moves an application
(or refuses to, leaving every row as it was).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from engine import Engine
from engine.errors import FormInvalid, InvalidInput, NotFound, PermissionDenied
from engine.migration import MigrationReport
from engine.services import migrating
from engine.store.models import Definition, Instance, TimerRow
from engine.store.uow import UnitOfWork

from ..conftest import T0, make_engine, minutes
from ..helpers import HAPPY_PATH, STEP_ELEMENTS, Application, fingerprint

OWNER = "pemilik"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
S1, S2, S3, S4, S5 = (STEP_ELEMENTS[n] for n in (1, 2, 3, 4, 5))


# ------------------------------------------------------------------ new versions
class Diagram:
    """``processes/ptsp.bpmn`` edited as a process owner edits it in the modeler."""

    def __init__(self, xml: bytes) -> None:
        self.root = etree.fromstring(xml)

    def xml(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8")

    def _one(self, path: str) -> Any:
        found = self.root.xpath(path, namespaces=NS)
        assert len(found) == 1, f"{path}: {len(found)} matches"
        return found[0]

    def el(self, element_id: str) -> Any:
        return self._one(f"//*[@id='{element_id}']")

    def set_timer(self, task: str, duration: str) -> Diagram:
        timer = self._one(f"//bpmn:boundaryEvent[@attachedToRef='{task}']")
        timer.find("bpmn:timerEventDefinition/bpmn:timeDuration", NS).text = duration
        return self

    def rename(self, element: str, name: str) -> Diagram:
        self.el(element).set("name", name)
        return self

    def move_shapes(self, dx: int) -> Diagram:
        for bounds in self.root.xpath("//dc:Bounds", namespaces=NS):
            bounds.set("x", str(float(bounds.get("x")) + dx))
        for point in self.root.xpath("//*[local-name()='waypoint']"):
            point.set("x", str(float(point.get("x")) + dx))
        return self

    def set_lane(self, task: str, lane: str) -> Diagram:
        ref = self._one(f"//bpmn:lane/bpmn:flowNodeRef[text()='{task}']")
        ref.getparent().remove(ref)
        self._one(f"//bpmn:lane[@name='{lane}']").append(ref)
        return self

    def field(self, task: str, field_id: str) -> Any:
        return self._one(f"//*[@id='{task}']//camunda:formField[@id='{field_id}']")

    def remove_field(self, task: str, field_id: str) -> Diagram:
        f = self.field(task, field_id)
        f.getparent().remove(f)
        return self

    def retype_field(self, task: str, field_id: str, type_: str) -> Diagram:
        f = self.field(task, field_id)
        f.set("type", type_)
        for constraint in f.findall("camunda:validation/camunda:constraint", NS):
            if constraint.get("name") != "required":
                constraint.getparent().remove(constraint)
        return self

    def set_constraint(self, task: str, field_id: str, name: str, config: str) -> Diagram:
        constraint = self._one(
            f"//*[@id='{task}']//camunda:formField[@id='{field_id}']//camunda:constraint[@name='{name}']"
        )
        constraint.set("config", config)
        return self

    def remove_enum_value(self, task: str, field_id: str, value: str) -> Diagram:
        option = self._one(f"//*[@id='{task}']//camunda:formField[@id='{field_id}']/camunda:value[@id='{value}']")
        option.getparent().remove(option)
        return self

    def add_field(self, task: str, field_id: str, type_: str = "string", *, required: bool = True) -> Diagram:
        form = self._one(f"//*[@id='{task}']//camunda:formData")
        f = etree.SubElement(form, f"{{{NS['camunda']}}}formField", id=field_id, label=field_id, type=type_)
        if required:
            validation = etree.SubElement(f, f"{{{NS['camunda']}}}validation")
            etree.SubElement(validation, f"{{{NS['camunda']}}}constraint", name="required")
        return self

    def set_condition(self, flow: str, condition: str) -> Diagram:
        self._one(f"//bpmn:sequenceFlow[@id='{flow}']/bpmn:conditionExpression").text = condition
        return self

    def rename_process(self, process_id: str) -> Diagram:
        self._one("//bpmn:process").set("id", process_id)
        self._one("//bpmn:participant").set("processRef", process_id)
        return self

    def _drop(self, element_id: str) -> None:
        """An element, its diagram shapes and every reference to it (lanes, incoming, outgoing)."""
        el = self.el(element_id)
        inner = [e.get("id") for e in el.iter() if e.get("id")]
        el.getparent().remove(el)
        for ident in inner:
            for di in self.root.xpath(f"//*[@bpmnElement='{ident}']"):
                di.getparent().remove(di)
            for ref in self.root.xpath(f"//*[text()='{ident}']"):
                if etree.QName(ref).localname in ("flowNodeRef", "incoming", "outgoing"):
                    ref.getparent().remove(ref)

    def remove_timer(self, task: str) -> Diagram:
        """Take a task's time standard away (its boundary timer and breach path)."""
        for timer in self.root.xpath(f"//bpmn:boundaryEvent[@attachedToRef='{task}']", namespaces=NS):
            for flow in self.root.xpath(f"//bpmn:sequenceFlow[@sourceRef='{timer.get('id')}']", namespaces=NS):
                end = flow.get("targetRef")
                self._drop(flow.get("id"))
                self._drop(end)
            self._drop(timer.get("id"))
        return self

    def remove_task(self, task: str) -> Diagram:
        """Take a step out of the path: the flow into it now leads where the flow out of it led."""
        incoming = self._one(f"//bpmn:sequenceFlow[@targetRef='{task}']")
        outgoing = self._one(f"//bpmn:sequenceFlow[@sourceRef='{task}']")
        target = outgoing.get("targetRef")
        self.remove_timer(task)
        self._drop(outgoing.get("id"))
        self._drop(task)
        incoming.set("targetRef", target)
        ref = etree.Element(f"{{{NS['bpmn']}}}incoming")
        ref.text = incoming.get("id")
        self.el(target).find("bpmn:outgoing", NS).addprevious(ref)
        return self


def deploy(engine: Engine, diagram: Diagram, *, activate: bool = False) -> int:
    """A new version; ``activate``: new applications start on it."""
    result = engine.deploy(diagram.xml(), deployed_by=OWNER, activate=activate)
    assert result.created
    return result.version


def migrate(
    engine: Engine,
    instance: str | int,
    version: Any,
    *,
    as_user: str = OWNER,
    dry_run: bool = False,
    process: str | None = None,
) -> MigrationReport:
    """One command, as the facade runs it: one pinned moment, one transaction."""
    with engine.ctx.clock.pinned(), UnitOfWork(engine.db.write_engine) as uow:
        report = migrating.migrate(uow, engine.ctx, as_user, instance, version, process=process, dry_run=dry_run)
        uow.commit()
    return report


def plan_bulk(engine: Engine, from_version: int, to_version: int, *, as_user: str = OWNER) -> list[MigrationReport]:
    with engine.db.reader() as session:
        return migrating.plan_bulk(session.connection(), engine.ctx, as_user, from_version, to_version)


def row(engine: Engine, instance: int) -> Instance:
    with engine.db.reader() as session:
        found = session.get(Instance, instance)
        session.expunge(found)
        return found


def timers_of(engine: Engine, instance: int) -> list[tuple[str, Any]]:
    with engine.db.reader() as session:
        rows = session.execute(select(TimerRow).where(TimerRow.instance_id == instance)).scalars()
        return sorted((r.element_id, r.due_at) for r in rows)


def sha256_of(engine: Engine, version: int) -> str:
    with engine.db.reader() as session:
        return session.execute(select(Definition.sha256).where(Definition.version == version)).scalar_one()


def with_owner(engine: Engine) -> Engine:
    try:
        engine.user(OWNER)
    except NotFound:  # the shared fixtures may not create one
        engine.add_user(OWNER, [], name="Pemilik Proses", roles=["process_owner"])
    return engine


@pytest.fixture
def office(engine: Engine) -> Iterator[Engine]:
    yield with_owner(engine)


@pytest.fixture
def original(ptsp_xml: bytes) -> Diagram:
    return Diagram(ptsp_xml)


# ------------------------------------------------------------------- what moves
def test_waiting_at_step_1_moves_and_step_2_counts_the_new_standard(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    version = deploy(office, original.set_timer(S2, "PT20M"))
    before = row(office, app.id).version

    report = migrate(office, app.registration, version)

    assert report.ok and report.migrated and report.reasons == []
    assert (report.from_version, report.to_version, report.process) == (1, 2, "ptsp")
    assert report.as_dict()["ok"] is True and report.as_dict()["reasons"] == []
    assert office.show(app.id).version == 2
    assert row(office, app.id).version == before + 1
    # step 1's own standard did not change: its deadline stays
    assert app.current().due_at == T0 + minutes(15)

    clock.shift(minutes(5))
    app.do(1)
    step2 = app.current()
    assert step2.element == S2 and step2.due_at == T0 + minutes(25)
    assert timers_of(office, app.id) == [(f"BatasWaktu_{S2}", T0 + minutes(25))]
    clock.shift(minutes(19))
    assert office.tick().fired == 0  # the old 15 minutes have passed: no breach under the new standard
    clock.shift(minutes(1))
    assert office.tick().fired == 1
    breach = office.history(app.id)[-1]
    assert breach.type == "sla_breached"
    assert breach.data["standard"] == "PT20M" and breach.data["due_at"] == (T0 + minutes(25)).isoformat()


def test_a_waiting_timer_is_recomputed_from_the_moment_its_step_began(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)  # step 1 ready at T0, due T0 + 15 min
    clock.shift(minutes(5))
    version = deploy(office, original.set_timer(S1, "PT30M"))

    report = migrate(office, app.id, version)

    assert report.ok
    [timer] = report.timers
    assert timer.element == f"BatasWaktu_{S1}" and timer.task_element == S1
    assert (timer.previous_standard, timer.standard) == ("PT15M", "PT30M")
    assert timer.previous_due_at == T0 + minutes(15)
    assert timer.due_at == T0 + minutes(30) and timer.counted_from == T0  # not from the migration (T0 + 5)
    assert report.changed_timers == [timer]
    assert app.current().due_at == T0 + minutes(30)
    assert timers_of(office, app.id) == [(f"BatasWaktu_{S1}", T0 + minutes(30))]
    assert office.next_timer_due() == T0 + minutes(30)

    clock.shift(minutes(20))  # T0 + 25: past the old deadline only
    assert office.tick().fired == 0
    clock.shift(minutes(5))
    assert office.tick().fired == 1
    assert office.history(app.id)[-1].data["due_at"] == (T0 + minutes(30)).isoformat()


def test_a_standard_shortened_below_the_time_already_spent_is_breached_by_the_next_sweep(
    office: Engine, original: Diagram, clock
) -> None:
    app = Application(office)
    clock.shift(minutes(10))
    version = deploy(office, original.set_timer(S1, "PT5M"))

    report = migrate(office, app.id, version)

    assert report.ok and report.timers[0].due_at == T0 + minutes(5)
    assert not [e for e in office.history(app.id) if e.type == "sla_breached"]  # migrating is not a sweep
    assert office.tick().fired == 1
    breach = office.history(app.id)[-1]
    assert breach.type == "sla_breached" and breach.at == T0 + minutes(10)
    assert breach.data["due_at"] == (T0 + minutes(5)).isoformat()


def test_the_migration_is_an_event_in_the_history(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    app.do(1)
    clock.shift(minutes(3))
    version = deploy(office, original.set_timer(S2, "PT20M").rename(S2, "Menjelaskan Layanan"))

    migrate(office, app.id, version)

    event = office.history(app.id)[-1]
    assert event.type == "instance_migrated" and event.actor == OWNER and event.at == T0 + minutes(3)
    assert event.data["from"] == {"process": "ptsp", "version": 1, "sha256": sha256_of(office, 1)}
    assert event.data["to"] == {"process": "ptsp", "version": 2, "sha256": sha256_of(office, 2)}
    assert event.data["by"] == OWNER
    [task] = event.data["tasks"]
    assert task["element"] == S2 and task["name"] == "Menjelaskan Layanan"
    assert task["previous"]["name"] == "Menjelaskan Jenis dan Standar Layanan"
    assert task["due_at"] == (T0 + minutes(20)).isoformat()
    [timer] = event.data["timers"]
    assert (timer["previous_standard"], timer["standard"]) == ("PT15M", "PT20M")
    # the history before it is kept as it was
    assert [e.type for e in office.history(app.id)][:3] == ["instance_started", "task_ready", "task_completed"]


def test_harmless_edits_move_and_update_the_task_list(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    app.do(1)
    edited = (
        original.rename(S2, "Menjelaskan Layanan")  # the waiting task renamed
        .set_lane(S2, "Kasubag")  # and given to another lane
        .add_field(S5, "nomor_disposisi")  # a required field on a step not yet reached
        .set_lane(S3, "PTSP")  # a step not yet reached in another lane
        .move_shapes(40)
    )
    version = deploy(office, edited)

    report = migrate(office, app.id, version)

    assert report.ok, report.reasons
    [task] = report.tasks
    assert (task.previous_name, task.name) == ("Menjelaskan Jenis dan Standar Layanan", "Menjelaskan Layanan")
    assert (task.previous_lane, task.lane) == ("PTSP", "Kasubag")
    waiting = app.current()
    assert (waiting.name, waiting.lane, waiting.due_at) == ("Menjelaskan Layanan", "Kasubag", T0 + minutes(15))
    assert not office.tasks(lane="PTSP") and office.tasks(lane="Kasubag")[0].id == waiting.id
    office.complete(waiting.id, as_user="kasubag", data={"standar_layanan_dijelaskan": True, "daftar_persyaratan": "x"})
    assert app.current().element == S3 and app.current().lane == "PTSP"
    app.do(3, as_user="ptsp")
    app.do(4)
    with pytest.raises(FormInvalid) as refused_form:  # the new version's form applies ahead
        office.complete(app.current().id, as_user="kepala", data={})
    assert "nomor_disposisi" in refused_form.value.fields
    app.do(5, nomor_disposisi="D-1")


def test_the_whole_way_to_the_end_after_a_migration(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    app.walk([1, 2, 3])
    version = deploy(office, original.set_timer(S4, "PT1H").set_timer(STEP_ELEMENTS["7a"], "P2D"))
    assert migrate(office, app.id, version).ok
    app.do(4, berkas_lengkap=False)
    app.walk(["3b", 4, 5, 6, "7a", "7b", "7c", 8, 9])
    assert office.show(app.id).status == "completed"
    assert office.audit_verify([app.id]).ok


def test_step_7_keeps_its_shared_start_under_a_new_standard(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    app.walk([1, 2, 3, 4, 5, 6])
    started = T0
    clock.shift(minutes(30))
    app.do("7a")  # step 7 began at T0; the signing waits since T0 + 30 min
    edited = original
    for part in ("7a", "7b", "7c"):
        edited = edited.set_timer(STEP_ELEMENTS[part], "P2D")
    version = deploy(office, edited)

    report = migrate(office, app.id, version)

    [timer] = report.timers
    assert timer.task_element == STEP_ELEMENTS["7b"]
    assert timer.counted_from == started and timer.due_at == started + timedelta(days=2)
    assert app.current().due_at == started + timedelta(days=2)
    app.do("7b")
    assert app.current().due_at == started + timedelta(days=2)  # 7c inherits the step's start on the new version


def test_a_timer_the_new_version_adds_counts_from_when_the_task_became_ready(
    office: Engine, original: Diagram, ptsp_xml: bytes, clock
) -> None:
    without = deploy(office, Diagram(ptsp_xml).remove_timer(S2), activate=True)  # step 2 has no standard
    app = Application(office)  # filed on version 2
    app.do(1)
    assert app.current().due_at is None and timers_of(office, app.id) == []
    clock.shift(minutes(10))

    report = migrate(office, app.id, 1)  # back to the version with step 2's 15 minutes

    assert without == 2 and report.ok, report.reasons
    [timer] = report.timers
    assert timer.attached and timer.previous_due_at is None
    assert timer.counted_from == T0 and timer.due_at == T0 + minutes(15)
    assert app.current().due_at == T0 + minutes(15)
    assert timers_of(office, app.id) == [(f"BatasWaktu_{S2}", T0 + minutes(15))]
    clock.shift(minutes(5))
    assert office.tick().fired == 1
    app.walk([2, 3])
    assert office.audit_verify([app.id]).ok


def test_a_dry_run_changes_nothing_and_says_what_would_happen(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    clock.shift(minutes(5))
    version = deploy(office, original.set_timer(S1, "PT30M"))
    before = fingerprint(office)

    dry = migrate(office, app.id, version, dry_run=True)

    assert fingerprint(office) == before
    assert dry.ok and dry.dry_run and not dry.migrated
    assert json.loads(json.dumps(dry.as_dict()))["timers"][0]["due_at"] == (T0 + minutes(30)).isoformat()
    assert office.show(app.id).version == 1
    app_task = app.current()
    real = migrate(office, app.id, version)
    assert real.migrated
    ignore = {"dry_run", "migrated"}
    assert {k: v for k, v in dry.as_dict().items() if k not in ignore} == {
        k: v for k, v in real.as_dict().items() if k not in ignore
    }
    assert app.current().id == app_task.id  # the same task, now on version 2


def test_the_migrated_state_loads_in_a_fresh_engine(office: Engine, original: Diagram, db_url: str, clock) -> None:
    app = Application(office)
    version = deploy(office, original.set_timer(S2, "PT20M"))
    assert migrate(office, app.id, version).ok
    cold = Engine(db_url)  # nothing cached: the state is read from the row and restored on version 2
    try:
        task = cold.tasks(instance=app.id)[0]
        cold.complete(
            task.id,
            as_user="warga",
            data={"jenis_layanan": "legalisir_dokumen", "nama_pemohon": "Siti", "nomor_hp": "081234567890"},
        )
        assert cold.tasks(instance=app.id)[0].due_at == T0 + minutes(20)
    finally:
        cold.close()


def test_migrating_again_and_again(office: Engine, original: Diagram, ptsp_xml: bytes, clock) -> None:
    app = Application(office)
    v2 = deploy(office, Diagram(ptsp_xml).set_timer(S1, "PT20M"))
    v3 = deploy(office, Diagram(ptsp_xml).set_timer(S1, "PT25M"))
    assert migrate(office, app.id, v2).ok
    assert migrate(office, app.id, v3).ok
    assert migrate(office, app.id, 1).ok  # back to the first version's 15 minutes
    assert app.current().due_at == T0 + minutes(15)
    assert [e.data["to"]["version"] for e in office.history(app.id) if e.type == "instance_migrated"] == [2, 3, 1]
    app.walk([1, 2])
    assert office.audit_verify([app.id]).ok


def test_plan_bulk_dry_runs_every_running_application_of_a_version(office: Engine, ptsp_xml: bytes, clock) -> None:
    early = Application(office)
    late = Application(office)
    late.walk([1, 2])
    done = Application(office)
    done.walk(HAPPY_PATH)
    version = deploy(office, Diagram(ptsp_xml).remove_task(S2))
    before = fingerprint(office)

    reports = plan_bulk(office, 1, version)

    assert fingerprint(office) == before
    assert [(r.instance, r.ok) for r in reports] == [(early.id, True), (late.id, False)]
    assert all(r.dry_run and not r.migrated for r in reports)
    assert S2 in reports[1].reasons[0]
    with office.db.reader() as session:
        ids = migrating.running_instances(session.connection(), office.ctx, "ptsp", 1)
    assert ids == [early.id, late.id]


# ------------------------------------------------------------------ what is refused
def refused(office: Engine, instance: int, version: Any, **kwargs: Any) -> list[str]:
    before = fingerprint(office)
    report = migrate(office, instance, version, **kwargs)
    assert not report.ok and not report.migrated and report.reasons
    assert report.as_dict()["ok"] is False and report.as_dict()["reasons"] == report.reasons
    assert fingerprint(office) == before
    return report.reasons


def test_a_completed_step_removed_is_refused_and_nothing_changes(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    app.walk([1, 2])
    version = deploy(office, original.remove_task(S2))

    reasons = refused(office, app.id, version)

    assert reasons == [
        f"completed step 2 'Menjelaskan Jenis dan Standar Layanan' ({S2}) is not in version 2: "
        "its recorded work would lose its step; keep an element's id when editing it"
    ]
    assert office.show(app.id).version == 1
    app.do(3)  # it carries on where it was
    assert office.audit_verify([app.id]).ok


def test_the_waiting_step_removed_is_refused(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    app.do(1)
    version = deploy(office, original.remove_task(S2))
    reasons = refused(office, app.id, version)
    assert reasons == [
        f"waiting step 2 'Menjelaskan Jenis dan Standar Layanan' ({S2}) is not in version 2: "
        "the task would be left without its step; keep an element's id when editing it"
    ]


def test_a_step_not_yet_reached_may_be_removed(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    version = deploy(office, original.remove_task(S2))
    assert migrate(office, app.id, version).ok
    app.do(1)
    assert app.current().element == S3


def test_an_element_id_changed_under_a_completed_step_is_refused(office: Engine, ptsp_xml: bytes, clock) -> None:
    app = Application(office)
    app.walk([1])
    version = deploy(office, Diagram(ptsp_xml.replace(S1.encode(), b"Langkah1_Bertanya")))
    reasons = refused(office, app.id, version)
    assert reasons == [
        f"completed step 1 'Menanyakan Pelayanan' ({S1}) is not in version 2: "
        "its recorded work would lose its step; keep an element's id when editing it"
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d.remove_field(S1, "nama_pemohon"),
            "it recorded field 'nama_pemohon' (Nama pemohon), which version 2 removes from its form",
        ),
        (
            lambda d: d.retype_field(S1, "nama_pemohon", "long"),
            "it recorded field 'nama_pemohon' (Nama pemohon) as string, which version 2 makes long",
        ),
        (
            lambda d: d.set_constraint(S1, "nama_pemohon", "maxlength", "5"),
            "which version 2 refuses: it must be at most 5",
        ),
        (
            lambda d: d.add_field(S1, "nomor_ktp"),
            "version 2 requires field 'nomor_ktp' (nomor_ktp) there, which it did not record",
        ),
    ],
    ids=["field-removed", "field-retyped", "constraint-tightened", "required-field-added"],
)
def test_a_completed_steps_form_that_no_longer_fits_its_data_is_refused(
    office: Engine, original: Diagram, clock, edit: Any, expected: str
) -> None:
    app = Application(office)
    app.do(1)
    version = deploy(office, edit(original))
    reasons = refused(office, app.id, version)
    assert len(reasons) == 1 and S1 in reasons[0] and "completed" in reasons[0] and expected in reasons[0], reasons


def with_category(diagram: Diagram, options: tuple[str, ...] = ("umum", "khusus")) -> Diagram:
    """Step 1 asks a plain enum (its options written in the diagram, not taken from the catalogue)."""
    diagram.add_field(S1, "kategori", "enum", required=False)
    field = diagram.field(S1, "kategori")
    for option in options:
        etree.SubElement(field, f"{{{NS['camunda']}}}value", id=option, name=option.title())
    return diagram


def test_a_recorded_enum_value_the_new_version_drops_is_refused(office: Engine, ptsp_xml: bytes, clock) -> None:
    deploy(office, with_category(Diagram(ptsp_xml)), activate=True)
    app = Application(office)
    app.do(1, kategori="khusus")
    version = deploy(office, with_category(Diagram(ptsp_xml), options=("umum",)))
    reasons = refused(office, app.id, version)
    assert len(reasons) == 1 and "it recorded 'khusus' in field 'kategori' (kategori)" in reasons[0], reasons
    assert "no longer offers" in reasons[0]


def test_a_catalogue_service_missing_from_the_diagrams_options_is_no_reason_to_refuse(
    office: Engine, original: Diagram, clock
) -> None:
    """Step 1's service list comes from the catalogue at run time, not from the options in the file."""
    app = Application(office)
    app.do(1)
    version = deploy(office, original.remove_enum_value(S1, "jenis_layanan", "rekomendasi_mutasi_siswa"))
    report = migrate(office, app.id, version)
    assert report.ok and report.migrated, report.reasons


def test_an_optional_field_added_to_a_completed_step_is_fine(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    app.do(1)
    version = deploy(office, original.add_field(S1, "nomor_ktp", required=False))
    assert migrate(office, app.id, version).ok


def test_a_condition_ahead_that_reads_what_the_application_never_recorded_is_refused(
    office: Engine, original: Diagram, clock
) -> None:
    past, ahead = Application(office), Application(office)
    past.do(1)
    edited = original.add_field(S1, "prioritas", "boolean", required=False).set_condition(
        "Flow_BerkasLengkap", "${berkas_lengkap && !prioritas}"
    )
    edited.set_condition("Flow_BerkasBelumLengkap", "${!berkas_lengkap || prioritas}")
    version = deploy(office, edited)

    reasons = refused(office, past.id, version)

    assert reasons == [
        "the conditions after 'Berkas lengkap?' (Gateway_BerkasLengkap) in version 2 read 'prioritas', which this "
        "application has not recorded and no step ahead of it asks for: it would stop there"
    ]
    assert migrate(office, ahead.id, version).ok  # step 1, which asks for it, is still ahead of this one


def test_a_time_standard_taken_off_a_waiting_task_is_refused(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    app.do(1)
    version = deploy(office, original.remove_timer(S2))
    reasons = refused(office, app.id, version)
    assert reasons == [
        f"the time standard of waiting step 2 'Menjelaskan Jenis dan Standar Layanan' ({S2}) is not in version 2: "
        "a deadline cannot be taken off a task that waits"
    ]


def test_the_same_version_is_refused(office: Engine, clock) -> None:
    app = Application(office)
    [reason] = refused(office, app.id, 1)
    assert reason == "the application already runs ptsp version 1: there is nothing to migrate"


def test_a_version_that_is_not_deployed_is_refused(office: Engine, clock) -> None:
    app = Application(office)
    [reason] = refused(office, app.id, 7)
    assert reason == "process 'ptsp' has no version 7 (deployed: 1)"


def test_another_process_is_refused(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    other = office.deploy(original.rename_process("ptsp_lain").xml()).version
    [reason] = refused(office, app.id, other, process="ptsp_lain")
    assert "belongs to another process" in reason and "'ptsp_lain'" in reason


@pytest.mark.parametrize("how", ["completed", "cancelled"])
def test_finished_applications_are_refused(office: Engine, original: Diagram, clock, how: str) -> None:
    app = Application(office)
    if how == "completed":
        app.walk(HAPPY_PATH)
    else:
        office.cancel(app.id, as_user="warga", reason="tidak jadi")
    version = deploy(office, original.set_timer(S2, "PT20M"))
    [reason] = refused(office, app.id, version)
    assert reason == f"{app.registration} is {how}: only running applications can be migrated"


def test_only_process_owners_migrate(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    version = deploy(office, original.set_timer(S2, "PT20M"))
    office.add_user("inspektorat", [], roles=["auditor"])
    before = fingerprint(office)
    for login in ("ptsp", "kepala", "warga", "inspektorat"):
        with pytest.raises(PermissionDenied, match="process owner"):
            migrate(office, app.id, version, as_user=login)
        with pytest.raises(PermissionDenied):
            migrate(office, app.id, version, as_user=login, dry_run=True)
        with pytest.raises(PermissionDenied):
            plan_bulk(office, 1, version, as_user=login)
    assert fingerprint(office) == before


def test_bad_references_raise(office: Engine, clock) -> None:
    app = Application(office)
    with pytest.raises(NotFound):
        migrate(office, "PTSP/1999/000001", 1)
    with pytest.raises(NotFound):
        migrate(office, app.id, 1, as_user="nobody")
    for bad in ("dua", 0, -1, True, None, 2.5):
        with pytest.raises(InvalidInput):
            migrate(office, app.id, bad)


def test_a_second_engine_sees_the_first_engines_migration(db_url: str, ptsp_xml: bytes, clock) -> None:
    first = with_owner(make_engine(db_url, ptsp_xml))
    second = Engine(db_url)
    try:
        app = Application(first)
        second.tasks(instance=app.id)  # warm: second has nothing cached yet, but reads the row
        version = deploy(first, Diagram(ptsp_xml).set_timer(S1, "PT40M"))
        assert migrate(second, app.id, version).ok
        assert first.tasks(instance=app.id)[0].due_at == T0 + minutes(40)
        app.do(1)  # first's cached workflow is stale (older row version) and is not used
        assert first.show(app.id).version == version
        assert first.audit_verify([app.id]).ok
    finally:
        second.close()
        first.close()


def test_a_task_already_late_keeps_its_breach(office: Engine, original: Diagram, clock) -> None:
    app = Application(office)
    clock.shift(minutes(20))
    assert office.tick().fired == 1  # step 1 breached at T0 + 20
    version = deploy(office, original.set_timer(S1, "PT30M").set_timer(S2, "PT20M"))

    report = migrate(office, app.id, version)

    assert report.ok and report.timers == []  # its timer fired already: nothing is pending to re-time
    [task] = report.tasks
    assert task.due_at is None and not task.changed
    waiting = app.current()
    assert waiting.due_at == T0 + minutes(15) and waiting.breached_at == T0 + minutes(20)
    app.walk(HAPPY_PATH)
    assert office.show(app.id).status == "completed"
    assert office.history(app.id)[-1].type == "instance_completed"
    assert office.audit_verify([app.id]).ok
