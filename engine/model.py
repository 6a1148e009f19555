"""What a deployed diagram says, as plain data.

``ProcessModel`` is the engine's own reading of a BPMN file: lanes, user tasks
with their SOP step, Mutu Baku and form, timers, gateways, flows and documents.
The web UI, the CLI, the validator and (later) the version diff all use it;
none of them needs to touch SpiffWorkflow objects or XML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The office's roles, in the SOP table's order (see DOMAIN.md).
KNOWN_LANES = ("Pemohon", "PTSP", "Kepala Kantor", "Kasubag", "Kasi")
# The lane of the person who applies; tasks there belong to the instance's owner.
APPLICANT_LANE = "Pemohon"
# The form field whose chosen value names the service applied for (shown in lists).
SERVICE_FIELD = "jenis_layanan"
# Roles beside the lanes. An auditor reads every application and its history
# and works in no lane, so there is nothing they could complete or sign.
AUDITOR = "auditor"
# A process owner (Pemilik Proses) deploys, activates and rolls back diagram
# versions and moves running applications between them; they may also work in lanes.
PROCESS_OWNER = "process_owner"
# An administrator keeps the office calendar: extra closures and special office hours.
ADMINISTRATOR = "administrator"
KNOWN_ROLES = (AUDITOR, PROCESS_OWNER, ADMINISTRATOR)
# The lane whose tasks belong to one section (Seksi) of the office, routed at step 6.
SEKSI_LANE = "Kasi"
# The office's sections (DOMAIN.md); a Kasi-lane user works for one of them.
SEKSI = (
    "Pendidikan Madrasah",
    "Pendidikan Agama Islam",
    "Bimas Islam",
    "Penyelenggara Zakat dan Wakaf",
    "Penyelenggara Kristen",
    "Penyelenggara Katolik",
    "Penyelenggara Hindu",
    "Penyelenggara Buddha",
    "Subbagian Tata Usaha",
)

# "checklist": a list of option ids (the items missing from a file, ticked at step 4)
FIELD_TYPES = ("string", "long", "boolean", "date", "enum", "checklist")

# The Seksi as the routing field's enum ids (step 6's seksi_tujuan) -> the Seksi they name.
SEKSI_CODES = {
    "pendidikan_madrasah": "Pendidikan Madrasah",
    "pendidikan_agama_islam": "Pendidikan Agama Islam",
    "bimas_islam": "Bimas Islam",
    "zakat_wakaf": "Penyelenggara Zakat dan Wakaf",
    "kristen": "Penyelenggara Kristen",
    "katolik": "Penyelenggara Katolik",
    "hindu": "Penyelenggara Hindu",
    "buddha": "Penyelenggara Buddha",
    "subbag_tu": "Subbagian Tata Usaha",
}
SEKSI_CODE_OF = {name: code for code, name in SEKSI_CODES.items()}
# The form field whose choice routes an application to a Seksi (also when a diagram does
# not mark it with catalogue=seksi, as versions before the catalogue did not).
SEKSI_FIELD = "seksi_tujuan"

# Form field properties (camunda:property inside a camunda:formField) the engine reads.
# ``catalogue``: where the field's options come from at run time --
#   "services": the service catalogue in use (an enum; referrals are shown, not choosable),
#   "persyaratan": the requirements of the application's service (a checklist),
#   "seksi": the office's Seksi (an enum whose choice routes the application).
CATALOGUE_PROPERTY = "catalogue"
CATALOGUE_SERVICES, CATALOGUE_PERSYARATAN, CATALOGUE_SEKSI = "services", "persyaratan", "seksi"
CATALOGUE_SOURCES = {CATALOGUE_SERVICES: "enum", CATALOGUE_PERSYARATAN: "checklist", CATALOGUE_SEKSI: "enum"}
# ``required_when``: "<yes/no field of the same form>=<true|false>": the field is required
# exactly when that answer is given, and must be left empty otherwise.
REQUIRED_WHEN_PROPERTY = "required_when"
# ``disposition`` = "true": the field is the step's disposition note (Catatan disposisi),
# shown with who disposed and when to everyone working on the application afterwards.
DISPOSITION_PROPERTY = "disposition"
# The note to the applicant when a file is returned (shown with the items ticked missing).
MISSING_NOTE_FIELD = "catatan_kekurangan"
# Where a completion that chose a catalogue service records that entry as it was then
# (code, name, Seksi, catalogue version): re-execution and later reads use the record,
# never the catalogue as it is today.
SERVICE_RECORD = "katalog_layanan"


def lane_order(lanes) -> tuple[str, ...]:
    """Lanes in the SOP table's order (unknown ones last, alphabetically)."""
    known = {name: i for i, name in enumerate(KNOWN_LANES)}
    return tuple(sorted(set(lanes), key=lambda lane: (known.get(lane, len(known)), lane)))


@dataclass(frozen=True)
class EnumValue:
    id: str
    name: str
    # a catalogue entry that is not applied for here: the text tells the applicant where to go
    referral: str | None = None


@dataclass(frozen=True)
class FormField:
    id: str
    type: str
    label: str
    required: bool = False
    enum: tuple[EnumValue, ...] = ()
    default: str | None = None
    constraints: Mapping[str, str] = field(default_factory=dict)
    # camunda:property entries of the field (see CATALOGUE_PROPERTY, REQUIRED_WHEN_PROPERTY)
    properties: Mapping[str, str] = field(default_factory=dict)

    @property
    def readonly(self) -> bool:
        return "readonly" in self.constraints

    @property
    def catalogue(self) -> str | None:
        """Where the options come from at run time, when not from the diagram."""
        return self.properties.get(CATALOGUE_PROPERTY) or None

    @property
    def required_when(self) -> tuple[str, bool] | None:
        """(yes/no field, answer) that makes this field required, when it is conditional."""
        raw = self.properties.get(REQUIRED_WHEN_PROPERTY)
        if not raw or raw.count("=") != 1:
            return None
        name, _, answer = (part.strip() for part in raw.partition("="))
        if answer.lower() not in ("true", "false") or not name:
            return None
        return name, answer.lower() == "true"

    @property
    def is_disposition(self) -> bool:
        return self.properties.get(DISPOSITION_PROPERTY, "").strip().lower() == "true"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "label": self.label,
            "required": self.required,
            "enum": [_option(v) for v in self.enum] if self.type in ("enum", "checklist") else None,
            "default": self.default,
            "constraints": dict(self.constraints),
        }


def _option(v: EnumValue) -> dict[str, str]:
    return {"id": v.id, "name": v.name} | ({"referral": v.referral} if v.referral else {})


@dataclass(frozen=True)
class Form:
    fields: tuple[FormField, ...] = ()

    def service_label(self, values: Mapping[str, Any]) -> str | None:
        """The label of the service chosen in these values, if this form chooses one."""
        field = self.field(SERVICE_FIELD)
        if field is None or values.get(SERVICE_FIELD) is None:
            return None
        for option in field.enum:
            if option.id == values[SERVICE_FIELD]:
                return option.name
        return str(values[SERVICE_FIELD])

    def field(self, field_id: str) -> FormField | None:
        for f in self.fields:
            if f.id == field_id:
                return f
        return None

    def as_dict(self) -> dict[str, Any]:
        return {"fields": [f.as_dict() for f in self.fields]}


@dataclass(frozen=True)
class MutuBaku:
    """The SOP's quality standard for a step: requirements, time, output."""

    persyaratan: str | None = None
    waktu: str | None = None
    output: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"persyaratan": self.persyaratan, "waktu": self.waktu, "output": self.output}


@dataclass(frozen=True)
class TimerDef:
    id: str
    name: str | None
    kind: str  # duration | date | cycle
    expression: str
    attached_to: str | None  # the activity of a boundary timer
    interrupting: bool
    line: int | None = None


@dataclass(frozen=True)
class TaskDef:
    id: str
    name: str
    lane: str | None
    sop_step: int | None
    documentation: str | None
    mutu_baku: MutuBaku
    form: Form
    timers: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()  # data object ids read
    outputs: tuple[str, ...] = ()  # data object ids written


@dataclass(frozen=True)
class NodeDef:
    id: str
    kind: str  # the BPMN element's local name: userTask, exclusiveGateway...
    name: str | None
    lane: str | None


@dataclass(frozen=True)
class FlowDef:
    id: str
    name: str | None
    source: str
    target: str
    condition: str | None
    is_default: bool = False


@dataclass(frozen=True)
class ProcessModel:
    process_id: str
    name: str
    lanes: tuple[str, ...]
    nodes: Mapping[str, NodeDef]
    tasks: Mapping[str, TaskDef]
    flows: Mapping[str, FlowDef]
    timers: Mapping[str, TimerDef]
    data_objects: Mapping[str, str]  # id -> name
    start_event: str
    start_form: Form = Form()

    @property
    def start_lane(self) -> str | None:
        return self.nodes[self.start_event].lane

    def flow_between(self, source: str, target: str) -> FlowDef | None:
        for flow in self.flows.values():
            if flow.source == source and flow.target == target:
                return flow
        return None

    def field_ids(self, lanes: set[str]) -> set[str]:
        """The ids of the fields the forms of these lanes (and the start form) ask."""
        ids = {f.id for f in self.start_form.fields}
        for task in self.tasks.values():
            if task.lane in lanes:
                ids.update(f.id for f in task.form.fields)
        return ids

    def describe(self, data: Mapping[str, Any], lanes: set[str] | None = None) -> list[tuple[str, str, Any]]:
        """(field id, label, value) for the entered values, in the order the forms ask them;
        an enum's value is shown by its name. With ``lanes``, only fields of those lanes' forms."""
        out: list[tuple[str, str, Any]] = []
        seen: set[str] = set()
        ordered = sorted(self.tasks.values(), key=lambda t: (t.sop_step or 0, t.id))
        forms = [self.start_form] + [t.form for t in ordered if lanes is None or t.lane in lanes]
        for form in forms:
            for f in form.fields:
                if f.id in seen or data.get(f.id) is None:
                    continue
                seen.add(f.id)
                value = data[f.id]
                if f.type == "enum":
                    value = next((v.name for v in f.enum if v.id == value), value)
                elif f.type == "checklist" and isinstance(value, list):
                    names = {v.id: v.name for v in f.enum}
                    value = "; ".join(names.get(str(v), str(v)) for v in value)
                out.append((f.id, f.label, value))
        return out

    def timer_for(self, task_id: str) -> TimerDef | None:
        """The (first) timer attached to a task: its time standard."""
        task = self.tasks.get(task_id)
        if task is None or not task.timers:
            return None
        return self.timers[task.timers[0]]
