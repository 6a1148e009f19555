"""Reading and validating a diagram before anything is stored.

A deployed file is hostile until proven otherwise. ``load_definition`` parses
it without DTDs, entities or network access, validates it against the BPMN 2.0
XSD, then checks what this engine needs (known lanes, every user task in a
lane, timers that parse, no executable extensions, no ids that collide with
SpiffWorkflow's internal names, one executable process) and reports *every*
problem it finds, each with its line and element. Only a file without problems
becomes a ``ParsedDefinition``.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from lxml import etree

from . import expressions
from .calendar import WIB, Duration, WallClockCalendar
from .errors import DefinitionInvalid, ExpressionError, Problem
from .model import (
    APPLICANT_LANE,
    FIELD_TYPES,
    KNOWN_LANES,
    SERVICE_FIELD,
    EnumValue,
    FlowDef,
    Form,
    FormField,
    MutuBaku,
    NodeDef,
    ProcessModel,
    TaskDef,
    TimerDef,
)

MAX_BYTES = 2 * 1024 * 1024

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "camunda": CAMUNDA}

# Flow elements this engine executes. Everything else is refused by name, so
# that a process owner learns what to change instead of seeing a crash later.
SUPPORTED_FLOW_NODES = {
    "startEvent",
    "endEvent",
    "userTask",
    "manualTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "boundaryEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
}
OTHER_PROCESS_CHILDREN = {
    "sequenceFlow",
    "dataObject",
    "dataObjectReference",
    "laneSet",
    "documentation",
    "extensionElements",
    "textAnnotation",
    "association",
    "group",
    "property",
}
ACTIVITIES = {"userTask", "manualTask"}
REFUSED_REASONS = {
    "task": "a plain task is done by nobody in this engine; make it a User Task so that a lane's staff do it",
    "scriptTask": "script tasks are not allowed: a diagram must not run code",
    "serviceTask": "service tasks are not supported: this engine calls no external services",
    "businessRuleTask": "business rule tasks are not supported",
    "sendTask": "send tasks are not supported",
    "receiveTask": "receive tasks are not supported",
    "callActivity": "call activities are not supported",
    "subProcess": "sub-processes are not supported; model the steps in the lanes directly",
    "transaction": "transactions are not supported",
    "adHocSubProcess": "ad-hoc sub-processes are not supported",
    "eventBasedGateway": "event-based gateways are not supported",
    "complexGateway": "complex gateways are not supported",
    "dataStoreReference": "data stores are not supported",
}
ALLOWED_EVENT_DEFINITIONS = {"timerEventDefinition"}
ALLOWED_EXTENSIONS = {(CAMUNDA, "formData"), (CAMUNDA, "properties")}
# SpiffWorkflow names some internal task specs with these ids; a diagram element
# with the same id silently replaces them and yields an empty process.
RESERVED_IDS = {"Start", "End", "Root", "StartEventSplit", "StartEventJoin"}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONSTRAINTS = {"required", "readonly", "minlength", "maxlength", "min", "max"}
# Elements inside an activity that would make the engine run it differently
# from what the lanes, forms and timers promise.
REFUSED_INSIDE_ACTIVITIES = {
    "multiInstanceLoopCharacteristics": "multi-instance tasks are not supported",
    "standardLoopCharacteristics": "loop tasks are not supported; model the loop with a gateway",
    "ioSpecification": "task input/output specifications are not supported; use form fields and data objects",
}
# What may sit inside camunda:formData and camunda:properties: form fields and their parts.
ALLOWED_INSIDE_EXTENSIONS = {
    (CAMUNDA, name) for name in ("formField", "validation", "constraint", "value", "properties", "property")
}
# Elements whose content is text (an expression, a value, prose); the schema would allow any element inside.
TEXT_ONLY = {"documentation", "text", "conditionExpression", "timeDuration", "timeDate", "timeCycle"}
DECIDING = {"exclusiveGateway", "inclusiveGateway"}
# The columns that keep element ids and names (tasks, events, definitions) hold this much.
MAX_ID, MAX_NAME, MAX_SERVICE_NAME = 200, 400, 200
# SpiffWorkflow parses and predicts a process recursively: a bound keeps it well inside Python's stack.
MAX_FLOW_NODES = 300
# Flow nodes SpiffWorkflow lets branch; every other one continues along at most one flow.
BRANCHING = {"startEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway"}
LONGEST_TIMER_YEARS = 100
NUMERIC_CONSTRAINTS = {"minlength", "maxlength", "min", "max"}
MUTU_BAKU_KEYS = {"persyaratan": "persyaratan", "waktu": "waktu", "output": "output"}


@dataclass(frozen=True)
class ParsedDefinition:
    """A diagram that passed every check, ready to store and to execute."""

    xml: bytes
    sha256: str
    model: ProcessModel
    tree: etree._ElementTree


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _ns(el: etree._Element) -> str | None:
    return etree.QName(el).namespace if isinstance(el.tag, str) else None


def _label(el: etree._Element) -> str | None:
    ident = el.get("id")
    name = el.get("name")
    if ident and name:
        return f'{ident} "{name}"'
    return ident or name


def _prefixed(el: etree._Element) -> str:
    prefixes = {BPMN: "bpmn:", CAMUNDA: "camunda:", BPMNDI: "bpmndi:"}
    namespace = _ns(el)
    return prefixes.get(namespace or "", f"{{{namespace}}}" if namespace else "") + _local(el)


def _label_near(el: etree._Element) -> str | None:
    """The element's label, or "tag in <nearest labelled ancestor>" for an anonymous one."""
    own = _label(el)
    if own:
        return own
    for ancestor in el.iterancestors():
        if isinstance(ancestor.tag, str) and _label(ancestor):
            return f"{_local(el)} in {_label(ancestor)}"
    return _local(el) or None


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    import SpiffWorkflow

    path = os.path.join(os.path.dirname(SpiffWorkflow.__file__), "bpmn", "parser", "schema", "BPMN20.xsd")
    return etree.XMLSchema(etree.parse(path))


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse untrusted XML: no DTD, no entities, no network, bounded size."""
    if not isinstance(data, (bytes, bytearray)):
        raise DefinitionInvalid([Problem("the diagram must be given as bytes")])
    if len(data) > MAX_BYTES:
        raise DefinitionInvalid([Problem(f"file is {len(data)} bytes; the limit is {MAX_BYTES} bytes")])
    if not data.strip():
        raise DefinitionInvalid([Problem("file is empty")])
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise DefinitionInvalid(
            [Problem("DOCTYPE and ENTITY declarations are not allowed (entity expansion and XXE are refused)")]
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
    )
    try:
        tree = etree.ElementTree(etree.fromstring(bytes(data), parser))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise DefinitionInvalid([Problem(f"not well-formed XML: {exc.msg}", line=line)]) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DefinitionInvalid([Problem("DOCTYPE declarations are not allowed")])
    return tree


def _xsd_problems(tree: etree._ElementTree) -> list[Problem]:
    schema = _schema()
    if schema.validate(tree):
        return []
    problems = []
    for entry in schema.error_log:
        element = None
        if entry.path:
            try:
                prefixes = {k: v for k, v in tree.getroot().nsmap.items() if k} | NS
                found = tree.xpath(entry.path, namespaces=prefixes)
                if found and isinstance(found[0], etree._Element):
                    element = _label_near(found[0])
            except etree.XPathError:
                element = None
        message = entry.message
        message = message.replace("{" + BPMN + "}", "bpmn:").replace("{" + BPMNDI + "}", "bpmndi:")
        problems.append(Problem(f"does not conform to the BPMN 2.0 schema: {message}", element, entry.line))
    return problems


class _Checker:
    """Semantic checks and the ProcessModel, over an XSD-valid document."""

    def __init__(self, tree: etree._ElementTree) -> None:
        self.root = tree.getroot()
        self.problems: list[Problem] = []

    def problem(self, message: str, el: etree._Element | None = None) -> None:
        self.problems.append(
            Problem(message, _label_near(el) if el is not None else None, el.sourceline if el is not None else None)
        )

    def xpath(self, node: etree._Element, path: str) -> list:
        return node.xpath(path, namespaces=NS)

    # -- the whole document ------------------------------------------------
    def run(self) -> ProcessModel | None:
        if _local(self.root) != "definitions" or _ns(self.root) != BPMN:
            self.problem("the root element must be bpmn:definitions")
            return None
        self.check_ids()
        process = self.executable_process()
        if process is None:
            return None
        self.check_extensions()
        model = self.build(process)
        self.check_di(process)
        return model if not self.problems else None

    def check_ids(self) -> None:
        for el in self.root.iter():
            ident = el.get("id") if isinstance(el.tag, str) else None
            if ident is None:
                continue
            if ident in RESERVED_IDS:
                self.problem(f"the id '{ident}' is reserved by the workflow engine; rename the element", el)
            elif "." in ident:
                self.problem(f"the id '{ident}' contains '.', which the workflow engine reserves", el)
            if len(ident) > MAX_ID:
                self.problem(f"an id is {len(ident)} characters long; the limit is {MAX_ID}", el)
            if _ns(el) == BPMN and len(el.get("name") or "") > MAX_NAME:
                self.problem(f"a name is {len(el.get('name'))} characters long; the limit is {MAX_NAME}", el)

    def executable_process(self) -> etree._Element | None:
        processes = self.xpath(self.root, "bpmn:process")
        executable = [p for p in processes if p.get("isExecutable", "false") == "true"]
        if not executable:
            self.problem('no executable process: set isExecutable="true" on the process')
            return None
        if len(executable) > 1:
            for p in executable[1:]:
                self.problem("only one executable process per file is supported", p)
            return None
        if not executable[0].get("id"):
            self.problem("the executable process has no id; its id names the process and its versions", executable[0])
            return None
        return executable[0]

    def check_extensions(self) -> None:
        for ext in self.root.iter(f"{{{BPMN}}}extensionElements"):
            for child in ext:
                if not isinstance(child.tag, str):
                    continue
                key = (_ns(child), _local(child))
                if key not in ALLOWED_EXTENSIONS:
                    owner = ext.getparent()
                    prefix = "camunda:" if key[0] == CAMUNDA else f"{{{key[0]}}}"
                    self.problems.append(
                        Problem(
                            f"extension {prefix}{key[1]} is not supported; only camunda:formData and "
                            "camunda:properties are allowed, because other extensions can run code",
                            _label(owner),
                            child.sourceline,
                        )
                    )
        for allowed in self.xpath(
            self.root, "//bpmn:extensionElements/camunda:formData|//bpmn:extensionElements/camunda:properties"
        ):
            for inner in allowed.iterdescendants():
                if isinstance(inner.tag, str) and (_ns(inner), _local(inner)) not in ALLOWED_INSIDE_EXTENSIONS:
                    self.problems.append(
                        Problem(
                            f"{_prefixed(inner)} inside camunda:{_local(allowed)} is not supported "
                            f"(only {', '.join('camunda:' + n for _, n in sorted(ALLOWED_INSIDE_EXTENSIONS))})",
                            _label_near(allowed),
                            inner.sourceline,
                        )
                    )
        for el in self.root.iter():
            if not isinstance(el.tag, str):
                continue
            if _ns(el) == BPMN and _local(el) in TEXT_ONLY and any(isinstance(c.tag, str) for c in el):
                # BPMN lets any element sit in these; SpiffWorkflow would find flows and events hidden there
                self.problem(f"bpmn:{_local(el)} must be plain text, without elements inside", el)
            for attr in el.attrib:
                q = etree.QName(attr)
                if q.namespace == CAMUNDA and q.localname in {
                    "class",
                    "delegateExpression",
                    "expression",
                    "resultVariable",
                    "topic",
                }:
                    self.problem(f"attribute camunda:{q.localname} is not supported: it would run code", el)

    # -- lanes -----------------------------------------------------------------
    def lanes(self, process: etree._Element) -> tuple[tuple[str, ...], dict[str, str]]:
        names: list[str] = []
        lane_of: dict[str, str] = {}
        for lane in self.xpath(process, ".//bpmn:lane"):
            if self.xpath(lane, "bpmn:childLaneSet"):
                self.problem("nested lanes are not supported", lane)
            name = (lane.get("name") or "").strip()
            if not name:
                self.problem("a lane has no name; name it after one of the office's roles", lane)
                continue
            if name not in KNOWN_LANES:
                self.problem(
                    f"unknown lane '{name}'; lanes must be named after the office's roles: " + ", ".join(KNOWN_LANES),
                    lane,
                )
            if name in names:
                self.problem(f"lane '{name}' appears twice", lane)
            names.append(name)
            for ref in self.xpath(lane, "bpmn:flowNodeRef"):
                node_id = (ref.text or "").strip()
                if node_id in lane_of and lane_of[node_id] != name:
                    self.problem(f"'{node_id}' is placed in two lanes ({lane_of[node_id]}, {name})", lane)
                lane_of[node_id] = name
        return tuple(names), lane_of

    # -- the process -------------------------------------------------------------
    def build(self, process: etree._Element) -> ProcessModel | None:
        lanes, lane_of = self.lanes(process)
        nodes: dict[str, NodeDef] = {}
        timers: dict[str, TimerDef] = {}
        data_objects: dict[str, str] = {}
        ref_target: dict[str, str] = {}
        starts: list[etree._Element] = []
        ref_els: dict[str, etree._Element] = {}
        # elements by id, so that a later check can name the one it is about
        self.node_els: dict[str, etree._Element] = {}
        # ids of elements already refused: no second problem for flows or timers that touch them
        self.refused: set[str] = set()

        for el in process:
            kind = _local(el)
            if not kind or _ns(el) != BPMN:
                continue
            if kind in REFUSED_REASONS:
                self.problem(REFUSED_REASONS[kind], el)
                self.refused.add(el.get("id") or "")
                continue
            if kind not in ("laneSet", "documentation", "extensionElements") and not el.get("id"):
                self.problem(f"a {kind} has no id", el)
                continue
            if kind == "dataObject":
                data_objects[el.get("id")] = el.get("name") or el.get("id")
                if not IDENTIFIER.match(el.get("id")):
                    self.problem(
                        "a data object id must be a plain identifier (letters, digits, _), "
                        "because it names a process variable",
                        el,
                    )
                continue
            if kind == "dataObjectReference":
                ref_target[el.get("id")] = el.get("dataObjectRef")
                ref_els[el.get("id")] = el
                continue
            if kind in OTHER_PROCESS_CHILDREN:
                continue
            if kind not in SUPPORTED_FLOW_NODES:
                self.problem(f"{kind} is not supported by this engine", el)
                self.refused.add(el.get("id"))
                continue
            ident = el.get("id")
            nodes[ident] = NodeDef(ident, kind, el.get("name"), lane_of.get(ident))
            self.node_els[ident] = el
            self.check_event_definitions(el, kind)
            if kind == "startEvent":
                starts.append(el)
            if kind in ("boundaryEvent", "intermediateCatchEvent", "startEvent"):
                timer = self.timer(el, kind)
                if timer is not None:
                    timers[timer.id] = timer

        for ident, el in ref_els.items():
            if ref_target[ident] not in data_objects:
                self.problem(f"data object reference '{ident}' points to no data object", el)
        if len(nodes) > MAX_FLOW_NODES:
            self.problem(
                f"the process has {len(nodes)} events, tasks and gateways; the limit is {MAX_FLOW_NODES}", process
            )
            return None
        flows = self.flows(process, nodes)

        if len(starts) != 1:
            self.problem(f"the process needs exactly one start event, found {len(starts)}", process)
            return None
        start = starts[0]
        if self.xpath(start, "bpmn:*[contains(local-name(), 'EventDefinition')]"):
            self.problem("the start event must be a plain (none) start event", start)
        if lane_of.get(start.get("id")) != APPLICANT_LANE:
            self.problem(
                f"the start event must be in the {APPLICANT_LANE} lane: applications are started by their applicants",
                start,
            )
        start_form = self.form(start)

        tasks: dict[str, TaskDef] = {}
        for el in self.xpath(process, "bpmn:userTask|bpmn:manualTask|bpmn:task"):
            if el.get("id"):  # one without an id is reported above
                tasks[el.get("id")] = self.task(el, lane_of, ref_target)
        self.attach_timers(timers, tasks)
        self.check_gateways(process, flows, tasks, data_objects, start_form)
        self.check_loops(nodes, flows, timers)
        for node in nodes.values():
            if node.kind in ACTIVITIES and node.lane is None:
                self.problem(
                    "user task is not in any lane; place it in the lane of the role that does it",
                    self.node_els[node.id],
                )

        if self.problems:
            return None
        return ProcessModel(
            process_id=process.get("id"),
            name=process.get("name") or process.get("id"),
            lanes=lanes,
            nodes=nodes,
            tasks=tasks,
            flows=flows,
            timers=timers,
            data_objects=data_objects,
            start_event=start.get("id"),
            start_form=start_form,
        )

    def flows(self, process: etree._Element, nodes: dict[str, NodeDef]) -> dict[str, FlowDef]:
        """The sequence flows, each between two flow nodes of this process; defaults marked."""
        flows: dict[str, FlowDef] = {}
        self.flow_els: dict[str, etree._Element] = {}
        for el in self.xpath(process, "bpmn:sequenceFlow"):
            ident = el.get("id")
            if not ident:
                continue  # reported as "a sequenceFlow has no id"
            cond_el = self.xpath(el, "bpmn:conditionExpression")
            condition = (cond_el[0].text or "").strip() if cond_el else None
            flow = FlowDef(ident, el.get("name"), el.get("sourceRef"), el.get("targetRef"), condition or None)
            flows[ident], self.flow_els[ident] = flow, el
            for end, ref in (("source", flow.source), ("target", flow.target)):
                if ref not in nodes and ref not in self.refused:
                    self.problem(
                        f"the flow's {end} '{ref}' is not a task, event or gateway of this process; "
                        "a sequence flow connects flow nodes",
                        el,
                    )
        self.check_outgoing(nodes, flows)
        for gw in self.xpath(process, "bpmn:exclusiveGateway|bpmn:inclusiveGateway"):
            default = gw.get("default")
            if not default:
                continue
            f = flows.get(default)
            if f is None or f.source != gw.get("id"):
                self.problem(f"the default flow '{default}' is not an outgoing flow of this gateway", gw)
                continue
            flows[default] = replace(f, is_default=True)
        return flows

    def check_outgoing(self, nodes: dict[str, NodeDef], flows: dict[str, FlowDef]) -> None:
        count: dict[str, int] = {}
        for flow in flows.values():
            count[flow.source] = count.get(flow.source, 0) + 1
        for ident, node in nodes.items():
            n = count.get(ident, 0)
            if node.kind == "endEvent" and n:
                self.problem("an end event ends its path: it cannot have an outgoing flow", self.node_els[ident])
            elif node.kind not in BRANCHING and n > 1:
                self.problem(
                    f"a {node.kind} may have only one outgoing flow, not {n}; split the path with a gateway",
                    self.node_els[ident],
                )

    def attach_timers(self, timers: dict[str, TimerDef], tasks: dict[str, TaskDef]) -> None:
        """Give each task its boundary timers; a boundary timer watches a user task and nothing else."""
        for timer in timers.values():
            if timer.attached_to is None:
                continue
            if timer.attached_to in tasks:
                t = tasks[timer.attached_to]
                tasks[t.id] = replace(t, timers=(*t.timers, timer.id))
            elif timer.attached_to not in self.refused:
                self.problem(
                    f"a boundary timer must be attached to a user task of this process; "
                    f"'{timer.attached_to}' is not one",
                    self.node_els[timer.id],
                )

    def check_loops(self, nodes: dict[str, NodeDef], flows: dict[str, FlowDef], timers: dict[str, TimerDef]) -> None:
        """Every loop needs a person and a decision.

        A loop through no user task makes the engine step forever without
        anybody acting. A boundary timer is a way past its task that needs
        nobody: one whose path leads back to the task (a zero duration, a
        deadline inherited from the step, a date already past) fires again at
        once, so it counts as no user task. A loop through no exclusive or
        inclusive gateway can never be left, and SpiffWorkflow, which predicts
        every definite path ahead, recurses along it until Python's stack runs out.
        """
        rules = (
            (
                ACTIVITIES,
                True,
                "passes no user task that waits for a person, so the engine would run it forever; "
                "route it through a user task (a boundary timer's path must not lead back to its task)",
            ),
            (
                DECIDING,
                False,
                "has no exclusive or inclusive gateway to leave it by, so it could never end; "
                "add a gateway that decides whether to go round again",
            ),
        )
        for breakers, timers_bypass, reason in rules:
            graph: dict[str, list[str]] = {ident: [] for ident, node in nodes.items() if node.kind not in breakers}
            for flow in flows.values():
                if flow.source in graph and flow.target in graph:
                    graph[flow.source].append(flow.target)
            if timers_bypass:
                for timer in timers.values():
                    if timer.id in graph and timer.attached_to not in graph:  # a timer on a user task
                        for flow in flows.values():
                            if flow.target == timer.attached_to and flow.source in graph:
                                graph[flow.source].append(timer.id)
            for loop in _loops(graph):
                first = min(loop, key=lambda ident: self.node_els[ident].sourceline or 0)
                self.problem(f"the loop through {', '.join(sorted(loop))} {reason}", self.node_els[first])

    def check_event_definitions(self, el: etree._Element, kind: str) -> None:
        for d in self.xpath(el, "bpmn:*[contains(local-name(), 'EventDefinition')]"):
            name = _local(d)
            if name not in ALLOWED_EVENT_DEFINITIONS:
                self.problem(f"{name} is not supported: only timer events are", el)
            elif kind in ("endEvent", "intermediateThrowEvent"):
                self.problem("a throwing event cannot carry a timer", el)

    def timer(self, el: etree._Element, kind: str) -> TimerDef | None:
        defs = self.xpath(el, "bpmn:timerEventDefinition")
        if not defs:
            if kind == "boundaryEvent":
                self.problem("a boundary event must be a timer", el)
            elif kind == "intermediateCatchEvent":
                self.problem(
                    "an intermediate catch event must be a timer: it is the only event this engine waits for", el
                )
            return None
        if kind == "startEvent":
            return None  # reported by the start event check
        d = defs[0]
        found = [(k, self.xpath(d, f"bpmn:{k}")) for k in ("timeDuration", "timeDate", "timeCycle")]
        found = [(k, v[0]) for k, v in found if v]
        if len(found) != 1:
            self.problem("a timer needs exactly one of timeDuration, timeDate or timeCycle", el)
            return None
        key, value_el = found[0]
        text = (value_el.text or "").strip()
        kind_name = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}[key]
        if kind_name == "cycle":
            self.problem("timer cycles are not supported; use a duration such as PT15M", el)
            return None
        if not text:
            self.problem(f"the timer's {key} is empty", el)
            return None
        self.check_timer_value(el, kind_name, text)
        attached = el.get("attachedToRef") if kind == "boundaryEvent" else None
        interrupting = el.get("cancelActivity", "true") != "false"
        return TimerDef(el.get("id"), el.get("name"), kind_name, text, attached, interrupting, el.sourceline)

    def check_timer_value(self, el: etree._Element, kind: str, text: str) -> None:
        _inner, wrapped = expressions.unwrap(text)
        if wrapped:
            try:
                expressions.parse(text)
            except ExpressionError as exc:
                self.problem(f"timer expression: {exc.message}", el)
            return
        try:
            if kind == "duration":
                duration = Duration.parse(text)
                start = datetime(2000, 1, 1, tzinfo=WIB)
                if WallClockCalendar().add(start, duration) > start.replace(year=2000 + LONGEST_TIMER_YEARS):
                    self.problem(f"timer value {text!r} is longer than {LONGEST_TIMER_YEARS} years", el)
            else:
                datetime.fromisoformat(text)
        except ExpressionError as exc:
            self.problem(f"timer value {exc.message}", el)
        except OverflowError:
            self.problem(f"timer value {text!r} is longer than {LONGEST_TIMER_YEARS} years", el)
        except ValueError:
            self.problem(f"timer value {text!r} is not an ISO 8601 date-time", el)

    # -- tasks and forms --------------------------------------------------------------
    def properties(self, el: etree._Element) -> dict[str, str]:
        props = {}
        for p in self.xpath(el, "bpmn:extensionElements/camunda:properties/camunda:property"):
            props[p.get("name") or ""] = p.get("value") or ""
        return props

    def task(self, el: etree._Element, lane_of: dict[str, str], ref_target: dict[str, str]) -> TaskDef | None:
        ident = el.get("id")
        for child in el:
            reason = REFUSED_INSIDE_ACTIVITIES.get(_local(child)) if _ns(child) == BPMN else None
            if reason:
                self.problem(reason, el)
        name = (el.get("name") or "").strip()
        if not name:
            self.problem("the task has no name", el)
        props = self.properties(el)
        sop_step = None
        if "sop_step" in props:
            raw = props["sop_step"].strip()
            if re.fullmatch(r"[0-9]{1,2}", raw) and 1 <= int(raw) <= 99:
                sop_step = int(raw)
            else:
                self.problem(f"sop_step must be a whole number from 1 to 99, not {raw!r}", el)
        doc_el = self.xpath(el, "bpmn:documentation")
        documentation = (doc_el[0].text or "").strip() if doc_el else None
        inputs = self.associated(el, "dataInputAssociation/bpmn:sourceRef", "reads", ref_target)
        outputs = self.associated(el, "dataOutputAssociation/bpmn:targetRef", "writes", ref_target)
        return TaskDef(
            ident,
            name or ident,
            lane_of.get(ident),
            sop_step,
            documentation or None,
            _mutu_baku(documentation),
            self.form(el),
            (),
            tuple(dict.fromkeys(inputs)),
            tuple(dict.fromkeys(outputs)),
        )

    def associated(self, el: etree._Element, path: str, verb: str, ref_target: dict[str, str]) -> tuple[str, ...]:
        """The data objects a task's data associations name; each must be a reference in this process."""
        found = []
        for ref in self.xpath(el, f"bpmn:{path}"):
            name = (ref.text or "").strip()
            if name not in ref_target:
                self.problem(f"the task {verb} '{name}', which is not a data object reference of this process", el)
            elif ref_target[name]:
                found.append(ref_target[name])
        return tuple(found)

    def form(self, el: etree._Element) -> Form:
        fields: list[FormField] = []
        seen: set[str] = set()
        for f in self.xpath(el, "bpmn:extensionElements/camunda:formData/camunda:formField"):
            fid = (f.get("id") or "").strip()
            ftype = (f.get("type") or "string").strip()
            if not IDENTIFIER.match(fid):
                self.problem(
                    f"form field id {fid!r} must be a plain identifier (letters, digits, _), "
                    "because conditions refer to it",
                    el,
                )
                continue
            if fid in seen:
                self.problem(f"form field '{fid}' is declared twice", el)
            seen.add(fid)
            if ftype not in FIELD_TYPES:
                self.problem(
                    f"form field '{fid}' has unsupported type '{ftype}' (use one of {', '.join(FIELD_TYPES)})", el
                )
            constraints: dict[str, str] = {}
            for c in self.xpath(f, "camunda:validation/camunda:constraint"):
                cname = (c.get("name") or "").strip()
                config = (c.get("config") or "").strip()
                if cname not in CONSTRAINTS:
                    self.problem(f"form field '{fid}': unknown constraint '{cname}'", el)
                    continue
                if cname in NUMERIC_CONSTRAINTS:
                    problem = _numeric_constraint_problem(cname, config)
                    if problem:
                        self.problem(f"form field '{fid}': constraint {cname} {problem}", el)
                        continue
                constraints[cname] = config
            values = tuple(
                EnumValue((v.get("id") or "").strip(), (v.get("name") or v.get("id") or "").strip())
                for v in self.xpath(f, "camunda:value")
            )
            if ftype == "enum" and not values:
                self.problem(f"enum form field '{fid}' has no values", el)
            if fid == SERVICE_FIELD and (ftype != "enum" or any(len(v.name) > MAX_SERVICE_NAME for v in values)):
                self.problem(
                    f"form field '{fid}' names the service applied for: it must be an enum "
                    f"whose values' names have at most {MAX_SERVICE_NAME} characters",
                    el,
                )
            required = constraints.pop("required", None) is not None
            fields.append(
                FormField(
                    fid, ftype, (f.get("label") or fid).strip(), required, values, f.get("defaultValue"), constraints
                )
            )
        return Form(tuple(fields))

    # -- gateways and conditions -----------------------------------------------------
    def check_gateways(
        self,
        process: etree._Element,
        flows: dict[str, FlowDef],
        tasks: dict[str, TaskDef],
        data_objects: dict[str, str],
        start_form: Form,
    ) -> None:
        known = {f.id for t in tasks.values() for f in t.form.fields} | {f.id for f in start_form.fields}
        known |= set(data_objects)
        outgoing: dict[str, list[FlowDef]] = {}
        for flow in flows.values():
            outgoing.setdefault(flow.source, []).append(flow)
        for flow in flows.values():
            if flow.condition is None:
                continue
            el = self.flow_els[flow.id]
            try:
                expr = expressions.parse(flow.condition)
            except ExpressionError as exc:
                self.problem(f"condition is not a plain expression: {exc.message}", el)
                continue
            for name in sorted(expr.names - known):
                self.problem(f"condition {flow.condition!r} refers to '{name}', which no form field provides", el)
        for gw in self.xpath(process, "bpmn:exclusiveGateway|bpmn:inclusiveGateway"):
            outs = outgoing.get(gw.get("id"), [])
            if len(outs) > 1:
                bare = [f for f in outs if f.condition is None and not f.is_default]
                if bare:
                    self.problem(
                        "a deciding gateway needs a condition on every outgoing flow (or a default flow); "
                        f"missing on {', '.join(f.id for f in bare)}",
                        gw,
                    )

    # -- diagram interchange -------------------------------------------------------------
    def check_di(self, process: etree._Element) -> None:
        shapes = {s.get("bpmnElement") for s in self.root.iter(f"{{{BPMNDI}}}BPMNShape")}
        edges = {e.get("bpmnElement") for e in self.root.iter(f"{{{BPMNDI}}}BPMNEdge")}
        for el in process:
            kind = _local(el)
            if kind in SUPPORTED_FLOW_NODES or kind == "dataObjectReference":
                if el.get("id") not in shapes:
                    self.problem("element has no shape in the diagram (missing DI)", el)
            elif kind == "sequenceFlow" and el.get("id") not in edges:
                self.problem("sequence flow has no edge in the diagram (missing DI)", el)
        for lane in self.xpath(process, ".//bpmn:lane"):
            if lane.get("id") not in shapes:
                self.problem("lane has no shape in the diagram (missing DI)", lane)


def _loops(graph: dict[str, list[str]]) -> list[set[str]]:
    """The node sets of the graph's cycles: strongly connected components with a cycle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph[succ])))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph[node]:
                        loops.append(component)
    return loops


def _numeric_constraint_problem(name: str, config: str) -> str | None:
    try:
        value = float(config)
    except ValueError:
        return f"needs a number, not {config!r}"
    if not math.isfinite(value) or abs(value) > 1e15:
        return f"must be a finite number below 10^15, not {config!r}"
    if name in ("minlength", "maxlength") and (value < 0 or not value.is_integer()):
        return f"must be a whole number of characters, not {config!r}"
    return None


def _mutu_baku(documentation: str | None) -> MutuBaku:
    """Read "Persyaratan: ...", "Waktu: ..." and "Output: ..." lines from documentation."""
    found: dict[str, str] = {}
    for line in (documentation or "").splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key in MUTU_BAKU_KEYS and value.strip():
            found[MUTU_BAKU_KEYS[key]] = value.strip()
    return MutuBaku(**found)


def load_definition(data: bytes) -> ParsedDefinition:
    """Validate a diagram completely; raise ``DefinitionInvalid`` listing every problem."""
    tree = parse_xml(data)
    problems = _xsd_problems(tree)
    if problems:
        raise DefinitionInvalid(problems)
    checker = _Checker(tree)
    model = checker.run()
    if checker.problems or model is None:
        raise DefinitionInvalid(checker.problems or [Problem("the diagram could not be read")])
    return ParsedDefinition(bytes(data), hashlib.sha256(data).hexdigest(), model, tree)
