"""Five people in five browsers take one application through all nine steps.

A real server (waitress, as ``ptsp serve`` runs it) on a SQLite file; Debian's
chromium driven by Playwright, one browser context per person. Screenshots of
each lane's list and of the application's diagram are written to
``test-artifacts/``. Skipped where chromium or Playwright is missing.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import Engine
from engine.demo import sample_form_data
from webui import create_app

from ..conftest import APPLICANTS, STAFF, STAFF_SEKSI, password_of

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (/usr/bin/chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(sqlite_url: str, ptsp_xml: bytes) -> Iterator[tuple[str, Engine]]:
    from waitress.server import create_server

    engine = Engine(sqlite_url)
    engine.deploy(ptsp_xml)
    engine.ensure_catalogue()
    for login in APPLICANTS:
        engine.add_user(
            login, ["Pemohon"], name="Siti Aminah" if login == "warga" else login, password=password_of(login)
        )
    for login, lanes in STAFF.items():
        engine.add_user(login, lanes, name=login.title(), password=password_of(login), seksi=STAFF_SEKSI.get(login))
    app = create_app({"ENGINE": engine, "SECRET_KEY": "e2e-secret"})
    port = free_port()
    httpd = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", engine
    httpd.close()
    engine.close()


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def log_in(browser, base: str, login: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.goto(f"{base}/masuk")
    page.get_by_label("Nama pengguna").fill(login)
    page.get_by_label("Kata sandi").fill(password_of(login))
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    assert "/masuk" not in page.url, page.content()[:500]
    return page


def fill_and_complete(page, engine: Engine, task_id: str, **overrides) -> None:
    form = engine.task(task_id).form
    for field_id, value in sample_form_data(form, overrides).items():
        field = next(f for f in form.fields if f.id == field_id)
        if value is None:
            continue
        if field.type == "boolean":
            page.locator(f'input[name="{field_id}"][value="{"true" if value else "false"}"]').check()
        elif field.type == "enum":
            page.locator(f'select[name="{field_id}"]').select_option(value)
        elif field.type == "checklist":
            for item in value:
                page.locator(f'input[name="{field_id}"][value="{item}"]').check()
        else:
            page.locator(f'[name="{field_id}"]').fill(str(value))
    page.get_by_role("button", name="Selesaikan tugas ini").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1, page.content()[:800]


def test_five_people_take_one_application_through_all_nine_steps(server, browser) -> None:
    base, engine = server
    ARTIFACTS.mkdir(exist_ok=True)
    people = {login: log_in(browser, base, login) for login in ("warga", "ptsp", "kepala", "kasubag", "kasi")}
    slug = {"ptsp": "ptsp", "kepala": "kepala-kantor", "kasubag": "kasubag", "kasi": "kasi"}

    applicant = people["warga"]
    applicant.goto(f"{base}/permohonan/baru")
    applicant.get_by_role("button", name="Ajukan permohonan").click()
    applicant.wait_for_load_state()
    assert "PTSP/2026/" in applicant.title() or "PTSP/" in applicant.content()
    instance = int(applicant.url.rstrip("/").split("/")[-1])

    def step(login: str, **overrides) -> None:
        page = people[login]
        [task] = engine.tasks(instance=instance)
        if login == "warga":
            page.goto(f"{base}/permohonan/{instance}")
            page.get_by_role("link", name=task.name).click()
        else:
            page.goto(f"{base}/tugas/lajur/{slug[login]}")
            page.screenshot(path=str(ARTIFACTS / f"lane-{slug[login]}-step-{task.sop_step}.png"), full_page=True)
            page.get_by_role("link", name=task.registration).click()
        page.wait_for_load_state()
        assert task.name in page.title()
        fill_and_complete(page, engine, task.id, **overrides)

    step("warga")  # 1
    step("ptsp")  # 2
    step("warga")  # 3
    step("ptsp", berkas_lengkap=False)  # 4: returned as incomplete
    step("warga")  # melengkapi berkas
    step("ptsp", berkas_lengkap=True)  # 4 again
    step("kepala")  # 5
    step("kasubag")  # 6
    step("kasi")  # 7: processing
    step("kepala")  # 7: paraf and tanda tangan
    step("kasi")  # 7: documentation
    step("ptsp")  # 8
    step("warga")  # 9

    applicant.goto(f"{base}/permohonan/{instance}")
    assert "Selesai" in applicant.locator(".status").first.inner_text()
    applicant.screenshot(path=str(ARTIFACTS / "application-completed.png"), full_page=True)
    diagram = people["kepala"]
    diagram.set_viewport_size({"width": 2900, "height": 1550})
    diagram.goto(f"{base}/permohonan/{instance}/diagram.svg")
    diagram.screenshot(path=str(ARTIFACTS / "diagram-completed.png"))
    assert engine.show(instance).status == "completed"
    history = [e.type for e in engine.history(instance)]
    assert history.count("task_completed") == 13 and history.count("gateway_decided") == 2


def test_the_task_list_works_at_phone_width(server, browser) -> None:
    base, engine = server
    started = engine.start(as_user="warga")
    task = engine.tasks(instance=started.instance)[0]
    engine.complete(task.id, as_user="warga", data=sample_form_data(engine.task(task.id).form, {}))
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{base}/masuk")
    page.get_by_label("Nama pengguna").fill("ptsp")
    page.get_by_label("Kata sandi").fill(password_of("ptsp"))
    with page.expect_navigation():
        page.keyboard.press("Enter")  # usable with the keyboard
    page.goto(f"{base}/tugas/lajur/ptsp")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lane-ptsp-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"the list overflows a phone screen ({width}px)"
    assert page.get_by_role("link", name=started.registration).is_visible()


def test_an_auditor_steps_through_a_replay(server, browser) -> None:
    base, engine = server
    engine.add_user("inspektorat", [], roles=["auditor"], name="Inspektorat", password=password_of("inspektorat"))
    started = engine.start(as_user="warga")
    task = engine.tasks(instance=started.instance)[0]
    engine.complete(task.id, as_user="warga", data=sample_form_data(engine.task(task.id).form, {}))
    page = log_in(browser, base, "inspektorat")
    assert page.url.endswith("/audit")
    page.get_by_role("link", name=started.registration).click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Pertama").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Berikutnya").click()
    page.wait_for_load_state()
    assert page.url.endswith("?peristiwa=2") and page.locator("#peristiwa").input_value() == "2"
    assert "Tugas siap" in page.locator(".event-detail").inner_text()
    page.wait_for_function("document.querySelector('figure.diagram img').complete")
    assert page.locator("figure.diagram img").evaluate("img => img.naturalWidth") > 0  # the diagram drew
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "audit-replay.png"), full_page=True)


def test_a_process_owner_uploads_sees_the_diff_and_activates(server, browser, tmp_path: Path) -> None:
    """Upload a modeler-edited file, read what changed on the preview, activate it with a change note."""
    from ..conftest import PTSP_BPMN
    from ..modeler_edit import standard_edit

    base, engine = server
    engine.add_user("pemilik", [], name="Pemilik Proses", roles=["process_owner"], password=password_of("pemilik"))
    running = engine.start(as_user="warga")
    edited = tmp_path / "ptsp-revisi.bpmn"
    edited.write_text(standard_edit(PTSP_BPMN.read_text(encoding="utf-8")), encoding="utf-8")
    broken = tmp_path / "ptsp-rusak.bpmn"
    broken.write_text(edited.read_text(encoding="utf-8").replace(">PT20M<", ">20 menit<"), encoding="utf-8")

    page = log_in(browser, base, "pemilik")
    assert page.url.endswith("/proses/versi")
    page.get_by_label("Berkas diagram (.bpmn)").set_input_files(str(broken))
    page.get_by_role("button", name="Unggah dan periksa").click()
    alert = page.get_by_role("alert")
    assert "tidak ada yang disimpan" in alert.inner_text() and "PT20M" in alert.inner_text()
    assert [v.version for v in engine.versions()] == [1]

    page.get_by_label("Berkas diagram (.bpmn)").set_input_files(str(edited))
    page.get_by_label("Apa yang berubah (boleh dikosongkan)").fill("Langkah 2 menjadi 20 menit")
    page.get_by_role("button", name="Unggah dan periksa").click()
    page.wait_for_url(f"{base}/proses/versi/2")
    rows = page.locator("table.diff tbody tr")
    assert rows.count() == 3
    table = page.locator("table.diff").inner_text()
    assert "PT15M" in table and "PT20M" in table and "nomor_tanda_terima" in table
    diagram = page.locator("figure.diagram img")
    diagram.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", diagram.element_handle())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "version-2-preview.png"), full_page=True)

    page.get_by_label("Catatan perubahan (wajib)").fill("SOP revisi: langkah 2 menjadi 20 menit")
    page.get_by_role("button", name="Aktifkan versi 2").click()
    page.wait_for_url(f"{base}/proses/versi")
    assert "Versi 2 aktif" in page.content()
    assert [(v.version, v.active) for v in engine.versions()] == [(2, True), (1, False)]
    assert engine.show(running.instance).version == 1  # running applications stay on theirs
    assert engine.show(engine.start(as_user="warga").instance).version == 2
