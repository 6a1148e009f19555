"""The one facade over SpiffWorkflow.

Nothing outside this module (and its helpers ``scripting`` and ``timers``)
touches SpiffWorkflow. It compiles a validated diagram into a process spec,
creates, saves and restores workflows (state only: the definition is stored
once per version and re-parsed, never embedded in every instance), runs user
tasks and timers, and reports what each step changed as ``Change`` records
that the services turn into log events and projection rows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaIntermediateCatchEventParser,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import expressions
from .definitions import ParsedDefinition
from .errors import Conflict, ExpressionError, NotFound, PtspError
from .model import ProcessModel
from .scripting import EngineScriptEngine
from .timers import ANCHOR, DUE, STANDARD, EngineDateTimer, EngineDurationTimer, attached_task, sop_step

log = logging.getLogger("ptsp.runtime")


class ProcessError(PtspError):
    """The diagram could not continue (a condition failed, a value is missing...)."""

    code = "process_error"


# --------------------------------------------------------------------- parsing
class _EngineTimers:
    """Parser mixin: timers become the engine's clock- and calendar-aware timers."""

    def parse_timer_event(self, event: Any) -> TimerEventDefinition:
        definition = super().parse_timer_event(event)
        cls = {"DurationTimerEventDefinition": EngineDurationTimer, "TimeDateEventDefinition": EngineDateTimer}.get(
            type(definition).__name__
        )
        if cls is None:
            return definition
        return cls(definition.name, definition.expression, description=definition.description)


class _BoundaryEventParser(_EngineTimers, CamundaBoundaryEventParser):
    pass


class _IntermediateCatchEventParser(_EngineTimers, CamundaIntermediateCatchEventParser):
    pass


class EngineParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("boundaryEvent"): (_BoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (_IntermediateCatchEventParser, IntermediateCatchEvent),
    }


@dataclass
class CompiledProcess:
    """A deployed version, parsed once and shared by all its instances."""

    definition_id: int
    version: int
    model: ProcessModel
    spec: Any
    subprocess_specs: dict[str, Any]


def compile_definition(definition_id: int, version: int, parsed: ParsedDefinition) -> CompiledProcess:
    parser = EngineParser()
    try:
        parser.add_bpmn_xml(parsed.tree)
        spec = parser.get_spec(parsed.model.process_id)
        subprocess_specs = parser.get_subprocess_specs(parsed.model.process_id)
    except SpiffWorkflowException as exc:
        raise ProcessError(f"the workflow engine cannot read the diagram: {exc}") from None
    return CompiledProcess(definition_id, version, parsed.model, spec, subprocess_specs)


# ----------------------------------------------------------------- persistence
class _StateOnlyConverter(BpmnWorkflowConverter):
    """Serialize a workflow without its spec; restore it onto a cached spec."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["spec"] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    @staticmethod
    def head(registry: Any, workflow: BpmnWorkflow) -> dict:
        """Everything ``to_dict`` gives except the tasks (which ``Runtime.dump`` adds)."""
        if workflow.subprocesses:
            raise ProcessError("sub-processes are not supported")
        return {
            "data": registry.convert(registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "root": str(workflow.task_tree.id),
            "spec": workflow.spec.name,
            "subprocesses": {},
            "bpmn_events": registry.convert(workflow.bpmn_events),
            "typename": registry.typenames[type(workflow)],
        }

    def from_dict(self, dct: dict, compiled: CompiledProcess | None = None, script_engine: Any = None) -> Any:
        if compiled is None:
            raise ValueError("restoring a workflow needs its compiled process")
        if dct.get("spec") != compiled.spec.name:
            raise ProcessError(f"stored state belongs to process '{dct.get('spec')}', not '{compiled.spec.name}'")
        workflow = self.target_class(
            compiled.spec, compiled.subprocess_specs, script_engine=script_engine, deserializing=True
        )
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


_CONFIG = dict(DEFAULT_CONFIG)
_CONFIG[BpmnWorkflow] = _StateOnlyConverter
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
# SpiffWorkflow toggles a flag on the registry while it serializes; a second,
# dump-only serializer keeps that flag on for good, so threads never race on it.
_DUMPER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
_DUMPER.registry._encoder_mode = True
_FINISHED = (TaskState.COMPLETED, TaskState.CANCELLED, TaskState.ERROR)
_JSON_DEFAULT = _DUMPER._encoder_cls().default


def _encode(value: Any) -> bytes:
    # Datetimes go through SpiffWorkflow's own encoder (as in dump_reference);
    # everything the engine stores is plain JSON.
    return orjson.dumps(value, default=_JSON_DEFAULT, option=orjson.OPT_PASSTHROUGH_DATETIME)


STATE_FORMAT = f"ptsp-state/spiff-{_SERIALIZER.VERSION}"


# --------------------------------------------------------------------- changes
@dataclass
class Change:
    """One thing a step changed.

    ``task_ready``, ``task_completed``, ``gateway_decided``, ``sla_breached`` and
    ``instance_completed`` become history events; ``task_cancelled``,
    ``timer_armed`` and ``timer_cleared`` only move the projections.
    """

    type: str
    task_id: str | None = None
    element_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


_RANK = {
    "task_completed": 0,
    "task_cancelled": 0,
    "timer_cleared": 1,
    "sla_breached": 1,
    "gateway_decided": 2,
    "task_ready": 3,
    "timer_armed": 4,
    "sla_breached_on_arrival": 5,
    "instance_completed": 9,
}


def _is_user_task(spec: Any) -> bool:
    return isinstance(spec, (UserTask, ManualTask))


def _is_timer(spec: Any) -> bool:
    return isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)


class Runtime:
    """Runs workflows for the services; one instance per ``Engine``."""

    def __init__(self, script_engine: EngineScriptEngine) -> None:
        self.script_engine = script_engine

    # -- lifecycle ---------------------------------------------------------
    def new_workflow(self, compiled: CompiledProcess, data: dict[str, Any]) -> tuple[BpmnWorkflow, list[Change]]:
        wf = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=self.script_engine)
        wf.task_tree.data.update(data)
        before: dict[UUID, int] = {}
        self._guard(lambda: self._settle(wf))
        return wf, self.changes(wf, compiled.model, before, False)

    def dump(self, wf: BpmnWorkflow) -> str:
        """The workflow's state as JSON, without its spec.

        A finished task never changes again, so its JSON fragment is kept on
        the workflow object and embedded as it is by the next dump; only live
        tasks are converted each time. ``dump_reference`` is the plain
        SpiffWorkflow path that the tests compare this with.
        """
        registry = _DUMPER.registry
        fragments: dict[UUID, tuple[tuple, orjson.Fragment]] = wf.__dict__.setdefault("_ptsp_fragments", {})
        tasks: dict[str, Any] = {}
        for tid, task in wf.tasks.items():
            key = (task.state, task.last_state_change, tuple(task._children))
            cached = fragments.get(tid)
            if cached is not None and cached[0] == key:
                tasks[str(tid)] = cached[1]
                continue
            converted = registry.convert(task)
            if task.state in _FINISHED:
                fragment = orjson.Fragment(_encode(converted))
                fragments[tid] = (key, fragment)
                tasks[str(tid)] = fragment
            else:
                tasks[str(tid)] = converted
        head = _StateOnlyConverter.head(registry, wf)
        head["tasks"] = tasks
        head[_DUMPER.VERSION_KEY] = _DUMPER.VERSION
        return _encode(head).decode("utf-8")

    @staticmethod
    def dump_reference(wf: BpmnWorkflow) -> str:
        dct = _SERIALIZER.to_dict(wf)
        dct[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
        return json.dumps(dct)

    def load(self, compiled: CompiledProcess, state: str) -> BpmnWorkflow:
        dct = orjson.loads(state)
        _SERIALIZER.migrate(dct)
        wf = _SERIALIZER.from_dict(dct, compiled=compiled, script_engine=self.script_engine)
        # The stored JSON of a finished task is what the next dump would write
        # for it: seed the fragment cache so a cold load does not re-convert it.
        fragments = wf.__dict__.setdefault("_ptsp_fragments", {})
        for tid, task_dict in dct["tasks"].items():
            if task_dict["state"] in _FINISHED:
                children = tuple(UUID(c) for c in task_dict["children"])
                key = (task_dict["state"], task_dict["last_state_change"], children)
                fragments[UUID(tid)] = (key, orjson.Fragment(orjson.dumps(task_dict)))
        return wf

    # -- queries -------------------------------------------------------------
    @staticmethod
    def ready_user_task(wf: BpmnWorkflow, task_id: str) -> Any:
        try:
            task = wf.get_task_from_id(UUID(task_id))
        except (ValueError, SpiffWorkflowException):
            task = None
        if task is None or not _is_user_task(task.task_spec):
            raise NotFound(f"task {task_id} not found")
        if task.state != TaskState.READY:
            raise Conflict(f"task {task_id} is not waiting to be done (it is {TaskState.get_name(task.state)})")
        return task

    @staticmethod
    def pending_timer_ids(wf: BpmnWorkflow) -> list[str]:
        pending = (TaskState.WAITING, TaskState.READY)
        return [str(t.id) for t in wf.tasks.values() if t.state in pending and _is_timer(t.task_spec)]

    # -- actions -------------------------------------------------------------
    def fire_due_timers(self, wf: BpmnWorkflow, model: ProcessModel) -> list[Change]:
        before, done = self.snapshot(wf), wf.completed
        self._guard(lambda: (wf.refresh_timers(), self._settle(wf)))
        return self.changes(wf, model, before, done)

    def complete(
        self,
        wf: BpmnWorkflow,
        model: ProcessModel,
        task_id: str,
        data: dict[str, Any],
        documents: dict[str, Any],
    ) -> list[Change]:
        """Complete a ready user task; breaches already due are recorded first."""
        changes = self.fire_due_timers(wf, model) if self.has_due_timer(wf) else []
        task = self.ready_user_task(wf, task_id)
        before, done = self.snapshot(wf), wf.completed

        def run() -> None:
            task.data.update(data)
            for obj in task.task_spec.data_output_associations:
                task.data[obj.bpmn_id] = documents.get(obj.bpmn_id)
            task.run()
            self._settle(wf)

        self._guard(run)
        return changes + self.changes(wf, model, before, done)

    def cancel(self, wf: BpmnWorkflow, model: ProcessModel) -> list[Change]:
        before, done = self.snapshot(wf), wf.completed
        self._guard(wf.cancel)
        return [c for c in self.changes(wf, model, before, done) if c.type != "instance_completed"]

    @staticmethod
    def _settle(wf: BpmnWorkflow) -> None:
        # do_engine_steps ends with refresh_timers, which may leave a due timer
        # READY but not run; keep stepping until only people are awaited.
        wf.do_engine_steps()
        while any(t.state == TaskState.READY and not t.task_spec.manual for t in wf.tasks.values()):
            wf.do_engine_steps()

    def has_due_timer(self, wf: BpmnWorkflow) -> bool:
        """Whether a waiting timer's deadline has passed (cheap: no tree walk)."""
        now = self.script_engine.clock.now()
        for task in wf.event_manager.tasks.values():
            due = task.internal_data.get(DUE)
            if due is not None and _is_timer(task.task_spec) and datetime.fromisoformat(due) <= now:
                return True
        return False

    @staticmethod
    def _guard(action: Any) -> None:
        try:
            action()
        except ExpressionError as exc:  # a condition or timer of the diagram failed on this data
            raise ProcessError(f"the process could not continue: {exc.message}") from None
        except PtspError:
            raise
        except SpiffWorkflowException as exc:
            raise ProcessError(f"the process could not continue: {exc}") from None
        except Exception as exc:  # a diagram value the checks let through: refuse, never crash
            log.exception("workflow step failed")
            raise ProcessError(f"the process could not continue: {type(exc).__name__}: {exc}") from None

    # -- change detection ---------------------------------------------------------
    @staticmethod
    def snapshot(wf: BpmnWorkflow) -> dict[UUID, int]:
        return {tid: t.state for tid, t in wf.tasks.items()}

    def changes(self, wf: BpmnWorkflow, model: ProcessModel, before: dict[UUID, int], was_done: bool) -> list[Change]:
        found: list[tuple[int, int, Change]] = []
        for order, (tid, task) in enumerate(wf.tasks.items()):
            old, new = before.get(tid), task.state
            if old == new:
                continue
            spec = task.task_spec
            for change in self._changes_of(task, spec, old, new, model):
                rank = _RANK[change.type]
                if change.type == "sla_breached_on_arrival":
                    change.type = "sla_breached"
                found.append((rank, order, change))
        if not was_done and wf.completed:
            found.append((_RANK["instance_completed"], 0, Change("instance_completed")))
        found.sort(key=lambda item: (item[0], item[1]))
        return [c for _, _, c in found]

    def _changes_of(self, task: Any, spec: Any, old: int | None, new: int, model: ProcessModel) -> list[Change]:
        tid = str(task.id)
        if _is_user_task(spec):
            if new == TaskState.READY:
                return [Change("task_ready", tid, spec.bpmn_id, {"sop_step": sop_step(spec)})]
            if new == TaskState.COMPLETED and old == TaskState.READY:
                return [Change("task_completed", tid, spec.bpmn_id, {"sop_step": sop_step(spec)})]
            if new == TaskState.CANCELLED and old == TaskState.READY:
                return [Change("task_cancelled", tid, spec.bpmn_id)]
            return []
        if _is_timer(spec):
            return self._timer_changes(task, spec, old, new)
        deciding = isinstance(spec, (ExclusiveGateway, InclusiveGateway)) and len(spec.outputs) > 1
        if deciding and new == TaskState.COMPLETED:
            return [self._decision(task, spec, model)]
        return []

    @staticmethod
    def _timer_changes(task: Any, spec: Any, old: int | None, new: int) -> list[Change]:
        tid = str(task.id)
        main = attached_task(task)
        info = {
            "task": str(main.id) if main is not None else None,
            "task_element": main.task_spec.bpmn_id if main is not None else None,
            "due_at": task.internal_data.get(DUE),
            "anchor": task.internal_data.get(ANCHOR),
            "standard": task.internal_data.get(STANDARD),
            "sop_step": sop_step(main.task_spec) if main is not None else None,
        }
        pending = (TaskState.WAITING, TaskState.READY)
        if new in pending and old not in pending and task.internal_data.get(DUE):
            return [Change("timer_armed", tid, spec.bpmn_id, info)]
        if new == TaskState.COMPLETED:
            if old in pending:
                return [
                    Change("timer_cleared", tid, spec.bpmn_id, info),
                    Change("sla_breached", tid, spec.bpmn_id, info),
                ]
            return [Change("sla_breached_on_arrival", tid, spec.bpmn_id, info)]
        if new == TaskState.CANCELLED and old in pending:
            return [Change("timer_cleared", tid, spec.bpmn_id, info)]
        return []

    @staticmethod
    def _decision(task: Any, spec: Any, model: ProcessModel) -> Change:
        gateway = spec.bpmn_id
        taken = []
        for child in task.children:
            target = child.task_spec.bpmn_id or child.task_spec.name.split(".")[0]
            flow = model.flow_between(gateway, target)
            taken.append(
                {
                    "flow": flow.id if flow else None,
                    "flow_name": flow.name if flow else None,
                    "condition": flow.condition if flow else None,
                    "target": target,
                    "target_name": model.nodes[target].name if target in model.nodes else None,
                }
            )
        inputs: dict[str, Any] = {}
        for option in taken:
            if option["condition"]:
                try:
                    names = expressions.parse(option["condition"]).names
                except ExpressionError:
                    names = frozenset()
                inputs.update({n: task.data.get(n) for n in names if n in task.data})
        node = model.nodes.get(gateway)
        return Change(
            "gateway_decided",
            str(task.id),
            gateway,
            {"gateway": gateway, "gateway_name": node.name if node else None, "taken": taken, "inputs": inputs},
        )
