"""E-mail through SMTP (the standard library's ``smtplib``), configured from the environment.

    PTSP_SMTP_HOST       the server; unset: notifications stay in the app (no e-mail at all)
    PTSP_SMTP_PORT       default 587 with STARTTLS, 465 means implicit TLS, else 25
    PTSP_SMTP_USER       login, when the server wants one
    PTSP_SMTP_PASSWORD
    PTSP_SMTP_STARTTLS   1/true/yes/on: upgrade the connection with STARTTLS before logging in
    PTSP_SMTP_TIMEOUT    seconds per network operation (default 10)
    PTSP_SMTP_MAX_ATTEMPTS  attempts per e-mail before it is marked failed (default 5)
    PTSP_MAIL_FROM       the sender address (default: PTSP_SMTP_USER when it is an address)
    PTSP_BASE_URL        the site's address, e.g. https://ptsp.example.go.id: e-mails link to the page

Nothing here touches the database; ``services.notifying`` decides what to send.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from types import TracebackType

from .errors import InvalidInput
from .notifications import OFFICE

TRUE = {"1", "true", "yes", "on", "ya"}
FALSE = {"", "0", "false", "no", "off", "tidak"}
SENDER_NAME = "PTSP Kemenag Kota Jakarta Selatan"


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "ptsp@localhost"
    timeout: float = 10.0
    max_attempts: int = 5
    base_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings | None:
        """The settings in ``environ`` (``os.environ``), or None when no SMTP host is set."""
        env = os.environ if environ is None else environ
        host = (env.get("PTSP_SMTP_HOST") or "").strip()
        if not host:
            return None
        starttls = _flag(env, "PTSP_SMTP_STARTTLS")
        port = _whole(env, "PTSP_SMTP_PORT", 587 if starttls else 25, 1, 65535)
        user = env.get("PTSP_SMTP_USER") or None
        sender = (env.get("PTSP_MAIL_FROM") or "").strip() or (user if user and "@" in user else "ptsp@localhost")
        timeout = _whole(env, "PTSP_SMTP_TIMEOUT", 10, 1, 600)
        return cls(
            host=host,
            port=port,
            user=user,
            password=env.get("PTSP_SMTP_PASSWORD") or None,
            starttls=starttls,
            sender=sender,
            timeout=float(timeout),
            max_attempts=_whole(env, "PTSP_SMTP_MAX_ATTEMPTS", 5, 1, 100),
            base_url=base_url(env),
        )


def base_url(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    url = (env.get("PTSP_BASE_URL") or "").strip().rstrip("/")
    return url or None


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InvalidInput(f"{name} must be 1 or 0 (true/false), not {value[:20]!r}")


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}, not {raw[:20]!r}")
    return int(raw)


# ---------------------------------------------------------------- messages
def compose(
    settings: MailSettings, *, to: str, name: str | None, title: str, body: str, link: str | None
) -> EmailMessage:
    """The plain-text e-mail of one notification, in Indonesian."""
    message = EmailMessage()
    message["Subject"] = " ".join(title.split())
    message["From"] = formataddr((SENDER_NAME, settings.sender))
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    lines = [f"Yth. {name or 'Bapak/Ibu'},", "", body, ""]
    if link and settings.base_url:
        lines += [f"Buka: {settings.base_url}{link}", ""]
    lines += [
        "--",
        f"Pesan ini dikirim otomatis oleh sistem PTSP {OFFICE}.",
        "Mohon tidak membalas e-mail ini.",
    ]
    message.set_content("\n".join(lines), charset="utf-8")
    return message


# --------------------------------------------------------------- delivery
class MessageRefused(Exception):
    """The server refused this one message (recipient, sender or content); others may still go."""


class SmtpConnection:
    """One connection for a batch, opened on the first message.

    ``send`` raises ``MessageRefused`` when the server refused this message
    alone, and ``OSError`` or ``smtplib.SMTPException`` when the connection
    itself failed (the server is down, refused us, or hung up); the caller
    stops the batch then.
    """

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.port == 465:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except BaseException:
            _close(smtp)
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        try:
            refused = self.smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise MessageRefused(describe(exc)) from exc
        if refused:  # some recipients refused: we send to one, so this is a refusal of it
            raise MessageRefused(f"recipient refused: {refused}")

    def close(self) -> None:
        if self.smtp is not None:
            smtp, self.smtp = self.smtp, None
            _close(smtp)

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:
        with contextlib.suppress(Exception):
            smtp.close()


def describe(exc: BaseException) -> str:
    """One line for the outbox row: what went wrong, with the server's words where it gave any."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        detail = f"{exc.smtp_code} {text}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(
            f"{who}: {code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
            for who, (code, msg) in exc.recipients.items()
        )
    else:
        detail = str(exc)
    line = " ".join(f"{type(exc).__name__}: {detail}".split())
    return line[:1000]
