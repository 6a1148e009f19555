"""``Engine`` methods for the catalogue.

A mixin: ``self.db``, ``self.ctx`` and ``self._write()`` come from ``Engine``.

The service catalogue (Jenis Layanan) is versioned like the diagrams: every
change is a new row, the newest is the one in use. Reading it is open to
every user; changing it is for process owners (the command line, which
names no user, records ``created_by``). Beside it: the counts of a user's
lanes with the Kasi lane limited to their Seksi, and the Kasi lane per Seksi.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .catalogue import CatalogueFile, CatalogueVersionInfo, CatalogueView, Service, parse
from .errors import NotFound
from .model import APPLICANT_LANE, lane_order
from .services import catalogue as catalogue_service
from .services import overview
from .services.context import actor
from .views import LaneCount, SeksiCount

# The catalogue seeded into an empty database (``ptsp setup``, tests).
DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "processes" / "services.yaml"


class CatalogueApi:
    db: Any
    ctx: Any
    _write: Any  # Engine's unit of work

    def _catalogue_reader(self, session: Any, as_user: str | None) -> None:
        if as_user is not None:
            actor(session.connection(), as_user)  # any active user reads the catalogue

    # -- reading -------------------------------------------------------------------
    def catalogue(self, *, version: int | None = None, as_user: str | None = None) -> CatalogueView:
        """The catalogue in use (or version ``version``), with its version information."""
        with self.db.reader() as session:
            self._catalogue_reader(session, as_user)
            return catalogue_service.view(session.connection(), version)

    def catalogue_versions(self, *, as_user: str | None = None) -> list[CatalogueVersionInfo]:
        """Every stored version, newest (the one in use) first."""
        with self.db.reader() as session:
            self._catalogue_reader(session, as_user)
            return catalogue_service.versions(session.connection())

    def catalogue_file(self, version: int, *, as_user: str | None = None) -> CatalogueFile:
        """A version's YAML exactly as stored, to commit back to processes/services.yaml."""
        with self.db.reader() as session:
            self._catalogue_reader(session, as_user)
            return catalogue_service.file(session.connection(), version)

    def service(self, code: str, *, version: int | None = None, as_user: str | None = None) -> Service:
        """One entry of the catalogue in use (or of ``version``); ``NotFound`` for an unknown code."""
        with self.db.reader() as session:
            self._catalogue_reader(session, as_user)
            return catalogue_service.service(session.connection(), code, version)

    def service_of(self, instance: str | int, *, as_user: str | None = None) -> Service | None:
        """The catalogue entry an application was filed under (as recorded at step 1), or None."""
        from .services.instances import find_instance
        from .services.queries import can_see_instance

        with self.db.reader() as session:
            found = find_instance(session, instance)
            if as_user is not None and not can_see_instance(actor(session.connection(), as_user), found):
                raise NotFound(f"application {instance} not found")
            return catalogue_service.application_service(session.connection(), found.data)

    # -- changing ------------------------------------------------------------------
    def ensure_catalogue(self, path: Path | str | None = None) -> CatalogueVersionInfo | None:
        """Seed the catalogue from ``path`` (default processes/services.yaml) when none is stored yet.

        Returns the version stored, or None when a catalogue was already there
        (what a process owner changed since is never replaced).
        """
        with self._write() as uow:
            info = catalogue_service.ensure(uow, self.ctx, Path(path or DEFAULT_CATALOGUE), created_by="setup")
            uow.commit()
            return info

    def deploy_catalogue(
        self,
        content: str | bytes,
        *,
        note: str | None = None,
        created_by: str | None = None,
        as_user: str | None = None,
        base_version: int | None = None,
        dry_run: bool = False,
    ) -> CatalogueVersionInfo:
        """Check a whole catalogue (YAML) and make it the one in use.

        Refused with ``CatalogueInvalid`` listing every problem (line, entry,
        what to do); ``created`` is False when it equals the version in use.
        ``as_user`` must be a process owner.
        """
        with self._write() as uow:
            info = catalogue_service.store(
                uow,
                self.ctx,
                content,
                note=note,
                created_by=created_by,
                as_user=as_user,
                base_version=base_version,
                dry_run=dry_run,
            )
            if not dry_run:
                uow.commit()
            return info

    def validate_catalogue(self, content: str | bytes) -> None:
        """Raise ``CatalogueInvalid`` (listing every problem) unless the catalogue could be deployed."""
        parse(content)

    def save_service(
        self,
        fields: Mapping[str, Any],
        *,
        as_user: str,
        note: str,
        base_version: int | None,
        code: str | None = None,
    ) -> CatalogueVersionInfo:
        """Add an entry (``code`` None) or change entry ``code`` from the edit form's ``fields``.

        ``fields``: code (when adding), name, seksi, persyaratan (one per line,
        "code: text" or just the text), produk, standard, biaya, dasar_hukum
        (one per line), keterangan, referral. Saved as a new version with
        ``note``; refused with a ``Conflict`` when the catalogue changed since
        ``base_version``.
        """
        with self._write() as uow:
            info = catalogue_service.save_entry(
                uow, self.ctx, fields, as_user=as_user, note=note, base_version=base_version, code=code
            )
            uow.commit()
            return info

    def remove_service(self, code: str, *, as_user: str, note: str, base_version: int | None) -> CatalogueVersionInfo:
        """Take entry ``code`` out of the catalogue (a new version); running applications keep theirs."""
        with self._write() as uow:
            info = catalogue_service.remove_entry(
                uow, self.ctx, code, as_user=as_user, note=note, base_version=base_version
            )
            uow.commit()
            return info

    # -- counts by Seksi -------------------------------------------------------------
    def user_lane_counts(self, *, as_user: str, lanes: list[str] | None = None) -> list[LaneCount]:
        """``lane_counts`` as ``as_user`` sees them: their staff lanes, the Kasi lane for their Seksi only."""
        with self.db.reader() as session:
            user = actor(session.connection(), as_user)
            if lanes is None:
                lanes = list(lane_order(user.lanes - {APPLICANT_LANE}))
            return overview.lane_counts(session.connection(), self.ctx.clock.now(), lanes, user=user)

    def seksi_of(self, login: str) -> str | None:
        """The Seksi a user works for (None for a user without one)."""
        with self.db.reader() as session:
            return actor(session.connection(), login).seksi

    def seksi_counts(self) -> list[SeksiCount]:
        """The Kasi lane per Seksi: open, overdue, completed today."""
        with self.db.reader() as session:
            return overview.seksi_counts(session.connection(), self.ctx.clock.now())
