"""``ptsp`` commands for the catalogue (registered on ``engine.cli.main`` when that module loads).

ptsp services [--json] [--version N]     the catalogue in use (or version N)
ptsp services show CODE [--json]         one service's standard
ptsp services deploy FILE [--note ...]   check a YAML file and make it the catalogue in use
ptsp services versions [--json]          every stored version, newest first
ptsp services download VERSION [-o FILE] a version's YAML exactly as stored
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .catalogue import CatalogueInvalid, Service
from .cli import _engine, _print_json, _table, command, main, wib
from .errors import PtspError


def _refused(exc: CatalogueInvalid, as_json: bool) -> None:
    if as_json:
        _print_json({"problems": [p.as_dict() for p in exc.problems]})
    for problem in exc.problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(1)


@main.group("services", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--version", type=int, help="A stored version instead of the one in use.")
@click.pass_context
def services(ctx: click.Context, as_json: bool, version: int | None) -> None:
    """The service catalogue (Jenis Layanan): list it, show one, deploy a new version."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        found = _engine(ctx).catalogue(version=version)
    except PtspError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    if as_json:
        _print_json([s.summary() for s in found.catalogue])
        return
    if found.info is None:
        click.echo("no catalogue yet: `ptsp services deploy processes/services.yaml` stores one")
        return
    click.echo(f"catalogue version {found.info.version} ({len(found.catalogue)} services)")
    _table(
        ["CODE", "NAME", "SEKSI", "STANDARD", "PERSYARATAN"],
        [
            [s.code, s.name, s.seksi or "-", s.standard_text or "-", len(s.persyaratan)]
            if s.referral is None
            else [s.code, s.name, "-", "-", "referral: Kementerian Haji dan Umrah" if _hajj(s) else "referral"]
            for s in found.catalogue
        ],
    )


def _hajj(service: Service) -> bool:
    return "Haji dan Umrah" in (service.referral or "")


@command(services, "show")
@click.argument("code")
@click.option("--version", type=int, help="A stored version instead of the one in use.")
def services_show(ctx: click.Context, code: str, version: int | None, as_json: bool) -> None:
    """One service's standard: Seksi, persyaratan, produk, time, fee, legal basis (or its referral)."""
    found = _engine(ctx).service(code, version=version)
    if as_json:
        _print_json(found.summary())
        return
    rows: list[tuple[str, Any]] = [("Code", found.code), ("Name", found.name)]
    if found.referral is not None:
        rows.append(("Referral", found.referral))
    else:
        rows += [
            ("Seksi", found.seksi),
            ("Produk", found.produk),
            ("Standard", f"{found.standard} ({found.standard_text})"),
            ("Biaya", found.biaya),
        ]
    for label, value in rows:
        click.echo(f"{label + ':':<11}{'' if value is None else value}")
    if found.persyaratan:
        click.echo("Persyaratan:")
        for item in found.persyaratan:
            click.echo(f"  - {item.code}: {item.text}")
    if found.dasar_hukum:
        click.echo("Dasar hukum:")
        for law in found.dasar_hukum:
            click.echo(f"  - {law}")


@command(services, "deploy")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--note", help="What changed and why (stored with the version).")
@click.option("--by", "created_by", help="Who deploys (login), recorded with the version.")
@click.option("--dry-run", is_flag=True, help="Check the file and say which version it would be; store nothing.")
def services_deploy(
    ctx: click.Context, path: Path, note: str | None, created_by: str | None, dry_run: bool, as_json: bool
) -> None:
    """Check a catalogue file (every problem listed with its line) and make it the catalogue in use."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        click.echo(f"error: cannot read {path}: {exc.strerror}", err=True)
        sys.exit(1)
    try:
        info = _engine(ctx).deploy_catalogue(content, note=note, created_by=created_by, dry_run=dry_run)
    except CatalogueInvalid as exc:
        _refused(exc, as_json)
        return
    if as_json:
        _print_json(info.as_dict() | {"dry_run": dry_run, "problems": []})
    elif dry_run:
        click.echo(f"{path} is valid ({info.services} services); it would be catalogue version {info.version}")
    elif info.created:
        click.echo(f"catalogue version {info.version} stored and in use ({info.services} services)")
    else:
        click.echo(f"{path} is already the catalogue in use (version {info.version}); nothing stored")


@command(services, "versions")
def services_versions(ctx: click.Context, as_json: bool) -> None:
    """Every stored version of the catalogue, newest (the one in use) first."""
    found = _engine(ctx).catalogue_versions()
    if as_json:
        _print_json([v.as_dict() for v in found])
        return
    _table(
        ["VERSION", "IN USE", "SERVICES", "CREATED", "BY", "NOTE"],
        [
            [v.version, "yes" if v.in_use else "", v.services, wib(v.created_at), v.created_by, _short(v.note)]
            for v in found
        ],
    )


@command(services, "download", with_json=False)
@click.argument("version", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
def services_download(ctx: click.Context, version: int, output: Path | None) -> None:
    """A version's YAML exactly as stored (to commit back to processes/services.yaml)."""
    found = _engine(ctx).catalogue_file(version)
    if output is None:
        click.echo(found.content, nl=False)
        return
    output.write_text(found.content, encoding="utf-8")
    click.echo(f"catalogue version {version} written to {output}")


def _short(text: str | None, width: int = 60) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


__all__ = ["services"]
