"""A multi-node PTSP on one machine: a private PostgreSQL, gunicorn, timer workers.

    python -m deploy.cluster up [--web-workers 4] [--timer-workers 2] [--port 8800] [--dir DIR]

(``make cluster`` runs it; Ctrl-C stops everything it started.)

``up`` creates a PostgreSQL cluster of its own (``initdb`` in DIR, on its own
port, so that restarting it cannot disturb anything else), migrates it with
``ptsp db upgrade``, deploys ``processes/ptsp.bpmn`` and demo users with
``ptsp setup``, then starts gunicorn (``deploy/gunicorn.conf.py``) and the
timer workers (``ptsp worker``) exactly as a production node would: with
``PTSP_PRODUCTION=1``, a generated secret key and JSON logs in DIR. It waits
for ``/healthz`` and prints the URL. The load and fault tests drive the same
``Cluster`` class, and can kill and restart each part of it.

PostgreSQL refuses to run as root; as root, the cluster runs as the
``postgres`` user.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def pg_bin() -> Path | None:
    """The directory of PostgreSQL's server programs (initdb, pg_ctl), or None."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if versions:  # Debian's, beside its wrappers in /usr/bin
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A PostgreSQL server of its own in ``directory``, listening on 127.0.0.1:``port``."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.data = directory / "pgdata"
        self.port = port
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/ptsp"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}")
        return done

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        settings = [
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.directory}'",
            "max_connections = 200",
            "shared_buffers = 128MB",
        ]
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n".join(settings) + "\n")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "ptsp")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "postgres.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self, mode: str = "immediate") -> None:
        """Stop (``immediate`` is a crash: recovery replays the WAL) and start again."""
        self.stop(mode)
        self.start()


@dataclass
class Cluster:
    """PostgreSQL, gunicorn with ``web_workers`` and ``timer_workers`` ``ptsp worker`` processes."""

    directory: Path
    web_workers: int = 4
    timer_workers: int = 2
    port: int = 0
    threads: int = 4
    bpmn: Path = ROOT / "processes" / "ptsp.bpmn"
    pg_port: int = 0
    postgres: PrivatePostgres = field(init=False)
    gunicorn: subprocess.Popen | None = field(default=None, init=False)
    workers: list[subprocess.Popen] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        self.port = self.port or free_port()
        self.postgres = PrivatePostgres(self.directory, self.pg_port or free_port())
        self.secret = secrets.token_hex(32)
        self.setup_output = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return self.postgres.url

    def env(self) -> dict[str, str]:
        return os.environ | {
            "PTSP_DATABASE_URL": self.database_url,
            "PTSP_SECRET_KEY": self.secret,
            "PTSP_PRODUCTION": "1",
            "PTSP_LOG_FORMAT": "json",
            "PTSP_BIND": f"127.0.0.1:{self.port}",
            "PTSP_WEB_WORKERS": str(self.web_workers),
            "PTSP_WEB_THREADS": str(self.threads),
            "PTSP_INSTANCE_PATH": str(self.directory / "instance"),
        }

    def ptsp(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "ptsp"), *args], env=self.env(), capture_output=True, text=True, timeout=300, cwd=ROOT
        )
        if done.returncode != 0:
            raise RuntimeError(f"ptsp {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    # -- lifecycle ------------------------------------------------------------
    def up(self, *, demo_users: bool = True) -> Cluster:
        self.postgres.init()
        self.ptsp("db", "upgrade")
        self.setup_output = self.ptsp("setup", "--bpmn", str(self.bpmn), *(["--demo-users"] if demo_users else []))
        self.start_web()
        for _ in range(self.timer_workers):
            self.start_timer_worker()
        return self

    def start_web(self) -> None:
        log = (self.directory / "gunicorn.log").open("ab")
        self.gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "webui:create_app()"],
            env=self.env(),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_healthy()

    def start_timer_worker(self) -> subprocess.Popen:
        n = len(self.workers)
        log = (self.directory / f"worker-{n}.log").open("ab")
        worker = subprocess.Popen(
            [str(BIN / "ptsp"), "worker"], env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.workers.append(worker)
        self._wait_for_line(self.directory / f"worker-{n}.log", "timer worker started", worker)
        return worker

    def _wait_for_line(self, log: Path, text: str, process: subprocess.Popen, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in log.read_text(encoding="utf-8", errors="replace"):
                return
            if process.poll() is not None:
                raise RuntimeError(f"{log.name}: the process exited with {process.returncode}")
            time.sleep(0.05)
        raise RuntimeError(f"{log.name}: no {text!r} within {timeout:.0f} s")

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:
                return json.loads(response.read())
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.gunicorn is not None and self.gunicorn.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.gunicorn.returncode}; see {self.directory}/gunicorn.log"
                )
            found = self.health()
            if found and found.get("status") == "ok":
                return
            time.sleep(0.2)
        raise RuntimeError(f"the web UI did not become healthy within {timeout:.0f} s")

    def web_worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        assert self.gunicorn is not None
        master = self.gunicorn.pid
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == master:
                    pids.append(int(stat.parent.name))
        return sorted(pids)

    def down(self) -> None:
        for process in [*self.workers, *([self.gunicorn] if self.gunicorn else [])]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, *([self.gunicorn] if self.gunicorn else [])]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.postgres.stop()

    def __enter__(self) -> Cluster:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    up = sub.add_parser("up", help="start PostgreSQL, gunicorn and the timer workers; stop with Ctrl-C")
    up.add_argument("--dir", type=Path, help="working directory (default: a new temporary one)")
    up.add_argument("--web-workers", type=int, default=4)
    up.add_argument("--timer-workers", type=int, default=2)
    up.add_argument("--port", type=int, default=8800)
    args = parser.parse_args(argv)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="ptsp-cluster-"))
    cluster = Cluster(directory, web_workers=args.web_workers, timer_workers=args.timer_workers, port=args.port)
    cluster.up()
    print(f"PTSP is serving on {cluster.base_url}/ with {args.web_workers} web and {args.timer_workers} timer workers")
    print(f"database {cluster.database_url}; logs and data in {directory}")
    print(cluster.setup_output.strip())
    print("Ctrl-C stops the cluster")
    try:
        while all(p.poll() is None for p in [cluster.gunicorn, *cluster.workers]):
            time.sleep(1)
        print("a process exited; stopping the cluster", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.down()


if __name__ == "__main__":
    sys.exit(_main())
