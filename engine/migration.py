"""Moving a running application onto another deployed version of its diagram.

A process owner deploys a new version (a time standard changed, a field added,
a task renamed, a step split) and moves running applications onto it. This
module decides whether that is safe for one application's workflow and, if it
is, does it; the service (``services.migrating``) and audit re-execution
(``audit.reexecute``) both call ``migrate`` on a workflow, so a recorded
migration re-executes exactly as it was done.

SpiffWorkflow's workflow diff does the alignment: ``SpecDiff`` pairs each task
spec of the old version with one of the new (by id, else by position), and
``migrate_workflow`` points every task at its new spec and resets the ready and
waiting tasks so that what lies ahead of them is predicted from the new
version. Around that the engine adds what SpiffWorkflow does not know about:

* **Refusals** (the workflow is left alone, every reason is named):
  a task this application has completed or waits at is not in the new version
  (its id is gone, even if another element took its place, or it is no longer
  a user task); the time standard of a step it waits at or has passed is gone
  (the workflow keeps a passed step's boundary events, and a waiting task's
  deadline cannot be taken off it); the data a completed step recorded no
  longer fits that step's form in the new version (a field removed or retyped,
  an enum value no longer offered, a constraint the value breaks, a newly
  required field the application does not have); the start form likewise; a
  gateway condition or timer expression ahead of the application reads a
  variable that it has not recorded and that no step ahead of it asks for (it
  would stop there with "unknown variable"); the version belongs to another
  process or is the one the application already runs.
* **Time standards** are recomputed from the moment each step began: a
  pending timer keeps its anchor, and gets ``calendar.add(anchor, new
  standard)`` when the standard changed (its old deadline otherwise). A timer
  the new version attaches to a task that already waits is created on it and
  counts from the moment that task became ready (or from the start of its SOP
  step, for step 7's shared deadline). A deadline that the new standard puts in
  the past is left to the next timer sweep, which records the breach.
* **New data objects** of the new version start empty, as in a new workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import expressions, forms
from .calendar import WIB, Calendar, Duration
from .errors import ExpressionError, FormInvalid, PtspError
from .model import Form, ProcessModel
from .runtime import CompiledProcess
from .timers import ANCHOR, DUE, STANDARD, EngineDateTimer, EngineDurationTimer, attached_task, step_start, timer_text

# Specs are compared as SpiffWorkflow serializes them; the engine's own timer
# classes serialize like the timers they extend.
_SPEC_CONFIG = dict(CAMUNDA_CONFIG)
_SPEC_CONFIG[EngineDurationTimer] = TimerConditionalEventDefinitionConverter
_SPEC_CONFIG[EngineDateTimer] = TimerConditionalEventDefinitionConverter
SPEC_REGISTRY = BpmnWorkflowSerializer.configure(_SPEC_CONFIG)

_PENDING = TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class DeployedVersion:
    """One deployed version with what a migration names it by (the event records all three)."""

    definition_id: int
    process_id: str
    version: int
    sha256: str
    compiled: CompiledProcess

    @property
    def model(self) -> ProcessModel:
        return self.compiled.model

    def ref(self) -> dict[str, Any]:
        return {"process": self.process_id, "version": self.version, "sha256": self.sha256}


@dataclass(frozen=True)
class TaskChange:
    """A task the application waits at, as the old and the new version describe it."""

    task: str  # the task id (the task list's row)
    element: str
    name: str
    lane: str | None
    sop_step: int | None
    due_at: datetime | None  # its deadline after the migration (None: no pending timer)
    previous_name: str
    previous_lane: str | None
    previous_sop_step: int | None
    previous_due_at: datetime | None

    @property
    def changed(self) -> bool:
        return (self.name, self.lane, self.sop_step, self.due_at) != (
            self.previous_name,
            self.previous_lane,
            self.previous_sop_step,
            self.previous_due_at,
        )

    def as_event(self) -> dict[str, Any]:
        return {
            "element": self.element,
            "name": self.name,
            "lane": self.lane,
            "sop_step": self.sop_step,
            "due_at": _iso(self.due_at),
            "previous": {
                "name": self.previous_name,
                "lane": self.previous_lane,
                "sop_step": self.previous_sop_step,
                "due_at": _iso(self.previous_due_at),
            },
        }

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, **self.as_event(), "changed": self.changed}


@dataclass(frozen=True)
class TimerChange:
    """A pending timer after the migration, and what it was before."""

    timer_task: str  # the timer's own task id (the timer projection's row)
    element: str  # the timer event's id
    task: str | None  # the task it watches
    task_element: str | None
    standard: str | None  # the duration as written, None for a date timer
    due_at: datetime
    counted_from: datetime
    previous_standard: str | None
    previous_due_at: datetime | None  # None: the new version attached this timer now

    @property
    def attached(self) -> bool:
        return self.previous_due_at is None

    @property
    def changed(self) -> bool:
        return self.due_at != self.previous_due_at

    def as_event(self) -> dict[str, Any]:
        return {
            "timer": self.element,
            "task_element": self.task_element,
            "standard": self.standard,
            "due_at": _iso(self.due_at),
            "counted_from": _iso(self.counted_from),
            "previous_standard": self.previous_standard,
            "previous_due_at": _iso(self.previous_due_at),
        }

    def as_dict(self) -> dict[str, Any]:
        return {"timer_task": self.timer_task, "task": self.task, **self.as_event(), "changed": self.changed}


@dataclass
class Outcome:
    """What ``migrate`` found and (when ``ok``) did to a workflow."""

    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tasks: list[TaskChange] = field(default_factory=list)
    timers: list[TimerChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass
class MigrationReport:
    """The answer to "may this application move to that version?", and what moving it changes.

    ``ok`` False: refused, ``reasons`` say why and nothing was changed.
    ``ok`` True: ``migrated`` tells whether it was done (False for a dry run).
    """

    ok: bool
    reasons: list[str]
    instance: int | None
    registration: str | None
    process: str | None
    from_version: int | None
    to_version: int | None
    dry_run: bool = False
    migrated: bool = False
    notes: list[str] = field(default_factory=list)
    tasks: list[TaskChange] = field(default_factory=list)
    timers: list[TimerChange] = field(default_factory=list)

    @property
    def changed_timers(self) -> list[TimerChange]:
        return [t for t in self.timers if t.changed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reasons": list(self.reasons),
            "instance": self.instance,
            "registration": self.registration,
            "process": self.process,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "dry_run": self.dry_run,
            "migrated": self.migrated,
            "notes": list(self.notes),
            "tasks": [t.as_dict() for t in self.tasks],
            "timers": [t.as_dict() for t in self.timers],
        }


def event_data(old: DeployedVersion, new: DeployedVersion, by: str | None, outcome: Outcome) -> dict[str, Any]:
    """The ``instance_migrated`` event's data: from, to, by whom, and the waiting tasks' and timers' new values.

    No task ids: re-execution runs with its own ids, and compares this data as it is.
    """
    return {
        "from": old.ref(),
        "to": new.ref(),
        "by": by,
        "tasks": [t.as_event() for t in outcome.tasks],
        "timers": [t.as_event() for t in outcome.timers],
    }


# ------------------------------------------------------------------ the one entry point
def migrate(
    wf: Any,
    old: DeployedVersion,
    new: DeployedVersion,
    *,
    now: datetime,
    calendar: Calendar,
    ready_at: Mapping[str, datetime],
) -> Outcome:
    """Check, and if safe migrate, ``wf`` (running ``old``) onto ``new``, in place.

    ``ready_at`` maps the ids of the user tasks that wait now to the moment each
    became ready (the task list's ``ready_at``): a timer the new version attaches
    to such a task counts from then. When the outcome is not ``ok`` the workflow
    is untouched, unless a reason says the new version could not take it over,
    in which case it is half-changed and must be thrown away.
    """
    outcome = Outcome()
    outcome.reasons.extend(_version_reasons(old, new))
    if outcome.reasons:
        return outcome
    if getattr(wf, "subprocesses", None):
        outcome.reasons.append("applications with a running sub-process cannot be migrated")
        return outcome
    diff, _ = diff_workflow(SPEC_REGISTRY, wf, new.compiled.spec, new.compiled.subprocess_specs)
    outcome.reasons.extend(_structure_reasons(wf, diff, old, new))
    outcome.reasons.extend(_recorded_data_reasons(wf, old, new))
    outcome.reasons.extend(_variables_ahead_reasons(wf, diff, new))
    outcome.reasons[:] = _unique(outcome.reasons)
    if outcome.reasons:
        return outcome
    outcome.notes.extend(_notes(wf, diff, old, new))
    try:
        _apply(wf, diff, old, new, now, calendar, ready_at, outcome)
    except (PtspError, SpiffWorkflowException, ValueError, TypeError, KeyError, AttributeError) as exc:
        message = exc.message if isinstance(exc, PtspError) else f"{type(exc).__name__}: {exc}"
        outcome.reasons.append(f"version {new.version} cannot take over this application: {message}")
    return outcome


def _version_reasons(old: DeployedVersion, new: DeployedVersion) -> list[str]:
    if new.process_id != old.process_id:
        return [
            f"version {new.version} of process '{new.process_id}' belongs to another process: "
            f"this application runs process '{old.process_id}', and migrating between processes is not supported"
        ]
    if new.definition_id == old.definition_id or new.version == old.version:
        return [f"the application already runs {old.process_id} version {old.version}: there is nothing to migrate"]
    return []


# ----------------------------------------------------------------------- describing
def _is_user_task(spec: Any) -> bool:
    return isinstance(spec, (UserTask, ManualTask))


def _is_timer(spec: Any) -> bool:
    return isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)


def _task_label(model: ProcessModel, element_id: str, how: str = "") -> str:
    """A user task as a process owner reads it: ``completed step 2 'Name' (id)``."""
    task = model.tasks.get(element_id)
    if task is None:
        return f"{how} task '{element_id}'".strip()
    kind = f"step {task.sop_step}" if task.sop_step is not None else "task"
    return f"{how} {kind} '{task.name}' ({element_id})".strip()


def _element(model: ProcessModel, element_id: str) -> str:
    """Any other element: its name and id, a timer with the task it watches."""
    if element_id in model.tasks:
        return _task_label(model, element_id)
    timer = model.timers.get(element_id)
    if timer is not None:
        label = f"the time standard '{timer.name or timer.expression}' ({element_id})"
        return f"{label} of {_task_label(model, timer.attached_to)}" if timer.attached_to else label
    node = model.nodes.get(element_id)
    if node is not None and node.name:
        return f"'{node.name}' ({element_id})"
    return f"'{element_id}'"


def _boundary_owner(model: ProcessModel, spec: Any) -> str | None:
    """The task whose boundary events a spec belongs to (its split, join or a timer on it), if any."""
    base, _, kind = spec.name.partition(".")
    if kind in ("BoundaryEventSplit", "BoundaryEventJoin"):
        return base
    timer = model.timers.get(getattr(spec, "bpmn_id", None) or "")
    return timer.attached_to if timer is not None else None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# ------------------------------------------------------------------------ the checks
def _surviving(wf: Any) -> list[Any]:
    """The tasks a migration keeps (``migrate_workflow`` drops what lies below a ready or waiting task)."""
    out, stack = [], [wf.task_tree]
    while stack:
        task = stack.pop()
        out.append(task)
        if not task.has_state(_PENDING):
            stack.extend(reversed(task.children))
    return out


def _how(task: Any) -> str:
    if task.state == TaskState.COMPLETED:
        return "completed"
    return "waiting" if task.has_state(_PENDING) else "reached"


class _Reasons:
    """One reason per element, the most telling one (a removed step explains its removed timer)."""

    def __init__(self) -> None:
        self._by: dict[str, tuple[int, str]] = {}

    def add(self, element: str, priority: int, reason: str) -> None:
        if element not in self._by or priority < self._by[element][0]:
            self._by[element] = (priority, reason)

    def all(self) -> list[str]:
        return [reason for _, reason in self._by.values()]


def _structure_reasons(wf: Any, diff: WorkflowDiff, old: DeployedVersion, new: DeployedVersion) -> list[str]:
    """Every task the application has reached must have its own element in the new version."""
    v, reasons = new.version, _Reasons()
    reached = [t for t in _surviving(wf) if not t.has_state(TaskState.PREDICTED_MASK)]
    how = {t.task_spec.bpmn_id: _how(t) for t in reached if _is_user_task(t.task_spec)}  # a loop: its last pass
    for task in reached:
        spec, target = task.task_spec, diff.alignment.get(task)
        if _is_user_task(spec):
            label = _task_label(old.model, spec.bpmn_id, _how(task))
            same = new.compiled.spec.task_specs.get(spec.name)
            if same is None:
                instead = f" (SpiffWorkflow would put '{target.name}' in its place)" if target is not None else ""
                why = (
                    "its recorded work would lose its step"
                    if task.state == TaskState.COMPLETED
                    else "the task would be left without its step"
                )
                reasons.add(
                    spec.bpmn_id,
                    0,
                    f"{label} is not in version {v}{instead}: {why}; keep an element's id when editing it",
                )
            elif not _is_user_task(same):
                reasons.add(spec.bpmn_id, 0, f"{label} is no longer a user task in version {v}")
            continue
        owner = _boundary_owner(old.model, spec)
        if target is None and owner is not None:
            label = _task_label(old.model, owner, how.get(owner, "reached"))
            if task.has_state(_PENDING) and _is_timer(spec):
                reasons.add(
                    owner,
                    1,
                    f"the time standard of {label} is not in version {v}: "
                    "a deadline cannot be taken off a task that waits",
                )
            else:
                reasons.add(
                    owner,
                    2,
                    f"the time standard of {label} is not in version {v}: the application keeps the boundary events "
                    "of the steps it passed; keep the timer (a longer standard is fine)",
                )
        elif target is None:
            element = getattr(spec, "bpmn_id", None) or spec.name
            reasons.add(
                element, 0, f"{_element(old.model, element)}, which this application has passed, is not in version {v}"
            )
        elif (
            _is_timer(spec)
            and task.has_state(_PENDING)
            and not isinstance(target.event_definition, (EngineDurationTimer, EngineDateTimer))
        ):
            reasons.add(
                target.bpmn_id, 0, f"{_element(new.model, target.bpmn_id)} in version {v} is not a duration or a date"
            )
    return reasons.all()


def _recorded_data_reasons(wf: Any, old: DeployedVersion, new: DeployedVersion) -> list[str]:
    """The data each completed step (and the start form) recorded must fit its form in the new version."""
    root = wf.task_tree
    reasons = _form_reasons("the start form", old.model.start_form, new.model.start_form, root.data, new.version)
    for task in wf.get_tasks(state=TaskState.COMPLETED):
        spec = task.task_spec
        if not _is_user_task(spec):
            continue
        old_def, new_def = old.model.tasks.get(spec.bpmn_id), new.model.tasks.get(spec.bpmn_id)
        if old_def is None or new_def is None:
            continue  # named by the structure check
        where = _task_label(old.model, spec.bpmn_id, "completed")
        reasons += _form_reasons(where, old_def.form, new_def.form, task.data, new.version)
    return reasons


def _form_reasons(where: str, old_form: Form, new_form: Form, data: Mapping[str, Any], v: int) -> list[str]:
    """``data`` is the task's data when it completed: its own form's values and what it inherited."""
    recorded = {f.id: data[f.id] for f in old_form.fields if f.id in data}
    reasons: list[str] = []
    named: set[str] = set()
    for old_field in old_form.fields:
        value = recorded.get(old_field.id)
        if value is None:
            continue  # nothing recorded (an optional field left empty)
        new_field = new_form.field(old_field.id)
        field_label = f"field '{old_field.id}' ({old_field.label})"
        if new_field is None:
            reasons.append(f"{where}: it recorded {field_label}, which version {v} removes from its form")
        elif new_field.type != old_field.type:
            reasons.append(
                f"{where}: it recorded {field_label} as {old_field.type}, which version {v} makes {new_field.type}"
            )
        elif (
            new_field.type == "enum"
            and not getattr(new_field, "catalogue", None)  # its options come from the catalogue at run time
            and value not in {e.id for e in new_field.enum}
        ):
            reasons.append(f"{where}: it recorded {value!r} in {field_label}, which version {v} no longer offers")
        else:
            continue
        named.add(old_field.id)
    # everything else the new form says about the values: constraints, newly required fields
    candidate: dict[str, Any] = {}
    for f in new_form.fields:
        if f.id in named or f.readonly:  # a read-only field shows the form's own text: not recorded data
            continue
        if f.id in recorded:
            candidate[f.id] = recorded[f.id]
        elif old_form.field(f.id) is None and data.get(f.id) is not None:
            candidate[f.id] = data[f.id]  # a field new to this form, known from another step
    try:
        forms.validate(new_form, candidate)
    except FormInvalid as exc:
        for error in exc.errors:
            f = new_form.field(error.field)
            if error.field in named or f is None:
                continue
            if getattr(f, "catalogue", None) and error.code == "not_allowed":
                continue  # its options come from the catalogue at run time, not from the file
            field_label = f"field '{f.id}' ({f.label})"
            if error.code == "required" and candidate.get(error.field) is None:
                reasons.append(f"{where}: version {v} requires {field_label} there, which it did not record")
            else:
                reasons.append(
                    f"{where}: it recorded {candidate.get(error.field)!r} in {field_label}, which version {v} "
                    f"refuses: it {error.message}"
                )
    return reasons


def _ahead(wf: Any, diff: WorkflowDiff) -> tuple[set[str], set[str]]:
    """The element ids the application may still reach in the new version, and the variables it has."""
    start, known = [], set()
    for task in _surviving(wf):
        if task.has_state(_PENDING):
            target = diff.alignment.get(task)
            if target is not None:
                start.append(target)
            known.update(task.data)
    known.update(wf.data)
    known.update(wf.data.get("data_objects") or {})
    seen: set[Any] = set()
    while start:
        spec = start.pop()
        if spec in seen:
            continue
        seen.add(spec)
        start.extend(spec.outputs)
    return {s.bpmn_id for s in seen if getattr(s, "bpmn_id", None)}, known


def _variables_ahead_reasons(wf: Any, diff: WorkflowDiff, new: DeployedVersion) -> list[str]:
    """A condition or timer ahead must not read a variable the application will never have
    (the expression would fail with "unknown variable" and the application would stop there)."""
    reachable, known = _ahead(wf, diff)
    model = new.model
    for element in reachable:
        task = model.tasks.get(element)
        if task is not None:
            known.update(f.id for f in task.form.fields)
            known.update(task.outputs)
    missing: dict[str, set[str]] = {}
    for flow in model.flows.values():
        if flow.source in reachable and flow.condition:
            missing.setdefault(flow.source, set()).update(_names(flow.condition) - known)
    for timer in model.timers.values():
        if timer.id in reachable and expressions.unwrap(timer.expression)[1]:
            missing.setdefault(timer.id, set()).update(_names(timer.expression) - known)
    reasons = []
    for element, names in sorted(missing.items()):
        if names:
            what = (
                f"the time standard {_element(model, element)}"
                if element in model.timers
                else (f"the conditions after {_element(model, element)}")
            )
            reasons.append(
                f"{what} in version {new.version} read {', '.join(repr(n) for n in sorted(names))}, which this "
                "application has not recorded and no step ahead of it asks for: it would stop there"
            )
    return reasons


def _names(expression: str) -> frozenset[str]:
    try:
        return expressions.parse(expression).names
    except ExpressionError:
        return frozenset()  # the deploy checks refuse these


def _notes(wf: Any, diff: WorkflowDiff, old: DeployedVersion, new: DeployedVersion) -> list[str]:
    """Harmless differences worth knowing before moving an application."""
    notes = []
    reachable, _ = _ahead(wf, diff)
    for element in new.model.tasks:
        if element not in old.model.tasks and element not in reachable:
            notes.append(
                f"{_task_label(new.model, element)} is new in version {new.version} but lies behind this "
                "application: it will not be done for it"
            )
    return notes


# ------------------------------------------------------------------------ applying
@dataclass(frozen=True)
class _TimerBefore:
    spec: Any
    due: str | None
    anchor: str | None
    standard: str | None


def _apply(
    wf: Any,
    diff: WorkflowDiff,
    old: DeployedVersion,
    new: DeployedVersion,
    now: datetime,
    calendar: Calendar,
    ready_at: Mapping[str, datetime],
    outcome: Outcome,
) -> None:
    before_timers = {
        t.id: _TimerBefore(
            t.task_spec, t.internal_data.get(DUE), t.internal_data.get(ANCHOR), t.internal_data.get(STANDARD)
        )
        for t in wf.get_tasks(state=_PENDING)
        if _is_timer(t.task_spec)
    }
    waiting = [t for t in wf.get_tasks(state=TaskState.READY) if _is_user_task(t.task_spec)]
    before_specs = {t.id: t.task_spec for t in waiting}
    migrate_workflow(diff, wf, new.compiled.spec)
    # the JSON kept for finished tasks names their old specs
    wf.__dict__.pop("_ptsp_fragments", None)
    for name in new.compiled.spec.data_objects:
        wf.data.setdefault("data_objects", {}).setdefault(name, None)
    for task in waiting:
        _attach_boundary_events(wf, task)
    timers = [t for t in wf.get_tasks(state=_PENDING) if _is_timer(t.task_spec)]
    for timer in timers:
        outcome.timers.append(_retime(wf, timer, before_timers.get(timer.id), now, calendar, ready_at))
    for task in waiting:
        outcome.tasks.append(_task_change(task, before_specs[task.id], outcome.timers, old, new))
    stray = [
        t.task_spec.name
        for t in wf.tasks.values()
        if new.compiled.spec.task_specs.get(t.task_spec.name) is not t.task_spec
    ]
    if stray:
        raise ValueError(f"tasks still refer to elements not in the new version: {', '.join(sorted(set(stray)))}")


def _attach_boundary_events(wf: Any, task: Any) -> None:
    """Create the boundary events the new version puts on a task that already waits.

    SpiffWorkflow creates a task's boundary events (under a ``BoundaryEventSplit``)
    when the task is reached; a task reached under the old version gets the
    split, if it had none, and the missing events here.
    """
    split_spec = next((s for s in task.task_spec.inputs if isinstance(s, BoundaryEventSplit)), None)
    if split_spec is None:
        return
    parent = task.parent
    if parent.task_spec is split_spec:
        split = parent
    else:
        split = Task(wf, split_spec, parent, state=TaskState.COMPLETED)
        parent._children.remove(split.id)
        parent._children[parent._children.index(task.id)] = split.id
        split._children = [task.id]
        task.parent = split
        split.data = deepcopy(parent.data)
        split.thread_id = parent.thread_id
    present = {child.task_spec for child in split.children}
    for spec in split_spec.outputs:
        if spec not in present:
            # as migrate_workflow resets a waiting event: predicted from the spec, then updated (armed)
            split._add_child(spec, TaskState.FUTURE).reset_branch(None)


def _retime(
    wf: Any,
    timer: Any,
    before: _TimerBefore | None,
    now: datetime,
    calendar: Calendar,
    ready_at: Mapping[str, datetime],
) -> TimerChange:
    """Set a pending timer's deadline by the new version's standard, counted from when its step began."""
    definition = timer.task_spec.event_definition
    main = attached_task(timer)
    if before is not None and before.anchor:
        anchor = datetime.fromisoformat(before.anchor)
    else:
        became_ready = ready_at.get(str(main.id)) if main is not None else None
        anchor = step_start(timer, became_ready or now)
    text = timer_text(definition.expression, timer.data)
    if isinstance(definition, EngineDurationTimer):
        standard: str | None = text
        if before is not None and before.due and before.standard == text:
            due = datetime.fromisoformat(before.due)
        else:
            due = calendar.add(anchor, Duration.parse(text))
        internal = {DUE: due.isoformat(), ANCHOR: anchor.isoformat(), STANDARD: text}
    else:  # a date (the checks refused anything else)
        standard = None
        due = datetime.fromisoformat(text)
        if due.tzinfo is None:
            due = due.replace(tzinfo=WIB)
        due = due.astimezone(UTC)
        internal = {DUE: due.isoformat(), ANCHOR: anchor.isoformat()}
    # the reset armed it from "now"; a due deadline stays for the sweep to record as a breach
    timer.internal_data = internal
    if timer.state != TaskState.WAITING:
        timer._set_state(TaskState.WAITING)
    wf.event_manager.add_task(timer)
    return TimerChange(
        timer_task=str(timer.id),
        element=timer.task_spec.bpmn_id,
        task=str(main.id) if main is not None else None,
        task_element=main.task_spec.bpmn_id if main is not None else None,
        standard=standard,
        due_at=due,
        counted_from=anchor,
        previous_standard=before.standard if before is not None else None,
        previous_due_at=datetime.fromisoformat(before.due) if before is not None and before.due else None,
    )


def _task_change(
    task: Any, before_spec: Any, timers: list[TimerChange], old: DeployedVersion, new: DeployedVersion
) -> TaskChange:
    element = task.task_spec.bpmn_id
    old_def, new_def = old.model.tasks[before_spec.bpmn_id], new.model.tasks[element]
    mine = [t for t in timers if t.task == str(task.id)]
    first = new.model.timer_for(element)
    # the task list shows the deadline of the task's (first) time standard
    chosen = next((t for t in mine if first is not None and t.element == first.id), mine[0] if mine else None)
    return TaskChange(
        task=str(task.id),
        element=element,
        name=new_def.name,
        lane=new_def.lane,
        sop_step=new_def.sop_step,
        due_at=chosen.due_at if chosen is not None else None,
        previous_name=old_def.name,
        previous_lane=old_def.lane,
        previous_sop_step=old_def.sop_step,
        previous_due_at=chosen.previous_due_at if chosen is not None else None,
    )
