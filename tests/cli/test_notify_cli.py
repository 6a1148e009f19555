"""``ptsp notify``: one pass of the notifier by hand, and ``ptsp notifications``: what a user was told."""

from __future__ import annotations

import pytest

from ..conftest import PTSP_BPMN


def setup(ptsp) -> dict:
    ptsp("deploy", str(PTSP_BPMN))
    ptsp("user", "add", "warga", "--lane", "Pemohon", "--password-stdin", stdin="rahasia-sekali\n")
    ptsp("user", "add", "ptsp", "--lane", "PTSP")
    ptsp("user", "add", "loket", "--lane", "PTSP", "--email", "loket@kemenag.example")
    started = ptsp.json("start", "--as", "warga")
    [task] = ptsp.json("tasks", "--instance", started["registration"])
    ptsp("complete", task["id"], "--as", "warga", "--data", _step1())
    return started


def _step1() -> str:
    return (
        '{"jenis_layanan": "legalisir_dokumen", "nama_pemohon": "Siti Aminah", "nomor_hp": "081234567890", '
        '"uraian_keperluan": "Legalisir ijazah"}'
    )


def test_notify_without_smtp_writes_in_app_notifications(ptsp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PTSP_SMTP_HOST", raising=False)
    started = setup(ptsp)
    counts = ptsp.json("notify")
    assert counts == {
        "events": counts["events"],
        "notifications": 2,
        "emails_queued": 0,
        "cursor": counts["cursor"],
        "mail": {"configured": False, "sent": 0, "retrying": 0, "failed": 0},
    }
    assert counts["events"] >= 4 and counts["cursor"] >= counts["events"]
    again = ptsp.json("notify")
    assert (again["events"], again["notifications"]) == (0, 0)
    [note] = ptsp.json("notifications", "loket")
    assert note["kind"] == "task_arrived" and note["registration"] == started["registration"]
    assert note["email_status"] == "none" and note["read_at"] is None
    text = ptsp("notify").stdout
    assert "0 notification(s) written" in text and "SMTP is not configured" in text
    table = ptsp("notifications", "ptsp", "--unread").stdout
    assert started["registration"] in table and "task_arrived" in table


def test_notify_queues_and_reports_mail_when_smtp_is_set(ptsp, monkeypatch: pytest.MonkeyPatch) -> None:
    from ..engine.test_mail import Server

    down = Server()  # configured, but nobody listens: the e-mail stays queued
    monkeypatch.setenv("PTSP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PTSP_SMTP_PORT", str(down.port))
    setup(ptsp)
    counts = ptsp.json("notify")
    assert (counts["notifications"], counts["emails_queued"]) == (2, 1)
    assert counts["mail"] == {"configured": True, "sent": 0, "retrying": 1, "failed": 0}
    [note] = ptsp.json("notifications", "loket")
    assert note["email_status"] == "pending"
    assert "e-mail: not sent (--no-mail)" in ptsp("notify", "--no-mail").stdout


def test_notifications_of_an_unknown_user_is_one_line_on_stderr(ptsp) -> None:
    setup(ptsp)
    result = ptsp("notifications", "nobody", ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: user 'nobody' not found"
