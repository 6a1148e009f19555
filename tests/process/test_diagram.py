"""processes/ptsp.bpmn models the SOP as the issue and DOMAIN.md describe it."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.calendar import Duration
from engine.definitions import load_definition

from ..conftest import PTSP_BPMN
from .geometry import NS, check, load

LANES = ("Pemohon", "PTSP", "Kepala Kantor", "Kasubag", "Kasi")
# SOP step -> (SOP wording, lane, standard) from DOMAIN.md
SOP = {
    1: ("Menanyakan Pelayanan", "Pemohon", "PT15M"),
    2: ("Menjelaskan Jenis dan Standar Layanan", "PTSP", "PT15M"),
    3: ("Menyerahkan Berkas Permohonan Layanan", "Pemohon", "PT15M"),
    4: ("Memeriksa Kelengkapan Berkas", "PTSP", "PT15M"),
    5: ("Mendisposisikan kepada Kasubag untuk Ditindaklanjuti", "Kepala Kantor", "PT15M"),
    6: ("Mendisposisikan kepada Kasi untuk Tindak Lanjut", "Kasubag", "PT15M"),
    7: ("Memproses Layanan dan Menyerahkan kepada Pimpinan", "Kasi", "P1D"),
    8: ("Menerima Produk Layanan untuk Diserahkan kepada Pemohon", "PTSP", "PT15M"),
    9: ("Menerima Produk Layanan", "Pemohon", "PT10M"),
}
DOCUMENTS = {"Dokumen Permohonan", "Berkas Permohonan", "Draft Produk", "Hasil Produk", "Produk Tertandatangani"}


@pytest.fixture(scope="module")
def model():
    return load_definition(PTSP_BPMN.read_bytes()).model


@pytest.fixture(scope="module")
def root():
    return etree.parse(str(PTSP_BPMN)).getroot()


def test_one_pool_one_executable_process_five_named_lanes(model, root) -> None:
    participants = root.findall(".//bpmn:collaboration/bpmn:participant", NS)
    assert len(participants) == 1 and participants[0].get("processRef") == model.process_id
    assert participants[0].get("name")
    assert model.lanes == LANES


def test_the_nine_sop_steps_are_user_tasks_in_their_lanes(model) -> None:
    by_step: dict[int, list] = {}
    for task in model.tasks.values():
        assert model.nodes[task.id].kind == "userTask"
        by_step.setdefault(task.sop_step, []).append(task)
    assert sorted(by_step) == list(range(1, 10))
    for step, (wording, lane, _standard) in SOP.items():
        assert any(t.name == wording and t.lane == lane for t in by_step[step]), step


def test_step_seven_signature_is_the_heads_own_task(model) -> None:
    step7 = sorted((t for t in model.tasks.values() if t.sop_step == 7), key=lambda t: t.id)
    lanes = {t.name: t.lane for t in step7}
    assert lanes["Memberi Paraf dan Tanda Tangan"] == "Kepala Kantor"
    assert lanes["Memproses Layanan dan Menyerahkan kepada Pimpinan"] == "Kasi"
    assert lanes["Mendokumentasikan Hasil Produk"] == "Kasi"


def test_every_activity_has_a_non_interrupting_timer_with_its_standard(model) -> None:
    for task in model.tasks.values():
        assert len(task.timers) == 1, task.id
        timer = model.timers[task.timers[0]]
        assert timer.kind == "duration" and not timer.interrupting
        assert timer.expression == SOP[task.sop_step][2]
        Duration.parse(timer.expression)
        # the breach path ends by itself in its own end event
        [flow] = [f for f in model.flows.values() if f.source == timer.id]
        assert model.nodes[flow.target].kind == "endEvent"
        assert not [f for f in model.flows.values() if f.source == flow.target]


def test_every_task_documents_its_mutu_baku(model) -> None:
    for task in model.tasks.values():
        assert task.mutu_baku.persyaratan and task.mutu_baku.waktu and task.mutu_baku.output, task.id


def test_incomplete_file_loop_on_berkas_lengkap(model) -> None:
    decide = [n for n in model.nodes.values() if n.kind == "exclusiveGateway" and n.name == "Berkas lengkap?"]
    assert len(decide) == 1
    outs = {f.condition: f for f in model.flows.values() if f.source == decide[0].id}
    assert set(outs) == {"${berkas_lengkap}", "${!berkas_lengkap}"}
    assert model.tasks[outs["${berkas_lengkap}"].target].sop_step == 5
    back = model.tasks[outs["${!berkas_lengkap}"].target]
    assert back.lane == "Pemohon"
    # the completed file returns to step 4 through a merging gateway
    [merge_flow] = [f for f in model.flows.values() if f.source == back.id]
    merge = model.nodes[merge_flow.target]
    assert merge.kind == "exclusiveGateway"
    [to_step4] = [f for f in model.flows.values() if f.source == merge.id]
    assert model.tasks[to_step4.target].sop_step == 4
    checker = model.tasks[to_step4.target]
    assert any(f.id == "berkas_lengkap" and f.type == "boolean" and f.required for f in checker.form.fields)


def test_documents_are_data_objects_linked_to_their_steps(model) -> None:
    assert set(model.data_objects.values()) == DOCUMENTS
    name = model.data_objects
    produced = {name[o] for t in model.tasks.values() for o in t.outputs}
    needed = {name[i] for t in model.tasks.values() for i in t.inputs}
    assert produced == DOCUMENTS
    assert needed == DOCUMENTS
    step = {t.sop_step: t for t in model.tasks.values() if t.sop_step in (1, 2, 6, 8, 9)}
    assert name[step[1].outputs[0]] == "Dokumen Permohonan"
    assert "Dokumen Permohonan" in {name[i] for i in step[2].inputs}
    assert name[step[6].outputs[0]] == "Draft Produk"
    assert name[step[8].outputs[0]] == "Produk Tertandatangani"


def test_forms_are_typed_with_indonesian_labels(model) -> None:
    for task in model.tasks.values():
        assert task.form.fields, task.id
        for field in task.form.fields:
            assert field.label and field.label != field.id
    step1 = next(t for t in model.tasks.values() if t.sop_step == 1)
    service = step1.form.field("jenis_layanan")
    assert service.type == "enum" and service.required and len(service.enum) >= 10


def test_conditions_and_timers_are_written_as_a_modeler_writes_them(root) -> None:
    for cond in root.iterfind(".//bpmn:conditionExpression", NS):
        assert cond.text.startswith("${") and "'" not in cond.text
    for duration in root.iterfind(".//bpmn:timeDuration", NS):
        assert duration.text in ("PT15M", "P1D", "PT10M")


def test_every_element_has_diagram_interchange() -> None:
    root, _elements, shapes, _labels, edges = load(PTSP_BPMN)
    for el in root.iter():
        if not isinstance(el.tag, str) or el.get("id") is None:
            continue
        kind = etree.QName(el).localname
        if kind in (
            "participant",
            "lane",
            "userTask",
            "startEvent",
            "endEvent",
            "exclusiveGateway",
            "boundaryEvent",
            "dataObjectReference",
            "group",
        ):
            assert el.get("id") in shapes, el.get("id")
        if kind in ("sequenceFlow", "dataInputAssociation", "dataOutputAssociation"):
            assert el.get("id") in edges, el.get("id")


def test_layout_is_clean() -> None:
    assert check(PTSP_BPMN) == []


def test_layout_reads_left_to_right_like_the_sop_table(model) -> None:
    _root, _elements, shapes, _labels, _edges = load(PTSP_BPMN)
    order = [t for t in model.tasks.values() if t.id != "Langkah3_MelengkapiBerkasPermohonan"]
    xs = [(t.sop_step, shapes[t.id][0]) for t in order]
    assert [x for _s, x in sorted(xs)] == sorted(x for _s, x in xs)


def test_geometry_checker_finds_an_overlap(tmp_path) -> None:
    text = PTSP_BPMN.read_text(encoding="utf-8")
    moved = text.replace('<dc:Bounds x="320" y="130"', '<dc:Bounds x="530" y="410"', 1)
    assert moved != text
    path = tmp_path / "moved.bpmn"
    path.write_text(moved, encoding="utf-8")
    assert any("overlap" in p or "crosses" in p for p in check(path))
