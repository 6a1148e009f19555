"""The notifications page: one's own only, marking read (one, all) with CSRF, and others' ids refused."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from flask_login import login_user

from engine import Engine
from webui.auth import WebUser

from ..helpers import Application, fingerprint


@pytest.fixture
def told(engine: Engine) -> dict:
    """ptsp is told of two arrivals, warga of a returned file."""
    Application(engine).do(1)
    returned = Application(engine)
    returned.walk([1, 2, 3])
    returned.do(4, berkas_lengkap=False, catatan_kekurangan="Bawa kartu keluarga asli")
    other = Application(engine, "warga2")
    other.do(1)
    engine.notify_pending()
    mine = engine.notifications(as_user="ptsp")
    theirs = engine.notifications(as_user="warga")
    assert len(mine) == 2 and len(theirs) == 1
    return {"mine": mine, "theirs": theirs, "returned": returned}


def test_the_page_lists_ones_own_notifications_newest_first(browser, told: dict) -> None:
    page = browser("ptsp").get("/notifikasi")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    positions = [text.index(f'id="notifikasi-{n.id}"') for n in told["mine"]]
    assert positions == sorted(positions)  # newest first, as the engine gives them
    assert text.count('class="card notification notification-task_arrived unread"') == 2
    assert told["theirs"][0].title not in text
    assert f'href="{told["mine"][0].link}"' in text
    own = browser("warga").get("/notifikasi").get_data(as_text=True)
    assert told["theirs"][0].title in own and "Bawa kartu keluarga asli" in own
    assert told["mine"][0].title not in own


def test_visitors_are_sent_to_log_in(browser, told: dict, engine: Engine) -> None:
    b = browser()
    assert b.get("/notifikasi").status_code == 302
    before = fingerprint(engine)
    assert b.post(f"/notifikasi/{told['mine'][0].id}/dibaca").status_code == 302
    assert b.post("/notifikasi/dibaca").status_code == 302
    assert fingerprint(engine) == before


def test_marking_one_read(browser, told: dict, engine: Engine) -> None:
    b = browser("ptsp")
    first, second = told["mine"]
    response = b.post(f"/notifikasi/{first.id}/dibaca")
    assert response.status_code == 302 and response.location.endswith("/notifikasi")
    assert [n.id for n in engine.notifications(as_user="ptsp", unread_only=True)] == [second.id]
    text = b.get("/notifikasi?belum=1").get_data(as_text=True)
    assert f'id="notifikasi-{second.id}"' in text and f'id="notifikasi-{first.id}"' not in text
    # open: marked read, and on to the page it is about
    opened = b.post(f"/notifikasi/{second.id}/dibaca", {"next": second.link})
    assert opened.status_code == 302 and opened.location.endswith(second.link)
    assert engine.unread_count(as_user="ptsp") == 0


def test_only_pages_of_this_site_are_opened(browser, told: dict) -> None:
    b = browser("ptsp")
    response = b.post(f"/notifikasi/{told['mine'][0].id}/dibaca", {"next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response.location


def test_others_notifications_are_refused_and_nothing_changes(browser, told: dict, engine: Engine) -> None:
    b = browser("ptsp")
    before = fingerprint(engine)
    assert b.post(f"/notifikasi/{told['theirs'][0].id}/dibaca").status_code == 404
    assert b.post("/notifikasi/999999999/dibaca").status_code == 404
    assert b.post("/notifikasi/99999999999999999999999/dibaca").status_code == 404
    assert b.post(f"/notifikasi/{told['mine'][0].id}/dibaca", csrf=False).status_code == 400
    assert b.post("/notifikasi/dibaca", csrf=False).status_code == 400
    assert b.get(f"/notifikasi/{told['mine'][0].id}/dibaca").status_code == 405
    assert fingerprint(engine) == before


def test_marking_all_read_touches_only_ones_own(browser, told: dict, engine: Engine) -> None:
    b = browser("ptsp")
    assert "/notifikasi/dibaca" in b.get("/notifikasi").get_data(as_text=True)
    response = b.post("/notifikasi/dibaca")
    assert response.status_code == 302
    assert engine.unread_count(as_user="ptsp") == 0
    assert engine.unread_count(as_user="warga") == 1
    page = b.get("/notifikasi").get_data(as_text=True)
    assert 'action="/notifikasi/dibaca"' not in page  # nothing left to mark
    assert ' unread"' not in page and page.count("notification-task_arrived") == 2


def test_templates_get_the_unread_count(app: Flask, told: dict, engine: Engine) -> None:
    with app.test_request_context("/"):
        assert render_template_string("{{ unread_notifications }}") == "0"  # a visitor
        login_user(WebUser(engine.user("ptsp")))
        assert render_template_string("{{ unread_notifications }}") == "2"
        assert render_template_string("{% if unread_notifications > 1 %}many{% endif %}") == "many"


def test_an_applicant_may_give_an_email_address_when_signing_up(browser, engine: Engine) -> None:
    b = browser()
    b.get("/daftar")
    form = {"name": "Ani Wijaya", "login": "ani", "password": "kata-sandi-ani", "confirm": "kata-sandi-ani"}
    assert 'type="email"' in b.get("/daftar").get_data(as_text=True)
    before = fingerprint(engine)
    bad = b.post("/daftar", form | {"email": "bukan alamat"})
    assert bad.status_code == 400 and 'id="email-error"' in bad.get_data(as_text=True)
    assert fingerprint(engine) == before
    ok = b.post("/daftar", form | {"email": " ani@contoh.id "})
    assert ok.status_code == 302
    assert engine.authenticate("ani", "kata-sandi-ani").email == "ani@contoh.id"
    plain = browser().post("/daftar", form | {"login": "ani2", "email": ""})
    assert plain.status_code == 302
    assert engine.authenticate("ani2", "kata-sandi-ani").email is None


def test_everyone_logged_in_has_a_notifications_page(browser, auditor: str) -> None:
    for login in ("warga", "ptsp", "kepala", "kasubag", "kasi", auditor):
        assert browser(login).get("/notifikasi").status_code == 200, login
