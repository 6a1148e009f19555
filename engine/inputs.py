"""Checks on identifiers and text that arrive from outside, before they reach a query.

PostgreSQL refuses NUL bytes with an error of its own; other control
characters have no business in names or ids either. A malformed identifier is
simply not found; malformed text is refused with a message.
"""

from __future__ import annotations

import re
from typing import Any

TASK_ID = re.compile(r"^[0-9a-fA-F-]{8,64}$")
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def task_id_ok(value: Any) -> bool:
    return isinstance(value, str) and TASK_ID.match(value) is not None


def login_ok(value: Any) -> bool:
    return isinstance(value, str) and LOGIN.match(value) is not None


def text_ok(value: Any, max_length: int = 10_000) -> bool:
    """Text without control characters (tabs and line breaks allowed)."""
    return isinstance(value, str) and len(value) <= max_length and CONTROL.search(value) is None
