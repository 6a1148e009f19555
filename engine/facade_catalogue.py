"""``Engine`` methods for the catalogue.

A mixin: ``self.db``, ``self.ctx`` and ``self._write()`` come from ``Engine``.
"""

from __future__ import annotations


class CatalogueApi:
    pass
