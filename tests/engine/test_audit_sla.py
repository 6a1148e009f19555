"""The SLA compliance report: hand-built task facts with answers worked out by hand."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from engine.audit.sla import (
    SlaReport,
    StepRow,
    TaskFact,
    build_report,
    duration_label,
    percentile,
    standard_label,
)
from engine.audit.sla_render import report_csv, report_svg
from engine.errors import InvalidInput

SVG = "{http://www.w3.org/2000/svg}"
# Monday 23 November 2026, 09:00 WIB
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
START = T0 - timedelta(days=1)
END = T0 + timedelta(days=30)
NOW = T0 + timedelta(days=10)

STEP_TASKS = {
    1: ("Langkah1_MenanyakanPelayanan", "Menanyakan Pelayanan", "Pemohon", "PT15M"),
    2: ("Langkah2_MenjelaskanJenisStandarLayanan", "Menjelaskan Jenis dan Standar Layanan", "PTSP", "PT15M"),
    3: ("Langkah3_MenyerahkanBerkasPermohonan", "Menyerahkan Berkas Permohonan Layanan", "Pemohon", "PT15M"),
    4: ("Langkah4_MemeriksaKelengkapanBerkas", "Memeriksa Kelengkapan Berkas", "PTSP", "PT15M"),
    5: (
        "Langkah5_DisposisiKepalaKantor",
        "Mendisposisikan kepada Kasubag untuk Ditindaklanjuti",
        "Kepala Kantor",
        "PT15M",
    ),
    6: ("Langkah6_DisposisiKasubag", "Mendisposisikan kepada Kasi untuk Tindak Lanjut", "Kasubag", "PT15M"),
    8: ("Langkah8_MenerimaProdukUntukDiserahkan", "Menerima Produk Layanan", "PTSP", "PT15M"),
    9: ("Langkah9_MenerimaProdukLayanan", "Menerima Produk Layanan", "Pemohon", "PT10M"),
}
MELENGKAPI = ("Langkah3_MelengkapiBerkasPermohonan", "Melengkapi Berkas Permohonan", "Pemohon", "PT15M")
STEP7 = (
    ("Langkah7_MemprosesLayanan", "Memproses Layanan dan Menyerahkan kepada Pimpinan", "Kasi"),
    ("Langkah7_ParafTandaTangan", "Memberi Paraf dan Tanda Tangan", "Kepala Kantor"),
    ("Langkah7_MendokumentasikanProduk", "Mendokumentasikan Hasil Produk", "Kasi"),
)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def task(
    step: int,
    ready: datetime,
    took: timedelta | None,
    *,
    instance: int = 1,
    status: str | None = None,
    due: datetime | None = None,
    breached: datetime | None = None,
    element: tuple[str, str, str, str] | None = None,
    by: str | None = "petugas",
) -> TaskFact:
    """A task of ``step`` ready at ``ready``; ``took`` None leaves it open. The deadline defaults to its standard."""
    element_id, name, lane, standard = element or STEP_TASKS[step]
    completed = ready + took if took is not None else None
    return TaskFact(
        instance_id=instance,
        registration=f"PTSP-2026-{instance:05d}",
        service="Legalisir dokumen",
        element_id=element_id,
        name=name,
        lane=lane,
        sop_step=step,
        status=status or ("completed" if took is not None else "ready"),
        ready_at=ready,
        completed_at=completed if (status or "completed") == "completed" else None,
        due_at=due if due is not None else ready + (minutes(10) if standard == "PT10M" else minutes(15)),
        breached_at=breached,
        standard=standard,
        completed_by=by if completed is not None else None,
    )


def step7_pass(instance: int, start: datetime, ends: tuple[float, float, float]) -> list[TaskFact]:
    """One pass of step 7: three tasks, each ready when the previous ends (hours from start), one shared deadline."""
    due = start + timedelta(days=1)
    facts, ready = [], start
    for (element_id, name, lane), end in zip(STEP7, ends, strict=True):
        done = start + timedelta(hours=end)
        facts.append(
            task(
                7,
                ready,
                done - ready,
                instance=instance,
                due=due,
                element=(element_id, name, lane, "P1D"),
                breached=due if done > due else None,
            )
        )
        ready = done
    return facts


def report(facts: list[TaskFact], **kw: datetime) -> SlaReport:
    return build_report(
        facts,
        period_start=kw.get("period_start", START),
        period_end=kw.get("period_end", END),
        now=kw.get("now", NOW),
    )


def row(rep: SlaReport, step: int) -> StepRow:
    (found,) = [r for r in rep.by_step if r.step == step]
    return found


# ----------------------------------------------------------------- the numbers
TEN_DURATIONS = (5, 6, 7, 8, 9, 10, 11, 20, 25, 30)  # minutes; the first seven are within 15


def ten_step1_tasks() -> list[TaskFact]:
    # shuffled so that nothing depends on input order
    order = (3, 9, 0, 7, 5, 1, 8, 2, 6, 4)
    return [task(1, T0 + timedelta(hours=i), minutes(TEN_DURATIONS[i]), instance=i + 1) for i in order]


def test_seven_of_ten_on_time_is_seventy_percent() -> None:
    r = row(report(ten_step1_tasks()), 1)
    assert (r.occurrences, r.completed, r.assessed, r.on_time) == (10, 10, 10, 7)
    assert r.on_time_share == pytest.approx(0.7)


def test_median_and_p90_by_linear_interpolation() -> None:
    r = row(report(ten_step1_tasks()), 1)
    # sorted: 5 6 7 8 9 10 11 20 25 30; median = (9 + 10) / 2
    assert r.median == minutes(9.5)
    # h = (10 - 1) * 0.9 = 8.1 -> x[8] + 0.1 * (x[9] - x[8]) = 25 + 0.5 (nearest rank would say 25)
    assert r.p90 == minutes(25.5)


def test_percentile_definition() -> None:
    values = [minutes(m) for m in (10, 1, 9, 2, 8, 3, 7, 4, 6, 5)]
    assert percentile(values, 50) == minutes(5.5)
    assert percentile(values, 90) == timedelta(minutes=9, seconds=6)  # 9 + 0.1 * 1 minute
    assert percentile(values, 0) == minutes(1)
    assert percentile(values, 100) == minutes(10)
    assert percentile([minutes(4)], 90) == minutes(4)
    assert percentile([minutes(1), minutes(2)], 50) == timedelta(seconds=90)
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_on_time_includes_the_deadline_instant() -> None:
    at_deadline = task(1, T0, minutes(15))
    one_second_late = task(1, T0 + timedelta(hours=1), timedelta(minutes=15, seconds=1), instance=2)
    r = row(report([at_deadline, one_second_late]), 1)
    assert (r.on_time, r.assessed) == (1, 2)


# --------------------------------------------------------------------- step 7
def test_step7_pass_is_one_occurrence_with_the_shared_deadline() -> None:
    in_time = step7_pass(1, T0, (3, 5, 6))
    # the pass needs 26 h: the signing (ready at 20 h) and the documenting are both past the deadline
    late = step7_pass(2, T0 + timedelta(days=2), (20, 25, 26))
    rep = report(in_time + late)
    r = row(rep, 7)
    assert r.occurrences == 2
    assert (r.completed, r.assessed, r.on_time) == (2, 2, 1)
    assert r.on_time_share == 0.5
    # durations run from the first task's ready_at to the last task's completed_at
    assert r.median == timedelta(hours=16)  # (6 + 26) / 2
    assert r.p90 == timedelta(hours=24)  # 6 + 0.9 * 20
    assert r.breaches == 1  # one occurrence, however many of its tasks breached
    assert r.names == tuple(name for _, name, _ in STEP7)
    assert r.lanes == ("Kepala Kantor", "Kasi")
    assert (r.standard, r.standard_label) == ("P1D", "1 hari")
    # the lanes and the breach list are per task
    lanes = {lane.lane: lane for lane in rep.by_lane}
    assert lanes["Kasi"].tasks == 4 and lanes["Kepala Kantor"].tasks == 2
    assert lanes["Kasi"].breaches == 1 and lanes["Kepala Kantor"].breaches == 1
    assert [b.task_name for b in rep.breaches] == [STEP7[1][1], STEP7[2][1]]
    # the Kasi documented 2 h after the shared deadline
    assert rep.breaches[1].overrun == timedelta(hours=2)


def test_an_open_step7_pass_is_open_until_its_last_task() -> None:
    first, second, _ = step7_pass(1, T0, (3, 5, 6))
    waiting = replace(second, status="ready", completed_at=None, completed_by=None)
    r = row(report([first, waiting]), 7)
    assert (r.occurrences, r.completed, r.open, r.open_overdue) == (1, 0, 1, 1)
    assert r.median is None


# ------------------------------------------------------------------------ loops
def test_incomplete_file_loop_gives_two_step4_occurrences() -> None:
    t = T0
    facts = [
        task(3, t, minutes(5)),
        task(4, t + minutes(5), minutes(10)),  # belum lengkap: returned
        task(3, t + minutes(15), minutes(40), element=MELENGKAPI),  # late: 40 minutes to complete the file
        task(4, t + minutes(55), minutes(20)),  # late
    ]
    rep = report(facts)
    step3, step4 = row(rep, 3), row(rep, 4)
    assert step4.occurrences == 2 and step4.on_time == 1
    assert step4.median == minutes(15)
    assert step3.occurrences == 2 and step3.on_time == 1
    assert step3.names == ("Menyerahkan Berkas Permohonan Layanan", "Melengkapi Berkas Permohonan")
    assert rep.occurrences == 4 and rep.tasks == 4


# ------------------------------------------------------------- open and cancelled
def test_open_task_past_its_deadline_counts_as_late_and_as_a_breach() -> None:
    overdue = task(5, T0, None, breached=T0 + minutes(15))
    not_yet_due = task(5, NOW - minutes(5), None, instance=2)
    in_time = task(5, T0 + timedelta(hours=1), minutes(10), instance=3)
    rep = report([overdue, not_yet_due, in_time])
    r = row(rep, 5)
    assert (r.open, r.open_overdue) == (2, 1)
    assert (r.assessed, r.on_time) == (2, 1)  # the task not yet due is not judged
    assert r.on_time_share == 0.5
    assert r.breaches == 1
    (b,) = rep.breaches
    assert b.completed_at is None and b.completed_by is None
    assert b.overrun == NOW - (T0 + minutes(15))
    assert (b.registration, b.step, b.lane) == ("PTSP-2026-00001", 5, "Kepala Kantor")


def test_cancelled_tasks_are_left_out_of_shares_and_durations() -> None:
    facts = [
        task(2, T0, minutes(5)),
        task(2, T0 + timedelta(hours=1), minutes(10), instance=2),
        # withdrawn two hours in: not completed, yet its deadline had passed and the breach stands
        task(2, T0 + timedelta(hours=2), minutes(120), instance=3, status="cancelled", breached=T0 + minutes(135)),
    ]
    r = row(report(facts), 2)
    assert (r.occurrences, r.completed, r.cancelled) == (3, 2, 1)
    assert r.on_time_share == 1.0
    assert r.median == minutes(7.5)
    assert r.breaches == 1
    assert r.open == 0


def test_empty_input() -> None:
    rep = report([])
    assert rep.is_empty
    assert rep.by_step == () and rep.by_lane == () and rep.breaches == ()
    blocks = sections(report_csv(rep))
    for title in ("Per langkah SOP", "Per lajur", "Pelanggaran"):
        assert len(blocks[title]) == 2  # the title and the header, no rows
    svg = report_svg(rep)
    root = etree.fromstring(svg.encode())
    assert not root.findall(f".//{SVG}rect[@class='share']")
    assert "Tidak ada data pada periode ini." in "".join(root.itertext())


def test_no_timer_means_not_assessed() -> None:
    untimed = replace(task(6, T0, minutes(30)), due_at=None, standard=None)
    r = row(report([untimed]), 6)
    assert (r.completed, r.assessed, r.on_time_share) == (1, 0, None)
    assert r.standard is None and r.standard_label == ""
    assert r.median == minutes(30)
    assert "Langkah 6" in report_svg(report([untimed]))


# ----------------------------------------------------------------------- period
def test_period_by_the_start_of_the_occurrence() -> None:
    start, end = T0, T0 + timedelta(days=7)
    facts = [
        task(1, start - timedelta(seconds=1), minutes(5), instance=1),  # before: out
        task(1, start, minutes(5), instance=2),  # at the start: in
        task(1, end - timedelta(seconds=1), minutes(5), instance=3),  # just before the end: in
        task(1, end, minutes(5), instance=4),  # at the end: out
        # a step-7 pass starting an hour before the end is measured whole, though its later tasks start after it
        *step7_pass(5, end - timedelta(hours=1), (0.5, 2, 3)),
    ]
    rep = report(facts, period_start=start, period_end=end)
    assert row(rep, 1).occurrences == 2
    r7 = row(rep, 7)
    assert r7.occurrences == 1 and r7.median == timedelta(hours=3)
    assert rep.tasks == 5
    lanes = {lane.lane: lane.tasks for lane in rep.by_lane}
    assert lanes == {"Pemohon": 2, "Kasi": 2, "Kepala Kantor": 1}


def test_lanes_in_sop_order_with_their_own_task_durations() -> None:
    facts = [task(s, T0 + timedelta(hours=s), minutes(s), instance=s) for s in (9, 6, 5, 4, 1)]
    facts.append(replace(task(2, T0, minutes(3), instance=20), lane=None))
    facts += step7_pass(30, T0, (1, 2, 3))
    rep = report(facts)
    assert [lane.lane for lane in rep.by_lane] == ["Pemohon", "PTSP", "Kepala Kantor", "Kasubag", "Kasi", None]
    pemohon = rep.by_lane[0]
    assert pemohon.tasks == 2 and pemohon.median == minutes(5)  # steps 1 and 9: 1 and 9 minutes
    assert pemohon.standards == ("PT10M", "PT15M")
    kepala = rep.by_lane[2]
    assert kepala.tasks == 2 and kepala.standards == ("PT15M", "P1D")
    assert kepala.median == timedelta(minutes=32, seconds=30)  # 5 minutes and the 1-hour signing
    assert [r.step for r in rep.by_step] == [1, 2, 4, 5, 6, 7, 9]


# ---------------------------------------------------------------------- labels
def test_standard_labels() -> None:
    assert [standard_label(s) for s in ("PT15M", "P1D", "PT10M")] == ["15 menit", "1 hari", "10 menit"]
    assert [standard_label(s, "en") for s in ("PT15M", "P1D", "PT1M")] == ["15 minutes", "1 day", "1 minute"]
    assert standard_label("PT1H30M", lang="en") == "1 hour 30 minutes"
    assert duration_label(timedelta(minutes=4, seconds=30)) == "4 menit 30 detik"
    assert duration_label(timedelta(minutes=12, seconds=30)) == "13 menit"
    assert duration_label(timedelta(seconds=45), "en") == "45 seconds"
    assert duration_label(timedelta(0)) == "0 detik"
    assert duration_label(timedelta(days=1, hours=3, minutes=5), "en") == "1 day 3 hours"
    assert duration_label(timedelta(hours=2)) == "2 jam"
    with pytest.raises(InvalidInput):
        standard_label("PT15M", lang="fr")


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="period_start"):
        build_report([], period_start=datetime(2026, 1, 1), period_end=END, now=NOW)
    with pytest.raises(InvalidInput, match="end after"):
        build_report([], period_start=END, period_end=START, now=NOW)
    with pytest.raises(InvalidInput, match="status"):
        report([replace(task(1, T0, minutes(1)), status="done")])
    with pytest.raises(InvalidInput, match="ready_at"):
        report([replace(task(1, T0, minutes(1)), ready_at=datetime(2026, 11, 23, 2))])


# ------------------------------------------------------------------------- CSV
def sections(text: str) -> dict[str, list[list[str]]]:
    """The CSV split at its blank rows, keyed by each block's title cell."""
    blocks: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for line in csv.reader(io.StringIO(text)):
        if not line:
            current = []
            continue
        if not current:
            blocks[line[0]] = current
        current.append(line)
    return blocks


def test_csv_reads_back_and_defuses_formulas() -> None:
    evil = [
        replace(task(1, T0, minutes(5)), name='=HYPERLINK("http://x","klik")'),
        replace(
            task(1, T0 + minutes(30), minutes(40), instance=2, breached=T0 + minutes(45)),
            completed_by="@admin",
            registration="+62-1",
        ),
        replace(task(4, T0, minutes(5), instance=3), name="-2+3", lane=" =cmd"),
    ]
    blocks = sections(report_csv(report(evil)))
    steps = blocks["Per langkah SOP"]
    header = steps[1]
    assert header[:6] == ["Langkah", "Kegiatan", "Lajur", "Standar", "Standar (ISO 8601)", "Jumlah"]
    step1 = dict(zip(header, steps[2], strict=True))
    assert step1["Langkah"] == "1"
    assert step1["Jumlah"] == "2"
    assert step1["Tepat waktu (%)"] == "50.0"
    assert step1["Median (menit)"] == "22.5"
    assert step1["Standar"] == "15 menit"
    assert step1["Kegiatan"].startswith("'=HYPERLINK")
    lanes = blocks["Per lajur"]
    assert [r[0] for r in lanes[2:]] == ["Pemohon", "' =cmd"]
    breaches = blocks["Pelanggaran"]
    breach = dict(zip(breaches[1], breaches[2], strict=True))
    assert breach["Nomor Registrasi"] == "'+62-1"
    assert breach["Diselesaikan oleh"] == "'@admin"
    assert breach["Batas waktu (WIB)"] == "2026-11-23 09:45:00"
    assert breach["Keterlambatan (menit)"] == "25.0"
    step4 = dict(zip(header, steps[3], strict=True))
    assert step4["Kegiatan"] == "'-2+3"
    # no text cell anywhere starts a formula
    for line in csv.reader(io.StringIO(report_csv(report(evil)))):
        for cell in line:
            if cell.lstrip()[:1] in ("=", "+", "-", "@"):
                assert cell.startswith("'"), cell


def test_csv_in_english() -> None:
    blocks = sections(report_csv(report(ten_step1_tasks()), lang="en"))
    header, first = blocks["By SOP step"][1:3]
    step1 = dict(zip(header, first, strict=True))
    assert step1["On time (%)"] == "70.0"
    assert step1["Median (minutes)"] == "9.5"
    assert step1["90th percentile (minutes)"] == "25.5"
    assert step1["Standard"] == "15 minutes"
    assert "By lane" in blocks and "Breaches" in blocks


# ------------------------------------------------------------------------- SVG
def all_steps() -> list[TaskFact]:
    facts = [task(s, T0 + timedelta(hours=s), minutes(s + 3), instance=s) for s in STEP_TASKS]
    return facts + step7_pass(50, T0, (2, 4, 5))


def test_svg_is_standalone_and_has_one_bar_per_step() -> None:
    rep = report(all_steps())
    svg = report_svg(rep)
    root = etree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    bars = root.findall(f".//{SVG}rect[@class='share']")
    assert len(bars) == len(rep.by_step) == 9
    texts = [" ".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert [t for t in texts if t.startswith("Langkah ")] == [f"Langkah {n}" for n in range(1, 10)]
    assert "100%" in texts
    assert "<script" not in svg.lower()
    for element in root.iter():
        for name in element.attrib:
            assert not name.lower().startswith("on"), name
            assert name != "style"
        assert etree.QName(element).localname not in ("script", "style", "foreignObject", "image")
        assert not any("href" in name for name in element.attrib)


def test_svg_bar_width_follows_the_share() -> None:
    rep = report(ten_step1_tasks())
    root = etree.fromstring(report_svg(rep).encode())
    (bar,) = root.findall(f".//{SVG}rect[@class='share']")
    track = bar.getprevious()
    assert float(bar.get("width")) == pytest.approx(0.7 * float(track.get("width")))
    assert "70%" in [t.text for t in root.iter(f"{SVG}text")]


def test_svg_escapes_names() -> None:
    nasty = 'Periksa <b>&amp; "berkas"</b> & <script>alert(1)</script>'
    facts = [replace(task(1, T0, minutes(5)), name=nasty)]
    svg = report_svg(report(facts), lang="en")
    assert "<script" not in svg and "<b>" not in svg
    root = etree.fromstring(svg.encode())
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert any(nasty in t for t in titles)
    assert nasty in root.find(f"{SVG}desc").text
