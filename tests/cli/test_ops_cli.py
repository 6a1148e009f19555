"""``ptsp db upgrade``, ``ptsp db current`` and ``ptsp worker`` as an operator runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main

PTSP = str(Path(sys.executable).parent / "ptsp")


def test_db_upgrade_creates_then_finds_the_schema_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    runner = CliRunner()
    current = json.loads(runner.invoke(main, ["--database", url, "db", "current", "--json"]).stdout)
    assert current["current"] is None and current["up_to_date"] is False
    first = runner.invoke(main, ["--database", url, "db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "upgraded from empty to revision" in first.stdout
    again = runner.invoke(main, ["--database", url, "db", "upgrade"])
    assert "already at revision" in again.stdout
    current = json.loads(runner.invoke(main, ["--database", url, "db", "current", "--json"]).stdout)
    assert current["up_to_date"] is True and current["current"] == current["head"]


def test_worker_runs_until_sigterm_and_logs_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    assert CliRunner().invoke(main, ["--database", url, "db", "upgrade"]).exit_code == 0
    env = os.environ | {"PTSP_DATABASE_URL": url, "PTSP_LOG_FORMAT": "json"}
    worker = subprocess.Popen([PTSP, "worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(worker.stderr.readline())
        assert first["message"] == "timer worker started"
        time.sleep(0.3)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0
        last = [json.loads(line) for line in worker.stderr.read().splitlines() if line.strip()][-1]
        assert last["message"].startswith("timer worker stopped")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_worker_refuses_an_unknown_log_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--database", f"sqlite:///{tmp_path / 'x.db'}", "worker", "--log-format", "xml"])
    assert result.exit_code != 0
    assert "xml" in result.output
