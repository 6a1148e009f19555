"""Bringing up a multi-node PTSP on one machine: PostgreSQL, gunicorn, timer workers."""
