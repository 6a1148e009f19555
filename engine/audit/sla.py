"""SLA compliance: how often each SOP step and each lane met its time standard.

A pure function of task facts (one per user-task occurrence, as the task
projection stores them) to plain dataclasses; ``sla_render`` draws them as CSV
and SVG. No database, no Flask: the caller queries the rows and hands them over.

Rules (they decide the numbers, so they are part of the report's meaning):

Step occurrence
    Within one instance, tasks are ordered by ``ready_at``; consecutive tasks
    of the same SOP step form one *step occurrence*. This is the rule the
    engine's timers use (engine/timers.py: a timer inherits the step's start
    when the previous user task belongs to the same step), so the report
    measures exactly the deadline the engine enforced. In ptsp.bpmn only
    step 7 has consecutive tasks (Kasi processes, Kepala Kantor signs, Kasi
    documents): one pass is one occurrence, running from its first task's
    ``ready_at`` to its last task's ``completed_at``, with the shared
    ``due_at`` (the earliest one, should they differ). Every other task is
    its own occurrence, so the 3-4 loop gives one step-4 occurrence per
    check. Tasks without an SOP step get no step row but count in their lane.

    An occurrence is *open* while any of its tasks is ready, *cancelled* when
    none is ready and one was cancelled, *completed* otherwise.

Period
    An occurrence belongs to the report when it started (its first task's
    ``ready_at``) within ``[period_start, period_end)``; its tasks, lane
    figures and breaches come with it, so the three tables agree. Pass every
    task of the instances concerned: a step-7 pass that starts inside the
    period is measured whole even if it ends after it.

On time
    An occurrence (or a task, for lanes) is *assessed* when it has a deadline
    and is either completed or still open past it at ``now``; it is *on time*
    when completed at or before ``due_at``. The share is on time / assessed,
    ``None`` when nothing is assessed. Open tasks already past their deadline
    count as late: leaving them out would let a backlog improve the score.
    Cancelled occurrences are left out of the share and the durations (the
    office did not finish them, nor fail to), but their recorded breaches
    still count: the deadline did pass.

Breaches
    A breach is one the engine recorded (``breached_at``). A step occurrence
    with several breached tasks counts once in its step row; the lane rows
    and the ``breaches`` list are per task, so they name who held the file.

Percentiles
    Linear interpolation between closest ranks (Hyndman and Fan type 7, the
    same as a spreadsheet's PERCENTILE.INC / PERSENTIL.INC and numpy's
    default), so the office can check a figure by hand: for sorted values
    x[0..n-1] and p in [0, 100], h = (n - 1) * p / 100 and the result is
    x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]). The median
    is p = 50. Durations are over completed occurrences (tasks, for lanes).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from ..calendar import Duration
from ..errors import InvalidInput

LANE_ORDER = ("Pemohon", "PTSP", "Kepala Kantor", "Kasubag", "Kasi")
STATUSES = frozenset({"ready", "completed", "cancelled"})
LANGS = ("id", "en")
_MICRO = timedelta(microseconds=1)


# --------------------------------------------------------------------- input
@dataclass(frozen=True, slots=True)
class TaskFact:
    """One user-task occurrence: a tasks row joined with its instance. Datetimes are aware (UTC)."""

    instance_id: int
    registration: str
    service: str | None
    element_id: str
    name: str
    lane: str | None
    sop_step: int | None
    status: str  # ready | completed | cancelled
    ready_at: datetime
    completed_at: datetime | None
    due_at: datetime | None
    breached_at: datetime | None
    standard: str | None  # ISO 8601 duration text, "PT15M"
    completed_by: str | None


# -------------------------------------------------------------------- output
@dataclass(frozen=True, slots=True)
class StepRow:
    step: int
    names: tuple[str, ...]  # in the order they occur within the step
    lanes: tuple[str, ...]  # in SOP lane order
    standard: str | None  # ISO text; the most common one if the step has several
    standard_label: str  # Indonesian, "15 menit"; "" without a standard
    standards: tuple[str, ...]  # every standard seen, shortest first
    occurrences: int
    completed: int
    cancelled: int
    assessed: int  # completed with a deadline + open past it
    on_time: int
    on_time_share: float | None  # on_time / assessed, 0..1
    median: timedelta | None
    p90: timedelta | None
    breaches: int  # occurrences with a recorded breach
    open: int
    open_overdue: int

    @property
    def standard_duration(self) -> timedelta | None:
        return _standard_timedelta(self.standard)


@dataclass(frozen=True, slots=True)
class LaneRow:
    lane: str | None
    tasks: int
    completed: int
    cancelled: int
    assessed: int
    on_time: int
    on_time_share: float | None
    median: timedelta | None  # of each task's own completed_at - ready_at
    p90: timedelta | None
    breaches: int
    open: int
    open_overdue: int
    standards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BreachRow:
    registration: str
    instance_id: int
    service: str | None
    step: int | None
    task_name: str
    element_id: str
    lane: str | None
    ready_at: datetime
    due_at: datetime | None
    breached_at: datetime
    completed_at: datetime | None  # None while still open
    completed_by: str | None
    overrun: timedelta | None  # (completed_at or now) - due_at


@dataclass(frozen=True, slots=True)
class SlaReport:
    period_start: datetime
    period_end: datetime
    now: datetime
    tasks: int  # task occurrences in the period
    occurrences: int  # step occurrences in the period
    by_step: tuple[StepRow, ...]
    by_lane: tuple[LaneRow, ...]
    breaches: tuple[BreachRow, ...]

    @property
    def is_empty(self) -> bool:
        return self.tasks == 0


# ------------------------------------------------------------------- helpers
def _lang(lang: str) -> str:
    code = (lang or "").replace("-", "_").split("_")[0].lower()
    if code not in LANGS:
        raise InvalidInput(f"unknown report language {lang!r}; use one of {', '.join(LANGS)}")
    return code


_EN_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


def standard_label(iso: str, lang: str = "id") -> str:
    """A time standard for people: ``PT15M`` -> ``15 menit`` (id) or ``15 minutes`` (en)."""
    duration = Duration.parse(iso)
    if _lang(lang) == "id":
        return duration.describe()
    values = (
        duration.years,
        duration.months,
        duration.weeks,
        duration.days,
        duration.hours,
        duration.minutes,
        duration.seconds,
    )
    words = []
    for value, unit in zip(values, _EN_UNITS, strict=True):
        if value:
            shown = int(value) if float(value).is_integer() else value
            words.append(f"{shown} {unit}{'' if shown == 1 else 's'}")
    return " ".join(words) or "0 seconds"


_SPAN_UNITS = {
    "id": (("hari", "hari"), ("jam", "jam"), ("menit", "menit"), ("detik", "detik")),
    "en": (("day", "days"), ("hour", "hours"), ("minute", "minutes"), ("second", "seconds")),
}


def duration_label(span: timedelta, lang: str = "id") -> str:
    """A measured duration for people, to the two largest units: ``4 menit 30 detik``, ``1 day 3 hours``.

    From ten minutes on, seconds are rounded away: nobody reads them there, and the chart has no room.
    """
    units = _SPAN_UNITS[_lang(lang)]
    seconds = round(span.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds >= 600:
        seconds = (seconds + 30) // 60 * 60
    parts = (seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60, seconds % 60)
    first = next((i for i, v in enumerate(parts) if v), len(parts) - 1)
    words = [
        f"{parts[i]} {units[i][0] if parts[i] == 1 else units[i][1]}"
        for i in range(first, min(first + 2, len(parts)))
        if parts[i] or i == first
    ]
    return sign + " ".join(words)


_STANDARDS: dict[str, timedelta] = {}


def _standard_timedelta(iso: str | None) -> timedelta | None:
    if iso is None:
        return None
    cached = _STANDARDS.get(iso)
    if cached is None:
        # only the fixed part: a month has no single length, and no SOP step is set in months
        cached = _STANDARDS[iso] = Duration.parse(iso).fixed
    return cached


def percentile(values: Iterable[timedelta], p: float) -> timedelta | None:
    """The p-th percentile (0..100) by linear interpolation between closest ranks; None when empty."""
    return _percentile_sorted(sorted(values), p)


def _percentile_sorted(ordered: Sequence[timedelta], p: float) -> timedelta | None:
    if not 0 <= p <= 100:
        raise ValueError(f"a percentile lies between 0 and 100, not {p}")
    if not ordered:
        return None
    # Fractions keep p90 of ten values at exactly rank 8.1, not 8.100000000000001
    h = Fraction(len(ordered) - 1) * Fraction(p) / 100
    low = math.floor(h)
    if low == h:
        return ordered[low]
    gap = (ordered[low + 1] - ordered[low]) // _MICRO
    return ordered[low] + timedelta(microseconds=round(gap * (h - low)))


def _aware(value: datetime, what: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{what} must be a timezone-aware datetime, not {value!r}")


def _check(fact: TaskFact) -> None:
    where = f"task {fact.element_id!r} of instance {fact.instance_id}"
    if fact.status not in STATUSES:
        raise InvalidInput(f"{where}: status must be one of {', '.join(sorted(STATUSES))}, not {fact.status!r}")
    _aware(fact.ready_at, f"{where}: ready_at")
    for label, value in (
        ("completed_at", fact.completed_at),
        ("due_at", fact.due_at),
        ("breached_at", fact.breached_at),
    ):
        if value is not None:
            _aware(value, f"{where}: {label}")
    if fact.status == "completed" and fact.completed_at is None:
        raise InvalidInput(f"{where}: a completed task needs completed_at")


def _order(fact: TaskFact) -> tuple:
    # ties on ready_at (one engine step readies several tasks) are broken stably so reruns agree
    return (fact.ready_at, fact.completed_at is None, fact.completed_at or fact.ready_at, fact.element_id)


def _runs(tasks: list[TaskFact]) -> Iterable[list[TaskFact]]:
    """Consecutive tasks of one SOP step in one instance: the step occurrences (see the module rules)."""
    tasks.sort(key=_order)
    run: list[TaskFact] = []
    for fact in tasks:
        if run and (fact.sop_step is None or fact.sop_step != run[-1].sop_step):
            yield run
            run = []
        run.append(fact)
    if run:
        yield run


def _lane_key(lane: str | None) -> tuple:
    if lane in LANE_ORDER:
        return (0, LANE_ORDER.index(lane), "")
    return (1, 0, lane) if lane is not None else (2, 0, "")


class _Tally:
    """Counts and durations of one row, filled one occurrence at a time."""

    __slots__ = (
        "assessed",
        "breaches",
        "cancelled",
        "completed",
        "count",
        "durations",
        "on_time",
        "open",
        "open_overdue",
        "standards",
    )

    def __init__(self) -> None:
        self.count = self.completed = self.cancelled = self.assessed = self.on_time = 0
        self.breaches = self.open = self.open_overdue = 0
        self.durations: list[timedelta] = []
        self.standards: Counter[str] = Counter()

    def add(
        self,
        status: str,
        start: datetime,
        end: datetime | None,
        due: datetime | None,
        breached: bool,
        standard: str | None,
        now: datetime,
    ) -> None:
        self.count += 1
        self.breaches += breached
        if standard is not None:
            self.standards[standard] += 1
        if status == "completed":
            assert end is not None
            self.completed += 1
            self.durations.append(end - start)
            if due is not None:
                self.assessed += 1
                self.on_time += end <= due
        elif status == "ready":
            self.open += 1
            if due is not None and now > due:
                self.open_overdue += 1
                self.assessed += 1
        else:
            self.cancelled += 1

    def share(self) -> float | None:
        return self.on_time / self.assessed if self.assessed else None

    def spread(self) -> tuple[timedelta | None, timedelta | None]:
        ordered = sorted(self.durations)
        return _percentile_sorted(ordered, 50), _percentile_sorted(ordered, 90)

    def standards_by_length(self) -> tuple[str, ...]:
        return tuple(sorted(self.standards, key=lambda s: (_standard_timedelta(s), s)))

    def main_standard(self) -> str | None:
        if not self.standards:
            return None
        # the most common; on a tie the longer one, so a chart never flatters the step
        return max(self.standards, key=lambda s: (self.standards[s], _standard_timedelta(s), s))


class _StepTally(_Tally):
    """A step row's tally, fed whole step occurrences, and the task names and lanes seen in them."""

    __slots__ = ("lanes", "names")

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, tuple[int, datetime]] = {}  # name -> earliest (position in the run, ready_at)
        self.lanes: set[str] = set()

    def add_run(self, run: list[TaskFact], now: datetime) -> None:
        statuses = {f.status for f in run}
        status = "ready" if "ready" in statuses else "cancelled" if "cancelled" in statuses else "completed"
        end = max(f.completed_at for f in run if f.completed_at is not None) if status == "completed" else None
        dues = [f.due_at for f in run if f.due_at is not None]
        self.add(
            status,
            run[0].ready_at,
            end,
            min(dues) if dues else None,
            any(f.breached_at is not None for f in run),
            next((f.standard for f in run if f.standard is not None), None),
            now,
        )
        for position, fact in enumerate(run):
            key = (position, fact.ready_at)
            known = self.names.get(fact.name)
            if known is None or key < known:
                self.names[fact.name] = key
            if fact.lane is not None:
                self.lanes.add(fact.lane)


# -------------------------------------------------------------------- report
def build_report(
    facts: Iterable[TaskFact], *, period_start: datetime, period_end: datetime, now: datetime
) -> SlaReport:
    """The SLA report of the occurrences that started in ``[period_start, period_end)`` (rules: module doc)."""
    _aware(period_start, "period_start")
    _aware(period_end, "period_end")
    _aware(now, "now")
    if period_end <= period_start:
        raise InvalidInput(f"the period must end after it starts ({period_start} .. {period_end})")

    by_instance: dict[int, list[TaskFact]] = {}
    for fact in facts:
        _check(fact)
        by_instance.setdefault(fact.instance_id, []).append(fact)

    steps: defaultdict[int, _StepTally] = defaultdict(_StepTally)
    lanes: defaultdict[str | None, _Tally] = defaultdict(_Tally)
    breaches: list[BreachRow] = []
    tasks = occurrences = 0
    for instance_tasks in by_instance.values():
        for run in _runs(instance_tasks):
            if not period_start <= run[0].ready_at < period_end:
                continue
            occurrences += 1
            tasks += len(run)
            for fact in run:
                lanes[fact.lane].add(
                    fact.status,
                    fact.ready_at,
                    fact.completed_at,
                    fact.due_at,
                    fact.breached_at is not None,
                    fact.standard,
                    now,
                )
                if fact.breached_at is not None:
                    breaches.append(_breach(fact, now))
            if run[0].sop_step is not None:
                steps[run[0].sop_step].add_run(run, now)

    by_step = tuple(_step_row(step, steps[step]) for step in sorted(steps))
    by_lane = tuple(_lane_row(lane, lanes[lane]) for lane in sorted(lanes, key=_lane_key))
    # ties (breaches recorded in one sweep) in the order the tasks arose
    breaches.sort(key=lambda b: (b.breached_at, b.registration, b.ready_at, b.element_id))
    return SlaReport(
        period_start=period_start,
        period_end=period_end,
        now=now,
        tasks=tasks,
        occurrences=occurrences,
        by_step=by_step,
        by_lane=by_lane,
        breaches=tuple(breaches),
    )


def _step_row(step: int, tally: _StepTally) -> StepRow:
    names = tally.names
    median, p90 = tally.spread()
    standard = tally.main_standard()
    return StepRow(
        step=step,
        names=tuple(sorted(names, key=lambda n: (names[n], n))),
        lanes=tuple(sorted(tally.lanes, key=_lane_key)),
        standard=standard,
        standard_label=standard_label(standard) if standard else "",
        standards=tally.standards_by_length(),
        occurrences=tally.count,
        completed=tally.completed,
        cancelled=tally.cancelled,
        assessed=tally.assessed,
        on_time=tally.on_time,
        on_time_share=tally.share(),
        median=median,
        p90=p90,
        breaches=tally.breaches,
        open=tally.open,
        open_overdue=tally.open_overdue,
    )


def _lane_row(lane: str | None, tally: _Tally) -> LaneRow:
    median, p90 = tally.spread()
    return LaneRow(
        lane=lane,
        tasks=tally.count,
        completed=tally.completed,
        cancelled=tally.cancelled,
        assessed=tally.assessed,
        on_time=tally.on_time,
        on_time_share=tally.share(),
        median=median,
        p90=p90,
        breaches=tally.breaches,
        open=tally.open,
        open_overdue=tally.open_overdue,
        standards=tally.standards_by_length(),
    )


def _breach(fact: TaskFact, now: datetime) -> BreachRow:
    assert fact.breached_at is not None
    end = fact.completed_at if fact.completed_at is not None else now
    return BreachRow(
        registration=fact.registration,
        instance_id=fact.instance_id,
        service=fact.service,
        step=fact.sop_step,
        task_name=fact.name,
        element_id=fact.element_id,
        lane=fact.lane,
        ready_at=fact.ready_at,
        due_at=fact.due_at,
        breached_at=fact.breached_at,
        completed_at=fact.completed_at,
        completed_by=fact.completed_by,
        overrun=end - fact.due_at if fact.due_at is not None else None,
    )
