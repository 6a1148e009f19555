"""What changed between two versions of the diagram, and the marks on the new one."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from lxml import etree

from engine.definitions import NS, load_definition
from engine.diagram import lane_ids, render_changes_svg, render_svg
from engine.model_diff import ModelDiff, diff_models

from ..conftest import PTSP_BPMN
from ..modeler_edit import (
    STANDARD_EDIT,
    STEP2_TASK,
    STEP2_TIMER,
    STEP3_TASK,
    moddle_available,
    modeler_edit,
    resave,
    standard_edit,
)

SVG = "{http://www.w3.org/2000/svg}"
XML = PTSP_BPMN.read_text(encoding="utf-8")
OLD = load_definition(XML.encode()).model
BPMN_NS = NS["bpmn"]
VIAS = ["lxml", pytest.param("moddle", marks=pytest.mark.skipif(not moddle_available(), reason="no node/moddle"))]
MOVES = STANDARD_EDIT["move"]


def model(xml: str | bytes):
    return load_definition(xml.encode() if isinstance(xml, str) else xml).model


def diff_to(xml: str | bytes) -> ModelDiff:
    return diff_models(OLD, model(xml))


# -- lxml edits of the file, for the focused tests ------------------------------------------


def edit(xml: str, change) -> str:
    root = etree.fromstring(xml.encode())
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()


def by_id(root: etree._Element, ident: str) -> etree._Element:
    found = root.xpath("//*[@id=$id]", id=ident)
    assert found, ident
    return found[0]


def without(xml: str, *ids: str) -> str:
    """The file without these elements, their shapes and edges, and every reference to them by text."""

    def change(root: etree._Element) -> None:
        for ident in ids:
            el = by_id(root, ident)
            gone = [e.get("id") for e in el.iter() if isinstance(e.tag, str) and e.get("id")]
            el.getparent().remove(el)
            for each in gone:  # the element and what it holds (its data associations)
                for ref in root.xpath("//*[@bpmnElement=$id] | //*[normalize-space(text())=$id]", id=each):
                    ref.getparent().remove(ref)

    return edit(xml, change)


def set_attr(xml: str, ident: str, name: str, value: str) -> str:
    return edit(xml, lambda root: by_id(root, ident).set(name, value))


def field_el(root: etree._Element, field: str) -> etree._Element:
    return root.xpath("//camunda:formField[@id=$f]", namespaces=NS, f=field)[0]


# -- the process owner's edit -----------------------------------------------------------------


def test_the_modeler_edit_is_exactly_its_three_changes() -> None:
    new = standard_edit(XML)
    assert new != XML and "PT20M" in new
    diff = diff_to(new)
    data = diff.as_dict()
    assert list(data) == ["tasks", "lanes", "timers", "forms", "flows", "gateways"]
    assert len(diff) == 3, diff.describe()
    assert data["tasks"]["renamed"] == [
        {
            "kind": "renamed",
            "element": STEP2_TASK,
            "name": "Menjelaskan Jenis, Standar dan Biaya Layanan",
            "old": "Menjelaskan Jenis dan Standar Layanan",
            "new": "Menjelaskan Jenis, Standar dan Biaya Layanan",
            "lane": "PTSP",
            "sop_step": 2,
        }
    ]
    assert data["timers"] == [
        {
            "kind": "changed",
            "element": STEP2_TIMER,
            "name": "15 menit",
            "old": "PT15M",
            "new": "PT20M",
            "task": STEP2_TASK,
            "task_name": "Menjelaskan Jenis, Standar dan Biaya Layanan",
            "sop_step": 2,
        }
    ]
    [added] = data["forms"]
    assert added["kind"] == "field_added" and added["element"] == STEP3_TASK and added["sop_step"] == 3
    assert added["field"] == "nomor_tanda_terima" and added["new"]["required"] is True
    assert added["new"]["type"] == "string" and added["start_form"] is False
    assert data["flows"] == [] and data["gateways"] == [] and data["lanes"] == {"added": [], "removed": []}
    assert diff.changed_elements() == {STEP2_TASK: "changed", STEP2_TIMER: "changed", STEP3_TASK: "changed"}
    assert json.loads(json.dumps(data)) == data
    lines = diff.describe()
    assert len(lines) == 3
    assert any("PT15M to PT20M" in line and "step 2" in line for line in lines)
    assert any("required field" in line and "nomor_tanda_terima" in line for line in lines)


@pytest.mark.parametrize("via", VIAS)
def test_the_edit_moves_shapes_as_the_modeler_does(via: str) -> None:
    new = modeler_edit(XML, move=MOVES, via=via)
    root = etree.fromstring(new.encode())
    bounds = root.xpath("//bpmndi:BPMNShape[@bpmnElement=$id]/dc:Bounds", id=STEP3_TASK, namespaces=_DI_NS)[0]
    assert (bounds.get("x"), bounds.get("y")) == ("760", "140")
    # its boundary timer went along, and the flow into it still ends on it
    timer = root.xpath(
        "//bpmndi:BPMNShape[@bpmnElement='BatasWaktu_Langkah3_MenyerahkanBerkasPermohonan']/dc:Bounds",
        namespaces=_DI_NS,
    )[0]
    assert (timer.get("x"), timer.get("y")) == ("852", "212")
    last = root.xpath("//bpmndi:BPMNEdge[@bpmnElement='Flow_Langkah2_Langkah3']/di:waypoint", namespaces=_DI_NS)[-1]
    assert (last.get("x"), last.get("y")) == ("830", "230")
    assert diff_to(new).empty  # moving is not a change


_DI_NS = NS | {"dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}


@pytest.mark.skipif(not moddle_available(), reason="node or tools/bpmn-js/node_modules missing")
def test_moddle_and_lxml_edits_read_the_same() -> None:
    by_moddle = standard_edit(XML, via="moddle")
    by_lxml = standard_edit(XML, via="lxml")
    assert by_moddle != by_lxml  # formatted differently...
    assert model(by_moddle) == model(by_lxml)  # ...saying the same


@pytest.mark.parametrize("via", VIAS)
def test_a_resaved_file_diffs_empty(via: str) -> None:
    diff = diff_to(resave(XML, via=via))
    assert diff.empty and len(diff) == 0 and diff.describe() == []
    assert diff.changed_elements() == {}


def test_formatting_prefixes_attribute_order_and_line_breaks_are_not_changes() -> None:
    def reorder(root: etree._Element) -> None:
        for el in root.iter():
            if isinstance(el.tag, str) and len(el.attrib) > 1:
                items = list(el.attrib.items())
                el.attrib.clear()
                for k, v in reversed(items):
                    el.set(k, v)
        by_id(root, "Langkah1_MenanyakanPelayanan").set("name", "Menanyakan\n  Pelayanan")  # wrapped label
        cond = root.xpath("//bpmn:sequenceFlow[@id='Flow_BerkasLengkap']/bpmn:conditionExpression", namespaces=NS)[0]
        cond.text = "${ berkas_lengkap }"  # the same condition, spaced out

    reformatted = edit(XML, reorder)
    reprefixed = reformatted.replace("xmlns:bpmn=", "xmlns:semantic=").replace("bpmn:", "semantic:")
    assert "<semantic:process" in reprefixed
    assert diff_to(reprefixed).empty, diff_to(reprefixed).describe()


# -- each kind of change ----------------------------------------------------------------------

STEP7C = "Langkah7_MendokumentasikanProduk"


def test_a_removed_task_its_timer_and_flows_are_listed_and_the_rerouted_flow_marked() -> None:
    new = set_attr(XML, "Flow_Langkah7Paraf_Langkah7Dokumentasi", "targetRef", "Langkah8_MenerimaProdukUntukDiserahkan")
    new = without(
        new,
        STEP7C,
        "BatasWaktu_Langkah7_MendokumentasikanProduk",
        "Terlambat_Langkah7_MendokumentasikanProduk",
        "Flow_Terlambat_Langkah7_MendokumentasikanProduk",
        "Flow_Langkah7Dokumentasi_Langkah8",
    )
    diff = diff_to(new)
    data = diff.as_dict()
    assert [(c["element"], c["name"], c["sop_step"]) for c in data["tasks"]["removed"]] == [
        (STEP7C, "Mendokumentasikan Hasil Produk", 7)
    ]
    assert [(c["kind"], c["element"], c["old"]) for c in data["timers"]] == [
        ("removed", "BatasWaktu_Langkah7_MendokumentasikanProduk", "P1D")
    ]
    flows = {(c["kind"], c["element"]) for c in data["flows"]}
    assert flows == {
        ("removed", "Flow_Langkah7Dokumentasi_Langkah8"),
        ("removed", "Flow_Terlambat_Langkah7_MendokumentasikanProduk"),
        ("rerouted", "Flow_Langkah7Paraf_Langkah7Dokumentasi"),
    }
    [rerouted] = [c for c in data["flows"] if c["kind"] == "rerouted"]
    assert rerouted["old"]["target"] == STEP7C and rerouted["new"]["target"] == "Langkah8_MenerimaProdukUntukDiserahkan"
    assert rerouted["old"]["target_name"] == "Mendokumentasikan Hasil Produk"
    assert [c["element"] for c in data["gateways"]] == ["Terlambat_Langkah7_MendokumentasikanProduk"]
    assert data["gateways"][0]["node_kind"] == "endEvent"
    marked = diff.changed_elements()
    assert marked == {"Flow_Langkah7Paraf_Langkah7Dokumentasi": "changed"}
    assert {c.element for c in diff.removed()} >= {STEP7C, "BatasWaktu_Langkah7_MendokumentasikanProduk"}
    svg = render_changes_svg(load_definition(new.encode()), diff, lang="en")
    found = drawn(svg)
    assert STEP7C not in found
    assert "change-changed" in found["Flow_Langkah7Paraf_Langkah7Dokumentasi"]


def test_an_added_timer_and_its_path_are_marked_added() -> None:
    timer, end, flow = (
        "BatasWaktu_Langkah9_MenerimaProdukLayanan",
        "Terlambat_Langkah9_MenerimaProdukLayanan",
        "Flow_Terlambat_Langkah9_MenerimaProdukLayanan",
    )
    before = model(without(XML, timer, end, flow))
    diff = diff_models(before, OLD)
    data = diff.as_dict()
    assert data["timers"] == [
        {
            "kind": "added",
            "element": timer,
            "name": "10 menit",
            "old": None,
            "new": "PT10M",
            "task": "Langkah9_MenerimaProdukLayanan",
            "task_name": "Menerima Produk Layanan",
            "sop_step": 9,
        }
    ]
    assert [(c["kind"], c["element"]) for c in data["flows"]] == [("added", flow)]
    assert [(c["kind"], c["element"]) for c in data["gateways"]] == [("added", end)]
    assert diff.changed_elements() == {timer: "added", end: "added", flow: "added"}
    found = drawn(render_changes_svg(PTSP_BPMN.read_bytes(), diff))
    assert "change-added" in found[timer] and "change-added" in found[flow] and "change-added" in found[end]
    assert "change-" not in found["Langkah9_MenerimaProdukLayanan"]
    # the same diff the other way round removes them, and marks nothing
    back = diff_models(OLD, before)
    assert {c.kind for c in back.changes()} == {"removed"} and back.changed_elements() == {}


def test_a_task_moved_to_another_lane() -> None:
    step8 = "Langkah8_MenerimaProdukUntukDiserahkan"

    def move(root: etree._Element) -> None:
        ref = root.xpath("//bpmn:lane[@id='Lane_PTSP']/bpmn:flowNodeRef[text()=$id]", namespaces=NS, id=step8)[0]
        ref.getparent().remove(ref)
        by_id(root, "Lane_Kasi").append(ref)

    diff = diff_to(edit(XML, move))
    assert [(c.kind, c.element, c.old, c.new) for c in diff.changes()] == [("moved", step8, "PTSP", "Kasi")]
    assert diff.as_dict()["tasks"]["moved"][0]["sop_step"] == 8
    assert diff.describe() == [
        'Step 8 task "Menerima Produk Layanan untuk Diserahkan kepada Pemohon" '
        f"({step8}) moved from lane PTSP to lane Kasi."
    ]


def test_sop_step_gateway_name_and_flow_name_changes() -> None:
    def change(root: etree._Element) -> None:
        prop = root.xpath(
            "//bpmn:userTask[@id='Langkah9_MenerimaProdukLayanan']//camunda:property[@name='sop_step']", namespaces=NS
        )[0]
        prop.set("value", "10")
        by_id(root, "Gateway_BerkasLengkap").set("name", "Berkas sudah lengkap?")
        by_id(root, "Flow_BerkasLengkap").set("name", "Ya, lengkap")

    diff = diff_to(edit(XML, change))
    kinds = {(c.section, c.kind, c.element, c.old, c.new) for c in diff.changes()}
    assert kinds == {
        ("tasks", "sop_step", "Langkah9_MenerimaProdukLayanan", 9, 10),
        ("gateways", "renamed", "Gateway_BerkasLengkap", "Berkas lengkap?", "Berkas sudah lengkap?"),
        ("flows", "renamed", "Flow_BerkasLengkap", "Lengkap", "Ya, lengkap"),
    }


def test_a_retyped_field_a_required_flag_and_a_label() -> None:
    def change(root: etree._Element) -> None:
        field_el(root, "standar_layanan_dijelaskan").set("type", "string")
        catatan = field_el(root, "catatan_ptsp")
        catatan.set("label", "Catatan petugas")
        etree.SubElement(catatan.find("camunda:validation", NS), f"{{{NS['camunda']}}}constraint", name="required")

    diff = diff_to(edit(XML, change))
    got = [(c.kind, c.element, c.as_dict()["field"], c.old, c.new) for c in diff.forms]
    assert got == [
        ("retyped", STEP2_TASK, "standar_layanan_dijelaskan", "boolean", "string"),
        ("required", STEP2_TASK, "catatan_ptsp", False, True),
        ("label", STEP2_TASK, "catatan_ptsp", "Catatan petugas PTSP", "Catatan petugas"),
    ]
    assert len(diff) == 3 and diff.changed_elements() == {STEP2_TASK: "changed"}


def test_enum_options_added_removed_and_renamed() -> None:
    def change(root: etree._Element) -> None:
        field = field_el(root, "jenis_layanan")
        field.remove(field.xpath("camunda:value[@id='permohonan_rohaniwan']", namespaces=NS)[0])
        field.xpath("camunda:value[@id='legalisir_dokumen']", namespaces=NS)[0].set("name", "Legalisasi dokumen")
        etree.SubElement(field, f"{{{NS['camunda']}}}value", id="surat_keterangan_halal", name="Surat halal")

    diff = diff_to(edit(XML, change))
    got = {c.kind: (c.old, c.new, c.option) for c in diff.forms}
    assert got == {
        "options_added": (None, [{"id": "surat_keterangan_halal", "name": "Surat halal"}], None),
        "options_removed": ([{"id": "permohonan_rohaniwan", "name": "Permohonan rohaniwan"}], None, None),
        "options_renamed": ("Legalisir dokumen", "Legalisasi dokumen", "legalisir_dokumen"),
    }
    assert all(c.element == "Langkah1_MenanyakanPelayanan" and c.sop_step == 1 for c in diff.forms)


def test_a_condition_change_and_a_default_flow() -> None:
    def change(root: etree._Element) -> None:
        cond = root.xpath("//bpmn:sequenceFlow[@id='Flow_BerkasLengkap']/bpmn:conditionExpression", namespaces=NS)[0]
        cond.text = "${berkas_lengkap && jumlah_berkas > 0}"
        by_id(root, "Gateway_BerkasLengkap").set("default", "Flow_BerkasBelumLengkap")

    diff = diff_to(edit(XML, change))
    got = [(c.kind, c.element, c.old, c.new) for c in diff.flows]
    assert got == [  # in the diagram's order
        ("default", "Flow_BerkasBelumLengkap", False, True),
        ("condition", "Flow_BerkasLengkap", "${berkas_lengkap}", "${berkas_lengkap && jumlah_berkas > 0}"),
    ]
    assert diff.flows[1].as_dict()["source"] == "Gateway_BerkasLengkap"
    assert diff.changed_elements() == {"Flow_BerkasLengkap": "changed", "Flow_BerkasBelumLengkap": "changed"}


def test_a_start_form_field_is_a_start_form_change() -> None:
    def change(root: etree._Element) -> None:
        start = by_id(root, "Mulai_PemohonDatang")
        ext = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        form = etree.SubElement(ext, f"{{{NS['camunda']}}}formData")
        etree.SubElement(form, f"{{{NS['camunda']}}}formField", id="nik", label="NIK", type="string")
        start.insert(1, ext)  # after the documentation

    diff = diff_to(edit(XML, change))
    [c] = diff.forms
    assert (c.kind, c.element, c.start_form, c.field) == ("field_added", "Mulai_PemohonDatang", True, "nik")
    assert diff.describe() == [
        'Start form of "Pemohon datang ke PTSP" (Mulai_PemohonDatang): field "NIK" (nik) (string) added.'
    ]


def test_lanes_added_and_removed_are_matched_by_name_and_marked_by_id() -> None:
    fewer = replace(OLD, lanes=tuple(lane for lane in OLD.lanes if lane != "Kasi"))
    diff = diff_models(fewer, OLD)
    assert diff.as_dict()["lanes"] == {
        "added": [{"kind": "added", "element": "Kasi", "name": "Kasi", "old": None, "new": None}],
        "removed": [],
    }
    assert diff.changed_elements() == {}  # without knowing the lanes' shapes
    tree = load_definition(XML.encode()).tree
    assert diff.changed_elements(lane_ids(tree)) == {"Lane_Kasi": "added"}
    found = drawn(render_changes_svg(tree, diff))
    assert "change-added" in found["Lane_Kasi"] and found["Lane_PTSP"] == "lane"
    assert diff_models(OLD, fewer).describe() == ["Lane Kasi removed."]


# -- the marks on the diagram -----------------------------------------------------------------


def drawn(svg: str) -> dict[str, str]:
    root = etree.fromstring(svg.encode())
    return {g.get("data-element"): g.get("class") for g in root.iter(f"{SVG}g") if g.get("data-element")}


def titles(svg: str) -> dict[str, str]:
    root = etree.fromstring(svg.encode())
    return {
        g.get("data-element"): g.find(f"{SVG}title").text
        for g in root.iter(f"{SVG}g")
        if g.get("data-element") and g.find(f"{SVG}title") is not None
    }


def test_the_new_diagram_marks_what_changed_with_a_legend_and_tooltips() -> None:
    new = load_definition(standard_edit(XML).encode())
    diff = diff_models(OLD, new.model)
    svg = render_changes_svg(new, diff, title="ptsp v2", lang="en")
    found = drawn(svg)
    for element in (STEP2_TASK, STEP2_TIMER, STEP3_TASK):
        assert "change-changed" in found[element]
    assert sum("change-" in cls for cls in found.values()) == 3
    assert "Changed" in titles(svg)[STEP2_TASK] and "PT15M to PT20M" in titles(svg)[STEP2_TIMER]
    assert "Added" in svg and "Path taken" not in svg  # the change legend, not the instance one
    indonesian = render_changes_svg(new, diff)
    assert "Diubah" in titles(indonesian)[STEP2_TASK] and "PT20M" not in titles(indonesian)[STEP2_TIMER]
    # the same marks through render_svg, as a caller holding only the bytes would ask
    assert drawn(render_svg(new.xml, changes=diff.changed_elements())) == found
    # and the instance view is as it was
    assert not any("change-" in cls for cls in drawn(render_svg(new.xml)).values())
    assert "Path taken" in render_svg(new.xml, lang="en")


def test_names_from_the_diagram_are_escaped_in_marks_and_tooltips() -> None:
    hostile = 'Cek <script>alert("x")</script> & "berkas"'
    new_xml = modeler_edit(XML, rename=(STEP2_TASK, hostile), timer=(STEP2_TASK, "PT20M"))
    new = load_definition(new_xml.encode())
    diff = diff_models(OLD, new.model)
    assert diff.as_dict()["tasks"]["renamed"][0]["new"] == hostile
    for lang in ("en", "id"):
        svg = render_changes_svg(new, diff, title='<b>"v2"</b>', lang=lang)
        assert "<script>" not in svg and "<b>" not in svg
        assert "&lt;script&gt;" in svg
        assert hostile in titles(svg)[STEP2_TASK]  # parsed back: escaped, not lost
        assert "change-changed" in drawn(svg)[STEP2_TASK]


def test_unknown_marks_and_notes_for_missing_elements_are_ignored() -> None:
    svg = render_svg(
        PTSP_BPMN.read_bytes(),
        changes={"Not_There": "added", STEP2_TASK: 'bogus" onload="x'},
        notes={"Not_There": ["x"]},
    )
    found = drawn(svg)
    assert "Not_There" not in found and "change-" not in found[STEP2_TASK] and "onload" not in svg
