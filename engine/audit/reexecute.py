"""Re-execution: run an application's recorded history again and compare.

The log records every input the engine acted on: the start form, each task
completion (who, which task, the form data), each timer sweep that fired a
deadline (its moment) and each cancellation. Re-execution feeds exactly those
inputs, at the recorded moments, to a fresh SpiffWorkflow run of the
instance's pinned diagram version, with the same recorder the live commands
use, and then checks that

1. every event the run produces equals the recorded one at the same position
   (path taken at gateways, tasks made ready, completions, breaches with their
   deadlines, the end), and nothing is recorded that the run did not produce;
2. the run ends in the stored state: the serialized workflow (task tree, task
   data, timers), the instance row (status, data, service) and the task and
   timer projections that the lists and the timer sweep read.

Task ids are random per run, so the recorded ids are mapped to the run's ids
as tasks become ready, and the two workflow states are compared as trees in
which every id is replaced by its position.

An application moved to another version of its diagram (``instance_migrated``)
re-executes on the version it was filed on (named in ``instance_started``) up
to the migration, is migrated there by the same function the live command
used (``engine.migration.migrate``), and continues on the new version; the
version it ends on must be the one it is pinned to.

Deadlines are counted with the calendar as known at each recorded event's
moment: the run's script engine binds the engine's calendar to the run's own
clock (see ``engine.scripting``), which stands at the event being re-executed,
so a closure added or a holiday synchronised after a deadline was computed
does not change it here either (``engine.working_time``).

The first difference found is returned as a ``Divergence`` naming the event
(``seq``) where it shows, or ``None`` when the history holds.

Because the comparison uses today's recorder, the content of events is part
of the audit format just like the hash's canonical form: a release that
records more (or other) data in an event must teach this comparison which
keys older logs lack, or every older history would fail to verify.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..calendar import Calendar
from ..clock import FixedClock
from ..errors import PtspError
from ..migration import DeployedVersion, event_data
from ..migration import migrate as migrate_workflow
from ..runtime import Runtime
from ..scripting import EngineScriptEngine
from ..services.instances import absorb_form, produced_documents
from ..services.recording import InstanceRecord, Recorder

# The events that carry an input (a command); all others are consequences.
COMMANDS = ("instance_started", "task_completed", "sla_breached", "instance_cancelled", "instance_migrated")
# ``load(process_id, version)``: a deployed version, or a PtspError when there is none
VersionLoader = Callable[[Any, Any], DeployedVersion]
# The fields an event is compared on (ids are compared through the id map).
_COMPARED = ("type", "at", "actor", "task_name", "lane", "data")
_TASK_FIELDS = (
    "element_id",
    "name",
    "lane",
    "seksi",
    "sop_step",
    "status",
    "ready_at",
    "due_at",
    "breached_at",
    "completed_at",
    "completed_by",
)


@dataclass(frozen=True)
class Divergence:
    seq: int | None
    reason: str


@dataclass(frozen=True)
class StoredInstance:
    """What the database holds for one application (the thing being checked)."""

    id: int
    registration: str
    process_id: str
    version: int
    status: str
    data: dict[str, Any]
    service: str | None
    state: str
    tasks: Sequence[Mapping[str, Any]]  # rows of the task projection
    timers: Sequence[Mapping[str, Any]]  # rows of the timer projection


class _Diverged(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        super().__init__(reason)
        self.divergence = Divergence(seq, reason)


def _json(value: Any) -> Any:
    """A value as it reads back from a JSON column."""
    return json.loads(json.dumps(value, default=str))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


@dataclass
class _Run:
    load: VersionLoader
    runtime: Runtime
    clock: FixedClock
    stored: StoredInstance
    events: Sequence[Mapping[str, Any]]
    record: InstanceRecord = field(init=False)
    current: DeployedVersion | None = None  # the version the run executes now
    wf: Any = None
    cursor: int = 0
    to_run: dict[str, str] = field(default_factory=dict)  # recorded task id -> run's task id
    to_log: dict[str, str] = field(default_factory=dict)  # run's task id -> recorded task id
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # the run's task projection
    timers: dict[str, dict[str, Any]] = field(default_factory=dict)  # the run's timer projection

    def __post_init__(self) -> None:
        self.record = InstanceRecord(self.stored.id, self.stored.registration, 0, 0, "running", 0, 0, {})

    @property
    def compiled(self) -> Any:
        if self.current is None:
            raise _Diverged(None, "the log does not say which version the application was filed on")
        return self.current.compiled

    # -- driving -----------------------------------------------------------------
    def replay(self) -> None:
        if not self.events or self.events[0]["type"] != "instance_started":
            raise _Diverged(1, "the log does not begin with the application being filed (instance_started)")
        self._check_pinned()
        while self.cursor < len(self.events):
            event = self.events[self.cursor]
            if event["type"] not in COMMANDS:
                raise _Diverged(
                    event["seq"],
                    f"event {event['seq']} ({event['type']}) is in the log but re-execution does not produce it",
                )
            self.clock.set(event["at"])
            recorder = self._command(event)
            self._compare(recorder.events)
            self._project(recorder)

    def _command(self, event: Mapping[str, Any]) -> Recorder:
        seq, kind = event["seq"], event["type"]
        data = event.get("data") or {}
        if kind == "instance_started":
            self.current = self._version(seq, data, "filed on")
        compiled = self.compiled
        recorder = Recorder(None, self.record, compiled, event["at"], event.get("actor"))  # type: ignore[arg-type]
        model = compiled.model
        try:
            if kind == "instance_started":
                if self.cursor != 0:
                    raise _Diverged(seq, f"event {seq}: the application is filed a second time")
                form = data.get("form") or {}
                self.wf, changes = self.runtime.new_workflow(self.compiled, form)
                absorb_form(self.record, model.start_form, form)
                recorder.event("instance_started", actor=event.get("actor"), lane=event.get("lane"), data=data)
                recorder.apply(changes)
            elif kind == "task_completed":
                recorded_id = event.get("task_id")
                task_id = self.to_run.get(recorded_id or "")
                if task_id is None:
                    raise _Diverged(seq, f"event {seq} completes task {recorded_id}, which never became ready")
                task_def = model.tasks.get(data.get("element") or "")
                if task_def is None:
                    raise _Diverged(
                        seq, f"event {seq} completes element {data.get('element')!r}, unknown to the diagram"
                    )
                form = data.get("form") or {}
                # the run's own task id: the state comparison maps ids to tree positions
                documents = produced_documents(model, task_def, task_id, event.get("actor") or "", event["at"])
                changes = self.runtime.complete(self.wf, model, task_id, form, documents)
                absorb_form(self.record, task_def.form, form)
                recorder.apply(changes, {task_id: form})
            elif kind == "sla_breached":
                changes = self.runtime.fire_due_timers(self.wf, model)
                recorder.apply(changes)
                if not recorder.events:
                    raise _Diverged(
                        seq, f"event {seq} records a breach at {event['at'].isoformat()}, when no deadline was due"
                    )
            elif kind == "instance_migrated":
                self._migrate(seq, event, data, recorder)
            else:  # instance_cancelled
                changes = self.runtime.cancel(self.wf, model)
                recorder.apply(changes)
                self.record.status, self.record.ended_at = "cancelled", event["at"]
                recorder.event("instance_cancelled", actor=event.get("actor"), data=data)
        except PtspError as exc:
            raise _Diverged(seq, f"event {seq} ({kind}) cannot be re-executed: {exc.message}") from None
        return recorder

    def _check_pinned(self) -> None:
        """The version the log ends on (filed on, or the last migration's target) must be the pinned one."""
        filed = self.events[0].get("data") or {}
        said = f"was filed on {filed.get('process')} version {filed.get('version')}"
        last, seq = (filed.get("process"), filed.get("version")), 1
        for event in self.events:
            if event["type"] == "instance_migrated":
                target = _mapping(_mapping(event.get("data")).get("to"))
                last, seq = (target.get("process"), target.get("version")), event["seq"]
        if seq != 1:
            said += f" and last migrated to {last[0]} version {last[1]} (event {seq})"
        pinned = (self.stored.process_id, self.stored.version)
        if last != pinned:
            raise _Diverged(
                seq, f"the log says the application {said}, but it is pinned to {pinned[0]} version {pinned[1]}"
            )

    def _version(self, seq: int, ref: Mapping[str, Any], what: str) -> DeployedVersion:
        try:
            return self.load(ref.get("process"), ref.get("version"))
        except PtspError:
            raise _Diverged(
                seq,
                f"event {seq} says the application was {what} {ref.get('process')} version {ref.get('version')}, "
                "which is not deployed",
            ) from None

    def _migrate(self, seq: int, event: Mapping[str, Any], data: Mapping[str, Any], recorder: Recorder) -> None:
        if self.record.status != "running":
            raise _Diverged(seq, f"event {seq} migrates the application after it was {self.record.status}")
        old, new = self.current, self._version(seq, _mapping(data.get("to")), "migrated to")
        assert old is not None  # set by instance_started
        ready_at = {task_id: row["ready_at"] for task_id, row in self.tasks.items() if row["status"] == "ready"}
        calendar = self.runtime.script_engine.calendar
        outcome = migrate_workflow(self.wf, old, new, now=event["at"], calendar=calendar, ready_at=ready_at)
        if not outcome.ok:
            raise _Diverged(
                seq,
                f"event {seq} (instance_migrated) cannot be re-executed: version {new.version} refuses it: "
                + "; ".join(outcome.reasons),
            )
        recorder.migrated(new, event_data(old, new, event.get("actor"), outcome), outcome)
        self.current = new

    # -- events ------------------------------------------------------------------
    def _compare(self, produced: list[dict[str, Any]]) -> None:
        for event in produced:
            if self.cursor >= len(self.events):
                raise _Diverged(
                    event["seq"],
                    f"re-execution produces event {event['seq']} ({event['type']}, {event.get('task_name')}) "
                    "that the log does not have",
                )
            recorded = self.events[self.cursor]
            self._compare_one(recorded, event)
            self.cursor += 1

    def _compare_one(self, recorded: Mapping[str, Any], produced: dict[str, Any]) -> None:
        seq = recorded["seq"]
        if produced["seq"] != seq:  # the log skips or repeats a number: the chain check names it
            raise _Diverged(seq, f"event {seq} is numbered out of order")
        for name in _COMPARED:
            theirs, ours = recorded.get(name), produced.get(name)
            if name == "data":
                ours = _json(ours or {})
                theirs = theirs or {}
            if theirs != ours:
                what = f"{recorded['type']}" + (f", {recorded.get('task_name')}" if recorded.get("task_name") else "")
                raise _Diverged(
                    seq,
                    f"event {seq} ({what}) differs from re-execution in {name}: "
                    f"recorded {_show(theirs)}, re-executed {_show(ours)}",
                )
        recorded_task, produced_task = recorded.get("task_id"), produced.get("task_id")
        if produced["type"] == "task_ready" and produced_task is not None and recorded_task is not None:
            self.to_run[recorded_task], self.to_log[produced_task] = produced_task, recorded_task
        elif (recorded_task is None) != (produced_task is None) or (
            produced_task is not None and self.to_log.get(produced_task) != recorded_task
        ):
            raise _Diverged(seq, f"event {seq} ({recorded['type']}) refers to a different task than re-execution")

    # -- projections ---------------------------------------------------------------
    def _project(self, recorder: Recorder) -> None:
        self.tasks.update(recorder.new_tasks)
        for row in recorder.finished:
            self.tasks[row["row_id"]].update(
                status=row["new_status"], completed_at=row["new_completed_at"], completed_by=row["new_completed_by"]
            )
        for task_id in recorder.breached:
            if self.tasks[task_id]["breached_at"] is None:
                self.tasks[task_id]["breached_at"] = recorder.now
        for row in recorder.retasked:
            self.tasks[row["row_id"]].update(name=row["new_name"], lane=row["new_lane"], sop_step=row["new_sop_step"])
            if row["new_due_at"] is not None:
                self.tasks[row["row_id"]]["due_at"] = row["new_due_at"]
        for timer in recorder.new_timers:
            self.timers[timer["id"]] = timer
        for row in recorder.retimed:
            self.timers[row["row_id"]] = {
                **self.timers[row["row_id"]],
                "element_id": row["new_element_id"],
                "due_at": row["new_due_at"],
            }
        for timer_id in recorder.cleared:
            self.timers.pop(timer_id, None)


# ------------------------------------------------------------------------ state trees
def _tree(state: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The tasks of a serialized workflow, depth first from the root, ids replaced by positions."""
    tasks = state.get("tasks") or {}
    order: list[str] = []
    stack = [state.get("root")]
    while stack:
        task_id = stack.pop()
        if task_id not in tasks:
            raise ValueError(f"the task tree refers to task {task_id}, which is not stored")
        order.append(task_id)
        stack.extend(reversed(tasks[task_id].get("children") or []))
    if len(order) != len(tasks):
        raise ValueError(f"{len(tasks) - len(order)} stored task(s) hang outside the task tree")
    position = {task_id: f"#{i}" for i, task_id in enumerate(order)}

    def strip(value: Any) -> Any:
        if isinstance(value, str):
            return position.get(value, value)
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        return value

    yield -1, strip({k: v for k, v in state.items() if k not in ("tasks", "root", "serializer_version")})
    for i, task_id in enumerate(order):
        # last_state_change is the wall-clock moment of the run itself, not of the history
        task = {k: v for k, v in tasks[task_id].items() if k not in ("id", "last_state_change")}
        yield i, strip(task)


def _first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{path}{key} is {'missing' if key not in a else 'present'} in the stored state"
            found = _first_difference(a[key], b[key], f"{path}{key}.")
            if found:
                return found
        return None
    if a != b:
        return f"{path.rstrip('.')} is {_show(a)} in the stored state, {_show(b)} on re-execution"
    return None


def compare_states(stored: str, replayed: str) -> str | None:
    """Where two serialized workflows differ (ignoring ids and wall-clock stamps), or None."""
    try:
        ours = list(_tree(json.loads(stored)))
    except (ValueError, TypeError, AttributeError) as exc:
        return f"the stored workflow state cannot be read: {exc}"
    theirs = list(_tree(json.loads(replayed)))
    if len(ours) != len(theirs):
        return f"the stored workflow state has {len(ours) - 1} tasks, re-execution {len(theirs) - 1}"
    for (i, a), (_, b) in zip(ours, theirs, strict=True):
        found = _first_difference(a, b)
        if found:
            where = "workflow" if i < 0 else f"task {i} ({a.get('task_spec')})"
            return f"{where}: {found}"
    return None


# ------------------------------------------------------------------------ the check
def _compare_end(run: _Run) -> str | None:
    stored, record = run.stored, run.record
    if stored.status != record.status:
        return f"the application is stored as {stored.status}, re-execution ends {record.status}"
    if stored.data != _json(record.data):
        found = _first_difference(stored.data, _json(record.data))
        return f"the application's data differs: {found}"
    if stored.service != record.service:
        return f"the application's service is stored as {stored.service!r}, re-execution gives {record.service!r}"
    found = compare_states(stored.state, run.runtime.dump(run.wf))
    if found:
        return found
    return _compare_projections(run)


def _compare_projections(run: _Run) -> str | None:
    stored_tasks = {row["id"]: row for row in run.stored.tasks}
    replayed = {run.to_log.get(task_id, task_id): row for task_id, row in run.tasks.items()}
    if set(stored_tasks) != set(replayed):
        extra, missing = set(stored_tasks) - set(replayed), set(replayed) - set(stored_tasks)
        return "the task list differs from re-execution: " + (
            f"stored but not re-executed {sorted(extra)}" if extra else f"missing {sorted(missing)}"
        )
    for task_id, row in replayed.items():
        for name in _TASK_FIELDS:
            if stored_tasks[task_id][name] != row[name]:
                return (
                    f"task {task_id} ({row['name']}) in the task list: {name} is "
                    f"{_show(stored_tasks[task_id][name])}, re-execution gives {_show(row[name])}"
                )

    def timers(rows: Any, mapped: bool) -> set[tuple[Any, ...]]:
        return {
            (r["element_id"], run.to_log.get(r["task_id"], r["task_id"]) if mapped else r["task_id"], r["due_at"])
            for r in rows
        }

    stored_timers, replayed_timers = timers(run.stored.timers, False), timers(run.timers.values(), True)
    if stored_timers != replayed_timers:
        return (
            "the pending deadlines differ from re-execution: stored "
            f"{sorted((e, d.isoformat()) for e, _, d in stored_timers)}, "
            f"re-executed {sorted((e, d.isoformat()) for e, _, d in replayed_timers)}"
        )
    return None


def reexecute(
    load: VersionLoader,
    stored: StoredInstance,
    events: Sequence[Mapping[str, Any]],
    calendar: Calendar,
) -> Divergence | None:
    """Re-execute one application's log and compare; ``events`` in ``seq`` order, ``at`` aware.

    ``load(process_id, version)`` gives the deployed versions the log names
    (the one it was filed on and each migration's target). ``calendar`` is the
    engine's; bound to the run's clock, it counts as known at each event.
    """
    clock = FixedClock(events[0]["at"] if events else datetime.fromtimestamp(0).astimezone())
    run = _Run(load, Runtime(EngineScriptEngine(clock, calendar)), clock, stored, events)
    try:
        run.replay()
    except _Diverged as exc:
        return exc.divergence
    found = _compare_end(run)
    return Divergence(None, found) if found else None
