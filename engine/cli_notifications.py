"""``ptsp`` commands for the notifications (registered on ``engine.cli.main`` when that module loads)."""

from __future__ import annotations

import click

from .cli import _engine, _print_json, _table, command, main, wib
from .notifications import MailResult


@command(main, "notify")
@click.option("--no-mail", is_flag=True, help="Only write the notifications; send no e-mail.")
def notify(ctx: click.Context, as_json: bool, no_mail: bool) -> None:
    """Run the notifier once by hand: new events become notifications, due e-mails are sent.

    The timer worker (``ptsp worker``, ``ptsp serve``) does this by itself;
    running it beside a worker is safe (each event is told once).
    """
    engine = _engine(ctx)
    result = engine.notify_pending()
    mail = MailResult() if no_mail else engine.send_pending_mail()
    if as_json:
        _print_json(result.as_dict() | {"mail": mail.as_dict()})
        return
    click.echo(
        f"{result.events} event(s) read, {result.notifications} notification(s) written, "
        f"{result.emails} e-mail(s) queued"
    )
    if no_mail:
        click.echo("e-mail: not sent (--no-mail)")
    elif not mail.configured:
        click.echo("e-mail: SMTP is not configured (PTSP_SMTP_HOST): notifications stay in the app")
    else:
        click.echo(f"e-mail: {mail.sent} sent, {mail.retrying} to retry later, {mail.failed} given up")


@command(main, "notifications")
@click.argument("login")
@click.option("--unread", is_flag=True, help="Only the unread ones.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def notifications(ctx: click.Context, as_json: bool, login: str, unread: bool, limit: int) -> None:
    """A user's notifications, newest first."""
    found = _engine(ctx).notifications(as_user=login, unread_only=unread, limit=limit)
    if as_json:
        _print_json([n.as_dict() for n in found])
        return
    rows = [
        [n.id, wib(n.created_at), n.kind, n.title, wib(n.read_at) if n.read_at else "", n.email_status] for n in found
    ]
    _table(["id", "when", "kind", "title", "read", "e-mail"], rows)
