"""The timer worker: fires each due timer once, at its deadline, without polling.

``ptsp worker`` runs one in the foreground; ``ptsp serve`` runs one in a
thread beside the web UI. The loop:

1. read the earliest deadline from the timer projection (one indexed read);
2. if it has passed, sweep (``Engine.tick``) and go to 1;
3. otherwise sleep until that deadline, or until a command arms a new timer,
   whichever comes first, and go to 1.

A new timer wakes the worker through the database (``store.signals``): on
PostgreSQL every worker LISTENs on the ``ptsp_timers`` channel, which a
command NOTIFYs when it commits a timer; in one process (SQLite) the database
object's ``timers_changed`` event does the same. Only a separate worker
process on SQLite, which cannot be told, re-reads the earliest deadline every
second. ``max_sleep`` bounds every sleep as a safety net (a
notification lost while the listening connection was being re-established);
it is not what makes a timer fire on time.

Any number of workers may run against PostgreSQL: ``ticking.fire_instance``
locks the instance row with SKIP LOCKED and re-checks that the timer is still
due, and the instance's version check rejects a second write, so every timer
fires exactly once. A worker killed in the middle of firing leaves an
uncommitted transaction that PostgreSQL rolls back; the timer is still due and
the next sweep (of any worker) fires it.

The same loop runs the notifier (``Engine.notify_pending``: new events become
notifications) shortly after commits: the wake-ups above also tell it that
something was committed (every command that moves an application arms a
timer), and it looks again at least every ``notify_poll`` seconds besides
(breaches recorded by other workers arm nothing). Waking for that never makes
the worker re-read the timer table. E-mails go out on a thread of their own
(``ptsp-mail``), so a slow mail server never delays a timer.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from .facade import Engine
from .store.signals import CHANNEL

log = logging.getLogger("ptsp.worker")


class Wake(enum.Flag):
    """Why a waker returned: a timer may have to be looked at, something was committed, or neither (time is up)."""

    NONE = 0
    TIMERS = enum.auto()
    ACTIVITY = enum.auto()
    ALL = TIMERS | ACTIVITY


class Waker(Protocol):
    def wait(self, timeout: float, timers_in: float | None = None) -> Wake | None:
        """Return after ``timeout`` seconds, or sooner when a timer was armed or stop() was called.

        ``timers_in`` is how long until the worker means to read the timer
        table anyway (``timeout`` when None): a timer armed for later than
        that changes nothing. None counts as ``Wake.ALL``.
        """

    def stop(self) -> None: ...

    def close(self) -> None: ...


class LocalWaker:
    """Woken by commits in this process (``Database.timers_changed``)."""

    def __init__(self, engine: Engine, poll: float | None) -> None:
        self.changed = engine.db.timers_changed
        self.poll = poll  # a separate SQLite process hears nothing: bound the sleep instead
        self.stopped = False

    def wait(self, timeout: float, timers_in: float | None = None) -> Wake:
        if self.poll is not None:
            timeout = min(timeout, self.poll)
        signalled = self.changed.wait(timeout)
        self.changed.clear()
        # a separate process polls: every look may find something
        return Wake.ALL if signalled or self.poll is not None else Wake.NONE

    def stop(self) -> None:
        self.stopped = True
        self.changed.set()

    def close(self) -> None:
        pass


class PostgresWaker:
    """LISTENs on ``ptsp_timers`` on a connection of its own; reconnects when it drops."""

    def __init__(self, url: str, now: Callable[[], datetime]) -> None:
        self.url = url
        self.now = now
        self.connection = None
        self._stop_r, self._stop_w = os.pipe()

    def _connect(self) -> None:
        import psycopg

        self.connection = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        self.connection.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float, timers_in: float | None = None) -> Wake:
        if self.connection is None or self.connection.closed:
            # Raises while the server is away; the loop backs off and comes back
            # here. Whatever was armed meanwhile is read from the table next.
            self.connection = None
            self._connect()
            return Wake.ALL
        # Each NOTIFY carries the new deadline. One later than the moment this
        # worker already means to wake cannot change its plan: it does not
        # make the worker read the timer table again (every command arms a
        # timer, and every worker hears it), only tells that a command committed.
        started = time.monotonic()
        deadline = started + max(timeout, 0)
        plan = started + max(timeout if timers_in is None else timers_in, 0)
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection.fileno(), self._stop_r], [], [], left)
            if self._stop_r in readable or not readable:
                return Wake.NONE
            try:
                payloads = [n.payload for n in self.connection.notifies(timeout=0)]
            except Exception:
                self.close()
                raise
            if not payloads:
                continue
            wake_at = self.now() + timedelta(seconds=plan - time.monotonic())
            if any(_earlier(payload, wake_at) for payload in payloads):
                return Wake.ALL
            return Wake.ACTIVITY
        return Wake.NONE

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                self.connection.close()
            self.connection = None


def waker_for(engine: Engine, *, same_process_only: bool) -> Waker:
    if engine.db.dialect == "postgresql":
        url = engine.db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresWaker(url, engine.ctx.clock.now)
    return LocalWaker(engine, poll=None if same_process_only else 1.0)


class TimerWorker:
    """Fire due timers as they fall due, and tell people what happened, until stopped.

    ``same_process`` says that every command that can arm a timer runs in this
    process (``ptsp serve`` on SQLite), so the in-process signal is enough.
    ``notifications`` runs the notifier in the loop and, when SMTP is
    configured, the e-mail sender on a thread beside it.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_sleep: float = 30.0,
        same_process: bool = False,
        waker: Waker | None = None,
        notifications: bool = True,
        notify_poll: float = 1.0,
        notify_gap: float = 0.2,
        mail_poll: float = 15.0,
    ) -> None:
        self.engine = engine
        self.max_sleep = max_sleep
        self.waker = waker or waker_for(engine, same_process_only=same_process)
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.fired = 0
        self.notifications = notifications
        self.notify_poll = notify_poll  # the longest wait before looking for new events again
        self.notify_gap = notify_gap  # the shortest time between two looks when commits keep coming
        self.mail_poll = mail_poll  # the longest wait before looking for e-mails due for a retry
        self.notified = 0
        self.mail_thread: threading.Thread | None = None
        self.mail_wake = threading.Event()
        self._notify_at = 0.0
        self._last_notify = float("-inf")
        self._notify_backoff = 0.5

    def run_once(self) -> float:
        """Sweep if a timer is due; return how long to sleep before looking again."""
        due = self.engine.next_timer_due()
        now = self.engine.ctx.clock.now()
        if due is not None and due <= now:
            result = self.engine.tick()
            self.fired += result.fired
            if result.fired:
                log.info("%d standard(s) breached", result.fired, extra={"fired": result.fired})
                self._notify_at = 0.0  # tell the supervisors now
            for failure in result.failed:
                log.error(
                    "application %s: timer failed: %s",
                    failure["instance"],
                    failure["error"],
                    extra={"instance": failure["instance"]},
                )
            return 0.0
        if due is None:
            return self.max_sleep
        return min((due - now).total_seconds(), self.max_sleep)

    def notify_once(self) -> int:
        """Turn new events into notifications; wake the mail thread for new e-mails. Never raises."""
        try:
            result = self.engine.notify_pending()
        except Exception as exc:  # the database is away, say: the timers go on, notifications come later
            log.warning("notifier: %s; retrying in %.1f s", _short(exc), self._notify_backoff)
            self._notify_at = time.monotonic() + self._notify_backoff
            self._notify_backoff = min(self._notify_backoff * 2, 30.0)
            return 0
        self._notify_backoff = 0.5
        self._last_notify = time.monotonic()
        self._notify_at = self._last_notify + self.notify_poll
        if result.notifications:
            self.notified += result.notifications
            log.info(
                "%d notification(s) from %d event(s)",
                result.notifications,
                result.events,
                extra={"notifications": result.notifications},
            )
        if result.emails:
            self.mail_wake.set()
        return result.notifications

    def send_mail_once(self) -> None:
        """Send the e-mails that are due. Never raises."""
        try:
            result = self.engine.send_pending_mail()
        except Exception as exc:
            log.warning("mail sender: %s", _short(exc))
            return
        if result.sent or result.failed:
            log.info(
                "%d e-mail(s) sent, %d to retry, %d given up",
                result.sent,
                result.retrying,
                result.failed,
                extra={"sent": result.sent},
            )

    def _mail_loop(self) -> None:
        while not self.stopped.is_set():
            self.mail_wake.clear()
            self.send_mail_once()
            self.mail_wake.wait(self.mail_poll)

    def _start_mail(self) -> None:
        try:
            configured = self.engine.mail_settings() is not None
        except Exception as exc:
            log.error("e-mail is not sent: %s", _short(exc))
            configured = False
        if self.notifications and configured:
            self.mail_thread = threading.Thread(target=self._mail_loop, name="ptsp-mail", daemon=True)
            self.mail_thread.start()

    def _stop_mail(self) -> None:
        if self.mail_thread is not None:
            self.mail_wake.set()
            self.mail_thread.join(30)

    def run(self) -> None:
        backoff = 0.5
        timers_at = 0.0  # time.monotonic() when the timer table is to be read again
        log.info("timer worker started")
        self._start_mail()
        while not self.stopped.is_set():
            try:
                if time.monotonic() >= timers_at:
                    timers_at = time.monotonic() + self.run_once()
                if self.notifications and time.monotonic() >= self._notify_at:
                    self.notify_once()
                wake_at = min(timers_at, self._notify_at) if self.notifications else timers_at
                pause = wake_at - time.monotonic()
                if pause > 0 and not self.stopped.is_set():
                    woke = self.waker.wait(pause, timers_at - time.monotonic())
                    woke = Wake.ALL if woke is None else woke
                    if Wake.TIMERS in woke:
                        timers_at = 0.0
                    if Wake.ACTIVITY in woke:
                        self._notify_at = min(self._notify_at, self._last_notify + self.notify_gap)
                backoff = 0.5
            except Exception as exc:  # the worker outlives a database restart
                log.warning("timer worker: %s; retrying in %.1f s", _short(exc), backoff)
                self.waker.close()
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                timers_at = 0.0
        self.waker.close()
        self._stop_mail()
        log.info("timer worker stopped after %d breach(es)", self.fired, extra={"fired": self.fired})

    def start(self) -> TimerWorker:
        self.thread = threading.Thread(target=self.run, name="ptsp-timers", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.waker.stop()
        self.mail_wake.set()
        if self.thread is not None:
            self.thread.join(10)


def _earlier(payload: str, wake_at: datetime) -> bool:
    try:
        due = datetime.fromisoformat(payload)
    except ValueError:
        return True  # not ours to judge: look at the table
    return due.tzinfo is None or due < wake_at


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
