"""NFMIMS copper: Chapter 74 lines need a registration valid 75 days, ₹500 per registration.

Written only against customs-engine's public hooks and types. The checks of one Bill of Entry are
stateless (``customs_check_bill_of_entry``); the fee needs the run's state, because one
registration serves any number of Bills of Entry and its fee is listed only on the first
(``customs_check_in_sequence``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from customs_engine import (
    BillOfEntry,
    CheckContext,
    Fee,
    Finding,
    ImportGeneralManifest,
    Item,
    Licence,
    Period,
    RegistryRecord,
    Rule,
    RunView,
    Schedule,
    Scheme,
    hookimpl,
    load_rules,
    read_toml,
    station_type,
    valid_through,
)

PACKAGE = "customs_engine_copper"
NAME = "copper"  # the entry-point name, the scheme name and the --config table

RULES = load_rules(PACKAGE)
DATA = read_toml(PACKAGE, "nfmims_copper.toml")
LICENCE_SCHEME: str = DATA["licence_scheme"]
VALIDITY_DAYS: int = DATA["validity_days"]
COVERAGE: Schedule[list[str]] = Schedule.from_entries(DATA["coverage"], key="hs_prefixes")
FEES: Schedule[dict[str, Any]] = Schedule(
    Period(entry, entry.get("from"), entry.get("until")) for entry in DATA["fee"]
)


@hookimpl
def customs_schemes() -> list[Scheme]:
    return [
        Scheme(
            name=NAME,
            title="NFMIMS copper (Non-Ferrous Metal Import Monitoring System, Chapter 74)",
            licence_schemes=(LICENCE_SCHEME,),
        )
    ]


@hookimpl
def customs_rules() -> list[Rule]:
    return list(RULES.values())


# -- which lines the scheme covers ----------------------------------------------------------------


def covered_items(boe: BillOfEntry, ctx: CheckContext) -> list[Item]:
    """Lines under NFMIMS copper on the reference date (none before the scheme began)."""
    notified = COVERAGE.at(ctx.reference_date(boe))
    if notified is None:
        return []
    # an operator may load the notified tariff lines in place of the whole chapter
    prefixes = ctx.settings(NAME).get("hs_prefixes") or notified
    return [item for item in boe.items if item.hs_code.startswith(tuple(prefixes))]


def air_freight(boe: BillOfEntry) -> bool:
    rule = DATA["air_freight"]
    return boe.mode.value in rule["modes"] or station_type(boe.port_code) in rule["station_types"]


def _numbers(items: list[Item]) -> str:
    return ", ".join(str(item.number) for item in items)


# -- stateless checks ---------------------------------------------------------------------------


@hookimpl
def customs_check_bill_of_entry(boe: BillOfEntry, ctx: CheckContext) -> list[Finding] | None:
    covered = covered_items(boe, ctx)
    if not covered:
        return None
    if air_freight(boe):
        return [
            RULES["NFMIMS-CU-EXM-001"].finding(
                "info",
                f"air freight: NFMIMS does not apply to the copper lines {_numbers(covered)}",
            )
        ]
    findings: list[Finding] = []
    for item in covered:
        registrations = item.licences_for(LICENCE_SCHEME)
        if not registrations:
            fee = registration_fee(boe.presented_on)
            due = f"; registration fee INR {fee.amount}" if fee else ""
            findings.append(
                RULES["NFMIMS-CU-COV-001"].finding(
                    "hold",
                    f"HS {item.hs_code} (Chapter 74) needs an NFMIMS registration{due}",
                    item=item.number,
                    field="licences",
                )
            )
        for registration in registrations:
            record = ctx.registry.licence(LICENCE_SCHEME, registration.number)
            findings += check_registration(boe, item, registration, record)
    return findings


def check_registration(
    boe: BillOfEntry, item: Item, registration: Licence, record: RegistryRecord | None
) -> list[Finding]:
    number = registration.number
    out: list[Finding] = []

    def found(rule_id: str, outcome: Any, message: str, field: str) -> None:
        out.append(RULES[rule_id].finding(outcome, message, item=item.number, field=field))

    if registration.expires_on is None:
        found(
            "NFMIMS-CU-BOE-001",
            "query",
            f"registration {number} is quoted without its expiry date",
            "licences.expires_on",
        )
    if not number.upper().startswith(DATA["number_prefix"]):
        found(
            "NFMIMS-CU-BOE-001",
            "warn",
            f"registration number {number} does not start with {DATA['number_prefix']}",
            "licences.number",
        )
    issued = registration.issued_on or (record.issued_on if record else None)
    computed = valid_through(issued, VALIDITY_DAYS) if issued else None
    if registration.expires_on and computed and registration.expires_on != computed:
        found(
            "NFMIMS-CU-VAL-002",
            "query",
            f"registration {number} declares expiry "
            f"{registration.expires_on}; issued {issued} + {VALIDITY_DAYS} days is {computed}",
            "licences.expires_on",
        )
    expiry = registration.expires_on or (record.valid_until if record else None) or computed
    if expiry and boe.presented_on > expiry:
        found(
            "NFMIMS-CU-VAL-001",
            "reject",
            f"registration {number} expired on {expiry}; the "
            f"Bill of Entry was presented on {boe.presented_on}",
            "licences.expires_on",
        )
    if record is not None:
        for problem, field in registry_mismatches(boe, item, record):
            found("NFMIMS-CU-FLD-001", "query", f"registration {number}: {problem}", field)
    return out


def registry_mismatches(
    boe: BillOfEntry, item: Item, record: RegistryRecord
) -> Iterator[tuple[str, str]]:
    if record.hs_codes and not record.covers_hs(item.hs_code):
        yield (
            f"HS {item.hs_code} is not among the registered {' '.join(record.hs_codes)}",
            "hs_code",
        )
    if record.port_code and record.port_code != boe.port_code:
        yield f"registered for port {record.port_code}, presented at {boe.port_code}", "port_code"
    origin = item.country_of_origin
    if record.country_of_origin and origin and origin != record.country_of_origin:
        yield (
            f"registered origin {record.country_of_origin}, the line says {origin}",
            "country_of_origin",
        )


# -- the fee: once per registration, so it needs the run's state -------------------------------


@dataclass(frozen=True)
class DueFee:
    amount: Decimal
    basis: str


def registration_fee(on: date) -> DueFee | None:
    entry = FEES.at(on)
    return DueFee(Decimal(entry["amount"]), entry["basis"]) if entry else None


@hookimpl
def customs_check_in_sequence(
    message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext, run: RunView
) -> list[Fee] | None:
    if not isinstance(message, BillOfEntry):
        return None
    covered = covered_items(message, ctx)
    if not covered or air_freight(message):
        return None
    fees: list[Fee] = []
    unregistered = [item for item in covered if not item.licences_for(LICENCE_SCHEME)]
    if unregistered:
        fees += _fee(
            message.presented_on,
            f"registration still needed for lines {_numbers(unregistered)}",
            item=None,
        )
    first_use: dict[str, tuple[Licence, Item]] = {}
    for item in covered:
        for registration in item.licences_for(LICENCE_SCHEME):
            first_use.setdefault(registration.number, (registration, item))
    for number, (registration, item) in sorted(first_use.items()):
        if run.prior_uses(LICENCE_SCHEME, number, excluding=message.message_id):
            continue  # an earlier Bill of Entry of this registration carried its fee
        fees += _fee(
            registration.issued_on or message.presented_on,
            f"registration {number}",
            item=item.number,
        )
    return fees


def _fee(on: date, what: str, *, item: int | None) -> list[Fee]:
    due = registration_fee(on)
    if due is None:
        return []
    rule = RULES["NFMIMS-CU-FEE-001"]
    return [
        Fee(
            rule=rule.id,
            scheme=rule.scheme,
            kind="registration_fee",
            amount=due.amount,
            item=item,
            basis=f"{due.basis}: {what}",
        )
    ]
