"""Errors the engine raises to its callers.

Every error carries a stable machine-readable ``code`` and a message a person
can act on. The CLI prints the message; the web UI and the API map the class
to an HTTP status. Nothing in the engine raises a bare ``Exception`` at a
caller for bad input.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class PtspError(Exception):
    """Base class: a request the engine refused, with nothing changed."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(PtspError):
    """Input that is malformed in itself (bad JSON, unknown lane, bad id...)."""

    code = "invalid_input"


class NotFound(PtspError):
    code = "not_found"


class PermissionDenied(PtspError):
    """The acting user may not do this (wrong lane, not the applicant...)."""

    code = "forbidden"


class Conflict(PtspError):
    """The state changed under the request: already completed, changed meanwhile."""

    code = "conflict"


@dataclass(frozen=True)
class FieldError:
    """One field's problem; ``code`` and ``params`` let a UI word it in its own language."""

    field: str
    message: str
    code: str = "invalid"
    params: dict = field(default_factory=dict)


class FormInvalid(PtspError):
    """Form data does not satisfy the task's form; ``fields`` names each problem."""

    code = "form_invalid"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(f"form data invalid: {detail}")

    @property
    def fields(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}


class _Params(dict):
    """A template's values; a placeholder without a value stays as it is written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, params: Mapping[str, Any], fallback: str | None = None) -> str:
    """``template`` with its ``{placeholders}`` replaced by ``params``; never raises.

    A template that cannot be formatted (a translation with a stray brace, a
    placeholder with an attribute or an index) gives ``fallback``, or the
    template as it is written when there is none.
    """
    try:
        return string.Formatter().vformat(template, (), _Params(params))
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        return template if fallback is None else fallback


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, located for the person who must fix it.

    ``element`` is the id of the element concerned (for an element without an
    id, the id of its nearest ancestor that has one) and ``name`` that element's
    name, as the modeler shows it. ``template`` is the English sentence with
    ``{placeholders}`` and ``params`` their values (ids, names, values from the
    file), so that a user interface can look the template up in a catalog and
    word the problem in its own language (``webui/problems.py``); ``message``
    is the template filled in, in English. A problem built from a plain
    message (``Problem("...")``) is its own template, without params.
    """

    message: str
    element: str | None = None
    line: int | None = None
    name: str | None = None
    template: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.template:
            object.__setattr__(self, "template", self.message)

    @classmethod
    def of(
        cls,
        template: str,
        params: Mapping[str, Any] | None = None,
        *,
        element: str | None = None,
        name: str | None = None,
        line: int | None = None,
    ) -> Problem:
        """A problem from a constant template and the values that fill it in."""
        values = dict(params or {})
        return cls(fill(template, values), element, line, name or None, template, values)

    def as_dict(self) -> dict:
        """``{"line", "element", "name", "message"}``: where, which element (id and name), what to do."""
        return {"line": self.line, "element": self.element, "name": self.name, "message": self.message}

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.element and self.name:
            where.append(f'{self.element} "{self.name}"')
        elif self.element or self.name:
            where.append(self.element or f'"{self.name}"')
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ProblemsFound(PtspError):
    """A file was refused; ``problems`` lists every problem found, the message names the first."""

    what = "file"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else f"invalid {self.what}"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{self.what} rejected: {first}{more}")


class DefinitionInvalid(ProblemsFound):
    """A diagram was refused."""

    code = "definition_invalid"
    what = "diagram"


class TooManyAttempts(PtspError):
    """Too many failed logins (or sign-ups) lately: refused without looking at the password.

    ``retry_after`` is the number of seconds until the oldest counted attempt
    leaves the window and one more attempt is allowed.
    """

    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ExpressionError(PtspError):
    """An expression in a diagram cannot be parsed or evaluated."""

    code = "expression_error"
