"""What changed between two versions of a diagram, as plain data.

``diff_models(old, new)`` compares two ``ProcessModel`` readings element by
element id: tasks, lanes, timers, form fields, sequence flows, gateways (and
the other events). It compares what the engine executes, never the drawing,
so moving shapes, bending edges, re-saving in another modeler or reordering
attributes yields an empty diff. A process owner sees the result before
activating a version: as English sentences (``describe``), as JSON-ready
data (``as_dict``, for the CLI and for a translated web page) and as marks on
the new diagram (``changed_elements``).

Lanes are matched by name: a ``ProcessModel`` knows a lane by its name only,
and a task's lane is that name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from . import expressions
from .errors import ExpressionError
from .model import EnumValue, FlowDef, Form, FormField, NodeDef, ProcessModel, TaskDef, TimerDef

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
TASK_KINDS = ("added", "removed", "renamed", "moved", "sop_step", "mutu_baku", "retyped")
LANE_KINDS = ("added", "removed")


def _same_text(a: str | None, b: str | None) -> bool:
    """Equal up to whitespace: a line break a modeler puts into a label to wrap it is formatting."""
    return " ".join((a or "").split()) == " ".join((b or "").split())


def _quoted(name: str | None, ident: str) -> str:
    return f'"{name}" ({ident})' if name and name != ident else ident


def _step(sop_step: int | None) -> str:
    return f"step {sop_step} " if sop_step is not None else ""


def _task(sop_step: int | None) -> str:
    """ "Step 2 task" or "Task", to begin a sentence with."""
    return f"Step {sop_step} task" if sop_step is not None else "Task"


@dataclass(frozen=True)
class Change:
    """One difference; ``element`` is an element id of the new diagram (of the old one when removed)."""

    section: ClassVar[str] = ""

    kind: str
    element: str
    name: str | None = None
    old: Any = None
    new: Any = None

    def as_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "element": self.element, "name": self.name, "old": self.old, "new": self.new}
        out.update(self._extra())
        return out

    def _extra(self) -> dict[str, Any]:
        return {}

    def describe(self) -> str:  # pragma: no cover - every section overrides it
        raise NotImplementedError

    @property
    def marked(self) -> str | None:
        """How this change marks ``element`` on the new diagram: added, changed, or not at all."""
        if self.kind == REMOVED:
            return None
        return ADDED if self.kind == ADDED else CHANGED


@dataclass(frozen=True)
class TaskChange(Change):
    """A user task added, removed, renamed, moved to another lane, given another SOP step
    or Mutu Baku, or turned into another kind of task (``old``/``new`` hold the values)."""

    section: ClassVar[str] = "tasks"

    lane: str | None = None
    sop_step: int | None = None

    def _extra(self) -> dict[str, Any]:
        return {"lane": self.lane, "sop_step": self.sop_step}

    def describe(self) -> str:
        task = f"{_task(self.sop_step)} {_quoted(self.name, self.element)}"
        if self.kind == ADDED:
            return f"{task} added in lane {self.lane}."
        if self.kind == REMOVED:
            return f"{task} removed (it was in lane {self.lane})."
        if self.kind == "renamed":
            return f'{_task(self.sop_step)} {self.element} renamed from "{self.old}" to "{self.new}".'
        if self.kind == "moved":
            return f"{task} moved from lane {self.old} to lane {self.new}."
        if self.kind == "sop_step":
            return f"Task {_quoted(self.name, self.element)}: SOP step changed from {self.old} to {self.new}."
        if self.kind == "mutu_baku":
            parts = ", ".join(f"{k} {self.old.get(k)!r} -> {self.new.get(k)!r}" for k in self.new)
            return f"{task}: Mutu Baku changed ({parts})."
        return f"{task}: changed from {self.old} to {self.new}."


@dataclass(frozen=True)
class LaneChange(Change):
    """A lane added or removed; lanes are known by their names, so ``element`` is the name too."""

    section: ClassVar[str] = "lanes"

    def describe(self) -> str:
        return f"Lane {self.name} {self.kind}."


@dataclass(frozen=True)
class TimerChange(Change):
    """A timer added, removed, or with another standard (``changed``: old and new expression),
    name, task it watches (``reattached``) or interrupting flag; ``task`` is the watched task."""

    section: ClassVar[str] = "timers"

    task: str | None = None
    task_name: str | None = None
    sop_step: int | None = None

    def _extra(self) -> dict[str, Any]:
        return {"task": self.task, "task_name": self.task_name, "sop_step": self.sop_step}

    def describe(self) -> str:
        timer = f"Timer {_quoted(self.name, self.element)}"
        if self.task:
            timer += f" on {_step(self.sop_step)}task {_quoted(self.task_name, self.task)}"
        if self.kind == ADDED:
            return f"{timer} added: {self.new}."
        if self.kind == REMOVED:
            return f"{timer} removed (it was {self.old})."
        if self.kind == CHANGED:
            return f"{timer}: standard changed from {self.old} to {self.new}."
        if self.kind == "renamed":
            return f'{timer}: renamed from "{self.old}" to "{self.new}".'
        if self.kind == "reattached":
            return f"{timer}: now watches {self.new} instead of {self.old}."
        return f"{timer}: interrupting changed from {self.old} to {self.new}."


@dataclass(frozen=True)
class FieldChange(Change):
    """A form field of a task (``element``; the start event for the start form) added, removed,
    retyped, made (not) required, relabelled, with enum options added, removed or renamed, or
    with another default or other constraints."""

    section: ClassVar[str] = "forms"

    field: str = ""
    label: str | None = None
    sop_step: int | None = None
    option: str | None = None  # the enum option an options_renamed change is about
    start_form: bool = False  # the form the application starts with, on the start event

    def _extra(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "sop_step": self.sop_step,
            "option": self.option,
            "start_form": self.start_form,
        }

    def describe(self) -> str:
        if self.start_form:
            where = f"Start form of {_quoted(self.name, self.element)}"
        else:
            where = f"{_task(self.sop_step)} {_quoted(self.name, self.element)}"
        f = f"field {_quoted(self.label, self.field)}"
        if self.kind == "field_added":
            required = "required " if self.new.get("required") else ""
            return f"{where}: {required}{f} ({self.new.get('type')}) added."
        if self.kind == "field_removed":
            return f"{where}: {f} removed."
        if self.kind == "retyped":
            return f"{where}: {f} type changed from {self.old} to {self.new}."
        if self.kind == "required":
            return f"{where}: {f} is {'now' if self.new else 'no longer'} required."
        if self.kind == "label":
            return f'{where}: field {self.field} relabelled from "{self.old}" to "{self.new}".'
        if self.kind == "options_added":
            return f"{where}: {f} gained options {', '.join(o['id'] for o in self.new)}."
        if self.kind == "options_removed":
            return f"{where}: {f} lost options {', '.join(o['id'] for o in self.old)}."
        if self.kind == "options_renamed":
            return f'{where}: {f} option {self.option} renamed from "{self.old}" to "{self.new}".'
        return f"{where}: {f} {self.kind} changed from {self.old!r} to {self.new!r}."


@dataclass(frozen=True)
class FlowChange(Change):
    """A sequence flow added, removed, rerouted (``old``/``new``: its ends), or with another
    condition, default flag or name; ``source``/``target`` are its ends in the new diagram."""

    section: ClassVar[str] = "flows"

    source: str | None = None
    source_name: str | None = None
    target: str | None = None
    target_name: str | None = None

    def _extra(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_name": self.source_name,
            "target": self.target,
            "target_name": self.target_name,
        }

    def describe(self) -> str:
        flow = f"Flow {_quoted(self.name, self.element)}"
        ends = f"{_quoted(self.source_name, self.source or '?')} -> {_quoted(self.target_name, self.target or '?')}"
        if self.kind == ADDED:
            return f"{flow} added: {ends}."
        if self.kind == REMOVED:
            return f"{flow} removed (it went {ends})."
        if self.kind == "rerouted":
            before = f"{_quoted(self.old['source_name'], self.old['source'])} -> "
            before += _quoted(self.old["target_name"], self.old["target"])
            return f"{flow} rerouted: now {ends}, was {before}."
        if self.kind == "condition":
            return f"{flow} ({ends}): condition changed from {self.old or 'none'} to {self.new or 'none'}."
        if self.kind == "default":
            return f"{flow} ({ends}) is {'now' if self.new else 'no longer'} the gateway's default flow."
        return f'{flow} ({ends}): renamed from "{self.old or ""}" to "{self.new or ""}".'


@dataclass(frozen=True)
class NodeChange(Change):
    """A gateway (or an event that is not a timer: start, end, throw) added, removed, renamed,
    moved to another lane or turned into another kind (``node_kind``: the BPMN element's name)."""

    section: ClassVar[str] = "gateways"

    node_kind: str = ""
    lane: str | None = None

    def _extra(self) -> dict[str, Any]:
        return {"node_kind": self.node_kind, "lane": self.lane}

    def describe(self) -> str:
        node = f"{self.node_kind} {_quoted(self.name, self.element)}"
        node = node[0].upper() + node[1:]
        if self.kind == ADDED:
            return f"{node} added in lane {self.lane}."
        if self.kind == REMOVED:
            return f"{node} removed."
        if self.kind == "renamed":
            return f'{node}: renamed from "{self.old or ""}" to "{self.new or ""}".'
        if self.kind == "moved":
            return f"{node} moved from lane {self.old} to lane {self.new}."
        return f"{node}: changed from {self.old} to {self.new}."


@dataclass(frozen=True)
class ModelDiff:
    """Every difference between two versions, by section, each in the new diagram's order."""

    tasks: tuple[TaskChange, ...] = ()
    lanes: tuple[LaneChange, ...] = ()
    timers: tuple[TimerChange, ...] = ()
    forms: tuple[FieldChange, ...] = ()
    flows: tuple[FlowChange, ...] = ()
    gateways: tuple[NodeChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(self.changes())

    def changes(self) -> Iterator[Change]:
        for section in (self.tasks, self.lanes, self.timers, self.forms, self.flows, self.gateways):
            yield from section

    def __len__(self) -> int:
        return sum(1 for _ in self.changes())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: tasks and lanes grouped by kind, the other sections as lists of entries."""
        return {
            "tasks": {kind: [c.as_dict() for c in self.tasks if c.kind == kind] for kind in TASK_KINDS},
            "lanes": {kind: [c.as_dict() for c in self.lanes if c.kind == kind] for kind in LANE_KINDS},
            "timers": [c.as_dict() for c in self.timers],
            "forms": [c.as_dict() for c in self.forms],
            "flows": [c.as_dict() for c in self.flows],
            "gateways": [c.as_dict() for c in self.gateways],
        }

    def describe(self) -> list[str]:
        """One short English sentence per change."""
        return [c.describe() for c in self.changes()]

    def changed_elements(self, lane_ids: Mapping[str, str] | None = None) -> dict[str, str]:
        """Element id of the new diagram -> "added" or "changed", for marking it.

        Removed elements are not in the new diagram: they are only listed. Lanes are
        marked only when ``lane_ids`` (lane name -> lane element id) says which shape they are.
        """
        out: dict[str, str] = {}
        for change in self.changes():
            mark = change.marked
            element = change.element
            if isinstance(change, LaneChange):
                element = (lane_ids or {}).get(change.name or "")
                if element is None:
                    continue
            if mark is not None and out.get(element) != ADDED:
                out[element] = mark
        return out

    def removed(self) -> list[Change]:
        """The changes that removed an element (or a form field, or enum options)."""
        return [c for c in self.changes() if c.kind in (REMOVED, "field_removed", "options_removed")]

    def notes(self) -> dict[str, list[str]]:
        """Element id of the new diagram -> the sentences about it (for tooltips)."""
        out: dict[str, list[str]] = {}
        for change in self.changes():
            if change.marked is not None and not isinstance(change, LaneChange):
                out.setdefault(change.element, []).append(change.describe())
        return out


# -- comparing ---------------------------------------------------------------------------------


def diff_models(old: ProcessModel, new: ProcessModel) -> ModelDiff:
    """What changed from ``old`` to ``new``, matched by element id; the drawing is not compared."""
    return ModelDiff(
        tasks=tuple(_tasks(old, new)),
        lanes=tuple(_lanes(old, new)),
        timers=tuple(_timers(old, new)),
        forms=tuple(_forms(old, new)),
        flows=tuple(_flows(old, new)),
        gateways=tuple(_nodes(old, new)),
    )


def _matched(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Ids only in ``new`` and in both (new diagram's order), and only in ``old`` (old order)."""
    added = [k for k in new if k not in old]
    both = [k for k in new if k in old]
    removed = [k for k in old if k not in new]
    return added, both, removed


def _tasks(old: ProcessModel, new: ProcessModel) -> Iterator[TaskChange]:
    added, both, removed = _matched(old.tasks, new.tasks)
    for ident in added:
        t = new.tasks[ident]
        yield TaskChange(ADDED, ident, t.name, lane=t.lane, sop_step=t.sop_step)
    for ident in removed:
        t = old.tasks[ident]
        yield TaskChange(REMOVED, ident, t.name, lane=t.lane, sop_step=t.sop_step)
    for ident in both:
        yield from _task_changes(old.tasks[ident], new.tasks[ident], old.nodes.get(ident), new.nodes.get(ident))


def _task_changes(a: TaskDef, b: TaskDef, node_a: NodeDef | None, node_b: NodeDef | None) -> Iterator[TaskChange]:
    def change(kind: str, before: Any, after: Any) -> TaskChange:
        return TaskChange(kind, b.id, b.name, before, after, lane=b.lane, sop_step=b.sop_step)

    if not _same_text(a.name, b.name):
        yield change("renamed", a.name, b.name)
    if a.lane != b.lane:
        yield change("moved", a.lane, b.lane)
    if a.sop_step != b.sop_step:
        yield change("sop_step", a.sop_step, b.sop_step)
    before, after = a.mutu_baku.as_dict(), b.mutu_baku.as_dict()
    differing = [k for k in after if not _same_text(before[k], after[k])]
    if differing:
        yield change("mutu_baku", {k: before[k] for k in differing}, {k: after[k] for k in differing})
    if node_a is not None and node_b is not None and node_a.kind != node_b.kind:
        yield change("retyped", node_a.kind, node_b.kind)


def _lanes(old: ProcessModel, new: ProcessModel) -> Iterator[LaneChange]:
    for name in new.lanes:
        if name not in old.lanes:
            yield LaneChange(ADDED, name, name)
    for name in old.lanes:
        if name not in new.lanes:
            yield LaneChange(REMOVED, name, name)


def _timer_text(t: TimerDef) -> str:
    return t.expression.strip()


def _timers(old: ProcessModel, new: ProcessModel) -> Iterator[TimerChange]:
    def change(model: ProcessModel, t: TimerDef, kind: str, before: Any = None, after: Any = None) -> TimerChange:
        task = model.tasks.get(t.attached_to or "")
        return TimerChange(
            kind,
            t.id,
            t.name,
            before,
            after,
            task=t.attached_to,
            task_name=task.name if task else None,
            sop_step=task.sop_step if task else None,
        )

    added, both, removed = _matched(old.timers, new.timers)
    for ident in added:
        yield change(new, new.timers[ident], ADDED, after=_timer_text(new.timers[ident]))
    for ident in removed:
        yield change(old, old.timers[ident], REMOVED, before=_timer_text(old.timers[ident]))
    for ident in both:
        a, b = old.timers[ident], new.timers[ident]
        if (a.kind, _timer_text(a)) != (b.kind, _timer_text(b)):
            yield change(new, b, CHANGED, _timer_text(a), _timer_text(b))
        if not _same_text(a.name, b.name):
            yield change(new, b, "renamed", a.name, b.name)
        if a.attached_to != b.attached_to:
            yield change(new, b, "reattached", a.attached_to, b.attached_to)
        if a.interrupting != b.interrupting:
            yield change(new, b, "interrupting", a.interrupting, b.interrupting)


def _forms(old: ProcessModel, new: ProcessModel) -> Iterator[FieldChange]:
    start = new.nodes.get(new.start_event)
    yield from _form(old.start_form, new.start_form, new.start_event, start.name if start else None, None, True)
    for ident in new.tasks:
        if ident in old.tasks:
            t = new.tasks[ident]
            yield from _form(old.tasks[ident].form, t.form, ident, t.name, t.sop_step, False)


def _options(values: Iterable[EnumValue]) -> list[dict[str, str]]:
    return [{"id": v.id, "name": v.name} for v in values]


def _summary(f: FormField) -> dict[str, Any]:
    out: dict[str, Any] = {"type": f.type, "label": f.label, "required": f.required}
    if f.type == "enum":
        out["options"] = _options(f.enum)
    return out


def _form(
    a: Form, b: Form, element: str, name: str | None, sop_step: int | None, start_form: bool
) -> Iterator[FieldChange]:
    def change(f: FormField, kind: str, before: Any = None, after: Any = None, option: str | None = None):
        return FieldChange(
            kind,
            element,
            name,
            before,
            after,
            field=f.id,
            label=f.label,
            sop_step=sop_step,
            option=option,
            start_form=start_form,
        )

    old_fields = {f.id: f for f in a.fields}
    new_fields = {f.id: f for f in b.fields}
    added, both, removed = _matched(old_fields, new_fields)
    for fid in added:
        yield change(new_fields[fid], "field_added", after=_summary(new_fields[fid]))
    for fid in removed:
        yield change(old_fields[fid], "field_removed", before=_summary(old_fields[fid]))
    for fid in both:
        yield from _field(old_fields[fid], new_fields[fid], change)


def _field(a: FormField, b: FormField, change) -> Iterator[FieldChange]:
    if a.type != b.type:
        yield change(b, "retyped", a.type, b.type)
    if a.required != b.required:
        yield change(b, "required", a.required, b.required)
    if not _same_text(a.label, b.label):
        yield change(b, "label", a.label, b.label)
    old_options = {v.id: v for v in a.enum}
    new_options = {v.id: v for v in b.enum}
    gained = [v for v in b.enum if v.id not in old_options]
    lost = [v for v in a.enum if v.id not in new_options]
    if gained:
        yield change(b, "options_added", None, _options(gained))
    if lost:
        yield change(b, "options_removed", _options(lost), None)
    for v in b.enum:
        if v.id in old_options and not _same_text(old_options[v.id].name, v.name):
            yield change(b, "options_renamed", old_options[v.id].name, v.name, option=v.id)
    if (a.default or None) != (b.default or None):
        yield change(b, "default", a.default, b.default)
    if dict(a.constraints) != dict(b.constraints):
        yield change(b, "constraints", dict(a.constraints), dict(b.constraints))


def _condition_tree(text: str | None) -> Any:
    """A condition's meaning: ``${x}``, ``x`` and ``${ x }`` read the same."""
    if text is None:
        return None
    try:
        return expressions.parse(text).tree
    except ExpressionError:
        return " ".join(text.split())


def _node_name(model: ProcessModel, ident: str) -> str | None:
    node = model.nodes.get(ident)
    return node.name if node else None


def _ends(model: ProcessModel, f: FlowDef) -> dict[str, str | None]:
    return {
        "source": f.source,
        "source_name": _node_name(model, f.source),
        "target": f.target,
        "target_name": _node_name(model, f.target),
    }


def _flows(old: ProcessModel, new: ProcessModel) -> Iterator[FlowChange]:
    def change(model: ProcessModel, f: FlowDef, kind: str, before: Any = None, after: Any = None) -> FlowChange:
        return FlowChange(kind, f.id, f.name, before, after, **_ends(model, f))

    added, both, removed = _matched(old.flows, new.flows)
    for ident in added:
        f = new.flows[ident]
        yield change(new, f, ADDED, after={"condition": f.condition, "default": f.is_default})
    for ident in removed:
        f = old.flows[ident]
        yield change(old, f, REMOVED, before={"condition": f.condition, "default": f.is_default})
    for ident in both:
        a, b = old.flows[ident], new.flows[ident]
        if (a.source, a.target) != (b.source, b.target):
            yield change(new, b, "rerouted", _ends(old, a), _ends(new, b))
        if _condition_tree(a.condition) != _condition_tree(b.condition):
            yield change(new, b, "condition", a.condition, b.condition)
        if a.is_default != b.is_default:
            yield change(new, b, "default", a.is_default, b.is_default)
        if not _same_text(a.name, b.name):
            yield change(new, b, "renamed", a.name, b.name)


def _others(model: ProcessModel) -> dict[str, NodeDef]:
    """Flow nodes that are neither tasks nor timers: gateways, start, end and throw events."""
    return {k: n for k, n in model.nodes.items() if k not in model.tasks and k not in model.timers}


def _nodes(old: ProcessModel, new: ProcessModel) -> Iterator[NodeChange]:
    old_nodes, new_nodes = _others(old), _others(new)
    added, both, removed = _matched(old_nodes, new_nodes)
    for ident in added:
        n = new_nodes[ident]
        yield NodeChange(ADDED, ident, n.name, node_kind=n.kind, lane=n.lane)
    for ident in removed:
        n = old_nodes[ident]
        yield NodeChange(REMOVED, ident, n.name, node_kind=n.kind, lane=n.lane)
    for ident in both:
        yield from _node_changes(old_nodes[ident], new_nodes[ident])


def _node_changes(a: NodeDef, b: NodeDef) -> Iterator[NodeChange]:
    def change(kind: str, before: Any, after: Any) -> NodeChange:
        return NodeChange(kind, b.id, b.name, before, after, node_kind=b.kind, lane=b.lane)

    if a.kind != b.kind:
        yield change("retyped", a.kind, b.kind)
    if not _same_text(a.name, b.name):
        yield change("renamed", a.name, b.name)
    if a.lane != b.lane:
        yield change("moved", a.lane, b.lane)
