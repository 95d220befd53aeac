"""The ``core`` plugin: its scheme, its rules and the hooks that run the core checks.

Stateless rules run in ``customs_check_bill_of_entry`` / ``customs_check_manifest``; rules that
need the run's IGMs (noting, prior entry, late presentation) in ``customs_check_in_sequence``.
"""

from __future__ import annotations

from datetime import date

from customs_engine.core.check_context import CheckContext, Scheme
from customs_engine.core.checks import (
    bonds,
    deadlines,
    declaration,
    exchange,
    identity,
    licences,
    lifecycle,
    noting,
)
from customs_engine.core.checks import routing as nac
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.ledger.run_state import ledger_of
from customs_engine.core.ledger.run_view import RunView
from customs_engine.core.models import BillOfEntry, BillOfEntryType, Function, ImportGeneralManifest
from customs_engine.core.refdata import REFERENCE_TABLES, reference_of
from customs_engine.core.response import Fee, Finding, Routing
from customs_engine.core.rules import Rule

__all__ = ["RULES"]


@hookimpl
def customs_schemes() -> list[Scheme]:
    return [
        Scheme(
            name="core",
            title="Core customs checks (IEC, noting, deadlines, routing)",
            settings=("legacy_numeric_iec_until", *REFERENCE_TABLES),
        )
    ]


@hookimpl
def customs_rules() -> list[Rule]:
    return list(RULES.values())


@hookimpl
def customs_check_bill_of_entry(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    return [
        *declaration.check_port(boe, ctx),
        *declaration.check_type(boe),
        *identity.check_identity(boe, ctx),
        *exchange.check_exchange(boe, ctx),
        *licences.check_licences(boe, ctx),
        *nac.check_routing(boe, ctx),
        *nac.check_ex_bond_rate_date(boe, ctx),
    ]


@hookimpl
def customs_check_manifest(manifest: ImportGeneralManifest, ctx: CheckContext) -> list[Finding]:
    return [
        *declaration.check_port(manifest, ctx),
        *deadlines.check_manifest_deadlines(manifest, ctx),
    ]


@hookimpl
def customs_check_in_sequence(
    message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext, run: RunView
) -> list[Finding | Fee]:
    run = ledger_of(run)  # the core reads more of the run than plugins may
    documents = lifecycle.check_lifecycle(message, ctx, run)
    if not isinstance(message, BillOfEntry) or message.function == Function.CANCELLATION:
        return documents
    if message.type == BillOfEntryType.EX_BOND:
        # an ex-bond BoE quotes no IGM line: no noting, prior-entry or late-presentation rule
        return [*documents, *bonds.check_ex_bond(message, run)]
    # an amendment restates the Bill of Entry with the date it is made: the prior-entry and
    # filing deadlines run from when the document was first presented
    presented = (
        run.first_presented(message.message_id) if message.function == Function.AMENDMENT else None
    ) or message.presented_on
    return [
        *documents,
        *noting.check_noting(message, run),
        *noting.check_prior(message, run, reference_of(ctx), presented),
        *deadlines.check_late_presentation(message, ctx, run, presented),
        *bonds.check_warehousing(message, run),
    ]


@hookimpl
def customs_routing(boe: BillOfEntry, ctx: CheckContext) -> Routing | None:
    return nac.route(boe, ctx)


@hookimpl
def customs_rate_date(boe: BillOfEntry, ctx: CheckContext, run: RunView) -> date:
    return nac.rate_date(boe, ledger_of(run))
