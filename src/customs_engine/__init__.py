"""customs-engine: check Indian import customs messages (IGM, Bill of Entry) before filing.

This module is the public contract for plugin authors: everything a scheme or format plugin
needs is importable from here, and only from here (``customs_engine.core`` may move)::

    from customs_engine import BillOfEntry, CheckContext, Finding, Rule, hookimpl, load_rules

Names are loaded on first use, so ``import customs_engine`` stays cheap. The pytest kit for
plugin tests is :mod:`customs_engine.testing`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → the module that defines it
_EXPORTS: dict[str, str] = {
    # hooks
    "hookimpl": "customs_engine.core.hookspecs",
    # the canonical model
    "BillOfEntry": "customs_engine.core.models",
    "BillOfEntryType": "customs_engine.core.models",
    "CargoMovement": "customs_engine.core.models",
    "Certificate": "customs_engine.core.models",
    "CertificateType": "customs_engine.core.models",
    "Conveyance": "customs_engine.core.models",
    "ForeignValue": "customs_engine.core.models",
    "Function": "customs_engine.core.models",
    "GoodsItem": "customs_engine.core.models",
    "ImportGeneralManifest": "customs_engine.core.models",
    "Importer": "customs_engine.core.models",
    "ImporterCategory": "customs_engine.core.models",
    "Item": "customs_engine.core.models",
    "Licence": "customs_engine.core.models",
    "ManifestLine": "customs_engine.core.models",
    "ManifestReference": "customs_engine.core.models",
    "Mode": "customs_engine.core.models",
    "ProductCategory": "customs_engine.core.models",
    "Purpose": "customs_engine.core.models",
    "ScrapForm": "customs_engine.core.models",
    "UnitType": "customs_engine.core.models",
    # what plugins return
    "AuthorisationClaim": "customs_engine.core.response",
    "Fee": "customs_engine.core.response",
    "Finding": "customs_engine.core.response",
    "Outcome": "customs_engine.core.response",
    "Response": "customs_engine.core.response",
    "Routing": "customs_engine.core.response",
    "Status": "customs_engine.core.response",
    # what checks see
    "CheckContext": "customs_engine.core.check_context",
    "Registry": "customs_engine.core.registry.records",
    "RegistryRecord": "customs_engine.core.registry.records",
    "Scheme": "customs_engine.core.check_context",
    "once_per_message": "customs_engine.core.check_context",
    "RunView": "customs_engine.core.ledger.run_view",
    # rules and effective-dated data
    "Period": "customs_engine.core.rules",
    "Rule": "customs_engine.core.rules",
    "RuleSet": "customs_engine.core.rules",
    "Schedule": "customs_engine.core.rules",
    "load_rules": "customs_engine.core.rules",
    "read_toml": "customs_engine.core.rules",
    "overlay": "customs_engine.core.rules",
    "PerSettings": "customs_engine.core.rules",
    "checked_strings": "customs_engine.core.rules",
    # dates, ports and money
    "india_date": "customs_engine.core.dates",
    "parse_iso_date": "customs_engine.core.dates",
    "valid_through": "customs_engine.core.dates",
    "station_type": "customs_engine.core.refdata.ports",
    "convert": "customs_engine.core.money",
    "inr": "customs_engine.core.money",
    "money": "customs_engine.core.money",
    "paise": "customs_engine.core.money",
    "rupees": "customs_engine.core.money",
    # format adapters
    "ResponseFormat": "customs_engine.core.formats",
    "WireFormat": "customs_engine.core.formats",
    "ParsedMessage": "customs_engine.core.formats",
    "ResponseWriter": "customs_engine.core.formats",
    "syntax_finding": "customs_engine.core.formats",
    "unparsable": "customs_engine.core.formats",
    "Unapplied": "customs_engine.core.formats",
    # monitoring-registration schemes (SIMS, AIMS, …): data file + a thin plugin class
    "FeeFormula": "customs_engine.core.monitoring.scheme",
    "MonitoringScheme": "customs_engine.core.monitoring.scheme",
    "Occurrence": "customs_engine.core.monitoring.scheme",
    "Scope": "customs_engine.core.monitoring.scheme",
    "MonitoringPlugin": "customs_engine.core.monitoring.plugin",
}

__all__ = [
    "AuthorisationClaim",
    "BillOfEntry",
    "BillOfEntryType",
    "CargoMovement",
    "Certificate",
    "CertificateType",
    "CheckContext",
    "Conveyance",
    "Fee",
    "FeeFormula",
    "Finding",
    "ForeignValue",
    "Function",
    "GoodsItem",
    "ImportGeneralManifest",
    "Importer",
    "ImporterCategory",
    "Item",
    "Licence",
    "ManifestLine",
    "ManifestReference",
    "Mode",
    "MonitoringPlugin",
    "MonitoringScheme",
    "Occurrence",
    "Outcome",
    "ParsedMessage",
    "PerSettings",
    "Period",
    "ProductCategory",
    "Purpose",
    "Registry",
    "RegistryRecord",
    "Response",
    "ResponseFormat",
    "ResponseWriter",
    "Routing",
    "Rule",
    "RuleSet",
    "RunView",
    "Schedule",
    "Scheme",
    "Scope",
    "ScrapForm",
    "Status",
    "Unapplied",
    "UnitType",
    "WireFormat",
    "__version__",
    "checked_strings",
    "convert",
    "hookimpl",
    "india_date",
    "inr",
    "load_rules",
    "money",
    "once_per_message",
    "overlay",
    "paise",
    "parse_iso_date",
    "read_toml",
    "rupees",
    "station_type",
    "syntax_finding",
    "unparsable",
    "valid_through",
]

if TYPE_CHECKING:
    from customs_engine.core.check_context import CheckContext, Scheme, once_per_message
    from customs_engine.core.dates import india_date, parse_iso_date, valid_through
    from customs_engine.core.formats import (
        ParsedMessage,
        ResponseFormat,
        ResponseWriter,
        Unapplied,
        WireFormat,
        syntax_finding,
        unparsable,
    )
    from customs_engine.core.hookspecs import hookimpl
    from customs_engine.core.ledger.run_view import RunView
    from customs_engine.core.models import (
        BillOfEntry,
        BillOfEntryType,
        CargoMovement,
        Certificate,
        CertificateType,
        Conveyance,
        ForeignValue,
        Function,
        GoodsItem,
        Importer,
        ImporterCategory,
        ImportGeneralManifest,
        Item,
        Licence,
        ManifestLine,
        ManifestReference,
        Mode,
        ProductCategory,
        Purpose,
        ScrapForm,
        UnitType,
    )
    from customs_engine.core.money import convert, inr, money, paise, rupees
    from customs_engine.core.monitoring.plugin import MonitoringPlugin
    from customs_engine.core.monitoring.scheme import (
        FeeFormula,
        MonitoringScheme,
        Occurrence,
        Scope,
    )
    from customs_engine.core.refdata.ports import station_type
    from customs_engine.core.registry.records import Registry, RegistryRecord
    from customs_engine.core.response import (
        AuthorisationClaim,
        Fee,
        Finding,
        Outcome,
        Response,
        Routing,
        Status,
    )
    from customs_engine.core.rules import (
        Period,
        PerSettings,
        Rule,
        RuleSet,
        Schedule,
        checked_strings,
        load_rules,
        overlay,
        read_toml,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'customs_engine' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
