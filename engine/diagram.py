"""Drawing a deployed diagram as SVG from its own DI, with an instance's state marked.

``render_svg(xml, marks)`` is a pure function of the diagram (the exact file a
version was deployed from) and a ``Marks`` value (which elements are done,
active, overdue; which flows were taken), so the live view of an application
and the replay of its history at any event draw the same way. Everything the
diagram says (names, labels) is escaped: a diagram is untrusted input.

``render_changes_svg(definition, diff)`` draws a new version with what changed
since the active one marked (``change-added``, ``change-changed``), for a
process owner to review before activating it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lxml import etree

from .definitions import BPMN, BPMNDI, ParsedDefinition, parse_xml
from .model_diff import ADDED, CHANGED, ModelDiff

DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

CHAR_WIDTH = 6.2  # average width of a 11px sans-serif glyph
LINE_HEIGHT = 13.5

STATUS_LABELS = {
    "id": {
        "completed": "Selesai",
        "active": "Sedang berjalan",
        "overdue": "Melewati batas waktu",
        "taken": "Alur yang dilalui",
        "legend": "Keterangan",
        "added": "Ditambahkan",
        "changed": "Diubah",
    },
    "en": {
        "completed": "Completed",
        "active": "In progress",
        "overdue": "Past its deadline",
        "taken": "Path taken",
        "legend": "Legend",
        "added": "Added",
        "changed": "Changed",
    },
}


@dataclass(frozen=True)
class Marks:
    """The state of an application, as element ids of its diagram."""

    completed: frozenset[str] = frozenset()
    active: frozenset[str] = frozenset()
    overdue: frozenset[str] = frozenset()
    taken_flows: frozenset[str] = frozenset()

    def status(self, element_id: str) -> str | None:
        if element_id in self.overdue:
            return "overdue"
        if element_id in self.active:
            return "active"
        if element_id in self.completed:
            return "completed"
        return None


@dataclass
class _Shape:
    id: str
    kind: str
    name: str | None
    x: float
    y: float
    w: float
    h: float
    label: tuple[float, float, float, float] | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class _Edge:
    id: str
    kind: str
    name: str | None
    points: list[tuple[float, float]]
    label: tuple[float, float, float, float] | None = None


def _bounds(el: etree._Element | None) -> tuple[float, float, float, float] | None:
    if el is None:
        return None
    return tuple(float(el.get(k, 0)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _read(tree: etree._ElementTree) -> tuple[list[_Shape], list[_Edge]]:
    root = tree.getroot()
    elements = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    shapes, edges = [], []
    for s in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        el = elements.get(s.get("bpmnElement"))
        b = _bounds(s.find(f"{{{DC}}}Bounds"))
        if el is None or b is None:
            continue
        name = el.get("name")
        kind = etree.QName(el).localname
        if kind == "group":
            ref = elements.get(el.get("categoryValueRef") or "")
            name = ref.get("value") if ref is not None else None
        attrs = {}
        if kind == "boundaryEvent":
            attrs["interrupting"] = el.get("cancelActivity", "true")
        if kind in ("startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent"):
            attrs["timer"] = "1" if el.find(f"{{{BPMN}}}timerEventDefinition") is not None else ""
        shapes.append(
            _Shape(
                el.get("id"),
                kind,
                name,
                *b,
                label=_bounds(s.find(f"{{{BPMNDI}}}BPMNLabel/{{{DC}}}Bounds")),
                attrs=attrs,
            )
        )
    for e in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        el = elements.get(e.get("bpmnElement"))
        if el is None:
            continue
        points = [(float(p.get("x", 0)), float(p.get("y", 0))) for p in e.iter(f"{{{DI}}}waypoint")]
        if len(points) < 2:
            continue
        edges.append(
            _Edge(
                el.get("id"),
                etree.QName(el).localname,
                el.get("name"),
                points,
                _bounds(e.find(f"{{{BPMNDI}}}BPMNLabel/{{{DC}}}Bounds")),
            )
        )
    return shapes, edges


def _wrap(text: str, width: float) -> list[str]:
    per_line = max(4, int(width / CHAR_WIDTH))
    lines: list[str] = []
    for word in text.split():
        while len(word) > max(per_line, 24):  # only a very long word is cut; a long one may overhang
            lines.append(word[:per_line])
            word = word[per_line:]
        if lines and len(lines[-1]) + 1 + len(word) <= per_line:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _text(
    text: str | None,
    cx: float,
    top: float,
    width: float,
    *,
    cls: str = "label",
    middle: bool = False,
    height: float | None = None,
) -> str:
    if not text:
        return ""
    lines = _wrap(text, width)
    if middle and height is not None:
        top = top + (height - len(lines) * LINE_HEIGHT) / 2
    spans = "".join(
        f'<tspan x="{cx:.1f}" y="{top + (i + 1) * LINE_HEIGHT - 3:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="{cls}" text-anchor="middle">{spans}</text>'


def _vertical_text(text: str | None, x: float, y: float, w: float, h: float) -> str:
    if not text:
        return ""
    cx, cy = x + w / 2, y + h / 2
    return (
        f'<text class="lane-label" text-anchor="middle" transform="rotate(-90 {cx:.1f} {cy:.1f})" '
        f'x="{cx:.1f}" y="{cy + 4:.1f}">{escape(text)}</text>'
    )


def _attr(text: str) -> str:
    """Text for a double-quoted attribute value."""
    return escape(text, {'"': "&quot;"})


def _title(
    s: _Shape | _Edge, status: str | None, words: dict[str, str], change: str | None = None, notes: Sequence[str] = ()
) -> str:
    text = s.name or s.id
    for word in (status, change):
        if word in words:
            text += f" ({words[word]})"
    for note in notes:
        text += f"\n{note}"
    return f"<title>{escape(text)}</title>"


def _change_class(change: str | None) -> str:
    return f" change-{change}" if change in (ADDED, CHANGED) else ""


def _shape_svg(
    s: _Shape, status: str | None, words: dict[str, str], change: str | None = None, notes: Sequence[str] = ()
) -> str:
    cls = f"el {s.kind}" + (f" is-{status}" if status else "") + _change_class(change)
    parts = [f'<g class="{cls}" data-element="{_attr(s.id)}">', _title(s, status, words, change, notes)]
    cx, cy = s.x + s.w / 2, s.y + s.h / 2
    if s.kind in ("userTask", "manualTask", "task"):
        parts.append(f'<rect class="body" x="{s.x}" y="{s.y}" width="{s.w}" height="{s.h}" rx="10" ry="10"/>')
        if s.kind == "userTask":  # a small person in the corner
            parts.append(
                f'<circle class="icon" cx="{s.x + 14}" cy="{s.y + 11}" r="4"/>'
                f'<path class="icon" d="M{s.x + 7} {s.y + 24} q7 -10 14 0 z"/>'
            )
        parts.append(_text(s.name, cx, s.y + 6, s.w - 12, middle=True, height=s.h - 12))
    elif s.kind in ("startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent"):
        r = s.w / 2
        parts.append(f'<circle class="body" cx="{cx}" cy="{cy}" r="{r}"/>')
        if s.kind in ("boundaryEvent", "intermediateCatchEvent"):
            dash = ' stroke-dasharray="4 2"' if s.attrs.get("interrupting") == "false" else ""
            parts.append(f'<circle class="inner" cx="{cx}" cy="{cy}" r="{r - 3}"{dash}/>')
        if s.attrs.get("timer"):
            parts.append(f'<circle class="clock" cx="{cx}" cy="{cy}" r="{r - 7}"/>')
            for i in range(12):
                a = i * math.pi / 6
                parts.append(
                    f'<line class="tick" x1="{cx + (r - 8) * math.cos(a):.1f}" y1="{cy + (r - 8) * math.sin(a):.1f}" '
                    f'x2="{cx + (r - 10) * math.cos(a):.1f}" y2="{cy + (r - 10) * math.sin(a):.1f}"/>'
                )
            parts.append(f'<path class="hands" d="M{cx} {cy - r + 11} L{cx} {cy} L{cx + r - 12} {cy}"/>')
    elif s.kind.endswith("Gateway"):
        parts.append(f'<polygon class="body" points="{cx},{s.y} {s.x + s.w},{cy} {cx},{s.y + s.h} {s.x},{cy}"/>')
        if s.kind == "exclusiveGateway":
            d = s.w * 0.18
            parts.append(
                f'<path class="marker" d="M{cx - d} {cy - d} L{cx + d} {cy + d} '
                f'M{cx + d} {cy - d} L{cx - d} {cy + d}"/>'
            )
        elif s.kind == "parallelGateway":
            d = s.w * 0.22
            parts.append(f'<path class="marker" d="M{cx} {cy - d} L{cx} {cy + d} M{cx - d} {cy} L{cx + d} {cy}"/>')
        elif s.kind == "inclusiveGateway":
            parts.append(f'<circle class="marker" cx="{cx}" cy="{cy}" r="{s.w * 0.2}"/>')
    elif s.kind == "dataObjectReference":
        f = 10
        parts.append(
            f'<path class="body" d="M{s.x} {s.y} L{s.x + s.w - f} {s.y} L{s.x + s.w} {s.y + f} '
            f"L{s.x + s.w} {s.y + s.h} L{s.x} {s.y + s.h} Z M{s.x + s.w - f} {s.y} L{s.x + s.w - f} {s.y + f} "
            f'L{s.x + s.w} {s.y + f}"/>'
        )
    else:
        parts.append(f'<rect class="body" x="{s.x}" y="{s.y}" width="{s.w}" height="{s.h}"/>')
    if s.kind not in ("userTask", "manualTask", "task") and s.name:
        if s.label:
            lx, ly, lw, _lh = s.label
            parts.append(_text(s.name, lx + lw / 2, ly, max(lw, 60)))
        else:
            parts.append(_text(s.name, cx, s.y + s.h + 4, max(s.w, 90)))
    parts.append("</g>")
    return "".join(parts)


def _edge_svg(
    e: _Edge, taken: bool, words: dict[str, str], change: str | None = None, notes: Sequence[str] = ()
) -> str:
    cls = "flow" if e.kind == "sequenceFlow" else "association"
    marker = "url(#arrow)" if cls == "flow" else "url(#open-arrow)"
    if taken:
        cls += " is-taken"
        marker = "url(#arrow-taken)"
    if change in (ADDED, CHANGED):
        cls += _change_class(change)
        marker = f"url(#arrow-{change})" if e.kind == "sequenceFlow" else marker
    points = " ".join(f"{x},{y}" for x, y in e.points)
    parts = [
        f'<g class="{cls}" data-element="{_attr(e.id)}">',
        _title(e, "taken" if taken else None, words, change, notes),
        f'<polyline points="{points}" marker-end="{marker}"/>',
    ]
    if e.name and e.label:
        lx, ly, lw, _lh = e.label
        parts.append(_text(e.name, lx + lw / 2, ly - 2, max(lw, 50), cls="flow-label"))
    parts.append("</g>")
    return "".join(parts)


STYLE = """
.pool>.body,.lane>.body{fill:#fff;stroke:#444;stroke-width:1.2}
.lane-label{font:600 13px sans-serif;fill:#222}
.el .body{fill:#fff;stroke:#333;stroke-width:1.6}
.el .inner,.el .clock{fill:none;stroke:#333;stroke-width:1}
.el .tick,.el .hands{stroke:#333;stroke-width:1;fill:none}
.el .icon{fill:none;stroke:#555;stroke-width:1.2}
.el .marker{fill:none;stroke:#333;stroke-width:3}
.endEvent>.body{stroke-width:4}
.group>.body{fill:none;stroke:#666;stroke-dasharray:8 4 2 4;stroke-width:1.2}
.label,.flow-label{font:11px sans-serif;fill:#222}
.flow polyline{fill:none;stroke:#333;stroke-width:1.4}
.association polyline{fill:none;stroke:#666;stroke-width:1.2;stroke-dasharray:3 3}
.is-completed>.body{fill:#e3f4e6;stroke:#1e7b34}
.is-active>.body{fill:#e3ecfb;stroke:#1d4fbf;stroke-width:3.5}
.is-overdue>.body{fill:#fde8e8;stroke:#c01c1c;stroke-width:3.5}
.flow.is-taken polyline{stroke:#1e7b34;stroke-width:2.4}
.change-added>.body{fill:#e6f6ea;stroke:#1e7b34;stroke-width:4}
.change-changed>.body{fill:#fff4dc;stroke:#c77700;stroke-width:4;stroke-dasharray:7 3}
.lane.change-added>.body,.lane.change-changed>.body{fill:#fff}
.flow.change-added polyline{stroke:#1e7b34;stroke-width:3}
.flow.change-changed polyline{stroke:#c77700;stroke-width:3;stroke-dasharray:7 3}
.legend rect.frame{fill:#fff;stroke:#999}
.legend text{font:12px sans-serif;fill:#222}
"""


def _legend(x: float, y: float, words: dict[str, str], changes: bool = False) -> tuple[str, float]:
    if changes:
        items = [(ADDED, "change-added"), (CHANGED, "change-changed")]
    else:
        items = [("completed", "is-completed"), ("active", "is-active"), ("overdue", "is-overdue")]
    width = 40 + sum(30 + len(words[k]) * 7 for k, _ in items) + (0 if changes else 30 + len(words["taken"]) * 7)
    parts = [
        f'<g class="legend" transform="translate({x},{y})">',
        f'<rect class="frame" x="0" y="0" width="{width}" height="34" rx="4"/>',
        f'<text x="10" y="21" font-weight="600">{escape(words["legend"])}:</text>',
    ]
    cursor = 20 + len(words["legend"]) * 7.5
    for key, cls in items:
        parts.append(
            f'<g class="el userTask {cls}"><rect class="body" x="{cursor}" y="9" width="22" height="16" rx="4"/></g>'
        )
        parts.append(f'<text x="{cursor + 28}" y="21">{escape(words[key])}</text>')
        cursor += 34 + len(words[key]) * 7
    if not changes:
        parts.append(f'<g class="flow is-taken"><polyline points="{cursor},17 {cursor + 22},17"/></g>')
        parts.append(f'<text x="{cursor + 28}" y="21">{escape(words["taken"])}</text>')
    parts.append("</g>")
    return "".join(parts), width


def render_svg(
    xml: bytes,
    marks: Marks = Marks(),
    *,
    title: str | None = None,
    lang: str = "id",
    changes: Mapping[str, str] | None = None,
    notes: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The diagram of ``xml`` as a standalone SVG document, with ``marks`` applied.

    ``changes`` (element id -> "added" | "changed", see ``ModelDiff.changed_elements``)
    marks elements with the classes ``change-added``/``change-changed`` and shows the
    change legend; ``notes`` adds lines to an element's tooltip.
    """
    return _render(parse_xml(xml), marks, title=title, lang=lang, changes=changes, notes=notes)


def render_changes_svg(
    definition: ParsedDefinition | etree._ElementTree | bytes,
    diff: ModelDiff,
    *,
    title: str | None = None,
    lang: str = "id",
    notes: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The NEW version's diagram with what ``diff`` found added or changed marked.

    Removed elements are not in this diagram; ``diff`` lists them. Tooltips name the
    change in ``lang``; ``notes`` (element id -> lines) adds detail to them, and by
    default, in English, they carry the diff's own sentences.
    """
    if isinstance(definition, ParsedDefinition):
        tree = definition.tree
    elif isinstance(definition, (bytes, bytearray)):
        tree = parse_xml(bytes(definition))
    else:
        tree = definition
    if notes is None and lang == "en":
        notes = diff.notes()
    changes = diff.changed_elements(lane_ids(tree))
    return _render(tree, Marks(), title=title, lang=lang, changes=changes, notes=notes)


def lane_ids(tree: etree._ElementTree) -> dict[str, str]:
    """Lane name -> lane element id (the first lane of that name)."""
    out: dict[str, str] = {}
    for lane in tree.getroot().iter(f"{{{BPMN}}}lane"):
        name = (lane.get("name") or "").strip()
        if name and lane.get("id"):
            out.setdefault(name, lane.get("id"))
    return out


def _render(
    tree: etree._ElementTree,
    marks: Marks,
    *,
    title: str | None,
    lang: str,
    changes: Mapping[str, str] | None,
    notes: Mapping[str, Sequence[str]] | None,
) -> str:
    words = STATUS_LABELS.get(lang, STATUS_LABELS["id"])
    change_of = {k: v for k, v in (changes or {}).items() if v in (ADDED, CHANGED)}
    note_of = notes or {}
    shapes, edges = _read(tree)
    if not shapes:
        raise ValueError("the diagram has no shapes to draw")
    xs = [s.x for s in shapes] + [p[0] for e in edges for p in e.points]
    ys = [s.y for s in shapes] + [p[1] for e in edges for p in e.points]
    x2 = [s.x + s.w for s in shapes] + [p[0] for e in edges for p in e.points]
    y2 = [s.y + s.h for s in shapes] + [p[1] for e in edges for p in e.points]
    for s in shapes:
        if s.label:
            x2.append(s.label[0] + s.label[2])
            y2.append(s.label[1] + s.label[3])
    left, top, right, bottom = min(xs) - 20, min(ys) - 20, max(x2) + 20, max(y2) + 20
    legend, legend_width = _legend(left + 10, bottom + 6, words, changes is not None)
    width, height = max(right - left, legend_width + 20), bottom - top + 50
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="{left:.0f} {top:.0f} {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}">',
        f"<title>{escape(title or 'BPMN')}</title>",
        f"<style>{STYLE}</style>",
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker>',
        '<marker id="arrow-taken" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1e7b34"/></marker>',
        '<marker id="open-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#666"/></marker>',
        '<marker id="arrow-added" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1e7b34"/></marker>',
        '<marker id="arrow-changed" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#c77700"/></marker>',
        "</defs>",
    ]

    # containers first (pool, lanes, groups last so they draw over lanes), then flows, then nodes
    def container(s: _Shape, cls: str) -> str:
        change = change_of.get(s.id)
        title = _title(s, None, words, change, note_of.get(s.id, ())) if change else ""
        return f'<g class="{cls}{_change_class(change)}" data-element="{_attr(s.id)}">{title}'

    for s in (s for s in shapes if s.kind == "participant"):
        out.append(
            f'{container(s, "pool")}<rect class="body" x="{s.x}" y="{s.y}" '
            f'width="{s.w}" height="{s.h}"/>'
            f'<line x1="{s.x + 30}" y1="{s.y}" x2="{s.x + 30}" y2="{s.y + s.h}" stroke="#444"/>'
            f"{_vertical_text(s.name, s.x, s.y, 30, s.h)}</g>"
        )
    for s in (s for s in shapes if s.kind == "lane"):
        out.append(
            f'{container(s, "lane")}<rect class="body" x="{s.x}" y="{s.y}" '
            f'width="{s.w}" height="{s.h}"/>{_vertical_text(s.name, s.x, s.y, 30, s.h)}</g>'
        )
    for s in (s for s in shapes if s.kind == "group"):
        out.append(
            f'{container(s, "group")}<rect class="body" x="{s.x}" y="{s.y}" '
            f'width="{s.w}" height="{s.h}" rx="8"/>'
            f"{_text(s.name, s.x + s.w / 2, s.y + 2, s.w - 20)}</g>"
        )
    for e in edges:
        out.append(_edge_svg(e, e.id in marks.taken_flows, words, change_of.get(e.id), note_of.get(e.id, ())))
    containers = {"participant", "lane", "group"}
    nodes = [s for s in shapes if s.kind not in containers]
    # boundary events last, so they sit on top of their activity
    nodes.sort(key=lambda s: s.kind == "boundaryEvent")
    for s in nodes:
        out.append(_shape_svg(s, marks.status(s.id), words, change_of.get(s.id), note_of.get(s.id, ())))
    out.append(legend)
    out.append("</svg>")
    return "\n".join(out)


def elements_in(xml: bytes) -> Iterable[tuple[str, str]]:
    """(id, kind) of every drawn element: what a test expects to find in the SVG."""
    shapes, edges = _read(parse_xml(xml))
    return [(s.id, s.kind) for s in shapes] + [(e.id, e.kind) for e in edges]
