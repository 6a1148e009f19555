"""The script engine SpiffWorkflow runs with: safe expressions, no code.

SpiffWorkflow evaluates every condition, timer value and script through its
script engine, by default with Python's ``eval``/``exec``. This one evaluates
expressions with ``engine.expressions`` and refuses to execute scripts or call
services. It also carries the engine's clock and calendar, so that timers ask
*it* for the time instead of reading the system clock. A calendar that knows
"as of when" (``OfficeCalendar``) is bound to this clock: the live engine counts
with the calendar as known at the command's moment, a re-execution with the
calendar as known at each recorded event's moment.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import expressions
from .calendar import Calendar, WallClockCalendar
from .clock import Clock, SystemClock
from .errors import ExpressionError


class ScriptsForbidden(ExpressionError):
    code = "script_forbidden"


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self) -> None:
        super().__init__({})

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        variables = dict(context)
        if external_context:
            variables.update(external_context)
        return expressions.evaluate(expression, variables)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> Any:
        raise ScriptsForbidden("scripts are not executed by this engine")

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise ScriptsForbidden("service calls are not supported by this engine")


class EngineScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine, made safe and given a clock and calendar."""

    def __init__(self, clock: Clock | None = None, calendar: Calendar | None = None) -> None:
        super().__init__(environment=SafeEnvironment())
        self.clock = clock or SystemClock()
        calendar = calendar or WallClockCalendar()
        bind = getattr(calendar, "bind", None)
        self.calendar: Calendar = bind(self.clock) if bind is not None else calendar

    def validate(self, expression: str) -> None:
        expressions.parse(expression)

    def evaluate(self, task: Any, expression: str, external_context: dict | None = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task, exception=exc) from None

    def execute(self, task: Any, script: str, external_context: dict | None = None) -> Any:
        raise WorkflowTaskException("scripts are not executed by this engine", task=task)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        raise WorkflowTaskException("service calls are not supported by this engine", task=task)
