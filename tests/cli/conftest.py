"""The ``ptsp`` fixture: run the command line against a fresh SQLite database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.cli import main


@pytest.fixture
def ptsp(sqlite_url: str, clock):
    runner = CliRunner()

    def run(*args: str, ok: bool = True, stdin: str | None = None):
        result = runner.invoke(main, ["--database", sqlite_url, *args], input=stdin, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    def js(*args: str, stdin: str | None = None):
        return json.loads(run(*args, "--json", stdin=stdin).stdout)

    run.json = js
    run.url = sqlite_url
    return run
