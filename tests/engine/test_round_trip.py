"""The process owner's round trip, as the issue describes it, end to end through the facade.

Copy ptsp.bpmn, and in the modeler (bpmn-moddle, or the lxml fallback) change
step 2's standard to PT20M, rename a task, add a required form field to
step 3 and move some shapes; deploy; read the diff; activate. Applications
started before keep the old standard and form, those started after get the
new ones; one waiting at step 1 migrates and its step-2 deadline then counts
20 minutes; one whose completed step the next version removes is refused.
"""

from __future__ import annotations

import pytest

from engine import Engine
from engine.errors import FormInvalid

from ..conftest import OWNER, PTSP_BPMN
from ..helpers import Application, fingerprint, valid_data
from ..modeler_edit import STEP2_TASK, STEP2_TIMER, STEP3_TASK, standard_edit
from .test_migration import Diagram

NEW_FIELD = "nomor_tanda_terima"


def step2_standard(app: Application) -> float:
    task = app.current()
    assert task.element == STEP2_TASK
    return (task.due_at - task.ready_at).total_seconds() / 60


def step3_fields(engine: Engine, app: Application) -> set[str]:
    return {f.id for f in engine.task(app.current().id).form.fields}


def test_the_round_trip_of_a_modeler_edit(engine: Engine) -> None:
    before_1, before_2 = Application(engine), Application(engine)  # both wait at step 1 on version 1
    edited = standard_edit(PTSP_BPMN.read_text(encoding="utf-8")).encode()

    deployed = engine.deploy(edited, as_user=OWNER, note="Langkah 2 menjadi 20 menit; nomor tanda terima")
    assert (deployed.version, deployed.active) == (2, False)

    diff = engine.version_diff(1, 2, as_user=OWNER)
    assert [(c.section, c.kind, c.element) for c in diff.changes()] == [
        ("tasks", "renamed", STEP2_TASK),
        ("timers", "changed", STEP2_TIMER),
        ("forms", "field_added", STEP3_TASK),
    ]
    timer = diff.timers[0]
    assert (timer.old, timer.new) == ("PT15M", "PT20M")
    assert diff.forms[0].field == NEW_FIELD and diff.forms[0].new["required"] is True

    engine.activate(2, as_user=OWNER, note="SOP revisi")
    after = Application(engine)

    before_1.do(1)
    after.do(1)
    assert step2_standard(before_1) == 15  # the old standard...
    assert step2_standard(after) == 20  # ...and the new one
    before_1.do(2)
    after.do(2)
    assert NEW_FIELD not in step3_fields(engine, before_1)  # the old form...
    assert NEW_FIELD in step3_fields(engine, after)  # ...and the new one, required
    task = after.current()
    with pytest.raises(FormInvalid) as refused:
        engine.complete(
            task.id, as_user="warga", data={k: v for k, v in valid_data(engine, task.id).items() if k != NEW_FIELD}
        )
    assert NEW_FIELD in refused.value.fields

    # migration: waiting at step 1, moved, then step 2 counts the new standard
    report = engine.migrate(before_2.registration, to_version=2, as_user=OWNER)
    assert report.ok and report.migrated, report.reasons
    assert engine.show(before_2.id).version == 2
    before_2.do(1)
    assert step2_standard(before_2) == 20
    assert "instance_migrated" in before_2.events()
    assert engine.audit_verify([before_2.id]).ok


def test_migration_is_refused_when_a_completed_step_was_removed(engine: Engine) -> None:
    app = Application(engine)
    app.walk([1, 2])  # step 2 is completed
    engine.deploy(Diagram(PTSP_BPMN.read_bytes()).remove_task(STEP2_TASK).xml(), as_user=OWNER, activate=True)
    before = fingerprint(engine)
    report = engine.migrate(app.id, to_version=2, as_user=OWNER)
    assert not report.ok and not report.migrated
    assert any(STEP2_TASK in reason for reason in report.reasons), report.reasons
    assert fingerprint(engine) == before
    assert engine.show(app.id).version == 1


def test_the_diagram_marks_a_migrated_task_late_by_its_new_deadline(engine: Engine, clock) -> None:
    from engine.marks import marks_from_history

    app = Application(engine)
    app.do(1)  # step 2 waits, 15 minutes on version 1
    engine.deploy(standard_edit(PTSP_BPMN.read_text(encoding="utf-8")).encode(), as_user=OWNER)
    assert engine.migrate(app.id, to_version=2, as_user=OWNER).migrated
    clock.shift(17 * 60)  # late by the old standard, on time by the new one
    history = engine.history(app.id)
    with engine.db.reader() as session:
        model = engine.ctx.compiled(session.connection(), _definition_id(engine, 2)).model
    marks = marks_from_history(model, history, engine.ctx.clock.now())
    assert STEP2_TASK in marks.active and STEP2_TASK not in marks.overdue
    clock.shift(4 * 60)
    assert STEP2_TASK in marks_from_history(model, history, engine.ctx.clock.now()).overdue


def _definition_id(engine: Engine, version: int) -> int:
    from sqlalchemy import select

    from engine.store.models import Definition

    with engine.db.reader() as session:
        return session.execute(select(Definition.id).where(Definition.version == version)).scalar_one()
