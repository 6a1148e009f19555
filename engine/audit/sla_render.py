"""The SLA compliance report for people: one CSV file and one SVG chart.

Both are drawn on the server from an ``SlaReport`` (see ``engine.audit.sla``
for the rules behind the numbers), in Indonesian or English. The SVG uses
presentation attributes only (the site's CSP forbids inline style), no script
and no external reference.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from ..calendar import WIB
from .sla import LANGS, SlaReport, StepRow, _lang, duration_label, standard_label

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
