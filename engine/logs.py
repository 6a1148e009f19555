"""Logging set-up for the long-running processes: readable text or one JSON object a line.

``PTSP_LOG_FORMAT=json`` (or ``--log-format json``) makes every record a JSON
object with ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``process`` and whatever the caller passed in ``extra=`` (``instance``,
``fired``...), so that a log collector can index them; an exception's
traceback goes in ``exc``.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

# attributes every LogRecord has; anything else came from ``extra=``
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# SpiffWorkflow logs every task state change at INFO, with the task's data: far
# too much for production logs (and costly); Alembic announces its dialect.
QUIET = ("spiff", "alembic")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry.update(_access_fields(record.args))
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _access_fields(atoms: dict) -> dict:
    """gunicorn hands its access-log atoms over as the record's args: keep the useful ones as fields."""
    fields = {"remote": atoms.get("h"), "method": atoms.get("m"), "path": atoms.get("U")}
    for key, atom in (("status", "s"), ("bytes", "B"), ("ms", "M")):
        value = atoms.get(atom)
        fields[key] = int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None
    return fields


def log_format() -> str:
    return os.environ.get("PTSP_LOG_FORMAT", "text").lower()


def configure(fmt: str | None = None, level: str | None = None) -> None:
    """Send the process's logs to stderr as text or JSON lines (idempotent)."""
    fmt = (fmt or log_format()).lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be text or json, not {fmt!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("PTSP_LOG_LEVEL", "INFO")).upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def logging_dict(fmt: str | None = None, level: str | None = None) -> dict:
    """The same set-up as a ``logging.config.dictConfig`` dictionary (for gunicorn)."""
    fmt = (fmt or log_format()).lower()
    formatter = {"()": JsonFormatter} if fmt == "json" else {"format": TEXT_FORMAT}
    level = (level or os.environ.get("PTSP_LOG_LEVEL", "INFO")).upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"ptsp": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "ptsp"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            **{name: {"level": "WARNING"} for name in QUIET},
            "gunicorn.error": {"handlers": ["stderr"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }
