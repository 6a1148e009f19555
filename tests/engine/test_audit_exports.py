"""Audit exports: CSV, JSON Lines and XES streamed from event rows.

The rows are built here (three applications: one completed with a returned
file, a rework loop, an SLA breach and two gateway decisions; one cancelled;
one still open), with the kinds of text an export meets in the wild: quotes,
markup, newlines, spreadsheet formulas, control characters and non-ASCII.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import engine.audit.exports as exports
from engine.audit.exports import CHUNK_SIZE, FIELDS, FORMATS, csv_chunks, jsonl_chunks, xes_chunks

XSD = Path(exports.__file__).with_name("xes-ieee-1849-2016.xsd")
XES_NS = "http://www.xes-standard.org/"
NS = "{" + XES_NS + "}"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 WIB
WIB_OFFSET = timedelta(hours=7)
MiB = 1024 * 1024

FORMULA = "=cmd|' /C calc'!A0"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NASTY_SERVICE = 'Izin "Operasional" <MDT> & TPQ\nbaris kedua'
NASTY_REASON = FORMULA + '\r\nDibatalkan atas permintaan "pemohon" <segera> & cepat'
# \x01, \x0b and \x1f are not allowed anywhere in XML 1.0; \x7f and the tab are.
CONTROL_TASK = "Tab\tdan\x01kontrol\x0b\x1f\x7fselesai"
CONTROL_TASK_IN_XML = "Tab\tdan" + "kontrol\x7fselesai"
INDONESIAN_SERVICE = "Pengukuran Arah Kiblat — Masjid Al-Ikhlāṣ"
INDONESIAN_TASK = "Memeriksa “berkas” ✓ dan ق"


class Application:
    """Builds one instance's event rows as the store would return them."""

    def __init__(self, instance_id: int, registration: str, service: str | None) -> None:
        self.instance_id = instance_id
        self.registration = registration
        self.service = service
        self.rows: list[dict[str, Any]] = []
        self.task_number = 0

    def add(self, kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
        seq = len(self.rows) + 1
        row = {
            "instance_id": self.instance_id,
            "registration": self.registration,
            "service": self.service,
            "process": "ptsp",
            "version": 1,
            "seq": seq,
            "type": kind,
            "at": at,
            "actor": fields.get("actor"),
            "task_id": fields.get("task_id"),
            "task_name": fields.get("task_name"),
            "lane": fields.get("lane"),
            "data": fields.get("data", {}),
            "hash": hashlib.sha256(f"{self.instance_id}:{seq}".encode()).hexdigest(),
        }
        self.rows.append(row)
        return row

    def step(
        self, name: str, lane: str, sop_step: int, ready: datetime, done: datetime | None, actor: str, form: dict
    ) -> str:
        self.task_number += 1
        task_id = f"task-{self.instance_id}-{self.task_number}"
        common = {"task_id": task_id, "task_name": name, "lane": lane}
        self.add("task_ready", ready, data={"sop_step": sop_step, "standard": "PT15M"}, **common)
        if done is not None:
            self.add("task_completed", done, actor=actor, data={"sop_step": sop_step, "form": form}, **common)
        return task_id

    def gateway(self, at: datetime, flow_name: str) -> None:
        data = {
            "gateway": "Gateway_BerkasLengkap",
            "gateway_name": "Berkas lengkap?",
            "taken": [{"flow_name": flow_name}],
        }
        self.add("gateway_decided", at, task_name="Berkas lengkap?", lane="PTSP", data=data)


def applications() -> list[Application]:
    minutes = [T0 + timedelta(minutes=m, microseconds=123456) for m in range(0, 400, 5)]

    done = Application(1, "PTSP/2026/000001", "Rekomendasi Mutasi Siswa")
    done.add("instance_started", minutes[0], actor="warga", lane="Pemohon", data={"form": {}})
    done.step("Menyerahkan Berkas Permohonan Layanan", "Pemohon", 3, minutes[0], minutes[1], "warga", {})
    done.step("Memeriksa Kelengkapan Berkas", "PTSP", 4, minutes[1], minutes[2], "ptsp", {"berkas_lengkap": False})
    done.gateway(minutes[2], "Belum lengkap")
    late = done.step("Melengkapi Berkas Permohonan", "Pemohon", 3, minutes[2], None, "warga", {})
    done.add(
        "sla_breached",
        minutes[6],
        task_id=late,
        task_name="Melengkapi Berkas Permohonan",
        lane="Pemohon",
        data={"sop_step": 3, "due_at": minutes[5].isoformat()},
    )
    done.add(
        "task_completed",
        minutes[7],
        actor="warga",
        task_id=late,
        task_name="Melengkapi Berkas Permohonan",
        lane="Pemohon",
        data={"sop_step": 3, "form": {"berkas_dilengkapi": "Rapor"}},
    )
    done.step("Memeriksa Kelengkapan Berkas", "PTSP", 4, minutes[7], minutes[8], "ptsp", {"berkas_lengkap": True})
    done.gateway(minutes[8], "Lengkap")
    done.add("instance_completed", minutes[9])

    cancelled = Application(2, "PTSP/2026/000002", NASTY_SERVICE)
    cancelled.add("instance_started", minutes[10], actor="-warga2", lane="Pemohon", data={"form": {"x": FORMULA}})
    cancelled.step("@SUM(1+1)*" + FORMULA, "PTSP", 2, minutes[10], minutes[11], "+6281234", {"catatan": "<&>\"'"})
    cancelled.step("\tdimulai tab", "PTSP", 2, minutes[11], minutes[12], "ptsp", {})
    cancelled.step("\rdimulai CR", "PTSP", 2, minutes[12], minutes[13], "ptsp", {})
    cancelled.step(CONTROL_TASK, "Kasi", 7, minutes[13], None, "kasi", {})
    cancelled.add("instance_cancelled", minutes[14], actor="ptsp", lane="PTSP", data={"reason": NASTY_REASON})

    open_ = Application(3, "PTSP/2026/000003", INDONESIAN_SERVICE)
    open_.add("instance_started", minutes[15], actor="siti.aminah", lane="Pemohon", data={})
    open_.step(
        INDONESIAN_TASK, "PTSP", 4, minutes[15], minutes[16], "siti.aminah", {"catatan": "Café ñ 日本\u2028baris\u0085"}
    )
    open_.step("Mendisposisikan kepada Kasubag", "Kepala Kantor", 5, minutes[16], None, "kepala", {})
    return [done, cancelled, open_]


def all_rows() -> list[dict[str, Any]]:
    return [row for app in applications() for row in app.rows]


def synthetic_rows(count: int) -> Iterator[dict[str, Any]]:
    """``count`` realistic rows made one at a time: 20 events per application."""
    kinds = ("task_ready", "task_completed", "gateway_decided", "sla_breached")
    for i in range(count):
        instance, seq = divmod(i, 20)
        kind = "instance_started" if seq == 0 else kinds[seq % 4]
        yield {
            "instance_id": instance + 1,
            "registration": f"PTSP/2026/{instance + 1:06d}",
            "service": "Rekomendasi Mutasi Siswa",
            "process": "ptsp",
            "version": 1,
            "seq": seq + 1,
            "type": kind,
            "at": T0 + timedelta(seconds=i),
            "actor": "ptsp" if kind == "task_completed" else None,
            "task_id": f"5f0c9a1e-{i:012d}",
            "task_name": "Memeriksa Kelengkapan Berkas",
            "lane": "PTSP",
            "data": {
                "element": "Langkah4_MemeriksaKelengkapanBerkas",
                "sop_step": 4,
                "form": {"berkas_lengkap": True, "catatan_pemeriksaan": f"Berkas nomor {i} lengkap"},
            },
            "hash": hashlib.sha256(str(i).encode()).hexdigest(),
        }


def text(chunks: Iterator[str]) -> str:
    return "".join(chunks)


# ---------------------------------------------------------------- CSV


def csv_rows(document: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(document, newline="")))


def test_csv_parses_back_to_the_rows() -> None:
    rows = all_rows()
    document = text(csv_chunks(iter(rows)))
    parsed = csv_rows(document)

    assert document.startswith(",".join(FIELDS) + "\r\n")
    assert len(parsed) == len(rows)
    for row, cell in zip(rows, parsed, strict=True):
        assert list(cell) == list(FIELDS)
        for name in ("instance_id", "version", "seq"):
            assert cell[name] == str(row[name])
        assert cell["sop_step"] == str(row["data"].get("sop_step", ""))
        at, at_wib = datetime.fromisoformat(cell["at"]), datetime.fromisoformat(cell["at_wib"])
        assert at == row["at"] and at.utcoffset() == timedelta(0)
        assert at_wib == row["at"] and at_wib.utcoffset() == WIB_OFFSET
        assert cell["data"] == json.dumps(row["data"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        for name in ("registration", "service", "process", "type", "actor", "task_id", "task_name", "lane", "hash"):
            value = row[name] or ""
            expected = "'" + value if value.startswith(FORMULA_START) else value
            assert cell[name] == expected, name


def test_csv_neutralizes_formulas_in_text_cells_only() -> None:
    parsed = csv_rows(text(csv_chunks(iter(all_rows()))))
    cancelled = [cell for cell in parsed if cell["instance_id"] == "2"]

    assert cancelled[0]["actor"] == "'-warga2"
    assert cancelled[1]["task_name"] == "'@SUM(1+1)*" + FORMULA
    assert cancelled[2]["actor"] == "'+6281234"
    assert {cell["task_name"] for cell in cancelled} >= {"'\tdimulai tab", "'\rdimulai CR"}
    assert cancelled[1]["service"] == NASTY_SERVICE  # quotes, markup and the newline survive
    for cell in parsed:
        for name, value in cell.items():
            assert not value.startswith(FORMULA_START), (name, value)


def test_csv_numeric_columns_are_never_prefixed() -> None:
    row = all_rows()[0] | {"version": -1, "data": {"sop_step": -3}}
    (cell,) = csv_rows(text(csv_chunks([row])))

    assert cell["version"] == "-1"
    assert cell["sop_step"] == "-3"


def test_csv_byte_order_mark_only_on_request() -> None:
    assert not text(csv_chunks([])).startswith("\ufeff")
    assert text(csv_chunks([], bom=True)) == "\ufeff" + ",".join(FIELDS) + "\r\n"


# ---------------------------------------------------------------- JSON Lines


def test_jsonl_one_object_per_line() -> None:
    rows = all_rows()
    document = text(jsonl_chunks(iter(rows)))

    assert document.endswith("\n")
    # U+2028 and U+0085 in the data would split a line for str.splitlines()
    assert len(document.splitlines()) == len(rows)
    for row, line in zip(rows, document.split("\n")[:-1], strict=True):
        record = json.loads(line)
        assert list(record) == list(FIELDS)
        for name in ("instance_id", "registration", "service", "process", "version", "seq", "type", "hash"):
            assert record[name] == row[name]
        for name in ("actor", "task_id", "task_name", "lane"):
            assert record[name] == row[name]  # no spreadsheet guard outside CSV
        assert record["data"] == row["data"]
        assert record["sop_step"] == row["data"].get("sop_step")
        at = datetime.fromisoformat(record["at"])
        assert at == row["at"] and at.utcoffset() == timedelta(0)
        assert datetime.fromisoformat(record["at_wib"]).utcoffset() == WIB_OFFSET


def test_naive_times_are_read_as_utc() -> None:
    row = all_rows()[0]
    naive = row | {"at": row["at"].replace(tzinfo=None)}
    assert text(jsonl_chunks([naive])) == text(jsonl_chunks([row]))
    assert text(xes_chunks([naive])) == text(xes_chunks([row]))


# ---------------------------------------------------------------- XES


@pytest.fixture(scope="module")
def xes_schema() -> etree.XMLSchema:
    # The official schema has no target namespace; a chameleon include puts
    # its declarations into the XES namespace that XES documents declare.
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="{XES_NS}" elementFormDefault="qualified">'
        f'<xs:include schemaLocation="{XSD.as_uri()}"/></xs:schema>'
    )
    return etree.XMLSchema(etree.fromstring(wrapper))


def assert_valid(schema: etree.XMLSchema, document: str) -> etree._Element:
    root = etree.fromstring(document.encode("utf-8"))
    assert schema.validate(root), schema.error_log
    # and the schema file as it is accepts the same log without the namespace
    plain = etree.fromstring(document.replace(f' xmlns="{XES_NS}"', "", 1).encode("utf-8"))
    official = etree.XMLSchema(etree.parse(str(XSD)))
    assert official.validate(plain), official.error_log
    return root


def attributes(element: etree._Element) -> dict[str, str]:
    return {child.get("key"): child.get("value") for child in element if child.tag != NS + "event"}


def types(element: etree._Element) -> dict[str, str]:
    return {child.get("key"): etree.QName(child).localname for child in element if child.tag != NS + "event"}


def test_the_schema_check_can_fail(xes_schema: etree.XMLSchema) -> None:
    bad = [
        f'<log xmlns="{XES_NS}" xes.version="1849-2016"/>',
        f'<log xmlns="{XES_NS}" xes.version="1.0"><classifier name="Activity classifier" keys="concept:name"/></log>',
        f'<log xmlns="{XES_NS}" xes.version="1.0"><trace><date key="time:timestamp" value="2026-11-23 09:00"/>'
        "</trace></log>",
        f'<log xmlns="{XES_NS}" xes.version="1.0"><trace><event><note/></event></trace></log>',
    ]
    for document in bad:
        assert not xes_schema.validate(etree.fromstring(document)), document
    assert xes_schema.validate(etree.fromstring(f'<log xmlns="{XES_NS}" xes.version="1849.2016"/>'))


def test_xes_is_a_valid_log_with_one_trace_per_application(xes_schema: etree.XMLSchema) -> None:
    apps = applications()
    root = assert_valid(xes_schema, text(xes_chunks(row for app in apps for row in app.rows)))

    assert root.tag == NS + "log"
    assert root.get("xes.version") == "1849.2016"
    extensions = {e.get("prefix"): e.get("uri") for e in root.iter(NS + "extension")}
    assert extensions == {
        "concept": "http://www.xes-standard.org/concept.xesext",
        "time": "http://www.xes-standard.org/time.xesext",
        "lifecycle": "http://www.xes-standard.org/lifecycle.xesext",
        "org": "http://www.xes-standard.org/org.xesext",
    }
    globals_ = {g.get("scope"): attributes(g) for g in root.iter(NS + "global")}
    assert set(globals_["trace"]) == {"concept:name"}
    assert {"concept:name", "time:timestamp", "lifecycle:transition", "org:resource"} <= set(globals_["event"])
    for classifier in root.iter(NS + "classifier"):
        assert set(classifier.get("keys").split()) <= set(globals_["event"])

    traces = root.findall(NS + "trace")
    assert len(traces) == len(apps)
    for app, trace in zip(apps, traces, strict=True):
        assert attributes(trace) == {
            "concept:name": app.registration,
            "service": app.service,
            "process": "ptsp",
            "version": "1",
        }
        events = trace.findall(NS + "event")
        assert [int(attributes(e)["seq"]) for e in events] == [row["seq"] for row in app.rows]
        assert [attributes(e)["hash"] for e in events] == [row["hash"] for row in app.rows]


LIFECYCLE = {
    "instance_started": "complete",
    "task_ready": "start",
    "task_completed": "complete",
    "gateway_decided": "complete",
    "sla_breached": "unknown",
    "instance_completed": "complete",
    "instance_cancelled": "pi_abort",
}
FIXED_NAMES = {
    "instance_started": "Permohonan diajukan",
    "instance_completed": "Permohonan selesai",
    "instance_cancelled": "Permohonan dibatalkan",
    "gateway_decided": "Berkas lengkap?",
}


def test_xes_events_carry_name_time_lifecycle_and_resource(xes_schema: etree.XMLSchema) -> None:
    rows = all_rows()
    root = assert_valid(xes_schema, text(xes_chunks(iter(rows))))
    events = list(root.iter(NS + "event"))

    assert len(events) == len(rows)
    for row, event in zip(rows, events, strict=True):
        attrs, kinds = attributes(event), types(event)
        name = FIXED_NAMES.get(row["type"], row["task_name"])
        if row["task_name"] == CONTROL_TASK:
            name = CONTROL_TASK_IN_XML
        assert attrs["concept:name"] == name
        assert attrs["lifecycle:transition"] == LIFECYCLE[row["type"]]
        assert attrs["org:resource"] == (row["actor"] or "sistem")
        assert attrs.get("org:role") == row["lane"]
        assert attrs.get("concept:instance") == row["task_id"]
        assert attrs["type"] == row["type"]
        moment = datetime.fromisoformat(attrs["time:timestamp"])
        assert moment.utcoffset() is not None
        assert moment == row["at"].replace(microsecond=row["at"].microsecond // 1000 * 1000)
        assert kinds["time:timestamp"] == "date"
        assert kinds["seq"] == "int"
        if "sop_step" in row["data"]:
            assert (kinds["sop_step"], attrs["sop_step"]) == ("int", str(row["data"]["sop_step"]))
        else:
            assert "sop_step" not in attrs
        assert (attrs.get("sla") == "breached") == (row["type"] == "sla_breached")

    extras = [(row["type"], attributes(event)) for row, event in zip(rows, events, strict=True)]
    assert [a["reason"] for kind, a in extras if kind == "instance_cancelled"] == [NASTY_REASON]  # CR LF " < & kept
    assert [a["decision"] for kind, a in extras if kind == "gateway_decided"] == ["Belum lengkap", "Lengkap"]


def test_xes_pairs_each_start_with_its_complete() -> None:
    root = etree.fromstring(text(xes_chunks(all_rows())).encode())
    trace = root.find(NS + "trace")
    lifecycle: dict[str, list[str]] = {}
    for event in trace.iter(NS + "event"):
        attrs = attributes(event)
        if "concept:instance" in attrs:
            lifecycle.setdefault(attrs["concept:instance"], []).append(attrs["lifecycle:transition"])

    # the file checked twice is two activity instances; the breach sits inside its step
    assert list(lifecycle.values()) == [
        ["start", "complete"],
        ["start", "complete"],
        ["start", "unknown", "complete"],
        ["start", "complete"],
    ]


def test_xes_of_nothing_is_an_empty_valid_log(xes_schema: etree.XMLSchema) -> None:
    root = assert_valid(xes_schema, text(xes_chunks(iter(()))))
    assert root.findall(NS + "trace") == []


def test_xes_drops_characters_xml_cannot_carry(xes_schema: etree.XMLSchema) -> None:
    row = all_rows()[1] | {"task_name": "a\x00b\ud800c\ufffed\x08e", "actor": "\x1b[31mmerah"}
    root = assert_valid(xes_schema, text(xes_chunks([row])))
    attrs = attributes(root.find(f"{NS}trace/{NS}event"))
    assert attrs["concept:name"] == "abcde"
    assert attrs["org:resource"] == "[31mmerah"


def test_xes_refuses_rows_out_of_order() -> None:
    rows = applications()[0].rows
    with pytest.raises(ValueError, match="instance 1 has seq 2 after 3"):
        text(xes_chunks([rows[0], rows[2], rows[1]]))


# ---------------------------------------------------------------- streaming


def test_registry_names_media_type_and_extension() -> None:
    assert {name: (f.media_type, f.extension) for name, f in FORMATS.items()} == {
        "csv": ("text/csv", "csv"),
        "jsonl": ("application/x-ndjson", "jsonl"),
        "xes": ("application/xml", "xes"),
    }
    assert FORMATS["xes"].filename("audit-2026-11") == "audit-2026-11.xes"
    assert (FORMATS["csv"].chunks, FORMATS["jsonl"].chunks, FORMATS["xes"].chunks) == (
        csv_chunks,
        jsonl_chunks,
        xes_chunks,
    )


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_output_comes_out_before_the_input_ends(name: str) -> None:
    consumed = 0
    limit = 50_000

    def source() -> Iterator[dict[str, Any]]:
        nonlocal consumed
        for row in synthetic_rows(limit):
            consumed += 1
            yield row
        raise AssertionError("the exporter read the whole input before writing")

    chunks = FORMATS[name].chunks(source())
    assert consumed == 0  # nothing happens until the first chunk is asked for
    written = 0
    while written < 3 * CHUNK_SIZE:
        written += len(next(chunks))
    assert consumed < 2_000


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_rows_are_batched_into_chunks(name: str) -> None:
    chunks = list(FORMATS[name].chunks(synthetic_rows(5_000)))
    body = chunks[1:-1]  # the header and the tail may be short

    assert len(chunks) < 5_000 / 50
    assert body and all(len(chunk) >= CHUNK_SIZE for chunk in body)
    assert all(len(chunk) < CHUNK_SIZE + 4096 for chunk in chunks)


def peak_memory(consume: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def drain(chunks: Iterator[str]) -> int:
    return sum(len(chunk) for chunk in chunks)


# Streaming holds one row and one chunk: about 0.2 to 0.6 MiB measured, the
# same for 5,000 and 50,000 rows. Materializing ROWS rows or their output
# takes well over the bound (checked below). Tracing every allocation slows
# Python down several times, so the suite uses 20,000 rows, not millions.
ROWS = 20_000
BOUND = 2 * MiB


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_memory_stays_flat(name: str) -> None:
    produce = FORMATS[name].chunks
    written = 0

    def consume() -> None:
        nonlocal written
        written = drain(produce(synthetic_rows(ROWS)))

    peak = peak_memory(consume)
    small = peak_memory(lambda: drain(produce(synthetic_rows(ROWS // 10))))

    assert written > 3 * BOUND
    assert peak < BOUND, f"{name}: peak {peak / MiB:.2f} MiB"
    assert peak < small + 256 * 1024, (
        f"{name}: {small / MiB:.2f} MiB for {ROWS // 10} rows, {peak / MiB:.2f} for {ROWS}"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "cheat",
    [
        pytest.param(lambda: "".join(xes_chunks(synthetic_rows(ROWS))), id="joined-output"),
        pytest.param(lambda: drain(xes_chunks(list(synthetic_rows(ROWS)))), id="listed-input"),
    ],
)
def test_the_memory_bound_catches_materializing(cheat: Callable[[], object]) -> None:
    assert peak_memory(cheat) > BOUND
