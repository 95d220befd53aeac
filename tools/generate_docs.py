"""Generate the reference pages that must match the code: docs/model-reference.md (from the
pydantic models) and docs/rules.md (from the built-in plugins' rules, as ``customs rules`` lists
them). ``tests/contract/test_generated_docs.py`` fails when a checked-in page is not current.

Run after changing a model or a rule::

    python tools/generate_docs.py
"""

from __future__ import annotations

import enum
import inspect
import re
import sys
import types
import typing
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import customs_engine
from customs_engine.core.plugin_host import ENTRY_POINT_GROUP, PluginHost

DOCS = Path(__file__).resolve().parents[1] / "docs"
PACKAGE = "customs-engine"

#: sections of the model reference: (title, public names in order)
SECTIONS = (
    (
        "Messages (what adapters produce and checks read)",
        (
            "BillOfEntry",
            "Importer",
            "Item",
            "Licence",
            "Certificate",
            "ForeignValue",
            "ManifestReference",
            "ImportGeneralManifest",
            "ManifestLine",
            "GoodsItem",
        ),
    ),
    ("What plugins return", ("Finding", "Fee", "AuthorisationClaim", "Routing", "Rule", "Scheme")),
    ("What checks see", ("RegistryRecord",)),
    ("The response", ("Response",)),
)
#: the types of some of ``Response``'s fields: documented, but not exported by ``customs_engine``
#: (a plugin never builds them; an integrator reads them as parts of a response)
RESPONSE_PARTS = ("MessageInfo", "DocumentInfo", "AuthorisationUse", "Credit", "EngineInfo")


def type_name(annotation: Any) -> str:
    """A readable type: ``str | None``, ``list[Item]``, ``Decimal``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(arg) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return " | ".join(repr(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(
            "..." if arg is Ellipsis else type_name(arg) for arg in typing.get_args(annotation)
        )
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


def first_paragraph(obj: Any) -> str:
    doc = inspect.cleandoc(obj.__dict__.get("__doc__") or "")  # its own, not inherited
    return " ".join(doc.split("\n\n")[0].split())


def model_section(model: type[BaseModel]) -> list[str]:
    lines = [f"### `{model.__name__}`", ""]
    summary = first_paragraph(model)
    if summary:
        lines += [summary, ""]
    lines += ["| Field | Type | Required / default | Description |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if field.is_required():
            default = "required"
        elif field.default_factory is not None:
            default = f"`{field.default_factory()!r}`"
        else:
            default = f"`{field.default!r}`"
        text = (field.description or "").replace("|", "\\|")
        if field.exclude:
            text = "; ".join(filter(None, ("never written to the JSON response", text)))
        lines.append(f"| `{name}` | `{type_name(field.annotation)}` | {default} | {text} |")
    return [*lines, ""]


def enum_section(values: type[enum.Enum]) -> list[str]:
    names = ", ".join(f"`{member.value}`" for member in values)
    return [f"- `{values.__name__}`: {names}"]


def model_reference() -> str:
    lines = [
        "# Model reference",
        "",
        "Generated from the pydantic models by `tools/generate_docs.py` — do not edit by "
        "hand. The models of the first four sections and the value sets are importable from "
        "`customs_engine` (`from customs_engine import BillOfEntry, Response`); the parts of "
        f"the response ({', '.join(f'`{name}`' for name in RESPONSE_PARTS)}) are not: they "
        "are documented only as the types of `Response`'s fields, to be read from a response. "
        "Field names are those of "
        "the JSON response, the XML rendering and the plugin API; dates are India-local, "
        "datetimes carry a time zone (naive values are read as IST), money and quantities are "
        "decimals.",
        "",
    ]
    for title, names in SECTIONS:
        lines += [f"## {title}", ""]
        for name in names:
            lines += model_section(getattr(customs_engine, name))
    from customs_engine.core import response

    lines += [
        "## Parts of the response",
        "",
        "The types of `Response.message`, `.document`, `.authorisations[]`, `.credited[]` and "
        "`.engine`. They are not importable from `customs_engine`. In the JSON response "
        "`authorisations[].scheme` and `credited[].scheme` are written in lower case "
        "(`ims`), so one account reads the same in both lists.",
        "",
    ]
    for name in RESPONSE_PARTS:
        assert not hasattr(customs_engine, name), f"{name} is exported: document it above"
        lines += model_section(getattr(response, name))
    lines += ["## Value sets", ""]
    enums = sorted(
        (
            getattr(customs_engine, name)
            for name in customs_engine.__all__
            if inspect.isclass(getattr(customs_engine, name))
            and issubclass(getattr(customs_engine, name), enum.Enum)
        ),
        key=lambda e: e.__name__,
    )
    for values in enums:
        lines += enum_section(values)
    return "\n".join(lines).rstrip() + "\n"


def built_in_plugins() -> list[str]:
    """The entry points this distribution ships (installed examples are left out)."""
    return sorted(
        ep.name
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
        if ep.dist is not None and ep.dist.name == PACKAGE
    )


def rule_catalogue() -> str:
    host = PluginHost.from_entry_points(only=built_in_plugins(), blocked=(), trace=False)
    lines = [
        "# Rule catalogue",
        "",
        "Every rule of the built-in plugins, as `customs rules` lists them. Generated by "
        "`tools/generate_docs.py` — do not edit by hand. Dates are inclusive; an empty date "
        "means the rule has no start or end.",
        "",
    ]
    by_scheme: dict[str, list[Any]] = {}
    for rule in host.rules.values():
        by_scheme.setdefault(rule.scheme, []).append(rule)
    for scheme in sorted(by_scheme, key=lambda s: (s != "core", s)):
        lines += [
            f"## {scheme}",
            "",
            "| Rule | Outcomes | Title | In force | Legal reference |",
            "|---|---|---|---|---|",
        ]
        for rule in by_scheme[scheme]:
            dates = f"{rule.effective_from or ''} – {rule.effective_until or ''}".strip()
            cells = [
                f"`{rule.id}`",
                ", ".join(rule.outcomes),
                rule.title,
                "always" if dates == "–" else dates,
                rule.reference,
            ]
            lines.append(
                "| " + " | ".join(re.sub(r"\s+", " ", c).replace("|", "\\|") for c in cells) + " |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


PAGES = {"model-reference.md": model_reference, "rules.md": rule_catalogue}


def main() -> int:
    for name, render in PAGES.items():
        (DOCS / name).write_text(render(), encoding="utf-8")
        print(f"wrote docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
