"""Reading and validating a diagram before anything is stored.

A deployed file is hostile until proven otherwise. ``load_definition`` parses
it without DTDs, entities or network access, validates it against the BPMN 2.0
XSD, then checks what this engine needs (known lanes, every user task in a
lane, timers that parse, no executable extensions, no ids that collide with
SpiffWorkflow's internal names, one executable process) and reports *every*
problem it finds, each with its line and element. Only a file without problems
becomes a ``ParsedDefinition``.

Each problem is a constant English template with ``{placeholders}`` and the
values that fill it in (see ``Problem``), written for the process owner who
fixes the diagram in Camunda Modeler: what is wrong, and what to do about it.
The templates are the message ids of the ``problems`` catalog
(``webui/translations/*/LC_MESSAGES/problems.po``); a template kept in a table
is marked with ``N_`` so that ``make problem-translations`` extracts it too.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from dataclasses import dataclass, replace
from datetime import datetime

from lxml import etree

from . import expressions
from .calendar import WIB, Duration, WallClockCalendar
from .errors import DefinitionInvalid, ExpressionError, Problem
from .model import (
    APPLICANT_LANE,
    CATALOGUE_SOURCES,
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


def N_(template: str) -> str:
    """Mark a problem template kept in a table, for the catalog; returns it unchanged."""
    return template


BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
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
    "task": N_(
        "a plain task is done by nobody in this engine; make it a User Task (wrench icon > User Task) "
        "so that the staff of its lane do it"
    ),
    "scriptTask": N_(
        "script tasks are not allowed: a diagram must not run code; make it a User Task "
        "(wrench icon > User Task) done by the staff of its lane"
    ),
    "serviceTask": N_(
        "service tasks are not supported: this engine calls no external services; make it a User Task "
        "(wrench icon > User Task) done by the staff of its lane"
    ),
    "businessRuleTask": N_(
        "business rule tasks are not supported; decide with an exclusive gateway and a condition on each of its flows"
    ),
    "sendTask": N_("send tasks are not supported; make it a User Task in which the staff send the message themselves"),
    "receiveTask": N_(
        "receive tasks are not supported; make it a User Task in which the staff record what they received"
    ),
    "callActivity": N_("call activities are not supported; draw the called steps in the lanes of this diagram"),
    "subProcess": N_("sub-processes are not supported; model the steps in the lanes directly"),
    "transaction": N_("transactions are not supported; model the steps in the lanes directly"),
    "adHocSubProcess": N_("ad-hoc sub-processes are not supported; model the steps in the lanes directly"),
    "eventBasedGateway": N_(
        "event-based gateways are not supported; use an exclusive gateway with conditions, "
        "or a timer on the edge of the task that waits"
    ),
    "complexGateway": N_("complex gateways are not supported; use an exclusive, parallel or inclusive gateway"),
    "dataStoreReference": N_("data stores are not supported; use a data object"),
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
    "multiInstanceLoopCharacteristics": N_(
        "multi-instance tasks are not supported; remove the multi-instance marker (wrench icon, the three lines)"
    ),
    "standardLoopCharacteristics": N_(
        "loop tasks are not supported; remove the loop marker and model the loop with a gateway"
    ),
    "ioSpecification": N_(
        "task input/output specifications are not supported; use form fields and data objects instead"
    ),
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


def _prefixed(el: etree._Element) -> str:
    prefixes = {BPMN: "bpmn:", CAMUNDA: "camunda:", BPMNDI: "bpmndi:"}
    namespace = _ns(el)
    return prefixes.get(namespace or "", f"{{{namespace}}}" if namespace else "") + _local(el)


def _where(el: etree._Element | None) -> tuple[str | None, str | None]:
    """The id and name a process owner finds the element by: its own, or its nearest ancestor's.

    An element without an id (a lane's flowNodeRef, a task's documentation) is
    found in the modeler through the element that holds it.
    """
    if el is None:
        return None, None
    for node in (el, *el.iterancestors()):
        if isinstance(node.tag, str) and (node.get("id") or node.get("name")):
            return node.get("id") or None, (node.get("name") or "").strip() or None
    return None, None


def _problem(
    template: str, el: etree._Element | None = None, /, *, at_line: int | None = None, **params: object
) -> Problem:
    """A problem about ``el`` (located by its line, id and name), worded by ``template`` and ``params``."""
    element, name = _where(el)
    line = at_line if at_line is not None else (el.sourceline if el is not None else None)
    return Problem.of(template, params, element=element, name=name, line=line)


# libxml2 builds a schema with process-wide state: two threads building one at once (the
# first requests of a fresh gthread web worker) crashed the worker with SIGSEGV under load.
# So schemas are built one at a time, and each thread validates with its own.
_SCHEMA_LOCK = threading.Lock()
_SCHEMAS = threading.local()


def _schema() -> etree.XMLSchema:
    schema = getattr(_SCHEMAS, "schema", None)
    if schema is None:
        import SpiffWorkflow

        path = os.path.join(os.path.dirname(SpiffWorkflow.__file__), "bpmn", "parser", "schema", "BPMN20.xsd")
        with _SCHEMA_LOCK:
            schema = etree.XMLSchema(etree.parse(path))
        _SCHEMAS.schema = schema
    return schema


NOT_BPMN = N_(
    "this file is not a BPMN diagram (its root element is <{root}>); upload the .bpmn file "
    "that Camunda Modeler saves for the process, not a decision table, a form or a picture"
)
SVG_DOCTYPE = re.compile(rb"<!DOCTYPE\s+svg\b")
DOCTYPE_REFUSED = N_(
    "DOCTYPE and ENTITY declarations are not allowed (entity expansion and XXE are refused); "
    "Camunda Modeler never writes them: save the diagram again from the modeler"
)


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse untrusted XML: no DTD, no entities, no network, bounded size."""
    if not isinstance(data, (bytes, bytearray)):
        raise DefinitionInvalid([_problem("the diagram must be uploaded as a file (bytes), not as text")])
    if len(data) > MAX_BYTES:
        raise DefinitionInvalid(
            [
                _problem(
                    "the file is {size} bytes; the limit is {limit} bytes. "
                    "Check that you chose the .bpmn file that Camunda Modeler saved",
                    size=len(data),
                    limit=MAX_BYTES,
                )
            ]
        )
    if not data.strip():
        raise DefinitionInvalid([_problem("the file is empty; choose the .bpmn file that Camunda Modeler saved")])
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        if SVG_DOCTYPE.search(bytes(data[:4096])):
            # Camunda Modeler's "Export as SVG" writes a DOCTYPE: say what the file is, not what it declares
            raise DefinitionInvalid([_problem(NOT_BPMN, root="svg")])
        raise DefinitionInvalid([_problem(DOCTYPE_REFUSED)])
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
        raise DefinitionInvalid(
            [
                _problem(
                    "the file is damaged and cannot be read (not well-formed XML: {detail}); a file cut short "
                    "or edited by hand looks like this: save the diagram again from Camunda Modeler",
                    at_line=exc.lineno or None,
                    detail=exc.msg,
                )
            ]
        ) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DefinitionInvalid([_problem(DOCTYPE_REFUSED)])
    return tree


def _not_bpmn(tree: etree._ElementTree) -> list[Problem]:
    """A file of another kind (a DMN table, an SVG picture, a form) gets one problem, not the schema's."""
    root = tree.getroot()
    if _local(root) == "definitions" and _ns(root) == BPMN:
        return []
    if _ns(root):
        return [
            _problem(
                "this file is not a BPMN diagram (its root element is <{root}> of {namespace}); upload the .bpmn "
                "file that Camunda Modeler saves for the process, not a decision table, a form or a picture",
                at_line=root.sourceline,
                root=_local(root),
                namespace=_ns(root),
            )
        ]
    return [
        _problem(
            NOT_BPMN,
            at_line=root.sourceline,
            root=_local(root),
        )
    ]


def _duplicate_ids(tree: etree._ElementTree) -> tuple[list[Problem], set[str]]:
    """Every id used twice, each second use located and named; and the duplicated ids.

    Only the ids the schema makes unique: a camunda:formField or camunda:value
    id may repeat in another task's form.
    """
    first: dict[str, etree._Element] = {}
    problems: list[Problem] = []
    for el in tree.getroot().iter():
        ident = el.get("id") if isinstance(el.tag, str) and _ns(el) in SCHEMA_NAMESPACES else None
        if not ident:
            continue
        if ident in first:
            problems.append(
                _problem(
                    "the id '{id}' is used by two elements (the other one is on line {other_line}); "
                    "every element needs an id of its own: change one in the properties panel (General > ID)",
                    el,
                    id=ident,
                    other_line=first[ident].sourceline,
                )
            )
        else:
            first[ident] = el
    return problems, {p.params["id"] for p in problems}


# What engine.expressions says of a call, ``function calls are not allowed (getVariable(...))``.
FUNCTION_CALL = re.compile(r"function calls are not allowed \((?P<call>[^()]*)\(\.\.\.\)\)")
DUPLICATE_ID_ENTRY = re.compile(r"attribute 'id': '(?P<id>[^']*)' is not a valid value of the atomic type 'xs:ID'")
PREFIXES = {BPMN: "bpmn:", BPMNDI: "bpmndi:", DC: "dc:", DI: "di:", CAMUNDA: "camunda:", XSI: "xsi:"}
SCHEMA_NAMESPACES = {BPMN, BPMNDI, DC, DI}


def _xsd_problems(tree: etree._ElementTree, duplicates: set[str]) -> list[Problem]:
    schema = _schema()
    if schema.validate(tree):
        return []
    problems = []
    for entry in schema.error_log:
        message = entry.message
        twice = DUPLICATE_ID_ENTRY.search(message)
        if twice and twice.group("id") in duplicates:
            continue  # reported in the process owner's words by _duplicate_ids
        found = None
        if entry.path:
            try:
                prefixes = {k: v for k, v in tree.getroot().nsmap.items() if k} | NS
                hits = tree.xpath(entry.path, namespaces=prefixes)
                if hits and isinstance(hits[0], etree._Element):
                    found = hits[0]
            except etree.XPathError:
                found = None
        for namespace, prefix in PREFIXES.items():
            message = message.replace("{" + namespace + "}", prefix)
        problems.append(
            _problem(
                "the file does not follow the BPMN 2.0 schema: {detail} If the file was edited by hand, "
                "undo that edit; otherwise draw this part again in Camunda Modeler",
                found,
                at_line=entry.line,
                detail=message,
            )
        )
    return problems


class _Checker:
    """Semantic checks and the ProcessModel, over an XSD-valid document."""

    def __init__(self, tree: etree._ElementTree) -> None:
        self.root = tree.getroot()
        self.problems: list[Problem] = []

    def problem(
        self, template: str, el: etree._Element | None = None, /, *, at_line: int | None = None, **params: object
    ) -> None:
        self.problems.append(_problem(template, el, at_line=at_line, **params))

    def xpath(self, node: etree._Element, path: str) -> list:
        return node.xpath(path, namespaces=NS)

    # -- the whole document ------------------------------------------------
    def run(self) -> ProcessModel | None:
        if _local(self.root) != "definitions" or _ns(self.root) != BPMN:
            self.problems += _not_bpmn(self.root.getroottree())
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
                self.problem(
                    "the id '{id}' is reserved by the workflow engine; give the element another ID "
                    "in the properties panel (General > ID), for example '{suggestion}'",
                    el,
                    id=ident,
                    suggestion=f"{_local(el)[:1].upper()}{_local(el)[1:]}_{ident}",
                )
            elif "." in ident:
                self.problem(
                    "the id '{id}' contains '.', which the workflow engine reserves; "
                    "use only letters, digits and _ in the ID (properties panel, General > ID)",
                    el,
                    id=ident,
                )
            if len(ident) > MAX_ID:
                self.problem(
                    "an id is {length} characters long; the limit is {limit}: "
                    "choose a shorter ID in the properties panel (General > ID)",
                    el,
                    length=len(ident),
                    limit=MAX_ID,
                )
            if _ns(el) == BPMN and len(el.get("name") or "") > MAX_NAME:
                self.problem(
                    "a name is {length} characters long; the limit is {limit}: "
                    "shorten the name and put the details in the element's documentation",
                    el,
                    length=len(el.get("name")),
                    limit=MAX_NAME,
                )

    def executable_process(self) -> etree._Element | None:
        processes = self.xpath(self.root, "bpmn:process")
        executable = [p for p in processes if p.get("isExecutable", "false") == "true"]
        if not executable:
            self.problem(
                "the diagram has no executable process: select the pool and tick "
                '"Executable" in the properties panel (isExecutable="true")',
                processes[0] if processes else None,
            )
            return None
        if len(executable) > 1:
            for p in executable[1:]:
                self.problem(
                    "only one executable process per file is supported; "
                    'untick "Executable" on every pool but the office\'s process',
                    p,
                )
            return None
        if not executable[0].get("id"):
            self.problem(
                "the executable process has no id; give the process an ID in the properties panel "
                "of its pool: the ID names the process and its versions",
                executable[0],
            )
            return None
        return executable[0]

    def check_extensions(self) -> None:
        for ext in self.root.iter(f"{{{BPMN}}}extensionElements"):
            for child in ext:
                if not isinstance(child.tag, str):
                    continue
                key = (_ns(child), _local(child))
                if key not in ALLOWED_EXTENSIONS:
                    self.problem(
                        "the extension {extension} is not supported; only forms (camunda:formData) and "
                        "properties (camunda:properties) are allowed, because other extensions can run code: "
                        "remove it in the properties panel (for example under Execution listeners)",
                        ext.getparent(),
                        at_line=child.sourceline,
                        extension=_prefixed(child),
                    )
        for allowed in self.xpath(
            self.root, "//bpmn:extensionElements/camunda:formData|//bpmn:extensionElements/camunda:properties"
        ):
            for inner in allowed.iterdescendants():
                if isinstance(inner.tag, str) and (_ns(inner), _local(inner)) not in ALLOWED_INSIDE_EXTENSIONS:
                    self.problem(
                        "{inner} inside {container} is not supported; only {allowed} belong there: "
                        "remove it (it was probably added by hand)",
                        allowed,
                        at_line=inner.sourceline,
                        inner=_prefixed(inner),
                        container=_prefixed(allowed),
                        allowed=", ".join("camunda:" + n for _, n in sorted(ALLOWED_INSIDE_EXTENSIONS)),
                    )
        for el in self.root.iter():
            if not isinstance(el.tag, str):
                continue
            if _ns(el) == BPMN and _local(el) in TEXT_ONLY and any(isinstance(c.tag, str) for c in el):
                # BPMN lets any element sit in these; SpiffWorkflow would find flows and events hidden there
                self.problem(
                    "{tag} must be plain text, without elements inside: remove the XML tags written into it",
                    el,
                    tag=_prefixed(el),
                )
            for attr in el.attrib:
                q = etree.QName(attr)
                if q.namespace == CAMUNDA and q.localname in {
                    "class",
                    "delegateExpression",
                    "expression",
                    "resultVariable",
                    "topic",
                }:
                    self.problem(
                        "the setting camunda:{attribute} is not supported, because it would run code: "
                        "clear it in the properties panel (Implementation)",
                        el,
                        attribute=q.localname,
                    )

    # -- lanes -----------------------------------------------------------------
    def lanes(self, process: etree._Element) -> tuple[tuple[str, ...], dict[str, str]]:
        names: list[str] = []
        lane_of: dict[str, str] = {}
        # each lane's flowNodeRef, so that one naming nothing can be reported once the process is read
        self.lane_refs: list[tuple[etree._Element, str, str]] = []
        for lane in self.xpath(process, ".//bpmn:lane"):
            if self.xpath(lane, "bpmn:childLaneSet"):
                self.problem("lanes inside lanes are not supported; keep one level of lanes, one lane per role", lane)
            name = (lane.get("name") or "").strip()
            if not name:
                self.problem(
                    "a lane has no name; name it after one of the office's roles: {lanes}",
                    lane,
                    lanes=", ".join(KNOWN_LANES),
                )
                continue
            if name not in KNOWN_LANES:
                self.problem(
                    "unknown lane '{lane}': name every lane after one of the office's roles ({lanes}), "
                    "written exactly so",
                    lane,
                    lane=name,
                    lanes=", ".join(KNOWN_LANES),
                )
            if name in names:
                self.problem(
                    "lane '{lane}' appears twice; merge the two lanes into one, so that a role has one lane",
                    lane,
                    lane=name,
                )
            names.append(name)
            for ref in self.xpath(lane, "bpmn:flowNodeRef"):
                node_id = (ref.text or "").strip()
                self.lane_refs.append((ref, node_id, name))
                if node_id in lane_of and lane_of[node_id] != name:
                    self.problem(
                        "'{node}' is placed in two lanes ({first}, {second}); move it into one lane",
                        lane,
                        node=node_id,
                        first=lane_of[node_id],
                        second=name,
                    )
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
                self.problem("a {kind} has no id; give it one in the properties panel (General > ID)", el, kind=kind)
                continue
            if kind == "dataObject":
                data_objects[el.get("id")] = el.get("name") or el.get("id")
                if not IDENTIFIER.match(el.get("id")):
                    self.problem(
                        "the data object's id '{id}' must be a plain identifier (letters, digits and _, "
                        "not starting with a digit), because it names a process variable",
                        el,
                        id=el.get("id"),
                    )
                continue
            if kind == "dataObjectReference":
                ref_target[el.get("id")] = el.get("dataObjectRef")
                ref_els[el.get("id")] = el
                continue
            if kind in OTHER_PROCESS_CHILDREN:
                continue
            if kind not in SUPPORTED_FLOW_NODES:
                self.problem(
                    "{kind} is not supported by this engine; remove it, or draw the step as a user task, "
                    "a gateway or an event",
                    el,
                    kind=_prefixed(el),
                )
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
                self.problem(
                    "data object reference '{ref}' points to no data object; delete it and draw the data object again",
                    el,
                    ref=ident,
                )
        in_process = {el.get("id") for el in process if isinstance(el.tag, str) and el.get("id")}
        for ref, node_id, lane_name in self.lane_refs:
            if node_id not in in_process:
                self.problem(
                    "the lane '{lane}' lists '{node}', which is not an element of this process "
                    "(left behind when it was deleted by hand); remove that flowNodeRef from the lane",
                    ref,
                    lane=lane_name,
                    node=node_id,
                )
        if len(nodes) > MAX_FLOW_NODES:
            self.problem(
                "the process has {count} events, tasks and gateways; the limit is {limit}: "
                "split it into smaller processes",
                process,
                count=len(nodes),
                limit=MAX_FLOW_NODES,
            )
            return None
        flows = self.flows(process, nodes)

        if len(starts) != 1:
            self.problem(
                "the process needs exactly one start event, found {count}: every application starts "
                "in one place, when the applicant comes",
                process,
                count=len(starts),
            )
            return None
        start = starts[0]
        if self.xpath(start, "bpmn:*[contains(local-name(), 'EventDefinition')]"):
            self.problem(
                "the start event must be a plain (none) start event: remove its timer or message "
                "(wrench icon > Start Event)",
                start,
            )
        if lane_of.get(start.get("id")) != APPLICANT_LANE:
            self.problem(
                "the start event must be in the {lane} lane: applications are started by their applicants; "
                "move it into that lane",
                start,
                lane=APPLICANT_LANE,
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
                    "the task is not in any lane; drag it into the lane of the role that does it",
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
            if flow.source not in nodes and flow.source not in self.refused:
                self.problem(
                    "the flow's source '{ref}' is not a task, event or gateway of this process; "
                    "draw the arrow again so that it starts at a task, an event or a gateway",
                    el,
                    ref=flow.source,
                )
            if flow.target not in nodes and flow.target not in self.refused:
                self.problem(
                    "the flow's target '{ref}' is not a task, event or gateway of this process; "
                    "draw the arrow again so that it ends at a task, an event or a gateway",
                    el,
                    ref=flow.target,
                )
        self.check_outgoing(nodes, flows)
        for gw in self.xpath(process, "bpmn:exclusiveGateway|bpmn:inclusiveGateway"):
            default = gw.get("default")
            if not default:
                continue
            f = flows.get(default)
            if f is None or f.source != gw.get("id"):
                self.problem(
                    "the default flow '{flow}' is not an outgoing flow of this gateway; "
                    "mark one of the gateway's own outgoing flows as the default flow",
                    gw,
                    flow=default,
                )
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
                self.problem(
                    "an end event ends its path: it cannot have an outgoing flow; delete the flow, "
                    "or end the path at another end event",
                    self.node_els[ident],
                )
            elif node.kind not in BRANCHING and n > 1:
                self.problem(
                    "a {kind} may have only one outgoing flow, not {count}; split the path with a gateway after it",
                    self.node_els[ident],
                    kind=node.kind,
                    count=n,
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
                    "a boundary timer must be attached to a user task of this process; '{target}' is not one: "
                    "drag the timer onto the edge of the user task whose time standard it watches",
                    self.node_els[timer.id],
                    target=timer.attached_to,
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
                N_(
                    "the loop through {nodes} passes no user task that waits for a person, so the engine would "
                    "run it forever; route it through a user task (a boundary timer's path must not lead back "
                    "to its task)"
                ),
            ),
            (
                DECIDING,
                False,
                N_(
                    "the loop through {nodes} has no exclusive or inclusive gateway to leave it by, so it could "
                    "never end; add a gateway that decides whether to go round again"
                ),
            ),
        )
        for breakers, timers_bypass, template in rules:
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
                self.problem(template, self.node_els[first], nodes=", ".join(sorted(loop)))

    def check_event_definitions(self, el: etree._Element, kind: str) -> None:
        for d in self.xpath(el, "bpmn:*[contains(local-name(), 'EventDefinition')]"):
            name = _local(d)
            if name not in ALLOWED_EVENT_DEFINITIONS:
                self.problem(
                    "{definition} is not supported: only timer events are; make it a timer event (wrench icon) "
                    "or remove it",
                    el,
                    definition=name,
                )
            elif kind in ("endEvent", "intermediateThrowEvent"):
                self.problem(
                    "a throwing event cannot carry a timer; to wait, use an intermediate timer catch event", el
                )

    def timer(self, el: etree._Element, kind: str) -> TimerDef | None:
        defs = self.xpath(el, "bpmn:timerEventDefinition")
        if not defs:
            if kind == "boundaryEvent":
                self.problem(
                    "a boundary event must be a timer: make it a timer boundary event (wrench icon) or remove it", el
                )
            elif kind == "intermediateCatchEvent":
                self.problem(
                    "an intermediate catch event must be a timer: it is the only event this engine waits for; "
                    "make it a timer (wrench icon) or remove it",
                    el,
                )
            return None
        if kind == "startEvent":
            return None  # reported by the start event check
        d = defs[0]
        found = [(k, self.xpath(d, f"bpmn:{k}")) for k in ("timeDuration", "timeDate", "timeCycle")]
        found = [(k, v[0]) for k, v in found if v]
        if len(found) != 1:
            self.problem(
                "a timer needs exactly one of Duration, Date or Cycle (timeDuration, timeDate, timeCycle); "
                "set its type to Duration and write the time standard, for example PT15M",
                el,
            )
            return None
        key, value_el = found[0]
        text = (value_el.text or "").strip()
        kind_name = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}[key]
        if kind_name == "cycle":
            self.problem(
                "timer cycles are not supported ('{value}'); set the timer's type to Duration and write "
                "the time standard once, for example PT15M (15 minutes) or P1D (1 day)",
                el,
                value=text,
            )
            return None
        if not text:
            self.problem(
                "the timer has no value; write the time standard as PT15M (15 minutes), PT2H (2 hours) or P1D (1 day)",
                el,
            )
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
                self.problem(
                    "the timer expression cannot be read: {detail}. Write the time standard as PT15M or P1D, "
                    "or name a form field that holds it, such as ${{batas_waktu}}",
                    el,
                    detail=exc.message,
                )
            return
        too_long = N_(
            "the time standard '{value}' is longer than {years} years; check the number "
            "(PT15M is 15 minutes, P1D is 1 day)"
        )
        try:
            if kind == "duration":
                duration = Duration.parse(text)
                start = datetime(2000, 1, 1, tzinfo=WIB)
                if WallClockCalendar().add(start, duration) > start.replace(year=2000 + LONGEST_TIMER_YEARS):
                    self.problem(too_long, el, value=text, years=LONGEST_TIMER_YEARS)
            else:
                datetime.fromisoformat(text)
        except ExpressionError as exc:
            self.duration_problem(el, text, exc)
        except OverflowError:
            self.problem(too_long, el, value=text, years=LONGEST_TIMER_YEARS)
        except ValueError:
            self.problem(
                "the timer date '{value}' is not an ISO 8601 date and time; write it as, for example, "
                "2026-12-31T16:00:00+07:00",
                el,
                value=text,
            )

    def duration_problem(self, el: etree._Element, text: str, exc: ExpressionError) -> None:
        """Say how to write the duration the process owner meant, when that can be told."""
        meant = _duration_meant(text)
        if meant:
            self.problem(
                "the time standard '{value}' is not an ISO 8601 duration; write it as {suggestion}",
                el,
                value=text,
                suggestion=meant,
            )
        elif re.fullmatch(r"PT(\d+D)[0-9HMS.,]*", text.upper()):
            self.problem(
                "the time standard '{value}' is not an ISO 8601 duration: days go before the T; "
                "write {suggestion} (P1D is 1 day, P1DT2H is 1 day and 2 hours)",
                el,
                value=text,
                suggestion=_days_before_t(text),
            )
        elif "weeks" in exc.message:
            self.problem(
                "the time standard '{value}' mixes weeks with other units; write the weeks as days (P1W2D is P9D)",
                el,
                value=text,
            )
        else:
            self.problem(
                "the time standard '{value}' is not an ISO 8601 duration; write it as PT15M (15 minutes), "
                "PT2H (2 hours) or P1D (1 day)",
                el,
                value=text,
            )

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
            self.problem(
                "the task has no name; name it after its step in the SOP, for example 'Memeriksa kelengkapan berkas'",
                el,
            )
        props = self.properties(el)
        sop_step = None
        if "sop_step" in props:
            raw = props["sop_step"].strip()
            if re.fullmatch(r"[0-9]{1,2}", raw) and 1 <= int(raw) <= 99:
                sop_step = int(raw)
            else:
                self.problem(
                    "the property sop_step must be a whole number from 1 to 99 (the step's number in the SOP), "
                    "not '{value}'",
                    el,
                    value=raw,
                )
        doc_el = self.xpath(el, "bpmn:documentation")
        documentation = (doc_el[0].text or "").strip() if doc_el else None
        inputs = self.associated(
            el,
            "dataInputAssociation/bpmn:sourceRef",
            N_(
                "the task reads '{ref}', which is not a data object reference of this process; "
                "connect the association to a data object drawn in this diagram"
            ),
            ref_target,
        )
        outputs = self.associated(
            el,
            "dataOutputAssociation/bpmn:targetRef",
            N_(
                "the task writes '{ref}', which is not a data object reference of this process; "
                "connect the association to a data object drawn in this diagram"
            ),
            ref_target,
        )
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

    def associated(self, el: etree._Element, path: str, template: str, ref_target: dict[str, str]) -> tuple[str, ...]:
        """The data objects a task's data associations name; each must be a reference in this process."""
        found = []
        for ref in self.xpath(el, f"bpmn:{path}"):
            name = (ref.text or "").strip()
            if name not in ref_target:
                self.problem(template, el, ref=name)
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
                    "form field id '{field}' must be a plain identifier (letters, digits and _, not starting "
                    "with a digit), because conditions refer to it; change it in the form editor",
                    el,
                    field=fid,
                )
                continue
            if fid in seen:
                self.problem(
                    "form field '{field}' is declared twice in this form; remove one of them or give it another id",
                    el,
                    field=fid,
                )
            seen.add(fid)
            if ftype not in FIELD_TYPES:
                self.problem(
                    "form field '{field}' has unsupported type '{type}'; choose one of {types} in the form editor",
                    el,
                    field=fid,
                    type=ftype,
                    types=", ".join(FIELD_TYPES),
                )
            constraints: dict[str, str] = {}
            for c in self.xpath(f, "camunda:validation/camunda:constraint"):
                cname = (c.get("name") or "").strip()
                config = (c.get("config") or "").strip()
                if cname not in CONSTRAINTS:
                    self.problem(
                        "form field '{field}' has an unknown validation '{constraint}'; use one of {constraints}",
                        el,
                        field=fid,
                        constraint=cname,
                        constraints=", ".join(sorted(CONSTRAINTS)),
                    )
                    continue
                if cname in NUMERIC_CONSTRAINTS:
                    template = _numeric_constraint_problem(cname, config)
                    if template:
                        self.problem(template, el, field=fid, constraint=cname, value=config)
                        continue
                constraints[cname] = config
            values = tuple(
                EnumValue((v.get("id") or "").strip(), (v.get("name") or v.get("id") or "").strip())
                for v in self.xpath(f, "camunda:value")
            )
            properties = self.field_properties(el, f, fid, ftype)
            if ftype == "enum" and not values and not properties.get("catalogue"):
                self.problem(
                    "enum form field '{field}' has no values; add the choices under Values in the form editor",
                    el,
                    field=fid,
                )
            if fid == SERVICE_FIELD and (ftype != "enum" or any(len(v.name) > MAX_SERVICE_NAME for v in values)):
                self.problem(
                    "form field '{field}' names the service applied for: it must be an enum "
                    "whose values' names have at most {limit} characters",
                    el,
                    field=fid,
                    limit=MAX_SERVICE_NAME,
                )
            required = constraints.pop("required", None) is not None
            fields.append(
                FormField(
                    fid,
                    ftype,
                    (f.get("label") or fid).strip(),
                    required,
                    values,
                    f.get("defaultValue"),
                    constraints,
                    properties,
                )
            )
        self.check_required_when(el, fields)
        return Form(tuple(fields))

    def field_properties(self, el: etree._Element, f: etree._Element, fid: str, ftype: str) -> dict[str, str]:
        """A form field's camunda:property entries (the modeler writes id="..." value="...")."""
        props: dict[str, str] = {}
        for p in self.xpath(f, "camunda:properties/camunda:property"):
            props[(p.get("id") or p.get("name") or "").strip()] = (p.get("value") or "").strip()
        source = props.get("catalogue")
        if source is not None:
            if source not in CATALOGUE_SOURCES:
                self.problem(
                    "form field '{field}': the property catalogue must be one of {known}, not '{value}'",
                    el,
                    field=fid,
                    known=", ".join(CATALOGUE_SOURCES),
                    value=source,
                )
                props.pop("catalogue")
            elif ftype != CATALOGUE_SOURCES[source]:
                self.problem(
                    "form field '{field}' takes its options from the catalogue ({value}), so its type must be "
                    "{type}; change the type in the form editor",
                    el,
                    field=fid,
                    value=source,
                    type=CATALOGUE_SOURCES[source],
                )
        return props

    def check_required_when(self, el: etree._Element, fields: list[FormField]) -> None:
        booleans = {f.id for f in fields if f.type == "boolean"}
        for f in fields:
            raw = f.properties.get("required_when")
            if raw is None:
                continue
            condition = f.required_when
            if condition is None or condition[0] not in booleans or f.required:
                self.problem(
                    "form field '{field}': the property required_when must name a yes/no field of this form and "
                    "true or false, like berkas_lengkap=false, on a field not marked required; '{value}' does not",
                    el,
                    field=f.id,
                    value=raw,
                )

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
                call = FUNCTION_CALL.search(exc.message)
                if call:  # the Camunda habit, ${execution.getVariable('x')}: worded without the parser's terms
                    self.problem(
                        "the condition is not a plain expression: it calls {call}(...), and function calls "
                        "are not allowed. Write it as a comparison of form fields, such as ${{berkas_lengkap}} "
                        "or ${{jumlah > 3 && jenis_layanan == 'legalisir_dokumen'}}",
                        el,
                        call=call.group("call"),
                    )
                    continue
                self.problem(
                    "the condition is not a plain expression: {detail}. Write it as a comparison of form fields, "
                    "such as ${{berkas_lengkap}} or ${{jumlah > 3 && jenis_layanan == 'legalisir_dokumen'}}, "
                    "without method calls or Java code",
                    el,
                    detail=exc.message,
                )
                continue
            for name in sorted(expr.names - known):
                self.problem(
                    "the condition {condition} refers to '{field}', which no form field provides; add a form "
                    "field with the id '{field}' to a task before the gateway, or correct the name",
                    el,
                    condition=flow.condition,
                    field=name,
                )
        for gw in self.xpath(process, "bpmn:exclusiveGateway|bpmn:inclusiveGateway"):
            outs = outgoing.get(gw.get("id"), [])
            if len(outs) > 1:
                bare = [f for f in outs if f.condition is None and not f.is_default]
                if bare:
                    self.problem(
                        "a deciding gateway needs a condition on every outgoing flow (or a default flow); "
                        "missing on {flows}: select each flow and write its condition, or mark one as the default flow",
                        gw,
                        flows=", ".join(f.id for f in bare),
                    )

    # -- diagram interchange -------------------------------------------------------------
    def check_di(self, process: etree._Element) -> None:
        shapes = {s.get("bpmnElement") for s in self.root.iter(f"{{{BPMNDI}}}BPMNShape")}
        edges = {e.get("bpmnElement") for e in self.root.iter(f"{{{BPMNDI}}}BPMNEdge")}
        for el in process:
            kind = _local(el)
            if kind in SUPPORTED_FLOW_NODES or kind == "dataObjectReference":
                if el.get("id") not in shapes:
                    self.problem(
                        "the element is in the process but has no shape in the diagram (missing DI), so nobody "
                        "would see it; delete it and draw it again in Camunda Modeler",
                        el,
                    )
            elif kind == "sequenceFlow" and el.get("id") not in edges:
                self.problem(
                    "the sequence flow is in the process but has no arrow in the diagram (missing DI), so nobody "
                    "would see it; delete it and draw the arrow again in Camunda Modeler",
                    el,
                )
        for lane in self.xpath(process, ".//bpmn:lane"):
            if lane.get("id") not in shapes:
                self.problem(
                    "the lane is in the process but has no shape in the diagram (missing DI); "
                    "delete it and draw it again in Camunda Modeler",
                    lane,
                )


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
    """The template for what is wrong with a numeric validation's value (params: field, constraint, value)."""
    try:
        value = float(config)
    except ValueError:
        return N_("form field '{field}': the validation {constraint} needs a number, not '{value}'")
    if not math.isfinite(value) or abs(value) > 1e15:
        return N_(
            "form field '{field}': the validation {constraint} must be a finite number below 10^15, not '{value}'"
        )
    if name in ("minlength", "maxlength") and (value < 0 or not value.is_integer()):
        return N_(
            "form field '{field}': the validation {constraint} must be a whole number of characters, not '{value}'"
        )
    return None


# How process owners write a time standard in the SOP's words, and the ISO 8601 duration they mean.
_SOP_UNITS = {
    "menit": "M",
    "minute": "M",
    "minutes": "M",
    "min": "M",
    "jam": "H",
    "hour": "H",
    "hours": "H",
    "hari": "D",
    "hari kerja": "D",
    "day": "D",
    "days": "D",
    "minggu": "W",
    "week": "W",
    "weeks": "W",
}
_SOP_DURATION = re.compile(r"^\s*(\d{1,4})\s*(" + "|".join(sorted(_SOP_UNITS, key=len, reverse=True)) + r")\s*$", re.I)


def _duration_meant(text: str) -> str | None:
    """``PT15M`` for "15 menit", ``P1D`` for "1 hari": the duration a time standard in words means."""
    m = _SOP_DURATION.match(text)
    if m is None:
        return None
    number, unit = int(m.group(1)), _SOP_UNITS[m.group(2).lower()]
    return f"PT{number}{unit}" if unit in "HM" else f"P{number}{unit}"


def _days_before_t(text: str) -> str:
    """``PT1D`` as meant: ``P1D``; ``PT1D2H`` as ``P1DT2H``."""
    m = re.fullmatch(r"PT(\d+)D(.*)", text.strip().upper())
    if m is None:
        return "P1D"
    return f"P{m.group(1)}D" + (f"T{m.group(2)}" if m.group(2) else "")


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
    problems = _not_bpmn(tree)
    if problems:
        raise DefinitionInvalid(problems)
    problems, duplicates = _duplicate_ids(tree)
    problems += _xsd_problems(tree, duplicates)
    if problems:
        raise DefinitionInvalid(sorted(problems, key=lambda p: p.line or 0))
    checker = _Checker(tree)
    model = checker.run()
    if checker.problems or model is None:
        raise DefinitionInvalid(checker.problems or [_problem("the diagram could not be read")])
    return ParsedDefinition(bytes(data), hashlib.sha256(data).hexdigest(), model, tree)
