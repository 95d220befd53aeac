"""Alembic environment: migrations always run on a connection the registry hands over.

Run by :func:`customs_engine.core.registry.database.migrate` on every open. To write a new
migration: copy ``versions/0001_initial.py``, set ``revision`` / ``down_revision``, and mirror the
change in ``tables.py``.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
