"""Pytest plugin for customs-engine and its plugin authors (registered via ``pytest11``).

Fixtures build engines with a chosen set of plugins and registry rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from customs_engine.core.context import CheckContext, MemoryRegistry, RegistryRecord
from customs_engine.core.engine import Engine
from customs_engine.core.plugin_manager import PluginHost


def make_engine(*, blocked: Iterable[str] = (), records: Iterable[RegistryRecord] = (),
                extra: Iterable[tuple[str, object, str]] = (), **ctx: object) -> Engine:
    """An engine with every installed plugin (less ``blocked``) and a memory registry."""
    host = PluginHost.from_entry_points(blocked=blocked, trace=False, extra=extra)
    context = CheckContext(registry=MemoryRegistry(records), **ctx)  # type: ignore[arg-type]
    return Engine(host, context)


@pytest.fixture
def customs_engine_factory() -> Callable[..., Engine]:
    """Build an engine: ``customs_engine_factory(records=[...], as_of=date(...))``."""
    return make_engine
