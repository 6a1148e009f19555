"""A loop that fires due timers promptly: what ``ptsp serve`` runs beside the web UI.

It asks the timer projection for the next deadline (one indexed read) at
least every ``interval`` seconds and sweeps as soon as one has passed, so a
breach is recorded within about a second of its deadline. One failing sweep
is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import threading

from .facade import Engine

log = logging.getLogger("ptsp.worker")


class TimerLoop:
    def __init__(self, engine: Engine, interval: float = 0.5) -> None:
        self.engine = engine
        self.interval = interval
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Sweep if a timer is due; return the number of breaches recorded."""
        due = self.engine.next_timer_due()
        if due is None or due > self.engine.ctx.clock.now():
            return 0
        result = self.engine.tick()
        for failure in result.failed:
            log.error("timer sweep: application %s failed: %s", failure["instance"], failure["error"])
        return result.fired

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.run_once()
            except Exception:  # the loop must outlive a database hiccup
                log.exception("timer sweep failed; retrying")
            self.stopped.wait(self.interval)

    def start(self) -> TimerLoop:
        self.thread = threading.Thread(target=self.run, name="ptsp-timers", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(10)
