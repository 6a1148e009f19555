"""What a process owner saves from Camunda Modeler after editing a diagram, for tests.

``modeler_edit(xml, timer=..., rename=..., add_field=..., move=...)`` applies the
edits the way the modeler does: it reads the file with bpmn-moddle and
camunda-bpmn-moddle (the model under bpmn-js and Camunda Modeler), changes the
objects and writes them back with ``toXML({format: true})``, so the output is
formatted exactly as the modeler writes it. Moving a shape moves its label and
the boundary events attached to it, and the ends of the edges that touch it,
as dragging it in the modeler does.

Where node or ``tools/bpmn-js/node_modules`` are missing, the same edits are
made with lxml (``via="lxml"``); both paths give the same ``ProcessModel``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools" / "bpmn-js"
MODULES = TOOLS / "node_modules"
CAMUNDA_JSON = MODULES / "camunda-bpmn-moddle" / "resources" / "camunda.json"

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

# processes/ptsp.bpmn: the elements of the standard edit
STEP2_TASK = "Langkah2_MenjelaskanJenisStandarLayanan"
STEP2_TIMER = "BatasWaktu_Langkah2_MenjelaskanJenisStandarLayanan"
STEP3_TASK = "Langkah3_MenyerahkanBerkasPermohonan"


@dataclass(frozen=True)
class NewField:
    """A form field to add to a task's camunda:formData (created if the task has none)."""

    task: str
    id: str
    label: str
    type: str = "string"
    required: bool = True


# What a process owner does in the standard scenario: step 2 gets 20 minutes instead of 15,
# its task a new name, step 3 a required field; and a few shapes are dragged about.
STANDARD_EDIT = {
    "timer": (STEP2_TIMER, "PT20M"),
    "rename": (STEP2_TASK, "Menjelaskan Jenis, Standar dan Biaya Layanan"),
    "add_field": NewField(STEP3_TASK, "nomor_tanda_terima", "Nomor tanda terima berkas"),
    "move": [(STEP3_TASK, 20, 10), ("Gateway_BerkasLengkap", 0, 15), ("Selesai_ProdukDiterima", -10, 0)],
}


def moddle_available() -> bool:
    return shutil.which("node") is not None and (MODULES / "bpmn-moddle").is_dir() and CAMUNDA_JSON.is_file()


def modeler_edit(
    xml: str,
    *,
    timer: tuple[str, str] | None = None,
    rename: tuple[str, str] | None = None,
    add_field: NewField | None = None,
    move: Sequence[tuple[str, float, float]] = (),
    via: str = "auto",
) -> str:
    """``xml`` as the modeler saves it after these edits.

    ``timer``: (timer event id, or the id of the task it is attached to; new duration).
    ``rename``: (element id, new name). ``move``: (element id, dx, dy) per dragged shape.
    ``via``: "moddle" (node), "lxml", or "auto" (moddle where node and its modules are installed).
    """
    if via == "auto":
        via = "moddle" if moddle_available() else "lxml"
    edits = {
        "timer": list(timer) if timer else None,
        "rename": list(rename) if rename else None,
        "addField": add_field.__dict__ if add_field else None,
        "move": [list(m) for m in move],
    }
    if via == "moddle":
        return _with_moddle(xml, edits)
    if via == "lxml":
        return _with_lxml(xml, edits)
    raise ValueError(f"via must be auto, moddle or lxml, not {via!r}")


def resave(xml: str, via: str = "auto") -> str:
    """Open and save without editing."""
    return modeler_edit(xml, via=via)


def standard_edit(xml: str, via: str = "auto") -> str:
    return modeler_edit(xml, via=via, **STANDARD_EDIT)


# -- bpmn-moddle, as the modeler -------------------------------------------------------------

_MODDLE_SCRIPT = r"""
import { BpmnModdle } from 'bpmn-moddle';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const moddle = new BpmnModdle({ camunda: JSON.parse(readFileSync(input.camunda, 'utf8')) });
const { rootElement: definitions, elementsById, warnings } = await moddle.fromXML(input.xml);
if (warnings.length) throw new Error('import warnings: ' + warnings.map(w => w.message).join('; '));
const edits = input.edits;
const byId = id => {
  const el = elementsById[id];
  if (!el) throw new Error(`no element ${id}`);
  return el;
};
const flowElements = definitions.rootElements
  .filter(e => e.$type === 'bpmn:Process').flatMap(p => p.flowElements || []);
const timerDef = ev => (ev.eventDefinitions || []).find(d => d.$type === 'bpmn:TimerEventDefinition');

if (edits.timer) {
  const [id, value] = edits.timer;
  let event = byId(id);
  if (!timerDef(event)) {
    event = flowElements.find(e => e.$type === 'bpmn:BoundaryEvent' && e.attachedToRef && e.attachedToRef.id === id
                                   && timerDef(e));
    if (!event) throw new Error(`no timer on ${id}`);
  }
  const def = timerDef(event);
  if (!def.timeDuration) throw new Error(`the timer ${event.id} is not a duration`);
  def.timeDuration.body = value;  // as the properties panel edits it
}

if (edits.rename) {
  const [id, name] = edits.rename;
  byId(id).name = name;
}

if (edits.addField) {
  const f = edits.addField;
  const task = byId(f.task);
  if (!task.extensionElements) {
    task.extensionElements = moddle.create('bpmn:ExtensionElements', { values: [] });
    task.extensionElements.$parent = task;
  }
  const ext = task.extensionElements;
  let formData = ext.get('values').find(v => v.$type === 'camunda:FormData');
  if (!formData) {
    formData = moddle.create('camunda:FormData', { fields: [] });
    formData.$parent = ext;
    ext.get('values').push(formData);
  }
  const field = moddle.create('camunda:FormField', { id: f.id, label: f.label, type: f.type });
  field.$parent = formData;
  if (f.required) {
    const constraint = moddle.create('camunda:Constraint', { name: 'required' });
    field.validation = moddle.create('camunda:Validation', { constraints: [constraint] });
    field.validation.$parent = field;
    constraint.$parent = field.validation;
  }
  formData.get('fields').push(field);
}

if (edits.move.length) {
  const planeElements = definitions.diagrams.flatMap(d => d.plane.planeElement || []);
  const shapeOf = id => planeElements.find(p => p.$type === 'bpmndi:BPMNShape' && p.bpmnElement
                                              && p.bpmnElement.id === id);
  const moved = [];  // [old bounds, dx, dy]
  for (const [id, dx, dy] of edits.move) {
    const ids = [id, ...flowElements
      .filter(e => e.$type === 'bpmn:BoundaryEvent' && e.attachedToRef && e.attachedToRef.id === id)
      .map(e => e.id)];
    for (const each of ids) {
      const shape = shapeOf(each);
      if (!shape) throw new Error(`no shape for ${each}`);
      const b = shape.bounds;
      moved.push([{ x: b.x, y: b.y, width: b.width, height: b.height }, dx, dy]);
      b.x += dx; b.y += dy;
      if (shape.label && shape.label.bounds) { shape.label.bounds.x += dx; shape.label.bounds.y += dy; }
    }
  }
  for (const edge of planeElements.filter(p => p.$type === 'bpmndi:BPMNEdge')) {
    for (const point of edge.waypoint || []) {
      const hit = moved.find(([b]) => point.x >= b.x - 1 && point.x <= b.x + b.width + 1
                                   && point.y >= b.y - 1 && point.y <= b.y + b.height + 1);
      if (hit) { point.x += hit[1]; point.y += hit[2]; }
    }
  }
}

const { xml } = await moddle.toXML(definitions, { format: true });
process.stdout.write(xml);
"""


def _with_moddle(xml: str, edits: dict) -> str:
    if not moddle_available():
        raise RuntimeError("node or tools/bpmn-js/node_modules (bpmn-moddle, camunda-bpmn-moddle) missing")
    done = subprocess.run(
        ["node", "--input-type=module", "-e", _MODDLE_SCRIPT],
        input=json.dumps({"xml": xml, "edits": edits, "camunda": str(CAMUNDA_JSON)}),
        cwd=TOOLS,  # where bpmn-moddle resolves from
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bpmn-moddle edit failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


# -- lxml, the same edits without node --------------------------------------------------------


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _timer_def(event: etree._Element) -> etree._Element | None:
    return event.find(_q(BPMN, "timerEventDefinition"))


def _indent_child(parent: etree._Element, child: etree._Element, index: int | None = None) -> None:
    """Insert ``child`` with the indentation its siblings have (two spaces per level)."""
    depth = sum(1 for _ in parent.iterancestors())
    inner, outer = "\n" + "  " * (depth + 1), "\n" + "  " * depth
    if len(parent) == 0:
        parent.text = inner
        child.tail = outer
        parent.append(child)
        return
    if index is None or index >= len(parent):
        last = parent[-1]
        last.tail, child.tail = inner, outer
        parent.append(child)
    else:
        child.tail = inner
        parent.insert(index, child)


def _new(tag: str, parent: etree._Element, attrs: dict[str, str], index: int | None = None) -> etree._Element:
    el = etree.Element(tag, attrs, nsmap=None)
    _indent_child(parent, el, index)
    return el


def _with_lxml(xml: str, edits: dict) -> str:
    root = etree.fromstring(xml.encode("utf-8"))
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    boundaries = list(root.iter(_q(BPMN, "boundaryEvent")))

    def element(ident: str) -> etree._Element:
        if ident not in by_id:
            raise ValueError(f"no element {ident}")
        return by_id[ident]

    if edits["timer"]:
        ident, value = edits["timer"]
        event = element(ident)
        if _timer_def(event) is None:
            event = next((b for b in boundaries if b.get("attachedToRef") == ident and _timer_def(b) is not None), None)
            if event is None:
                raise ValueError(f"no timer on {ident}")
        duration = _timer_def(event).find(_q(BPMN, "timeDuration"))
        if duration is None:
            raise ValueError(f"the timer {event.get('id')} is not a duration")
        duration.text = value
    if edits["rename"]:
        ident, name = edits["rename"]
        element(ident).set("name", name)
    if edits["addField"]:
        _add_field_lxml(element(edits["addField"]["task"]), edits["addField"])
    if edits["move"]:
        _move_lxml(root, boundaries, edits["move"])
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode") + "\n"


def _add_field_lxml(task: etree._Element, f: dict) -> None:
    ext = task.find(_q(BPMN, "extensionElements"))
    if ext is None:  # after the documentation, before incoming/outgoing, as the schema orders it
        docs = task.findall(_q(BPMN, "documentation"))
        ext = _new(_q(BPMN, "extensionElements"), task, {}, len(docs))
    form = ext.find(_q(CAMUNDA, "formData"))
    if form is None:
        form = _new(_q(CAMUNDA, "formData"), ext, {})
    field = _new(_q(CAMUNDA, "formField"), form, {"id": f["id"], "label": f["label"], "type": f["type"]})
    if f["required"]:
        validation = _new(_q(CAMUNDA, "validation"), field, {})
        _new(_q(CAMUNDA, "constraint"), validation, {"name": "required"})


def _move_lxml(root: etree._Element, boundaries: list[etree._Element], moves: list) -> None:
    shapes = {s.get("bpmnElement"): s for s in root.iter(_q(BPMNDI, "BPMNShape"))}
    moved: list[tuple[tuple[float, float, float, float], float, float]] = []
    for ident, dx, dy in moves:
        for each in [ident] + [b.get("id") for b in boundaries if b.get("attachedToRef") == ident]:
            shape = shapes.get(each)
            if shape is None:
                raise ValueError(f"no shape for {each}")
            bounds = shape.find(_q(DC, "Bounds"))
            old = tuple(float(bounds.get(k)) for k in ("x", "y", "width", "height"))
            moved.append((old, dx, dy))
            for b in [bounds, shape.find(f"{_q(BPMNDI, 'BPMNLabel')}/{_q(DC, 'Bounds')}")]:
                if b is not None:
                    b.set("x", _number(float(b.get("x")) + dx))
                    b.set("y", _number(float(b.get("y")) + dy))
    for point in root.iter(_q(DI, "waypoint")):
        x, y = float(point.get("x")), float(point.get("y"))
        for (bx, by, bw, bh), dx, dy in moved:
            if bx - 1 <= x <= bx + bw + 1 and by - 1 <= y <= by + bh + 1:
                point.set("x", _number(x + dx))
                point.set("y", _number(y + dy))
                break
