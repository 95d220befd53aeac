"""The public edge: plugins and examples import ``customs_engine`` and nothing under it.

``customs_engine.core`` may move; a plugin written against ``customs_engine.__all__`` (and tested
with the ``customs_engine.testing`` kit) must not notice.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import customs_engine
from tests.conftest import EXAMPLES, PROJECT

PLUGINS = PROJECT / "src" / "customs_engine" / "plugins"
COPPER = EXAMPLES / "customs-engine-copper" / "src"
PUBLIC = {"customs_engine", "customs_engine.testing"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def own_package(path: Path) -> str:
    """The package a file belongs to, whose modules it may import freely."""
    if path.is_relative_to(PLUGINS):
        return f"customs_engine.plugins.{path.relative_to(PLUGINS).parts[0]}"
    return "customs_engine_" + path.relative_to(EXAMPLES).parts[0].removeprefix("customs-engine-")


def private_imports(paths: list[Path]) -> list[str]:
    problems = []
    for path in paths:
        own = own_package(path)
        for line, module in imported_modules(path):
            if not module.startswith("customs_engine") or module in PUBLIC:
                continue
            if module == own or module.startswith(own + "."):
                continue
            problems.append(f"{path.relative_to(PROJECT)}:{line} imports {module}")
    return problems


def python_files() -> list[Path]:
    return sorted([*PLUGINS.rglob("*.py"), *EXAMPLES.rglob("*.py")])


def test_plugins_and_examples_import_only_the_public_api() -> None:
    assert len(python_files()) > 10
    assert private_imports(python_files()) == []


def test_the_import_walk_catches_a_private_import(tmp_path: Path) -> None:
    bad = PLUGINS / "sims" / "probe_private_import.py"
    try:
        bad.write_text(
            "from customs_engine.core.ledger.run_state import RunState\n"
            "from customs_engine.plugins.ims.policy import ImsPolicy\n"
            "from customs_engine.plugins.sims.plugin import SIMS\n"
            "import customs_engine.core.models\n"
        )
        problems = private_imports([bad])
    finally:
        bad.unlink()
    assert [p.split(" imports ")[1] for p in problems] == [
        "customs_engine.core.ledger.run_state",
        "customs_engine.plugins.ims.policy",
        "customs_engine.core.models",
    ]


def test_all_lists_the_plugin_vocabulary_and_every_name_resolves() -> None:
    vocabulary = {
        "hookimpl",
        "BillOfEntry",
        "ImportGeneralManifest",
        "Item",
        "Finding",
        "Fee",
        "AuthorisationClaim",
        "Routing",
        "Rule",
        "Scheme",
        "CheckContext",
        "RegistryRecord",
        "RunView",
        "load_rules",
        "read_toml",
        "Schedule",
        "india_date",
        "valid_through",
        "money",
        "inr",
        "rupees",
        "MonitoringScheme",
        "MonitoringPlugin",
        "ParsedMessage",
        "Unapplied",  # what customs_resolve_message may return: hooks.md names it
    }
    assert vocabulary <= set(customs_engine.__all__)
    assert len(customs_engine.__all__) == len(set(customs_engine.__all__))
    for name in customs_engine.__all__:
        assert getattr(customs_engine, name) is not None, name
    assert set(customs_engine.__all__) == {"__version__", *customs_engine._EXPORTS}
    with pytest.raises(AttributeError):
        customs_engine.EngineFactory  # noqa: B018 - not public


def test_public_names_are_the_core_objects_themselves() -> None:
    for name, module in customs_engine._EXPORTS.items():
        assert getattr(customs_engine, name) is getattr(importlib.import_module(module), name)


def test_the_package_ships_a_py_typed_marker() -> None:
    marker = Path(customs_engine.__file__).with_name("py.typed")
    assert marker.is_file()


def test_the_copper_example_passes_mypy_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            "/dev/null",
            str(COPPER),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
