"""Alembic environment for the registry schema.

The engine runs the migrations on every open (:func:`customs_engine.core.registry.database.migrate`)
and hands over its connection. A maintainer can also run Alembic by hand with
``alembic -c src/customs_engine/core/registry/alembic.ini upgrade head`` (database from
``CUSTOMS_DB``, default ``customs.db`` in the user data directory).

To change the schema: ``alembic -c …/alembic.ini revision -m "what changes"`` (or copy
``versions/0001_initial.py``, setting ``revision`` / ``down_revision``), write ``upgrade`` and
``downgrade`` with ``op`` calls that work on SQLite and PostgreSQL (``render_as_batch`` is on for
SQLite's limited ALTER TABLE), and mirror the change in ``tables.py``.
"""

from __future__ import annotations

from alembic import context

from customs_engine.core.registry.database import create, resolve_url

connection = context.config.attributes.get("connection")
if connection is None:  # run from the alembic command line
    with create(resolve_url(None)).begin() as own_connection:
        context.configure(connection=own_connection, target_metadata=None, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
