"""SLA compliance: how often each SOP step and each lane met its time standard.

A pure function of task facts (one per user-task occurrence, as the task
projection stores them) to plain dataclasses, plus a CSV and an SVG rendering.
No database, no Flask: the caller queries the rows and hands them over.

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

import csv
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from xml.sax.saxutils import escape

from ..calendar import WIB, Duration
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


# ----------------------------------------------------------------------- CSV
# each column's header as (Indonesian, English), so the two languages stay aligned
_STEP_COLUMNS = (
    ("Langkah", "Step"),
    ("Kegiatan", "Activities"),
    ("Lajur", "Lanes"),
    ("Standar", "Standard"),
    ("Standar (ISO 8601)", "Standard (ISO 8601)"),
    ("Jumlah", "Count"),
    ("Selesai", "Completed"),
    ("Dibatalkan", "Cancelled"),
    ("Dinilai", "Assessed"),
    ("Tepat waktu", "On time"),
    ("Tepat waktu (%)", "On time (%)"),
    ("Median (menit)", "Median (minutes)"),
    ("Persentil 90 (menit)", "90th percentile (minutes)"),
    ("Pelanggaran", "Breaches"),
    ("Terbuka", "Open"),
    ("Terbuka melewati batas waktu", "Open past deadline"),
)
_LANE_COLUMNS = (
    ("Lajur", "Lane"),
    ("Jumlah tugas", "Tasks"),
    ("Selesai", "Completed"),
    ("Dibatalkan", "Cancelled"),
    ("Dinilai", "Assessed"),
    ("Tepat waktu", "On time"),
    ("Tepat waktu (%)", "On time (%)"),
    ("Median (menit)", "Median (minutes)"),
    ("Persentil 90 (menit)", "90th percentile (minutes)"),
    ("Pelanggaran", "Breaches"),
    ("Terbuka", "Open"),
    ("Terbuka melewati batas waktu", "Open past deadline"),
    ("Standar", "Standards"),
)
_BREACH_COLUMNS = (
    ("Nomor Registrasi", "Registration number"),
    ("Permohonan (id)", "Application (id)"),
    ("Layanan", "Service"),
    ("Langkah", "Step"),
    ("Tugas", "Task"),
    ("Lajur", "Lane"),
    ("Mulai (WIB)", "Started (WIB)"),
    ("Batas waktu (WIB)", "Deadline (WIB)"),
    ("Pelanggaran dicatat (WIB)", "Breach recorded (WIB)"),
    ("Selesai (WIB)", "Completed (WIB)"),
    ("Diselesaikan oleh", "Completed by"),
    ("Keterlambatan (menit)", "Overrun (minutes)"),
)
_CSV_WORDS = {
    "title": ("Laporan kepatuhan standar waktu (SLA)", "Time-standard (SLA) compliance report"),
    "period": ("Periode (WIB)", "Period (WIB)"),
    "generated": ("Dibuat (WIB)", "Generated (WIB)"),
    "by_step": ("Per langkah SOP", "By SOP step"),
    "by_lane": ("Per lajur", "By lane"),
    "breaches": ("Pelanggaran", "Breaches"),
    "no_lane": ("(tanpa lajur)", "(no lane)"),
}

# a cell a spreadsheet would read as a formula (OWASP "CSV injection"), also after leading blanks
_FORMULA_START = re.compile(r"^[\s]*[=+\-@]|^[\t\r]")


def csv_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ' defuses = + - @ (and tab, CR)."""
    return "'" + value if _FORMULA_START.match(value) else value


def _wib(moment: datetime | None) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S") if moment is not None else ""


def _minutes(span: timedelta | None) -> str:
    return f"{span.total_seconds() / 60:.1f}" if span is not None else ""


def _percent(share: float | None) -> str:
    return f"{share * 100:.1f}" if share is not None else ""


def report_csv(report: SlaReport, lang: str = "id") -> str:
    """The report as one CSV: a title block, then the step, lane and breach sections, each with its header."""
    lang = _lang(lang)
    pick = LANGS.index(lang)
    words = {key: pair[pick] for key, pair in _CSV_WORDS.items()}
    buffer = io.StringIO()
    out = csv.writer(buffer)

    def text(value: str | None) -> str:
        return csv_text(value) if value else ""

    out.writerow([words["title"]])
    out.writerow([words["period"], _wib(report.period_start), _wib(report.period_end)])
    out.writerow([words["generated"], _wib(report.now)])
    out.writerow([])
    out.writerow([words["by_step"]])
    out.writerow([pair[pick] for pair in _STEP_COLUMNS])
    for row in report.by_step:
        out.writerow(
            [
                row.step,
                text("; ".join(row.names)),
                text("; ".join(row.lanes)),
                standard_label(row.standard, lang) if row.standard else "",
                text(row.standard),
                row.occurrences,
                row.completed,
                row.cancelled,
                row.assessed,
                row.on_time,
                _percent(row.on_time_share),
                _minutes(row.median),
                _minutes(row.p90),
                row.breaches,
                row.open,
                row.open_overdue,
            ]
        )
    out.writerow([])
    out.writerow([words["by_lane"]])
    out.writerow([pair[pick] for pair in _LANE_COLUMNS])
    for lane in report.by_lane:
        out.writerow(
            [
                text(lane.lane) if lane.lane is not None else words["no_lane"],
                lane.tasks,
                lane.completed,
                lane.cancelled,
                lane.assessed,
                lane.on_time,
                _percent(lane.on_time_share),
                _minutes(lane.median),
                _minutes(lane.p90),
                lane.breaches,
                lane.open,
                lane.open_overdue,
                text("; ".join(standard_label(s, lang) for s in lane.standards)),
            ]
        )
    out.writerow([])
    out.writerow([words["breaches"]])
    out.writerow([pair[pick] for pair in _BREACH_COLUMNS])
    for b in report.breaches:
        out.writerow(
            [
                text(b.registration),
                b.instance_id,
                text(b.service),
                b.step if b.step is not None else "",
                text(b.task_name),
                text(b.lane),
                _wib(b.ready_at),
                _wib(b.due_at),
                _wib(b.breached_at),
                _wib(b.completed_at),
                text(b.completed_by),
                _minutes(b.overrun),
            ]
        )
    return buffer.getvalue()


# ----------------------------------------------------------------------- SVG
_SVG_WORDS = {
    "title": ("Kepatuhan standar waktu per langkah SOP", "Time-standard compliance per SOP step"),
    "period": ("Periode", "Period"),
    "step": ("Langkah", "Step"),
    "share_head": ("Selesai tepat waktu", "Completed on time"),
    "time_head": ("Durasi: median dan p90 dibanding standar", "Duration: median and p90 against the standard"),
    "of": ("dari", "of"),
    "on_time": ("tepat waktu", "on time"),
    "open": ("terbuka", "open"),
    "overdue": ("lewat batas", "past deadline"),
    "median": ("median", "median"),
    "p90": ("p90", "p90"),
    "standard": ("standar", "standard"),
    "no_standard": ("tanpa standar waktu", "no time standard"),
    "none_done": ("belum ada yang selesai", "none completed yet"),
    "not_assessed": ("belum dinilai", "not assessed"),
    "empty": ("Tidak ada data pada periode ini.", "No data in this period."),
    "occurrences": ("kejadian langkah", "step occurrences"),
    "legend_share": ("Tepat waktu (%)", "On time (%)"),
    "legend_median": ("Median", "Median"),
    "legend_p90": ("Persentil 90 (p90)", "90th percentile (p90)"),
    "legend_standard": ("Standar waktu (100%)", "Time standard (100%)"),
    "lanes": ("lajur", "lanes"),
    "breaches": ("pelanggaran", "breaches"),
}
_SVG = {lang: {key: pair[i] for key, pair in _SVG_WORDS.items()} for i, lang in enumerate(LANGS)}

_WIDTH = 940
_LABEL_X = 16
_SHARE_X, _SHARE_W = 240, 200
_TIME_X, _TIME_W = 540, 330
_STD_X = _TIME_X + _TIME_W * 2 / 3  # the standard sits at two thirds, leaving room to show overruns up to 150%
_TOP = 100
_ROW_H = 58
_INK, _MUTED, _TRACK = "#222222", "#555555", "#e4e4e4"
_GREEN, _MEDIAN, _P90, _RED = "#1b7a3d", "#1f5fa8", "#8fb3e0", "#b00020"
_FONT = 'font-family="sans-serif"'
# characters XML 1.0 forbids even when escaped; a name from the database could carry one
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _esc(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pct_text(share: float, lang: str) -> str:
    value = round(share * 100, 1)
    shown = f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return (shown.replace(".", ",") if lang == "id" else shown) + "%"


def _text(x: float, y: float, content: str, *, size: int = 12, fill: str = _INK, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" {_FONT} font-size="{size}" fill="{fill}"{extra}>{_esc(content)}</text>'


def _step_summary(row: StepRow, lang: str) -> str:
    w = _SVG[lang]
    parts = [f"{w['step']} {row.step}: {'; '.join(row.names)}"]
    if row.lanes:
        parts.append(f"{w['lanes']} {', '.join(row.lanes)}")
    if row.on_time_share is not None:
        parts.append(f"{_pct_text(row.on_time_share, lang)} {w['on_time']} ({row.on_time} {w['of']} {row.assessed})")
    else:
        parts.append(w["not_assessed"])
    if row.median is not None and row.p90 is not None:
        parts.append(f"{w['median']} {duration_label(row.median, lang)}, {w['p90']} {duration_label(row.p90, lang)}")
    if row.standard:
        parts.append(f"{w['standard']} {standard_label(row.standard, lang)}")
    else:
        parts.append(w["no_standard"])
    parts.append(f"{row.breaches} {w['breaches']}, {row.open} {w['open']} ({row.open_overdue} {w['overdue']})")
    return ", ".join(parts)


def _step_svg(row: StepRow, y: float, lang: str, shade: bool) -> list[str]:
    w = _SVG[lang]
    out = [f'<g data-step="{row.step}">', f"<title>{_esc(_step_summary(row, lang))}</title>"]
    if shade:
        out.append(f'<rect x="0" y="{y:.1f}" width="{_WIDTH}" height="{_ROW_H}" fill="#f6f7f9"/>')
    out.append(_text(_LABEL_X, y + 22, f"{w['step']} {row.step}", size=13, extra=' font-weight="bold"'))
    if row.names:
        extra = f" (+{len(row.names) - 1})" if len(row.names) > 1 else ""
        out.append(_text(_LABEL_X, y + 40, _short(row.names[0], 36 - len(extra)) + extra, size=11, fill=_MUTED))

    share = row.on_time_share
    bar = _SHARE_W * share if share is not None else 0.0
    out.append(f'<rect x="{_SHARE_X}" y="{y + 10:.1f}" width="{_SHARE_W}" height="18" fill="{_TRACK}"/>')
    out.append(f'<rect class="share" x="{_SHARE_X}" y="{y + 10:.1f}" width="{bar:.1f}" height="18" fill="{_GREEN}"/>')
    out.append(_text(_SHARE_X + _SHARE_W + 8, y + 24, _pct_text(share, lang) if share is not None else "—", size=13))
    counts = (
        f"{row.on_time} {w['of']} {row.assessed} {w['on_time']}" if row.assessed else w["not_assessed"]
    ) + f" · {row.open} {w['open']}"
    if row.open_overdue:
        counts += f" ({row.open_overdue} {w['overdue']})"
    out.append(_text(_SHARE_X, y + 44, counts, size=11, fill=_MUTED))

    standard = row.standard_duration
    if standard is None or standard <= timedelta(0):
        out.append(_text(_TIME_X, y + 24, w["no_standard"], size=11, fill=_MUTED))
    elif row.median is None or row.p90 is None:
        out.append(_text(_TIME_X, y + 24, w["none_done"], size=11, fill=_MUTED))
    else:
        unit = _STD_X - _TIME_X
        for span, top, colour in ((row.median, 6, _MEDIAN), (row.p90, 20, _P90)):
            width = min(span / standard, 1.5) * unit
            out.append(
                f'<rect class="time" x="{_TIME_X}" y="{y + top:.1f}" width="{width:.1f}" height="12" fill="{colour}"/>'
            )
            if span > standard * 1.5:  # the bar is cut at the axis end; say so rather than understate
                out.append(_text(_TIME_X + width + 3, y + top + 11, "»", size=13, fill=_RED))
        out.append(
            _text(
                _TIME_X,
                y + 48,
                f"{w['median']} {duration_label(row.median, lang)} · {w['p90']} "
                f"{duration_label(row.p90, lang)} · {w['standard']} {standard_label(row.standard or '', lang)}",
                size=11,
                fill=_MUTED,
            )
        )
    if standard is not None and standard > timedelta(0):
        out.append(
            f'<line x1="{_STD_X:.1f}" y1="{y + 3:.1f}" x2="{_STD_X:.1f}" y2="{y + 35:.1f}" '
            f'stroke="{_RED}" stroke-width="2" stroke-dasharray="4 3"/>'
        )
    out.append("</g>")
    return out


def _axes(y: float, lang: str) -> list[str]:
    w = _SVG[lang]
    out = [
        f'<line x1="{_SHARE_X}" y1="{y:.1f}" x2="{_SHARE_X + _SHARE_W}" y2="{y:.1f}" stroke="{_MUTED}"/>',
        f'<line x1="{_TIME_X}" y1="{y:.1f}" x2="{_TIME_X + _TIME_W}" y2="{y:.1f}" stroke="{_MUTED}"/>',
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        x = _SHARE_X + _SHARE_W * fraction
        out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 5:.1f}" stroke="{_MUTED}"/>')
        out.append(_text(x, y + 18, f"{fraction * 100:.0f}%", size=11, extra=' text-anchor="middle"'))
    unit = _STD_X - _TIME_X
    for multiple, label in ((0, "0"), (0.5, "50%"), (1, w["standard"]), (1.5, "150%")):
        x = _TIME_X + unit * multiple
        out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 5:.1f}" stroke="{_MUTED}"/>')
        out.append(_text(x, y + 18, label, size=11, extra=' text-anchor="middle"'))
    return out


def _legend(y: float, lang: str) -> list[str]:
    w = _SVG[lang]
    out: list[str] = []
    x = _LABEL_X
    for colour, label in ((_GREEN, w["legend_share"]), (_MEDIAN, w["legend_median"]), (_P90, w["legend_p90"])):
        out.append(f'<rect x="{x}" y="{y - 10:.1f}" width="14" height="12" fill="{colour}"/>')
        out.append(_text(x + 20, y, label, size=12))
        x += 40 + 8 * len(label)
    out.append(
        f'<line x1="{x + 7}" y1="{y - 12:.1f}" x2="{x + 7}" y2="{y + 3:.1f}" stroke="{_RED}" '
        'stroke-width="2" stroke-dasharray="4 3"/>'
    )
    out.append(_text(x + 20, y, w["legend_standard"], size=12))
    return out


def report_svg(report: SlaReport, lang: str = "id") -> str:
    """A standalone SVG chart: per SOP step, the on-time share and the median and p90 against the standard.

    Presentation attributes only (no style, script or event handlers), so it
    passes a strict Content-Security-Policy inline or as an image; every
    text from the data is escaped.
    """
    lang = _lang(lang)
    w = _SVG[lang]
    period = f"{w['period']} {_wib(report.period_start)} \u2013 {_wib(report.period_end)} WIB"
    rows = report.by_step
    if rows:
        height = _TOP + len(rows) * _ROW_H + 70
        desc = "; ".join(_step_summary(r, lang) for r in rows)
    else:
        height = 170
        desc = w["empty"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="sla-title sla-desc" '
        f'width="{_WIDTH}" height="{height}" viewBox="0 0 {_WIDTH} {height}">',
        f'<title id="sla-title">{_esc(w["title"])}</title>',
        f'<desc id="sla-desc">{_esc(period + ". " + desc)}</desc>',
        f'<rect x="0" y="0" width="{_WIDTH}" height="{height}" fill="#ffffff"/>',
        _text(_LABEL_X, 30, w["title"], size=18, extra=' font-weight="bold"'),
        _text(_LABEL_X, 52, f"{period} · {report.occurrences} {w['occurrences']}", size=12, fill=_MUTED),
    ]
    if not rows:
        out.append(
            f'<rect x="{_LABEL_X}" y="72" width="{_WIDTH - 2 * _LABEL_X}" height="70" fill="#f6f7f9" '
            f'stroke="{_TRACK}"/>'
        )
        out.append(_text(_WIDTH / 2, 112, w["empty"], size=14, fill=_MUTED, extra=' text-anchor="middle"'))
        out.append("</svg>")
        return "\n".join(out)
    out.append(_text(_LABEL_X, 84, w["step"], size=12, extra=' font-weight="bold"'))
    out.append(_text(_SHARE_X, 84, w["share_head"], size=12, extra=' font-weight="bold"'))
    out.append(_text(_TIME_X, 84, w["time_head"], size=12, extra=' font-weight="bold"'))
    for i, row in enumerate(rows):
        out.extend(_step_svg(row, _TOP + i * _ROW_H, lang, shade=i % 2 == 0))
    axis_y = _TOP + len(rows) * _ROW_H + 4
    out.extend(_axes(axis_y, lang))
    out.extend(_legend(axis_y + 48, lang))
    out.append("</svg>")
    return "\n".join(out)
