"""Rate-limited logins and sign-ups through the pages: 429, a clear message, shared by every worker."""

from __future__ import annotations

from flask import Flask

from engine import Engine
from webui import create_app

from ..conftest import minutes, password_of
from .conftest import Browser


def text_of(response) -> str:
    return response.get_data(as_text=True)


def from_address(app: Flask, address: str = "127.0.0.1", **headers: str) -> Browser:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if headers:
        client.environ_base.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return Browser(client)


def try_login(b: Browser, login: str, password: str | None = None):
    b.get("/masuk")
    return b.post("/masuk", {"login": login, "password": password or "bukan-kata-sandinya"})


def test_five_failures_then_429_even_with_the_right_password(browser, clock) -> None:
    b = browser()
    for _ in range(5):
        assert try_login(b, "ptsp").status_code == 400
    refused = try_login(b, "ptsp", password_of("ptsp"))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "900"
    page = text_of(refused)
    assert "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit." in page
    assert 'role="alert"' in page and '<html lang="id">' in page
    assert b.get("/tugas").status_code == 302  # not logged in
    clock.shift(minutes(15))
    assert try_login(b, "ptsp", password_of("ptsp")).status_code == 302


def test_the_message_in_english(browser) -> None:
    b = browser()
    b.post("/bahasa", {"lang": "en"})
    for _ in range(5):
        try_login(b, "kasi")
    refused = try_login(b, "kasi", password_of("kasi"))
    assert refused.status_code == 429
    assert "Too many failed attempts to log in. Try again in 15 minutes." in text_of(refused)


def test_a_successful_login_clears_the_failures(browser) -> None:
    b = browser()
    for _ in range(4):
        try_login(b, "ptsp")
    assert try_login(b, "ptsp", password_of("ptsp")).status_code == 302
    b = browser()
    for _ in range(4):
        assert try_login(b, "ptsp").status_code == 400
    assert try_login(b, "ptsp", password_of("ptsp")).status_code == 302


def test_thirty_failures_limit_the_address_not_others(app: Flask) -> None:
    noisy = from_address(app, "10.0.0.1")
    for n in range(30):
        assert try_login(noisy, f"tamu{n}").status_code == 400
    assert try_login(noisy, "ptsp", password_of("ptsp")).status_code == 429
    assert try_login(from_address(app, "10.0.0.2"), "ptsp", password_of("ptsp")).status_code == 302


def test_two_workers_share_the_limits(db_url: str, engine: Engine) -> None:
    """Two apps on two engines (as two gunicorn workers): failures on one limit the other."""
    other_engine = Engine(db_url)
    try:
        config = {"TESTING": True, "SECRET_KEY": "test-secret"}
        first = create_app(config | {"ENGINE": engine})
        second = create_app(config | {"ENGINE": other_engine})
        for app in (first, second, first, second, first):
            assert try_login(from_address(app), "ptsp").status_code == 400
        assert try_login(from_address(second), "ptsp", password_of("ptsp")).status_code == 429
    finally:
        other_engine.close()


def test_behind_a_proxy_the_forwarded_address_counts(engine: Engine) -> None:
    app = create_app({"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test-secret", "PROXY_FIX": 1})
    for n in range(30):
        b = from_address(app, "192.0.2.1", x_forwarded_for="10.0.0.1")
        assert try_login(b, f"tamu{n}").status_code == 400
    limited = from_address(app, "192.0.2.1", x_forwarded_for="10.0.0.1")
    assert try_login(limited, "ptsp", password_of("ptsp")).status_code == 429
    neighbour = from_address(app, "192.0.2.1", x_forwarded_for="10.0.0.2")  # same proxy, another client
    assert try_login(neighbour, "ptsp", password_of("ptsp")).status_code == 302


def test_without_a_proxy_a_forged_forwarded_header_changes_nothing(app: Flask) -> None:
    for n in range(30):
        b = from_address(app, "10.0.0.1", x_forwarded_for=f"172.16.0.{n}")
        assert try_login(b, f"tamu{n}").status_code == 400
    b = from_address(app, "10.0.0.1", x_forwarded_for="172.16.1.1")
    assert try_login(b, "ptsp", password_of("ptsp")).status_code == 429


def test_sign_ups_per_address(app: Flask, engine: Engine, clock) -> None:
    def sign_up(login: str, address: str = "10.0.0.1"):
        b = from_address(app, address)
        b.get("/daftar")
        return b.post(
            "/daftar",
            {"name": "Pemohon Baru", "login": login, "password": "kata-sandi-baru", "confirm": "kata-sandi-baru"},
        )

    for n in range(9):
        assert sign_up(f"pemohon{n}").status_code == 302
    taken = sign_up("pemohon0")  # a refused sign-up counts too
    assert taken.status_code == 400 and "Nama pengguna ini sudah dipakai." in text_of(taken)
    refused = sign_up("pemohon10")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "Terlalu banyak akun dibuat dari alamat ini. Coba lagi dalam 60 menit." in text_of(refused)
    assert engine.authenticate("pemohon10", "kata-sandi-baru") is None
    assert sign_up("pemohon11", "10.0.0.2").status_code == 302
    clock.shift(minutes(60))
    assert sign_up("pemohon10").status_code == 302


def test_a_stricter_limit_from_the_configuration(engine: Engine) -> None:
    app = create_app(
        {
            "ENGINE": engine,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "LOGIN_MAX_FAILURES": 2,
            "LOGIN_WINDOW_MINUTES": 1,
        }
    )
    b = from_address(app)
    for _ in range(2):
        assert try_login(b, "ptsp").status_code == 400
    refused = try_login(b, "ptsp", password_of("ptsp"))
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "Coba lagi dalam 1 menit." in text_of(refused)
