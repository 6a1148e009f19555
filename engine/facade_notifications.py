"""``Engine`` methods for the notifications.

A mixin: ``self.db``, ``self.ctx`` and ``self._write()`` come from ``Engine``.

The notifier (``notify_pending``) and the sender (``send_pending_mail``) run
in the timer worker's loop (``engine.worker``) and in ``ptsp notify``, never
inside a command: a command only appends its events, as before. See
``engine.services.notifying`` for how each event is told exactly once, and
``engine.mailer`` for the SMTP settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .errors import InvalidInput, NotFound
from .mailer import MailSettings
from .notifications import ApplicationFacts, MailResult, NotificationInfo, NotifyResult
from .services import notifying
from .services.context import actor

log = logging.getLogger("ptsp.notifications")

MAX_IDS = 500
MAX_LIMIT = 500


class NotificationApi:
    # set by ``configure_mail``; otherwise the PTSP_SMTP_* environment decides, read on each run
    _mail_settings: MailSettings | None = None
    _mail_configured: bool = False
    # how a requirement code of ``kekurangan`` reads in a notification (the code itself by default)
    requirement_label_for_notifications: Callable[[ApplicationFacts, str], str] | None = None

    # -- settings -------------------------------------------------------------------
    def configure_mail(self, settings: MailSettings | None) -> None:
        """Send e-mail with these settings (None: in-app only) instead of what the environment says."""
        self._mail_settings, self._mail_configured = settings, True

    def mail_settings(self) -> MailSettings | None:
        """The SMTP settings in force: ``configure_mail``'s, else ``PTSP_SMTP_*`` (None: no e-mail)."""
        if self._mail_configured:
            return self._mail_settings
        return MailSettings.from_env()

    def _mail_enabled(self) -> bool:
        try:
            return self.mail_settings() is not None
        except InvalidInput as exc:  # a host is set but another setting is wrong: queue, and say so
            log.error("SMTP settings: %s", exc.message)
            return True

    # -- the notifier ------------------------------------------------------------------
    def notify_pending(self, *, batch: int = notifying.BATCH) -> NotifyResult:
        """Turn the events since the last run into notifications (each event once, whoever runs it)."""
        if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 10_000:
            raise InvalidInput("batch must be a whole number from 1 to 10000")
        with self.db.reader() as session:
            cursor, waiting = notifying.peek(session.connection())
        if not waiting:
            return NotifyResult(cursor=cursor or 0)
        gap = self.__dict__.setdefault("_notify_gap", notifying.GapWatch())
        mail = self._mail_enabled()
        total = NotifyResult()
        while True:
            with self._write() as uow:
                result, more = notifying.notify_batch(
                    uow,
                    self.ctx.clock.now(),
                    mail=mail,
                    gap=gap,
                    batch=batch,
                    requirement_label=self.requirement_label_for_notifications,
                )
                uow.commit()
            total += result
            if not more:
                return total

    # -- the sender -------------------------------------------------------------------------
    def send_pending_mail(self, *, limit: int = 100) -> MailResult:
        """Send the e-mails that are due (new ones, and failed ones whose back-off has passed).

        A server that is down or refuses leaves each e-mail pending with the
        error, to be tried again later; after the last attempt it is ``failed``.
        Never raises for a mail problem; without SMTP settings it sends nothing.
        """
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10_000:
            raise InvalidInput("limit must be a whole number from 1 to 10000")
        settings = self.mail_settings()
        if settings is None:
            return MailResult()
        with self.db.reader() as session:
            outgoing = notifying.due_mail(session.connection(), self.ctx.clock.now(), limit)
        if not outgoing:
            return MailResult(configured=True)

        def claim(item: notifying.Outgoing) -> bool:
            with self._write() as uow:
                taken = notifying.claim(uow.connection, item, self.ctx.clock.now())
                uow.commit()
                return taken

        def record(item: notifying.Outgoing, error: str | None) -> str:
            with self._write() as uow:
                status = notifying.record(uow.connection, item, self.ctx.clock.now(), error, settings.max_attempts)
                uow.commit()
            if error is not None:
                log.warning("e-mail %d to %s: attempt %d %s: %s", item.id, item.to, item.attempts, status, error)
            return status

        return notifying.send_batch(settings, outgoing, claim_one=claim, record_one=record).result()

    # -- reading and marking ----------------------------------------------------------------
    def notifications(
        self, *, as_user: str, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> list[NotificationInfo]:
        """``as_user``'s own notifications, newest first."""
        _check_page(limit, offset)
        with self.db.reader() as session:
            user = actor(session.connection(), as_user)
            return notifying.list_for(
                session.connection(), user.id, unread_only=bool(unread_only), limit=limit, offset=offset
            )

    def unread_count(self, *, as_user: str) -> int:
        with self.db.reader() as session:
            user = actor(session.connection(), as_user)
            return notifying.unread_count(session.connection(), user.id)

    def mark_read(self, ids: list[int] | None, *, as_user: str) -> int:
        """Mark ``as_user``'s notifications ``ids`` read (None: all of them); return how many were unread.

        An id that is not one of the user's own notifications refuses the
        whole request (NotFound), and nothing is marked.
        """
        if ids is not None:
            if not isinstance(ids, list | tuple | set) or len(ids) > MAX_IDS:
                raise InvalidInput(f"ids must be a list of at most {MAX_IDS} notification ids")
            if any(not isinstance(i, int) or isinstance(i, bool) or not 1 <= i <= 2**62 for i in ids):
                raise InvalidInput("a notification id is a positive whole number")
            ids = sorted(set(ids))
        with self._write() as uow:
            user = actor(uow.connection, as_user)
            if ids:
                strangers = sorted(set(ids) - notifying.owned(uow.connection, user.id, ids))
                if strangers:
                    raise NotFound(f"notification {strangers[0]} not found")
            changed = notifying.mark_read(uow.connection, user.id, ids, self.ctx.clock.now()) if ids != [] else 0
            uow.commit()
            return changed


def _check_page(limit: int, offset: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= 1_000_000:
        raise InvalidInput("offset must be a whole number from 0 to 1000000")
