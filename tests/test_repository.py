"""No secret is tracked: no instance folder, no key file, no private key in any file's content."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

import pytest

from .conftest import ROOT

# Built from parts so that this file does not contain the header it looks for.
PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*" + rb"PRIVATE KEY-----")
SECRET_NAMES = {"secret_key", ".env", "id_rsa", "id_ed25519", "id_ecdsa", "id_dsa", ".pgpass", ".netrc"}
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx")
HARMLESS = {".env.example", ".env.sample", ".env.template"}


def secret_findings(paths: Iterable[str], read: Callable[[str], bytes | None]) -> list[str]:
    """Why each of ``paths`` looks like a secret (``read`` returns a file's bytes, or None if it is gone)."""
    findings = []
    for path in paths:
        parts = PurePosixPath(path).parts
        name = parts[-1]
        if parts[0] == "var":
            findings.append(f"{path}: the instance folder var/ (database, secret_key) is never tracked")
        elif name in SECRET_NAMES or (name.startswith(".env.") and name not in HARMLESS):
            findings.append(f"{path}: a secret's file name")
        elif name.endswith(SECRET_SUFFIXES):
            findings.append(f"{path}: a key or certificate file")
        content = read(path)
        if content is not None and PRIVATE_KEY.search(content):
            findings.append(f"{path}: contains a private key")
    return findings


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False)


@pytest.fixture(scope="module")
def tracked() -> list[str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the tracked files cannot be listed")
    inside = _git("rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        pytest.skip("not a git checkout: there are no tracked files to check")
    listed = _git("ls-files", "-z")
    assert listed.returncode == 0, listed.stderr.decode(errors="replace")
    return [p for p in listed.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def _read(path: str) -> bytes | None:
    file = ROOT / path
    return file.read_bytes() if file.is_file() and not file.is_symlink() else None


def test_no_tracked_file_looks_like_a_secret(tracked: list[str]) -> None:
    assert tracked, "git ls-files listed nothing"
    assert secret_findings(tracked, _read) == []


def test_gitignore_keeps_the_instance_folder_and_keys_out(tracked: list[str]) -> None:
    for path in ("var/ptsp.db", "var/secret_key", ".env", "deploy/server.pem", "secret_key"):
        ignored = _git("check-ignore", "--no-index", "-q", path)
        assert ignored.returncode == 0, f".gitignore does not cover {path}"


def test_the_check_finds_what_it_looks_for() -> None:
    """The check itself: each kind of secret is named, ordinary files pass."""
    header = b"-----BEGIN RSA " + b"PRIVATE KEY-----\nMIIE...\n"
    files = {
        "var/ptsp.db": b"",
        "instance/secret_key": b"abc",
        ".env": b"PTSP_SECRET_KEY=x",
        "deploy/.env.production": b"",
        "deploy/tls/server.pem": b"",
        "docs/notes.md": b"see below\n" + header,
        ".env.example": b"PTSP_SECRET_KEY=",
        "engine/facade.py": b"print('-----BEGIN PUBLIC KEY-----')",
        "README.md": b"var/ptsp.db is created by make run",
    }
    findings = secret_findings(files, files.get)
    assert [f.split(":")[0] for f in findings] == [
        "var/ptsp.db",
        "instance/secret_key",
        ".env",
        "deploy/.env.production",
        "deploy/tls/server.pem",
        "docs/notes.md",
    ]
    assert secret_findings(["gone.txt"], lambda _path: None) == []


def test_this_file_does_not_trip_the_check() -> None:
    assert secret_findings([Path(__file__).relative_to(ROOT).as_posix()], _read) == []
