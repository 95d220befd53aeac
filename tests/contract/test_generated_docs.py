"""The generated reference pages are checked in and current; the docs stand alone."""

from __future__ import annotations

import importlib.util
import re

import pytest

from tests.conftest import PROJECT

GENERATOR = PROJECT / "tools" / "generate_docs.py"


def generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate_docs", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", ["model-reference.md", "rules.md"])
def test_generated_page_is_current(page: str) -> None:
    render = generator().PAGES[page]
    checked_in = (PROJECT / "docs" / page).read_text(encoding="utf-8")
    assert checked_in == render(), (
        f"docs/{page} is out of date: run `python tools/generate_docs.py` and commit it"
    )


def test_rule_catalogue_lists_every_built_in_rule_and_no_example_rule() -> None:
    from customs_engine.core.plugin_host import PluginHost

    module = generator()
    text = (PROJECT / "docs" / "rules.md").read_text(encoding="utf-8")
    host = PluginHost.from_entry_points(only=module.built_in_plugins(), blocked=())
    listed = set(re.findall(r"^\| `([A-Z0-9-]+)` \|", text, re.MULTILINE))
    assert listed == set(host.rules) and len(listed) > 50
    assert "NFMIMS-CU-" not in text  # the copper example is not a built-in


def test_model_reference_covers_the_public_models() -> None:
    import customs_engine

    text = (PROJECT / "docs" / "model-reference.md").read_text(encoding="utf-8")
    for name in (
        "BillOfEntry",
        "Item",
        "ImportGeneralManifest",
        "Finding",
        "Fee",
        "AuthorisationClaim",
        "Response",
        "RegistryRecord",
    ):
        assert f"### `{name}`" in text
        assert name in customs_engine.__all__


def test_docs_and_sources_do_not_send_readers_to_files_they_do_not_have() -> None:
    """Users have the package and its docs, not the project's working notes."""
    banned = re.compile(
        r"\bSPEC(?:\.md)?\s*§|\bSPEC\.md\b|\bRULES(?:-REFERENCE)?\.md\b|"
        r"\bRULES-REFERENCE\b"
    )
    offenders = []
    for path in sorted(
        [
            *(PROJECT / "docs").rglob("*.md"),
            PROJECT / "README.md",
            *(PROJECT / "src").rglob("*.py"),
            *(PROJECT / "src").rglob("*.toml"),
            *(PROJECT / "src").rglob("*.html"),
            *(PROJECT / "src").rglob("*.xsd"),
        ]
    ):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if banned.search(line):
                offenders.append(f"{path.relative_to(PROJECT)}:{number}: {line.strip()}")
    assert offenders == []
