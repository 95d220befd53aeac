"""The plugin author's docs are kept honest by tests (in the style of datasette's test_docs).

* Every hook of ``core/hookspecs.py`` has a section in ``docs/hooks.md`` with its exact signature
  and the right "Collected" / "First-non-None" — and a ``test_hook_<name>`` in
  ``tests/contract/test_hook_contract.py``.
* Removing a hook from the docs (or changing what it says) makes the checker fail.
* The tutorial in ``docs/plugin-guide.md``, copied out of the page file by file and installed,
  passes its own tests.
* Every public name of the testing kit is described in ``docs/testing.md``.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from customs_engine import testing as kit
from customs_engine.core import hookspecs
from tests.conftest import PROJECT

DOCS = PROJECT / "docs"
HOOK_TESTS = PROJECT / "tests" / "contract" / "test_hook_contract.py"
FENCE = re.compile(r'^```(\w*)(?: title="([^"]+)")?\n(.*?)^```$', re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class HookSpec:
    name: str
    signature: str
    firstresult: bool

    @property
    def combination(self) -> str:
        return "**First-non-None.**" if self.firstresult else "**Collected.**"


def hook_specs() -> dict[str, HookSpec]:
    """Every hook of the contract, its signature line as the docs must show it, firstresult."""
    specs = {}
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if not name.startswith("customs_"):
            continue
        signature = inspect.signature(function)  # annotations are strings (PEP 563)
        params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
        marker = getattr(function, f"{hookspecs.PROJECT}_spec")
        specs[name] = HookSpec(
            name, f"{name}({params}) -> {signature.return_annotation}", bool(marker["firstresult"])
        )
    return specs


HOOKS = hook_specs()


def hook_sections(text: str) -> dict[str, str]:
    """``## customs_…`` sections of the hook reference, by hook name."""
    parts = re.split(r"^## +", text, flags=re.MULTILINE)[1:]
    sections = {}
    for part in parts:
        title, _, body = part.partition("\n")
        sections[title.strip().strip("`")] = body
    return sections


def hook_doc_problems(docs: Path, hooks: dict[str, HookSpec] = HOOKS) -> list[str]:
    """What the hook reference in ``docs`` gets wrong about the hooks (empty: nothing)."""
    sections = hook_sections((docs / "hooks.md").read_text(encoding="utf-8"))
    problems = []
    for name, spec in hooks.items():
        body = sections.get(name)
        if body is None:
            problems.append(f"{name}: no '## {name}' section in hooks.md")
            continue
        code_lines = {
            line.strip()
            for lang, _, code in FENCE.findall(body)
            if lang == "python"
            for line in code.splitlines()
        }
        if spec.signature not in code_lines:
            problems.append(
                f"{name}: signature line missing or different; expected {spec.signature}"
            )
        wrong = "**Collected.**" if spec.firstresult else "**First-non-None.**"
        if spec.combination not in body or wrong in body:
            problems.append(f"{name}: must say {spec.combination} and not {wrong}")
    for name in sections:
        if name.startswith("customs_") and name not in hooks:
            problems.append(f"{name}: documented but not a hook in hookspecs.py")
    return problems


# -- the hook reference ----------------------------------------------------------------------


def test_the_contract_has_hooks_of_both_kinds() -> None:
    assert len(HOOKS) >= 14
    assert any(s.firstresult for s in HOOKS.values())
    assert not all(s.firstresult for s in HOOKS.values())
    assert HOOKS["customs_detect_format"].signature == (
        "customs_detect_format(head: bytes, name: str) -> str | None"
    )


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_is_documented_with_its_exact_signature(hook: str) -> None:
    problems = [p for p in hook_doc_problems(DOCS) if p.startswith(f"{hook}:")]
    assert problems == []


def test_docs_document_no_hook_that_does_not_exist() -> None:
    assert [p for p in hook_doc_problems(DOCS) if "not a hook" in p] == []


def hook_test_names() -> set[str]:
    tree = ast.parse(HOOK_TESTS.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_has_a_test(hook: str) -> None:
    assert f"test_hook_{hook}" in hook_test_names(), (
        f"add test_hook_{hook} to {HOOK_TESTS.relative_to(PROJECT)}"
    )


def doctored_docs(tmp_path: Path, change: Callable[[str], str]) -> Path:
    text = (DOCS / "hooks.md").read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, "the doctoring did not change anything"
    (tmp_path / "hooks.md").write_text(changed, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_removing_a_hook_from_the_docs_fails(tmp_path: Path, hook: str) -> None:
    def remove(text: str) -> str:
        return re.sub(rf"^## {hook}\n.*?(?=^## |\Z)", "", text, flags=re.MULTILINE | re.DOTALL)

    problems = hook_doc_problems(doctored_docs(tmp_path, remove))
    assert problems == [f"{hook}: no '## {hook}' section in hooks.md"]


def test_a_changed_signature_or_combination_fails(tmp_path: Path) -> None:
    renamed = doctored_docs(
        tmp_path,
        lambda t: t.replace(
            "customs_fees(boe: BillOfEntry, ctx: CheckContext)",
            "customs_fees(boe: BillOfEntry, context: CheckContext)",
        ),
    )
    assert [p.split(":")[0] for p in hook_doc_problems(renamed)] == ["customs_fees"]

    def claim_first_result(text: str) -> str:
        head, _, rest = text.partition("## customs_fees\n")
        return head + "## customs_fees\n" + rest.replace("**Collected.**", "**First-non-None.**", 1)

    flipped = doctored_docs(tmp_path, claim_first_result)
    assert hook_doc_problems(flipped) == [
        "customs_fees: must say **Collected.** and not **First-non-None.**"
    ]


def test_a_hook_added_to_the_contract_but_not_the_docs_fails() -> None:
    new = HookSpec(
        "customs_check_warehouse",
        "customs_check_warehouse(boe: BillOfEntry) -> list[Finding] | None",
        False,
    )
    problems = hook_doc_problems(DOCS, {**HOOKS, new.name: new})
    assert problems == [
        "customs_check_warehouse: no '## customs_check_warehouse' section in hooks.md"
    ]


# -- the other pages ---------------------------------------------------------------------------


def test_every_public_name_of_the_testing_kit_is_documented() -> None:
    text = (DOCS / "testing.md").read_text(encoding="utf-8")
    public = [
        name
        for name, obj in vars(kit).items()
        if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == kit.__name__
    ]
    fixtures = ["customs_check", "customs_engine_factory", "customs_plugins", "customs_cli"]
    missing = [name for name in public + fixtures if f"`{name}" not in text]
    assert missing == []
    assert {"bill_of_entry", "item", "assert_finding", "make_engine"} <= set(public)


def test_links_between_the_docs_resolve() -> None:
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+\.md)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"


# -- the tutorial, followed to the letter -----------------------------------------------------


def tutorial_files() -> dict[str, str]:
    """The files the guide's tutorial shows, by path (code blocks with a ``title``)."""
    text = (DOCS / "plugin-guide.md").read_text(encoding="utf-8")
    return {title: code for _, title, code in FENCE.findall(text) if title}


def install_metadata(project: Path, site: Path) -> None:
    """Make the project importable with its entry points, as ``pip install -e .`` would.

    A ``.dist-info`` folder on ``PYTHONPATH`` is what ``importlib.metadata`` reads entry points
    from; writing one from the project's own pyproject.toml checks the guide's packaging
    without a slow build into the shared virtualenv.
    """
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n",
        encoding="utf-8",
    )
    groups = meta.get("entry-points", {})
    (dist / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
            for group, points in groups.items()
        ),
        encoding="utf-8",
    )


def test_the_tutorial_plugin_passes_its_own_tests(tmp_path: Path) -> None:
    files = tutorial_files()
    project = tmp_path / "customs-engine-paper"
    assert {"pyproject.toml", "src/customs_engine_paper/plugin.py", "tests/test_paper.py"} <= {
        str(Path(p).relative_to(project.name)) for p in files
    }
    for relative, code in files.items():
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
    install_metadata(project, tmp_path / "site")

    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMS_ENGINE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "site"), str(project / "src")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_the_testing_kit_calls_testing_md_shows_fit_their_signatures() -> None:
    """``write_message(path, message, "edifact")`` as a reader writes it after ``render(boe,
    "edifact")`` raised TypeError: every call of a kit function shown in the page binds."""
    text = (DOCS / "testing.md").read_text(encoding="utf-8")
    checked = []
    for snippet in re.findall(r"`([a-z_]+\([^`]*\))`", text):
        try:
            call = ast.parse(snippet, mode="eval").body
        except SyntaxError:
            continue  # prose with an ellipsis, not a call as written
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            continue
        function = getattr(kit, call.func.id, None)
        if not inspect.isfunction(function) or any(
            isinstance(arg, ast.Starred) for arg in call.args
        ):
            continue
        signature = inspect.signature(function)
        try:
            signature.bind(*call.args, **{k.arg: k.value for k in call.keywords if k.arg})
        except TypeError as exc:
            pytest.fail(f"testing.md shows `{snippet}`: {exc}")
        checked.append(call.func.id)
    assert {"render", "write_message"} <= set(checked)


def test_the_hooks_page_names_what_a_plugin_raising_ends_the_run_with() -> None:
    """hooks.md said "whatever it raises … does not crash or end the run"; Ctrl-C's
    ``KeyboardInterrupt`` is let through on purpose (a ``GeneratorExit`` a plugin raises is its
    failure like any other)."""
    from customs_engine.core.plugin_host import STOPS_THE_RUN

    text = (DOCS / "hooks.md").read_text(encoding="utf-8")
    failures = next(part for part in text.split("\n- ") if part.startswith("**Failures.**"))
    for exc in STOPS_THE_RUN:
        assert f"`{exc.__name__}`" in failures


def test_the_operators_page_shows_plugins_as_customs_plugins_lists_them() -> None:
    """The sample ``customs plugins`` output missed the EDIFACT adapter's
    ``customs_resolve_message``: each plugin it shows is shown as listed now."""
    from customs_engine.core.plugin_host import PluginHost

    text = (DOCS / "operators.md").read_text(encoding="utf-8")
    sample = text.split("$ customs plugins\n", 1)[1].split("\n...\n", 1)[0]
    shown = re.findall(r"^(\S+) (\S+) \((\S+)\)\n    hooks: (.*)$", sample, re.MULTILINE)
    assert [name for name, *_ in shown] == ["aims", "copper", "core", "edifact"]
    listed = {
        info.name: (info.name, info.version, info.module, ", ".join(info.hooks))
        for info in PluginHost.from_entry_points(blocked=(), trace=False).plugin_infos()
    }
    for entry in shown:
        if entry[0] in listed:  # copper: only when the example plugin is installed
            assert entry == listed[entry[0]]
