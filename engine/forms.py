"""Validating submitted form data against a task's form, before anything changes.

Input comes from JSON (the CLI and the API) or from HTML forms (strings
only), so each type accepts both its JSON value and its usual text form.
Every problem is reported at once, per field, with a stable ``code`` the UI can
translate. Fields the form does not declare are refused: a forged field never
reaches the workflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from .errors import FieldError, FormInvalid
from .model import Form, FormField

MAX_TEXT = 10_000
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
_TRUE = {"true", "1", "on", "yes", "ya"}
_FALSE = {"false", "0", "off", "no", "tidak"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Invalid(Exception):
    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.error = (code, message, params)


def _blank(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_blank(v) for v in value)
    return value is None or (isinstance(value, str) and value.strip() == "")


def _number(config: str) -> float:
    return float(config)


def _string(f: FormField, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("not_text", "must be text")
    text = value.strip()
    if _CONTROL.search(text):
        raise _Invalid("control_characters", "contains control characters")
    limit = min(int(_number(f.constraints["maxlength"])) if "maxlength" in f.constraints else MAX_TEXT, MAX_TEXT)
    if len(text) > limit:
        raise _Invalid("too_long", f"must be at most {limit} characters", max=limit)
    if "minlength" in f.constraints and len(text) < int(_number(f.constraints["minlength"])):
        minimum = int(_number(f.constraints["minlength"]))
        raise _Invalid("too_short", f"must be at least {minimum} characters", min=minimum)
    return text


def _long(f: FormField, value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid("not_integer", "must be a whole number")
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,19}\s*", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise _Invalid("not_integer", "must be a whole number")
    if not LONG_MIN <= value <= LONG_MAX:
        raise _Invalid("out_of_range", "is out of range")
    if "min" in f.constraints and value < _number(f.constraints["min"]):
        raise _Invalid("too_small", f"must be at least {f.constraints['min']}", min=f.constraints["min"])
    if "max" in f.constraints and value > _number(f.constraints["max"]):
        raise _Invalid("too_large", f"must be at most {f.constraints['max']}", max=f.constraints["max"])
    return value


def _boolean(_f: FormField, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Invalid("not_boolean", "must be true or false")


def _date(_f: FormField, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise _Invalid("not_date", "must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise _Invalid("not_date", "is not a valid date") from None


# A code chosen from a catalogue the form was not bound to (a migration checking recorded data):
# the catalogue, not the diagram, knows the options, so any code-shaped value is accepted.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def _enum(f: FormField, value: Any) -> str:
    if f.catalogue and not f.enum:
        if not isinstance(value, str) or not _CODE.fullmatch(value.strip()):
            raise _Invalid("not_allowed", "must be a code from the catalogue")
        return value.strip()
    allowed = [v.id for v in f.enum]
    if not isinstance(value, str) or value not in allowed:
        raise _Invalid("not_allowed", f"must be one of: {', '.join(allowed)}", allowed=allowed)
    option = next(v for v in f.enum if v.id == value)
    if option.referral:
        # shown so that the applicant learns where to go, never applied for here
        raise _Invalid("referral", option.referral, referral=option.referral, option=option.name)
    return value


def _checklist(f: FormField, value: Any) -> list[str]:
    """The ids ticked: a JSON list (or one id, as a single ticked HTML checkbox sends it), in the form's order."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
        raise _Invalid("not_list", "must be a list of the items' codes")
    chosen = list(dict.fromkeys(v.strip() for v in items if v.strip()))
    if f.catalogue and not f.enum:
        bad = [v for v in chosen if not _CODE.fullmatch(v)]
        if bad:
            raise _Invalid("not_allowed", "must be codes from the catalogue")
        return chosen
    allowed = [v.id for v in f.enum]
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise _Invalid(
            "not_allowed", f"{unknown[0]!r} is not an item; choose from: {', '.join(allowed)}", allowed=allowed
        )
    return [v for v in allowed if v in chosen]


_CONVERT = {
    "string": _string,
    "long": _long,
    "boolean": _boolean,
    "date": _date,
    "enum": _enum,
    "checklist": _checklist,
}


def _readonly_default(f: FormField) -> Any:
    """A read-only field's value: its default, typed like a submitted value would be."""
    if f.default is None or f.default == "":
        return None
    try:
        return _CONVERT.get(f.type, _string)(f, f.default)
    except _Invalid:
        return f.default


def validate(form: Form, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the cleaned, typed values; raise ``FormInvalid`` naming every problem.

    Optional fields left empty are set to ``None``, so that each completion
    states all of its form's values (a second pass of a step does not inherit
    a note written in the first).
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FormInvalid([FieldError("*", "form data must be an object of field values", "not_object")])
    errors: list[FieldError] = []
    declared = {f.id for f in form.fields}
    for key in data:
        if key not in declared:
            errors.append(FieldError(str(key), "is not a field of this form", "unknown_field"))
    cleaned: dict[str, Any] = {}
    for f in form.fields:
        value = data.get(f.id)
        if f.readonly:
            default = _readonly_default(f)
            if f.id in data and not _blank(value):
                try:
                    submitted = _CONVERT.get(f.type, _string)(f, value)
                except _Invalid:
                    submitted = object()
                if submitted != default:
                    errors.append(FieldError(f.id, "is read-only", "readonly"))
            cleaned[f.id] = default
            continue
        if _blank(value):
            if f.required:
                errors.append(FieldError(f.id, "is required", "required"))
            else:
                cleaned[f.id] = None
            continue
        try:
            cleaned[f.id] = _CONVERT.get(f.type, _string)(f, value)
        except _Invalid as exc:
            code, message, params = exc.error
            errors.append(FieldError(f.id, message, code, params))
    errors += _conditional(form, cleaned, {e.field for e in errors})
    if errors:
        raise FormInvalid(errors)
    return cleaned


def _conditional(form: Form, cleaned: dict[str, Any], failed: set[str]) -> list[FieldError]:
    """A field with ``required_when`` is required exactly when that answer is given, and empty otherwise."""
    errors = []
    for f in form.fields:
        condition = f.required_when
        if condition is None or f.readonly or f.id in failed or condition[0] in failed:
            continue
        name, answer = condition
        holds = cleaned.get(name) is answer
        word = "yes" if answer else "no"
        if holds and cleaned.get(f.id) is None:
            errors.append(FieldError(f.id, f"is required when {name} is {word}", "required", {"when": name}))
        elif not holds and cleaned.get(f.id) is not None:
            errors.append(
                FieldError(
                    f.id,
                    f"must be left empty unless {name} is {word}",
                    "not_applicable",
                    {"when": name, "answer": answer},
                )
            )
    return errors
