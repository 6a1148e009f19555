"""The ``ptsp`` command with the web server: ``engine.cli`` plus ``ptsp serve``."""

from __future__ import annotations

import click

from engine.cli import _engine, main
from engine.logs import configure
from engine.worker import TimerWorker


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Request threads.")
@click.option("--no-timers", is_flag=True, help="Do not fire timers in this process (another worker does).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, no_timers: bool) -> None:
    """Serve the web UI and the API (waitress) and fire due timers at their deadline.

    One process for one office on SQLite. For several nodes on PostgreSQL run
    gunicorn (deploy/gunicorn.conf.py) and ``ptsp worker`` instead.
    """
    from waitress import serve as waitress_serve

    from . import create_app

    configure()
    engine = _engine(ctx)
    app = create_app({"ENGINE": engine})
    # every command that arms a timer runs in this process, so its commits wake the worker
    loop = None if no_timers else TimerWorker(engine, same_process=True).start()
    click.echo(f"PTSP is serving on http://{host}:{port}/ ({engine.db.url.render_as_string(hide_password=True)})")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="ptsp")
    finally:
        if loop is not None:
            loop.stop()


__all__ = ["main"]
