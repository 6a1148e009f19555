"""Errors the engine raises to its callers.

Every error carries a stable machine-readable ``code`` and a message a person
can act on. The CLI prints the message; the web UI and the API map the class
to an HTTP status. Nothing in the engine raises a bare ``Exception`` at a
caller for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, located for the person who must fix it."""

    message: str
    element: str | None = None
    line: int | None = None

    def as_dict(self) -> dict:
        return {"line": self.line, "element": self.element, "message": self.message}

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.element:
            where.append(self.element)
        return f"{', '.join(where)}: {self.message}" if where else self.message


class DefinitionInvalid(PtspError):
    """A diagram was refused; ``problems`` lists every problem found."""

    code = "definition_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid diagram"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"diagram rejected: {first}{more}")


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
