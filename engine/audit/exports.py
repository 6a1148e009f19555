"""Audit exports: the event log streamed as CSV, JSON Lines or XES.

Each exporter takes an iterable of event rows ordered by instance, then by
``seq`` (a database cursor over millions of rows is the expected input), and
yields ``str`` chunks of about ``CHUNK_SIZE`` characters, so a Flask
``Response`` and a CLI can stream the same generator. Nothing here reads the
database or holds more than one event plus one output chunk: the input is
never materialized. ``FORMATS`` names each format's media type and file
extension for the download.

A row is a mapping with ``instance_id``, ``registration``, ``service``,
``process``, ``version``, ``seq``, ``type``, ``at`` (UTC datetime; a naive one
is taken as UTC, as SQLite returns it), ``actor``, ``task_id``, ``task_name``,
``lane``, ``data`` (dict) and ``hash``.

JSON Lines carries every field losslessly (``at`` with microseconds, ``data``
in full), so an instance's hash chain can be recomputed from it (each event's
``prev_hash`` is the hash on the line before, GENESIS for ``seq`` 1). CSV
carries the same, except that text cells a spreadsheet would run as a formula
get a leading apostrophe. XES is for process-mining tools (ProM, pm4py, Disco)
and keeps what they analyse:

* One ``<trace>`` per application (``concept:name`` = its registration number)
  and one ``<event>`` per audit event.
* Step durations are what the office measures against the SOP's time standard,
  so a task's ``task_ready`` is written as lifecycle ``start`` and its
  ``task_completed`` as ``complete``: the SLA clock also runs from the moment
  the step is handed over, so waiting time is part of the step. Both carry
  ``concept:instance`` = the task id, which is how pm4py's
  ``interval_lifecycle.to_interval`` pairs a start with its complete when a
  step is repeated (a file returned as incomplete is checked twice).
* ``sla_breached`` keeps the task's name but gets lifecycle ``unknown`` plus
  ``sla="breached"``. Giving it ``complete`` would end the step early in every
  duration analysis, and giving it its own activity name would add a fake step
  to every discovered model; ``unknown`` is the standard lifecycle model's value
  for a transition outside the model, which pm4py's interval conversion and a
  ``complete``-only filter leave out, while the breach stays findable by
  ``sla`` or ``type``.
* ``instance_cancelled`` is ``pi_abort`` (the process instance was aborted);
  every other event is an instantaneous ``complete``.
* ``org:resource`` is the actor's login, or ``sistem`` for what the engine did
  itself (a task becoming ready, a gateway, a timer); ``org:role`` is the lane.
* Timestamps are written in WIB (+07:00) with millisecond precision: the same
  instant as UTC for any tool that reads offsets, and the office's wall-clock
  time for one that ignores them; milliseconds are what OpenXES (ProM) writes.
* ``xes.version`` is ``1849.2016``: the IEEE 1849-2016 schema types it as
  ``xs:decimal``, so the ``1849-2016`` some tools write does not validate.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ..calendar import WIB

Row = Mapping[str, Any]

# Big enough that a streamed response is a few hundred writes per million
# events rather than a million, small enough to stay invisible in memory.
CHUNK_SIZE = 64 * 1024

FIELDS = (
    "instance_id",
    "registration",
    "service",
    "process",
    "version",
    "seq",
    "type",
    "at",
    "at_wib",
    "actor",
    "task_id",
    "task_name",
    "lane",
    "sop_step",
    "data",
    "hash",
)

SYSTEM_RESOURCE = "sistem"


# ---------------------------------------------------------------- shared


def _moment(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # stored UTC without an offset (SQLite)
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _sop_step(data: Any) -> Any:
    return data.get("sop_step") if isinstance(data, Mapping) else None


def _record(row: Row) -> dict[str, Any]:
    """The exported fields of one row, in ``FIELDS`` order, as plain values."""
    at = _moment(row["at"])
    data = row.get("data") or {}
    return {
        "instance_id": row["instance_id"],
        "registration": row.get("registration"),
        "service": row.get("service"),
        "process": row.get("process"),
        "version": row.get("version"),
        "seq": row["seq"],
        "type": row["type"],
        "at": at.isoformat(timespec="microseconds"),
        "at_wib": at.astimezone(WIB).isoformat(timespec="microseconds"),
        "actor": row.get("actor"),
        "task_id": row.get("task_id"),
        "task_name": row.get("task_name"),
        "lane": row.get("lane"),
        "sop_step": _sop_step(data),
        "data": data,
        "hash": row.get("hash"),
    }


def _batched(pieces: Iterable[str], size: int) -> Iterator[str]:
    buffer: list[str] = []
    filled = 0
    for piece in pieces:
        buffer.append(piece)
        filled += len(piece)
        if filled >= size:
            yield "".join(buffer)
            buffer = []
            filled = 0
    if buffer:
        yield "".join(buffer)


# ---------------------------------------------------------------- CSV

# A spreadsheet (Excel, LibreOffice, Google Sheets) runs a cell that begins
# with one of these as a formula, so a login, a service label or a task name
# such as "=cmd|' /C calc'!A0" would execute when an auditor opens the export
# (OWASP "CSV injection"). A leading apostrophe makes it display as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# Text cells (what users, modelers or administrators typed, and the JSON of
# the data) get the apostrophe; numeric columns never do: they are ints we
# produced, a negative number there is data rather than a formula, and a
# prefix would turn it into text. The timestamps are ours and begin with a
# digit.
def _text_cell(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _number_cell(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _text_cell(value)  # not one of ours: treat it as the text it is


# One encoder for every row: json.dumps with options builds a new one per call.
_csv_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


def _csv_row(row: Row) -> tuple[Any, ...]:
    at = _moment(row["at"])
    data = row.get("data") or {}
    text = _text_cell
    return (
        _number_cell(row["instance_id"]),
        text(row.get("registration")),
        text(row.get("service")),
        text(row.get("process")),
        _number_cell(row.get("version")),
        _number_cell(row["seq"]),
        text(row["type"]),
        at.isoformat(timespec="microseconds"),
        at.astimezone(WIB).isoformat(timespec="microseconds"),
        text(row.get("actor")),
        text(row.get("task_id")),
        text(row.get("task_name")),
        text(row.get("lane")),
        _number_cell(_sop_step(data)),
        text(_csv_json(data)),
        text(row.get("hash")),
    )


def csv_chunks(rows: Iterable[Row], *, bom: bool = False, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The events as RFC 4180 CSV (header first, CRLF line ends), in chunks.

    ``bom`` starts the file with a UTF-8 byte order mark, which Excel needs to
    read non-ASCII names correctly; programs reading the file usually do not
    want it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    writer.writerow(FIELDS)
    # The header goes out before the first row is fetched, so a client sees
    # the download start even while a slow query runs.
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow(_csv_row(row))
        if buffer.tell() >= chunk_size:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# ---------------------------------------------------------------- JSON Lines

# json.dumps escapes every control character, so "\n" never appears inside a
# line; these three it leaves raw with ensure_ascii=False, and str.splitlines()
# and some JSONL readers break lines at them. They can only occur inside JSON
# strings, where the escaped form means the same.
_LINE_BREAKS = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_jsonl_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _json_line(row: Row) -> str:
    return _jsonl_encode(_record(row)).translate(_LINE_BREAKS) + "\n"


def jsonl_chunks(rows: Iterable[Row], *, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The events as JSON Lines: one compact object per line with the CSV's fields, ``data`` as an object."""
    yield from _batched(map(_json_line, rows), chunk_size)


# ---------------------------------------------------------------- XES

XES_NAMESPACE = "http://www.xes-standard.org/"

# XML 1.0 allows tab, LF, CR and everything from U+0020 except the surrogates
# and U+FFFE/U+FFFF; a parser rejects the whole document for one other
# character, so they are dropped from user text.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Tab, LF and CR are written as character references: literal ones in an
# attribute value would be turned into spaces by every parser.
_XML_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)

_XES_HEADER = f"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849.2016" xes.features="" xmlns="{XES_NAMESPACE}">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<global scope="trace">
\t\t<string key="concept:name" value="UNKNOWN"/>
\t</global>
\t<global scope="event">
\t\t<string key="concept:name" value="UNKNOWN"/>
\t\t<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/>
\t\t<string key="lifecycle:transition" value="complete"/>
\t\t<string key="org:resource" value="{SYSTEM_RESOURCE}"/>
\t\t<int key="seq" value="0"/>
\t\t<string key="type" value="UNKNOWN"/>
\t\t<string key="hash" value=""/>
\t</global>
\t<classifier name="Activity" keys="concept:name"/>
\t<classifier name="Activity_Lifecycle" keys="concept:name lifecycle:transition"/>
\t<classifier name="Resource" keys="org:resource"/>
\t<string key="concept:name" value="Permohonan PTSP"/>
\t<string key="lifecycle:model" value="standard"/>
"""

_FIXED_NAMES = {
    "instance_started": "Permohonan diajukan",
    "instance_completed": "Permohonan selesai",
    "instance_cancelled": "Permohonan dibatalkan",
}
_TRANSITIONS = {
    "task_ready": "start",
    "task_completed": "complete",
    "sla_breached": "unknown",
    "instance_cancelled": "pi_abort",
}


def _xml_text(value: Any) -> str:
    return _XML_ILLEGAL.sub("", str(value)).translate(_XML_ATTR_ESCAPES)


# Activity names, logins, lanes and event types repeat on nearly every event;
# escaping each once keeps XES about as fast as CSV. Bounded, so memory stays
# flat whatever the log holds.
_xml_repeated = lru_cache(maxsize=4096)(_xml_text)


def _attr(kind: str, key: str, value: Any, indent: str) -> str:
    return f'{indent}<{kind} key="{key}" value="{_xml_text(value)}"/>\n'


def _xes_time(value: datetime | str) -> str:
    return _moment(value).astimezone(WIB).isoformat(timespec="milliseconds")


def _activity(row: Row, data: Mapping[str, Any]) -> str:
    kind = row["type"]
    if kind in _FIXED_NAMES:
        return _FIXED_NAMES[kind]
    if kind == "gateway_decided":
        name = data.get("gateway_name") or row.get("task_name") or data.get("gateway")
    else:
        name = row.get("task_name")
    return name or row.get("task_id") or kind


def _decision(data: Mapping[str, Any]) -> str | None:
    taken = data.get("taken")
    if not isinstance(taken, list):
        return None
    names = (
        flow.get("flow_name") or flow.get("target_name") or flow.get("flow")
        for flow in taken
        if isinstance(flow, Mapping)
    )
    return ", ".join(str(name) for name in names if name) or None


def _xes_event(row: Row) -> str:
    data = row.get("data") or {}
    if not isinstance(data, Mapping):
        data = {}
    kind = row["type"]
    name = _xml_repeated(_activity(row, data))
    resource = _xml_repeated(row.get("actor") or SYSTEM_RESOURCE)
    parts = [
        "\t\t<event>\n",
        f'\t\t\t<string key="concept:name" value="{name}"/>\n',
        f'\t\t\t<date key="time:timestamp" value="{_xes_time(row["at"])}"/>\n',
        f'\t\t\t<string key="lifecycle:transition" value="{_TRANSITIONS.get(kind, "complete")}"/>\n',
        f'\t\t\t<string key="org:resource" value="{resource}"/>\n',
    ]
    if lane := row.get("lane"):
        parts.append(f'\t\t\t<string key="org:role" value="{_xml_repeated(lane)}"/>\n')
    if task_id := row.get("task_id"):
        parts.append(f'\t\t\t<string key="concept:instance" value="{_xml_text(task_id)}"/>\n')
    parts.append(f'\t\t\t<int key="seq" value="{int(row["seq"])}"/>\n')
    parts.append(f'\t\t\t<string key="type" value="{_xml_repeated(kind)}"/>\n')
    parts.append(f'\t\t\t<string key="hash" value="{_xml_text(row.get("hash") or "")}"/>\n')
    step = data.get("sop_step")
    # xs:long or nothing: a tool types an attribute by its first occurrence.
    if isinstance(step, int) and not isinstance(step, bool):
        parts.append(f'\t\t\t<int key="sop_step" value="{step}"/>\n')
    if kind == "sla_breached":
        parts.append('\t\t\t<string key="sla" value="breached"/>\n')
    elif kind == "gateway_decided" and (decision := _decision(data)):
        parts.append(_attr("string", "decision", decision, "\t\t\t"))
    elif kind == "instance_cancelled" and data.get("reason"):
        parts.append(_attr("string", "reason", data["reason"], "\t\t\t"))
    parts.append("\t\t</event>\n")
    return "".join(parts)


def _xes_trace_open(row: Row) -> str:
    i = "\t\t"
    parts = ["\t<trace>\n", _attr("string", "concept:name", row.get("registration") or row["instance_id"], i)]
    for key in ("service", "process", "version"):
        if row.get(key) is not None:
            parts.append(_attr("string", key, row[key], i))
    return "".join(parts)


def _xes_body(rows: Iterable[Row]) -> Iterator[str]:
    current: Any = None
    last_seq = 0
    opened = False
    for row in rows:
        instance, seq = row["instance_id"], row["seq"]
        if not opened or instance != current:
            if opened:
                yield "\t</trace>\n"
            yield _xes_trace_open(row)
            current, last_seq, opened = instance, 0, True
        elif seq <= last_seq:
            # A trace is written as its rows arrive; rows out of order would
            # silently give tools a wrong sequence, so refuse instead.
            raise ValueError(
                f"audit export: rows must be ordered by instance then seq; "
                f"instance {instance} has seq {seq} after {last_seq}"
            )
        last_seq = seq
        yield _xes_event(row)
    if opened:
        yield "\t</trace>\n"
    yield "</log>\n"


def xes_chunks(rows: Iterable[Row], *, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The events as an IEEE 1849-2016 XES log, one trace per instance, in chunks.

    Rows must come grouped by instance (a trace opens when ``instance_id``
    changes and closes before the next one) and in ``seq`` order within it; a
    ``ValueError`` ends the stream when ``seq`` goes backwards.
    """
    # The log's preamble goes out before the first row is fetched.
    yield _XES_HEADER
    yield from _batched(_xes_body(rows), chunk_size)


# ---------------------------------------------------------------- registry


@dataclass(frozen=True)
class ExportFormat:
    """One export format: how to produce it and how to serve or name the file."""

    name: str
    media_type: str
    extension: str
    chunks: Callable[..., Iterator[str]]

    def filename(self, stem: str) -> str:
        return f"{stem}.{self.extension}"


# Chunks are str; serve them encoded as UTF-8 (Flask adds "charset=utf-8" to
# text/* types, XES declares it in its prolog, JSON is UTF-8 by definition).
FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv", "csv", csv_chunks),
    "jsonl": ExportFormat("jsonl", "application/x-ndjson", "jsonl", jsonl_chunks),
    "xes": ExportFormat("xes", "application/xml", "xes", xes_chunks),
}
