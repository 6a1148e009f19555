"""E-mail through a real SMTP server on loopback (aiosmtpd): what arrives, and what happens when it cannot."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine import Engine, InvalidInput
from engine.mailer import MailSettings
from engine.store.models import Notification
from engine.worker import TimerWorker

from ..conftest import make_engine, minutes
from ..helpers import Application, fingerprint

SITI = "siti"
SITI_MAIL = "siti.aminah@contoh.id"
LOKET_MAIL = "loket@kemenag.example"


class Inbox:
    """An SMTP handler that keeps what it accepts and refuses the addresses it is told to."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> Server:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, **kwargs) -> MailSettings:
        values = {"sender": "ptsp@kemenag.example", "base_url": "https://ptsp.example", "timeout": 5.0} | kwargs
        return MailSettings("127.0.0.1", self.port, **values)


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server().start()
    yield s
    s.stop()


@pytest.fixture
def down() -> Server:
    return Server()  # a port nobody listens on (until the test starts it)


def with_mail(engine: Engine, settings: MailSettings | None) -> Engine:
    engine.configure_mail(settings)
    engine.register_applicant(SITI, "siti-kata-sandi", name="Siti Aminah", email=SITI_MAIL)
    engine.add_user("loket", ["PTSP"], name="Petugas Loket", email=LOKET_MAIL)
    engine.notify_pending()
    return engine


def returned(engine: Engine) -> Application:
    app = Application(engine, SITI)
    app.walk([1, 2, 3])
    app.do(4, berkas_lengkap=False, catatan_kekurangan="Rapor belum dilampirkan")
    return app


def rows(engine: Engine) -> list[Notification]:
    with engine.db.reader() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def body(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


# ----------------------------------------------------------------- delivered
def test_notifications_arrive_by_email_in_indonesian(engine: Engine, server: Server) -> None:
    with_mail(engine, server.settings())
    app = Application(engine, SITI)
    app.do(1)
    queued = engine.notify_pending()
    assert (queued.notifications, queued.emails) == (2, 1)  # ptsp has no address: in the app only
    assert engine.send_pending_mail().sent == 1
    [arrival] = server.inbox.to(LOKET_MAIL)
    assert arrival["To"] == LOKET_MAIL
    assert arrival["From"] == "PTSP Kemenag Kota Jakarta Selatan <ptsp@kemenag.example>"
    assert arrival["Subject"] == f"Tugas baru {app.registration}: Menjelaskan Jenis dan Standar Layanan"
    text = body(arrival)
    assert text.startswith("Yth. Petugas Loket,")
    assert f"Permohonan {app.registration}" in text and "langkah 2" in text
    assert "Batas waktu: Senin, 23 November 2026 pukul 09.15 WIB." in text
    assert f"Buka: https://ptsp.example/tugas/{app.current().id}" in text

    app.walk([2, 3])
    app.do(4, berkas_lengkap=False, catatan_kekurangan="Rapor belum dilampirkan")
    engine.notify_pending()
    assert engine.send_pending_mail().sent == 1
    [notice] = server.inbox.to(SITI_MAIL)
    assert notice["Subject"] == f"Berkas dikembalikan untuk dilengkapi: {app.registration}"
    text = body(notice)
    assert text.startswith("Yth. Siti Aminah,")
    assert "belum lengkap dan dikembalikan untuk dilengkapi" in text
    assert "Catatan petugas: Rapor belum dilampirkan" in text
    assert f"https://ptsp.example/permohonan/{app.id}" in text
    assert len(server.inbox.messages) == 2
    by_status = {(r.user_id, r.email_status, r.email_attempts) for r in rows(engine)}
    ptsp, loket, siti = (engine.user(u).id for u in ("ptsp", "loket", SITI))
    assert by_status == {(ptsp, "none", 0), (loket, "sent", 1), (siti, "sent", 1)}
    assert all(r.sent_at is not None for r in rows(engine) if r.email_status == "sent")
    assert engine.send_pending_mail().sent == 0  # nothing twice


def test_the_environment_configures_smtp(engine: Engine, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTSP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PTSP_SMTP_PORT", str(server.port))
    monkeypatch.setenv("PTSP_MAIL_FROM", "layanan@kemenag.example")
    monkeypatch.delenv("PTSP_BASE_URL", raising=False)
    engine.register_applicant(SITI, "siti-kata-sandi", name="Siti Aminah", email=SITI_MAIL)
    returned(engine)
    engine.notify_pending()
    assert engine.send_pending_mail().sent == 1
    [message] = server.inbox.to(SITI_MAIL)
    assert "layanan@kemenag.example" in message["From"]
    assert "Buka:" not in body(message)  # no PTSP_BASE_URL: no link


def test_the_product_ready_mail(engine: Engine, server: Server) -> None:
    from .test_notifications import walk_to_product

    with_mail(engine, server.settings())
    app = Application(engine, SITI)
    walk_to_product(engine, app)
    engine.notify_pending()
    engine.send_pending_mail()
    [message] = server.inbox.to(SITI_MAIL)
    assert message["Subject"] == f"Produk layanan siap diambil: {app.registration}"
    assert "siap diambil di loket PTSP Kantor Kementerian Agama Kota Jakarta Selatan" in body(message)


# ------------------------------------------------------------- not delivered
def test_a_server_that_is_down_leaves_the_mail_pending_and_it_goes_later(engine: Engine, down: Server, clock) -> None:
    with_mail(engine, down.settings())
    app = returned(engine)
    engine.notify_pending()
    result = engine.send_pending_mail()
    assert (result.sent, result.retrying, result.failed) == (0, 1, 0)
    [row] = [r for r in rows(engine) if r.email_to == SITI_MAIL]
    assert row.email_status == "pending" and row.email_attempts == 1
    assert "Connection" in row.email_error or "refused" in row.email_error.lower()
    # commands go on regardless
    app.do("3b")
    # not again before its back-off has passed
    assert engine.send_pending_mail().retrying == 0
    assert [r.email_attempts for r in rows(engine) if r.email_to == SITI_MAIL] == [1]
    down.start()
    try:
        clock.shift(minutes(1))
        assert engine.send_pending_mail().sent == 1
    finally:
        down.stop()
    [message] = down.inbox.to(SITI_MAIL)
    assert app.registration in message["Subject"]
    [row] = [r for r in rows(engine) if r.email_to == SITI_MAIL]
    assert (row.email_status, row.email_attempts) == ("sent", 2)


def test_a_refused_mail_is_retried_then_given_up_and_others_still_go(engine: Engine, server: Server, clock) -> None:
    with_mail(engine, server.settings(max_attempts=2))
    server.inbox.refuse[SITI_MAIL] = "550 5.1.1 Mailbox tidak dikenal"
    app = Application(engine, SITI)
    app.do(1)
    engine.notify_pending()  # loket: a task arrived
    app.walk([2, 3])
    app.do(4, berkas_lengkap=False)
    engine.notify_pending()  # siti: the file is returned
    first = engine.send_pending_mail()
    assert (first.sent, first.retrying, first.failed) >= (1, 1, 0)
    [refused] = [r for r in rows(engine) if r.email_to == SITI_MAIL]
    assert refused.email_status == "pending" and "550" in refused.email_error
    clock.shift(minutes(1))
    assert engine.send_pending_mail().failed == 1
    [refused] = [r for r in rows(engine) if r.email_to == SITI_MAIL]
    assert (refused.email_status, refused.email_attempts) == ("failed", 2)
    clock.shift(minutes(120))
    assert engine.send_pending_mail().sent == 0
    assert server.inbox.to(SITI_MAIL) == []
    assert len(server.inbox.to(LOKET_MAIL)) == 1
    # the in-app notification is there whatever became of its e-mail
    assert [n.kind for n in engine.notifications(as_user=SITI)] == ["file_returned"]


def test_without_smtp_notifications_stay_in_the_app(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTSP_SMTP_HOST", raising=False)
    engine.register_applicant(SITI, "siti-kata-sandi", name="Siti Aminah", email=SITI_MAIL)
    assert engine.mail_settings() is None
    returned(engine)
    engine.notify_pending()
    [row] = rows(engine)
    assert (row.email_status, row.email_to) == ("none", None)
    assert engine.send_pending_mail().as_dict() == {"configured": False, "sent": 0, "retrying": 0, "failed": 0}


def test_two_senders_at_once_send_each_mail_once(db_url: str, ptsp_xml: bytes, clock, server: Server) -> None:
    commands = with_mail(make_engine(db_url, ptsp_xml), server.settings())
    for _ in range(8):
        Application(commands, SITI).do(1)
    commands.notify_pending()
    senders = [Engine(db_url), Engine(db_url)]
    barrier = threading.Barrier(2)

    def send(engine: Engine) -> None:
        engine.configure_mail(server.settings())
        barrier.wait()
        engine.send_pending_mail(limit=3)
        engine.send_pending_mail()

    threads = [threading.Thread(target=send, args=(e,)) for e in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(server.inbox.to(LOKET_MAIL)) == 8
    assert sorted(m["Subject"] for m in server.inbox.to(LOKET_MAIL)) == sorted(
        {m["Subject"] for m in server.inbox.to(LOKET_MAIL)}
    )
    for e in [*senders, commands]:
        e.close()


# ----------------------------------------------------------------- settings
def test_settings_from_the_environment() -> None:
    assert MailSettings.from_env({}) is None
    assert MailSettings.from_env({"PTSP_SMTP_HOST": "  "}) is None
    plain = MailSettings.from_env({"PTSP_SMTP_HOST": "mail.kemenag.example"})
    assert (plain.port, plain.starttls, plain.user, plain.sender, plain.base_url) == (
        25,
        False,
        None,
        "ptsp@localhost",
        None,
    )
    full = MailSettings.from_env(
        {
            "PTSP_SMTP_HOST": "smtp.kemenag.example",
            "PTSP_SMTP_STARTTLS": "true",
            "PTSP_SMTP_USER": "ptsp@kemenag.example",
            "PTSP_SMTP_PASSWORD": "rahasia",
            "PTSP_BASE_URL": "https://ptsp.kemenag.example/",
        }
    )
    assert (full.port, full.starttls, full.sender, full.password, full.base_url) == (
        587,
        True,
        "ptsp@kemenag.example",
        "rahasia",
        "https://ptsp.kemenag.example",
    )
    for name, value in (("PTSP_SMTP_PORT", "dua lima"), ("PTSP_SMTP_PORT", "70000"), ("PTSP_SMTP_STARTTLS", "mungkin")):
        with pytest.raises(InvalidInput, match=name):
            MailSettings.from_env({"PTSP_SMTP_HOST": "h", name: value})


# ------------------------------------------------------------- registration
def test_an_applicant_may_give_an_email_address(engine: Engine) -> None:
    info = engine.register_applicant("budi", "budi-kata-sandi", name="Budi", email="  budi@contoh.id ")
    assert info.email == "budi@contoh.id"
    assert engine.register_applicant("ani", "ani-kata-sandi", name="Ani", email="").email is None
    assert engine.register_applicant("tono", "tono-kata-sandi", name="Tono").email is None
    before = fingerprint(engine)
    for bad in ("bukan-alamat", "a@b", "budi@contoh.id\nBcc: x@y.id", 42):
        with pytest.raises(InvalidInput):
            engine.register_applicant("dedi", "dedi-kata-sandi", name="Dedi", email=bad)
    assert fingerprint(engine) == before


def test_sign_up_passes_the_email_on(engine: Engine) -> None:
    info = engine.sign_up("rina", "rina-kata-sandi", name="Rina", address="127.0.0.9", email="rina@contoh.id")
    assert info.email == "rina@contoh.id"
    assert engine.authenticate("rina", "rina-kata-sandi").email == "rina@contoh.id"


# ------------------------------------------------------------------- worker
def test_the_worker_sends_the_mail_on_a_thread_of_its_own(engine: Engine, server: Server) -> None:
    with_mail(engine, server.settings())
    worker = TimerWorker(engine, max_sleep=3600, same_process=True).start()
    try:
        returned(engine)
        deadline = time.monotonic() + 15
        while not server.inbox.to(SITI_MAIL) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert worker.mail_thread is not None and worker.mail_thread.name == "ptsp-mail"
    [message] = server.inbox.to(SITI_MAIL)
    assert message["Subject"].startswith("Berkas dikembalikan untuk dilengkapi")
    worker.mail_thread.join(10)
    assert not worker.mail_thread.is_alive()


def test_without_smtp_the_worker_starts_no_mail_thread(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTSP_SMTP_HOST", raising=False)
    worker = TimerWorker(engine, max_sleep=3600).start()
    worker.stop()
    assert worker.mail_thread is None
