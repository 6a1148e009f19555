"""``Engine`` methods for the applicant: the receipt, public tracking, the SKM survey and the IKM report.

A mixin: ``self.db``, ``self.ctx`` and ``self._write()`` come from ``Engine``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .applicant_views import IkmReport, Receipt, SkmStatus, TrackingView
from .errors import NotFound
from .services import receipts, surveys, tracking
from .services.context import actor
from .services.instances import find_instance
from .services.tracking import DEFAULT_TRACKING_POLICY, TrackingPolicy

NOT_TRACKED = "no application matches this registration number and code"


class ApplicantApi:
    def receipt(self, instance: str | int, *, as_user: str | None = None) -> Receipt:
        """The receipt (tanda terima) of an application whose file was handed in (SOP step 3).

        ``as_user`` must be its applicant or PTSP staff (others who may see the
        application get ``PermissionDenied``, anyone else ``NotFound``); before
        step 3 there is no receipt (``NotFound``). The command line passes none.
        """
        for attempt in (1, 2):
            with self.db.reader() as session:
                connection = session.connection()
                user = actor(connection, as_user) if as_user is not None else None
                found = find_instance(session, instance)
                try:
                    return receipts.receipt(session, self.ctx, found, user, tracking.read_key(connection))
                except receipts.NoKeyYet:
                    if attempt == 2:
                        raise
            # the very first receipt: create the key once (only now that one may be shown)
            with self._write() as uow:
                tracking.ensure_key(uow.connection)
                uow.commit()
        raise AssertionError("unreachable")

    def track(
        self,
        registration: Any,
        code: Any,
        *,
        address: str | None = None,
        policy: TrackingPolicy | None = None,
    ) -> TrackingView:
        """An application's public progress, for the registration number and the code on its receipt.

        Any mismatch (wrong number, wrong code, missing either) raises the same
        ``NotFound`` and counts against ``address``; while the address has too
        many failures, ``TooManyAttempts`` is raised whatever it sends.
        """
        with self._write() as uow:
            view = tracking.track(uow, self.ctx, registration, code, address, policy or DEFAULT_TRACKING_POLICY)
            uow.commit()
        if view is None:
            raise NotFound(NOT_TRACKED)
        return view

    def skm_status(self, instance: str | int, *, as_user: str) -> SkmStatus:
        """Whether the applicant may fill the application's survey, and what they sent if they did."""
        with self.db.reader() as session:
            user = actor(session.connection(), as_user)
            return surveys.status(session, find_instance(session, instance), user)

    def submit_skm(
        self, instance: str | int, *, as_user: str, answers: dict[str, Any], suggestion: str | None = None
    ) -> SkmStatus:
        """Store the SKM survey of a completed application, once, by its applicant.

        ``answers`` maps ``u1``..``u9`` to 1..4 (PermenPANRB 14/2017's nine
        elements); ``suggestion`` is optional text. A second survey is a
        ``Conflict`` and changes nothing.
        """
        with self._write() as uow:
            result = surveys.submit(uow, self.ctx, instance, as_user, answers, suggestion)
            uow.commit()
            return result

    def ikm_report(self, since: datetime, until: datetime, *, as_user: str | None = None) -> IkmReport:
        """The IKM of the surveys submitted in ``[since, until)``: overall, per service, per element.

        For the Kepala Kantor and auditors; the command line passes no user.
        """
        with self.db.reader() as session:
            if as_user is not None:
                surveys.require_ikm_reader(actor(session.connection(), as_user))
            return surveys.ikm_report(session.connection(), since, until)
