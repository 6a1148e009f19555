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
"""

from __future__ import annotations

import contextlib
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


class Waker(Protocol):
    def wait(self, timeout: float) -> None:
        """Return after ``timeout`` seconds, or sooner when a timer was armed or stop() was called."""

    def stop(self) -> None: ...

    def close(self) -> None: ...


class LocalWaker:
    """Woken by commits in this process (``Database.timers_changed``)."""

    def __init__(self, engine: Engine, poll: float | None) -> None:
        self.changed = engine.db.timers_changed
        self.poll = poll  # a separate SQLite process hears nothing: bound the sleep instead
        self.stopped = False

    def wait(self, timeout: float) -> None:
        if self.poll is not None:
            timeout = min(timeout, self.poll)
        self.changed.wait(timeout)
        self.changed.clear()

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

    def wait(self, timeout: float) -> None:
        if self.connection is None or self.connection.closed:
            # Raises while the server is away; the loop backs off and comes back
            # here. Whatever was armed meanwhile is read from the table next.
            self.connection = None
            self._connect()
            return
        # Each NOTIFY carries the new deadline. One later than the moment this
        # worker already means to wake cannot change its plan: keep sleeping
        # rather than read the table again (every command arms a timer, and
        # every worker hears it).
        deadline = time.monotonic() + max(timeout, 0)
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection.fileno(), self._stop_r], [], [], left)
            if self._stop_r in readable or not readable:
                return
            try:
                payloads = [n.payload for n in self.connection.notifies(timeout=0)]
            except Exception:
                self.close()
                raise
            wake_at = self.now() + timedelta(seconds=deadline - time.monotonic())
            if any(_earlier(payload, wake_at) for payload in payloads):
                return

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
    """Fire due timers as they fall due, until stopped.

    ``same_process`` says that every command that can arm a timer runs in this
    process (``ptsp serve`` on SQLite), so the in-process signal is enough.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_sleep: float = 30.0,
        same_process: bool = False,
        waker: Waker | None = None,
    ) -> None:
        self.engine = engine
        self.max_sleep = max_sleep
        self.waker = waker or waker_for(engine, same_process_only=same_process)
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None
        self.fired = 0

    def run_once(self) -> float:
        """Sweep if a timer is due; return how long to sleep before looking again."""
        due = self.engine.next_timer_due()
        now = self.engine.ctx.clock.now()
        if due is not None and due <= now:
            result = self.engine.tick()
            self.fired += result.fired
            if result.fired:
                log.info("%d standard(s) breached", result.fired, extra={"fired": result.fired})
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

    def run(self) -> None:
        backoff = 0.5
        log.info("timer worker started")
        while not self.stopped.is_set():
            try:
                pause = self.run_once()
                if pause > 0 and not self.stopped.is_set():
                    self.waker.wait(pause)
                backoff = 0.5
            except Exception as exc:  # the worker outlives a database restart
                log.warning("timer worker: %s; retrying in %.1f s", _short(exc), backoff)
                self.waker.close()
                self.stopped.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        self.waker.close()
        log.info("timer worker stopped after %d breach(es)", self.fired, extra={"fired": self.fired})

    def start(self) -> TimerWorker:
        self.thread = threading.Thread(target=self.run, name="ptsp-timers", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.waker.stop()
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
