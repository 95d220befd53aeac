"""The Alembic migrations build exactly the schema ``tables.py`` describes, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry.database import MIGRATIONS, migrate
from customs_engine.core.registry.tables import Base


@pytest.mark.parametrize(
    "backend", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]
)
def test_migrated_schema_matches_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    store = SqlRegistry.open(request.getfixturevalue(backend))
    migrate(store.engine)  # a second open is a no-op
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == _head()
        assert compare_metadata(context, Base.metadata) == []
    store.close()


def _head() -> str:
    """The newest migration: the chain is linear, so there is exactly one head."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return str(head)
