"""The server-side SVG of a diagram, and an application's marks on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from engine import Engine
from engine.definitions import load_definition
from engine.diagram import Marks, elements_in, render_svg
from engine.marks import marks_from_history

from ..conftest import PTSP_BPMN, minutes
from ..helpers import HAPPY_PATH, STEP_ELEMENTS, Application

SVG = "{http://www.w3.org/2000/svg}"
XML = PTSP_BPMN.read_bytes()
MODEL = load_definition(XML).model


def drawn(svg: str) -> dict[str, str]:
    root = etree.fromstring(svg.encode())
    return {g.get("data-element"): g.get("class") for g in root.iter(f"{SVG}g") if g.get("data-element")}


def test_every_element_of_the_diagram_is_drawn() -> None:
    svg = render_svg(XML, title="PTSP")
    found = drawn(svg)
    expected = dict(elements_in(XML))
    assert set(expected) <= set(found)
    for node in MODEL.nodes:
        assert node in found
    for flow in MODEL.flows:
        assert found[flow].startswith("flow")
    for lane in ("Lane_Pemohon", "Lane_PTSP", "Lane_KepalaKantor", "Lane_Kasubag", "Lane_Kasi"):
        assert found[lane] == "lane"
    root = etree.fromstring(svg.encode())
    texts = " ".join(" ".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for name in ("Menanyakan Pelayanan", "Berkas lengkap?", "Kepala Kantor", "Dokumen Permohonan", "Keterangan"):
        assert name in texts


def test_marks_become_classes_and_the_legend_is_translated() -> None:
    marks = Marks(
        completed=frozenset({"Mulai_PemohonDatang"}),
        active=frozenset({STEP_ELEMENTS[1]}),
        overdue=frozenset({STEP_ELEMENTS[2]}),
        taken_flows=frozenset({"Flow_Mulai_Langkah1"}),
    )
    found = drawn(render_svg(XML, marks, lang="en"))
    assert "is-completed" in found["Mulai_PemohonDatang"]
    assert "is-active" in found[STEP_ELEMENTS[1]]
    assert "is-overdue" in found[STEP_ELEMENTS[2]]
    assert "is-taken" in found["Flow_Mulai_Langkah1"]
    assert "is-" not in found[STEP_ELEMENTS[3]]
    assert "Past its deadline" in render_svg(XML, marks, lang="en")


def test_names_from_a_diagram_are_escaped() -> None:
    hostile = XML.replace(b'name="Menanyakan Pelayanan"', b'name="&lt;script&gt;alert(1)&lt;/script&gt;"', 1)
    svg = render_svg(hostile, title="<b>x</b>")
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    etree.fromstring(svg.encode())  # still well-formed


def test_marks_follow_the_history(engine: Engine, clock) -> None:
    app = Application(engine)
    marks = marks_from_history(MODEL, engine.history(app.id))
    assert marks.completed == {"Mulai_PemohonDatang"}
    assert marks.active == {STEP_ELEMENTS[1]}
    app.walk([1, 2, 3])
    app.do(4, berkas_lengkap=False)
    clock.shift(minutes(16))
    engine.tick()
    now = engine.ctx.clock.now()
    marks = marks_from_history(MODEL, engine.history(app.id), now)
    assert marks.active == {STEP_ELEMENTS["3b"]}
    assert STEP_ELEMENTS["3b"] in marks.overdue
    assert "BatasWaktu_Langkah3_MelengkapiBerkasPermohonan" in marks.overdue
    assert "Flow_BerkasBelumLengkap" in marks.taken_flows
    assert "Flow_BerkasLengkap" not in marks.taken_flows
    assert "Gateway_GabungPenyerahanBerkas" in marks.completed
    app.do("3b")
    app.do(4)
    for step in HAPPY_PATH[HAPPY_PATH.index(5) :]:
        app.do(step)
    marks = marks_from_history(MODEL, engine.history(app.id), now + timedelta(days=1))
    assert marks.active == frozenset()
    assert {t.id for t in MODEL.tasks.values()} <= marks.completed
    assert "Selesai_ProdukDiterima" in marks.completed
    assert "Terlambat_Langkah1_MenanyakanPelayanan" not in marks.completed
    assert "Flow_BerkasLengkap" in marks.taken_flows


def test_a_diagram_without_shapes_is_refused() -> None:
    bare = XML.split(b"<bpmndi:BPMNDiagram")[0] + b"</bpmn:definitions>\n"
    with pytest.raises(ValueError, match="no shapes"):
        render_svg(bare)
