"""Languages, times in WIB, and the words for engine codes.

Message ids are English; the Indonesian catalog (the default locale) is in
``translations/id``. Texts that come from the diagram (task names, form labels)
are the process owner's own words and are shown as they are.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, session
from flask_babel import Babel, format_datetime, format_timedelta, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}

STATUS = {
    "running": _l("In progress"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
    "ready": _l("Waiting"),
}

EVENTS = {
    "instance_started": _l("Application filed"),
    "task_ready": _l("Task waiting"),
    "task_completed": _l("Task completed"),
    "gateway_decided": _l("Decision"),
    "sla_breached": _l("Time standard exceeded"),
    "instance_completed": _l("Application completed"),
    "instance_cancelled": _l("Application cancelled"),
    "instance_migrated": _l("Moved to another diagram version"),
}

# The auditor reads every event on its own, so the words are more exact than a timeline's.
AUDIT_EVENTS = EVENTS | {
    "task_ready": _l("Task ready"),
    "gateway_decided": _l("Gateway decision"),
}


def field_error(code: str, message: str, params: dict[str, Any]) -> str:
    """An engine FieldError in the user's language (falls back to the engine's English)."""
    texts = {
        "required": _("This field is required."),
        "unknown_field": _("This field is not part of the form."),
        "not_text": _("Enter text."),
        "control_characters": _("Remove the control characters."),
        "too_long": _("At most %(max)s characters.", max=params.get("max", "")),
        "too_short": _("At least %(min)s characters.", min=params.get("min", "")),
        "not_integer": _("Enter a whole number."),
        "out_of_range": _("The number is out of range."),
        "too_small": _("At least %(min)s.", min=params.get("min", "")),
        "too_large": _("At most %(max)s.", max=params.get("max", "")),
        "not_boolean": _("Choose yes or no."),
        "not_date": _("Enter a date."),
        "not_allowed": _("Choose one of the options."),
        "readonly": _("This field cannot be changed."),
        "not_applicable": _("Leave this field empty for that answer."),
        "not_list": _("Choose items from the list."),
    }
    return texts.get(code, message)


def _locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else current_app.config["BABEL_DEFAULT_LOCALE"]


def wib(moment: datetime | None, with_date: bool = True) -> str:
    if moment is None:
        return "-"
    text = format_datetime(moment, "d MMM yyyy HH.mm" if with_date else "HH.mm")
    return f"{text} WIB"


def deadline(due: datetime | None, now: datetime) -> dict[str, str]:
    """The badge for a task's deadline: remaining time, soon, or lateness."""
    if due is None:
        return {"cls": "badge-none", "text": _("no time standard")}
    left = due - now
    if left <= timedelta(0):
        late = format_timedelta(-left, granularity="minute", threshold=1.0, add_direction=False)
        return {"cls": "badge-late", "text": _("late by %(time)s", time=late)}
    remaining = format_timedelta(left, granularity="minute", threshold=1.0, add_direction=False)
    cls = "badge-soon" if left <= timedelta(minutes=5) else "badge-ok"
    return {"cls": cls, "text": _("%(time)s left", time=remaining)}


def nl2br(value: Any) -> Markup:
    """Any value as escaped text, its line breaks kept (numbers too: 0 is shown as 0)."""
    if value is None:
        return Markup("")
    return Markup("<br>").join(str(value).splitlines())


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=_locale)

    @app.context_processor
    def words() -> dict[str, Any]:
        return {
            "LANGUAGES": LANGUAGES,
            "STATUS": STATUS,
            "EVENTS": EVENTS,
            "AUDIT_EVENTS": AUDIT_EVENTS,
            "current_locale": str(get_locale()),
        }

    app.jinja_env.filters["wib"] = wib
    app.jinja_env.filters["wib_time"] = lambda m: wib(m, with_date=False)
    app.jinja_env.globals["deadline"] = deadline
    app.jinja_env.filters["fromiso"] = lambda text: datetime.fromisoformat(text) if text else None
    app.jinja_env.filters["nl2br"] = nl2br
