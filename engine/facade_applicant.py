"""``Engine`` methods for the applicant.

A mixin: ``self.db``, ``self.ctx`` and ``self._write()`` come from ``Engine``.
"""

from __future__ import annotations


class ApplicantApi:
    pass
