"""Logging in and out, signing up, cookies, CSRF, the language switch."""

from __future__ import annotations

from engine import Engine


def test_login_logout(browser) -> None:
    b = browser()
    assert b.get("/").location.endswith("/masuk")
    page = b.get("/masuk")
    assert page.status_code == 200 and "<title>Masuk" in page.get_data(as_text=True)
    wrong = b.post("/masuk", {"login": "ptsp", "password": "salah"})
    assert wrong.status_code == 400 and "Nama pengguna atau kata sandi salah." in wrong.get_data(as_text=True)
    b.login("ptsp")
    assert b.get("/").location.endswith("/tugas")
    out = b.post("/keluar")
    assert out.status_code == 302 and out.location.endswith("/masuk")
    assert b.get("/tugas").status_code == 302


def test_session_cookie_is_httponly_and_samesite(browser) -> None:
    b = browser()
    b.get("/masuk")
    response = b.post("/masuk", {"login": "ptsp", "password": "ptsp-kata-sandi"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_form_without_csrf_token_is_refused(browser, engine: Engine) -> None:
    b = browser()
    assert b.post("/masuk", {"login": "ptsp", "password": "ptsp-kata-sandi"}, csrf=False).status_code == 400
    b = browser("warga")
    assert b.post("/permohonan/baru", csrf=False).status_code == 400
    assert engine.applications(as_user="warga") == []
    assert b.post("/permohonan/baru", {"csrf_token": "palsu"}, csrf=False).status_code == 400
    assert engine.applications(as_user="warga") == []


def test_an_applicant_signs_up(browser, engine: Engine) -> None:
    b = browser()
    b.get("/daftar")
    bad = b.post("/daftar", {"name": "Ani", "login": "Ani Wijaya", "password": "pendek", "confirm": "lain"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Gunakan 2 sampai 64 huruf kecil" in text and "Kata sandi tidak sama" in text
    ok = b.post(
        "/daftar", {"name": "Ani Wijaya", "login": "ani", "password": "kata-sandi-ani", "confirm": "kata-sandi-ani"}
    )
    assert ok.status_code == 302 and ok.location.endswith("/permohonan")
    assert engine.authenticate("ani", "kata-sandi-ani").lanes == ("Pemohon",)
    taken = browser().post(
        "/daftar", {"name": "Ani Lain", "login": "ani", "password": "kata-sandi-lain", "confirm": "kata-sandi-lain"}
    )
    assert taken.status_code == 400 and "Nama pengguna ini sudah dipakai." in taken.get_data(as_text=True)


def test_login_redirects_only_within_the_site(browser) -> None:
    b = browser()
    b.get("/masuk")
    r = b.client.post(
        "/masuk?next=https://evil.example/",
        data={"login": "ptsp", "password": "ptsp-kata-sandi", "csrf_token": b.token},
    )
    assert r.location == "/" or (r.location.endswith("/") and "evil" not in r.location)
    b = browser()
    b.get("/masuk")
    r = b.client.post(
        "/masuk?next=/tugas/lajur/ptsp", data={"login": "ptsp", "password": "ptsp-kata-sandi", "csrf_token": b.token}
    )
    assert r.location.endswith("/tugas/lajur/ptsp")


def test_language_switch(browser) -> None:
    b = browser("ptsp")
    assert "Tugas" in b.get("/tugas").get_data(as_text=True)
    r = b.post("/bahasa", {"lang": "en", "next": "/tugas"})
    assert r.location.endswith("/tugas")
    page = b.get("/tugas").get_data(as_text=True)
    assert '<html lang="en">' in page and "Open tasks per lane" in page
    b.post("/bahasa", {"lang": "xx", "next": "https://evil.example"})
    assert '<html lang="en">' in b.get("/tugas").get_data(as_text=True)
