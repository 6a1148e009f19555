"""The hash chain over an application's events.

Every event stores the SHA-256 of its canonical form, which includes the
hash of the event before it; the instance row keeps the hash of its newest
event. Changing, removing, inserting or reordering an event breaks the chain
at that event, and ``verify_chain`` names it. The canonical form is part of
the audit format: changing it would make every stored chain fail, so it is
versioned (``FORMAT``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

FORMAT = 1
GENESIS = "0" * 64


def _moment(value: datetime) -> str:
    if value.tzinfo is None:  # stored UTC without an offset (SQLite)
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(event: Mapping[str, Any], prev_hash: str) -> bytes:
    """The bytes an event's hash is taken over: sorted-key JSON of its content and the previous hash."""
    body = {
        "v": FORMAT,
        "instance": event["instance_id"],
        "seq": event["seq"],
        "type": event["type"],
        "at": _moment(event["at"]),
        "actor": event.get("actor"),
        "task": event.get("task_id"),
        "task_name": event.get("task_name"),
        "lane": event.get("lane"),
        "data": event.get("data") or {},
        "prev": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(event: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(event, prev_hash)).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    reason: str


def verify_chain(
    events: Iterable[Mapping[str, Any]], last_seq: int | None, last_hash: str | None
) -> ChainProblem | None:
    """The first break in an instance's chain, or None when it is intact.

    ``events`` are the stored rows in ``seq`` order; ``last_seq`` and
    ``last_hash`` are what the instance row says its newest event is.
    """
    expected_prev, expected_seq = GENESIS, 1
    for event in events:
        seq = event["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                missing = expected_seq if seq == expected_seq + 1 else f"{expected_seq} to {seq - 1}"
                return ChainProblem(expected_seq, f"event {missing} is missing (after {expected_seq - 1} comes {seq})")
            return ChainProblem(seq, f"event {seq} appears twice or out of order")
        if event.get("prev_hash") != expected_prev:
            return ChainProblem(
                seq, f"event {seq} does not follow event {seq - 1}: an event was inserted, removed or reordered"
            )
        if event_hash(event, expected_prev) != event.get("hash"):
            return ChainProblem(seq, f"event {seq} ({event['type']}) was changed: its content does not match its hash")
        expected_prev, expected_seq = event["hash"], seq + 1
    count = expected_seq - 1
    if last_seq is not None and last_seq != count:
        if last_seq > count:
            return ChainProblem(count + 1, f"events {count + 1} to {last_seq} are missing (the log ends at {count})")
        return ChainProblem(last_seq + 1, f"the application records {last_seq} events but the log has {count}")
    if last_hash is not None and last_hash != expected_prev:
        return ChainProblem(count or None, f"the newest event ({count}) is not the one the application recorded")
    return None
