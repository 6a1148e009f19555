"""``ptsp`` commands for the applicant (registered on ``engine.cli.main`` when that module loads)."""

from __future__ import annotations
