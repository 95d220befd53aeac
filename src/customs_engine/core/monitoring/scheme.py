"""Import monitoring registrations (SIMS, AIMS and their kin): one helper, many thin plugins.

A monitoring system (DGFT's SIMS for steel, NFMIMS/AIMS for aluminium, and the coal, paper and
copper systems built the same way) asks for an automatic registration before import: coverage by
chapter and BoE date, a registration valid N days from issue, a window relative to the expected
arrival, cross-checks of the BoE against the registered data, and a registration fee. Only the
numbers differ, so each plugin keeps them in its ``data.toml`` and its rules in ``rules.toml``;
this module applies them. Rule IDs are ``<PREFIX>-<CHECK>-<NNN>`` (``SIMS-VAL-001``).

Dates: rule versions (coverage) follow ``ctx.reference_date``; the facts compared (presentation
against expiry, issue against expected arrival) are the message's own dates. The fee and window
versions key on the registration's ``issued_on`` unless ``--as-of`` forces a date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from customs_engine.core.check_context import CheckContext
from customs_engine.core.dates import india_date
from customs_engine.core.ledger.run_view import RunView
from customs_engine.core.ledger.units import convert
from customs_engine.core.models import BillOfEntry, Item, Licence
from customs_engine.core.money import inr as _inr
from customs_engine.core.money import rupees
from customs_engine.core.refdata.ports import station_type
from customs_engine.core.registry.records import RegistryRecord
from customs_engine.core.response import Fee, Finding
from customs_engine.core.response import quantity as shown_quantity
from customs_engine.core.rules import Period, Rule, RuleSet, Schedule, load_rules, read_toml

THOUSAND = Decimal(1000)
HUNDRED = Decimal(100)


def inr(amount: Decimal) -> str:
    return _inr(amount, grouped=True)


# -- fees ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeFormula:
    """A registration fee: flat, or per thousand of CIF clamped to [minimum, maximum]."""

    flat: Decimal | None = None
    per_thousand: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    reference: str = ""

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> FeeFormula:
        def dec(key: str) -> Decimal | None:
            return None if key not in entry else Decimal(str(entry[key]))

        return cls(
            flat=dec("flat"),
            per_thousand=dec("per_thousand"),
            minimum=dec("minimum"),
            maximum=dec("maximum"),
            reference=entry.get("reference", ""),
        )

    @property
    def needs_cif(self) -> bool:
        return self.flat is None

    def amount(self, cif: Decimal | None) -> Decimal | None:
        """The fee in whole rupees; ``None`` when it depends on a CIF that is unknown."""
        if self.flat is not None:
            return rupees(self.flat)
        if cif is None or self.per_thousand is None:
            return None
        fee = cif / THOUSAND * self.per_thousand
        if self.minimum is not None:
            fee = max(fee, self.minimum)
        if self.maximum is not None:
            fee = min(fee, self.maximum)
        return rupees(fee)

    def describe(self) -> str:
        if self.flat is not None:
            return f"flat INR {self.flat:,}"
        return (
            f"INR {self.per_thousand} per INR 1,000 of CIF, min INR {self.minimum:,}, "
            f"max INR {self.maximum:,}"
        )


# -- the scheme's data ------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One licence of the scheme quoted on one covered line."""

    index: int
    item: Item
    position: int
    licence: Licence

    @property
    def field(self) -> str:
        return f"items[{self.index}].licences[{self.position}]"


@dataclass(frozen=True)
class Quoted:
    """One registration as the Bill of Entry quotes it, with the registry's record of it."""

    number: str
    occurrences: list[Occurrence]
    record: RegistryRecord

    @property
    def first(self) -> Occurrence:
        return self.occurrences[0]

    @property
    def lines(self) -> list[Occurrence]:
        """The first occurrence on each line (a line may quote it twice)."""
        return _distinct_items(self.occurrences)

    @property
    def items(self) -> list[Item]:
        return [occ.item for occ in self.lines]


@dataclass(frozen=True)
class Scope:
    """What the scheme makes of a Bill of Entry: coverage findings and the lines it covers."""

    findings: list[Finding]
    lines: list[tuple[int, Item]]


Exemption = Callable[[BillOfEntry, Item], str | None]


def _periods(
    entries: Iterable[Mapping[str, Any]], make: Callable[[Mapping[str, Any]], Any]
) -> Schedule[Any]:
    return Schedule(Period(make(e), e.get("from"), e.get("until")) for e in entries)


_HS_PREFIX = re.compile(r"[0-9]{2,8}")

#: the keys of a monitoring scheme's ``--config`` table (``[sims]``, ``[aims]`` ...)
SETTINGS = (
    "fee_model",
    "quantity_tolerance_pct",
    "value_tolerance_pct",
    "validity_days",
    "hs_prefixes",
)


class MonitoringScheme:
    """One monitoring-registration scheme, parameterised by a plugin's ``data.toml``.

    The data file is checked when the scheme is built: an unknown ``[checks]`` key, or a rule
    (or an outcome of it) that one of the scheme's checks reports and ``rules.toml`` does not
    declare, is a :class:`ValueError` at load, not a failure in the middle of a run.
    """

    def __init__(self, plugin: str, rules: RuleSet, data: Mapping[str, Any]):
        self.plugin = plugin
        self.rules = rules
        self.scheme: str = data["scheme"]
        self.prefix: str = data.get("rule_prefix", self.scheme)
        self.chapters: tuple[str, ...] = tuple(data["chapters"])
        self.number_prefix: str = data["number_prefix"]
        self.validity_days: int = int(data["validity_days"])
        self.coverage: Schedule[str] = _periods(data["coverage"], lambda e: e["status"])
        window = data.get("window")
        #: ``None``: the scheme sets no registration window (no ``[window]`` table)
        self.earliest_days: int | None = (
            None if window is None else int(window["earliest_days_before_arrival"])
        )
        self.latest: Schedule[int | None] = _periods(
            (window or {}).get("latest", ()), lambda e: e.get("days_before_arrival")
        )
        self.air_freight: AirFreight | None = AirFreight.from_entry(data.get("air_freight"))
        self.fee_models: dict[str, Schedule[FeeFormula]] = {
            name: _periods(entries, FeeFormula.from_entry)
            for name, entries in data["fee_models"].items()
        }
        #: the fee is listed on the first Bill of Entry quoting the registration, not on each
        self.fee_once_per_registration: bool = bool(data.get("fee_once_per_registration", False))
        self.checks: Mapping[str, bool] = _checks(plugin, data.get("checks", {}))
        self.defaults: Mapping[str, Any] = data.get("defaults", {})
        self._check_rules(data)

    @classmethod
    def load(cls, package: str, plugin: str) -> MonitoringScheme:
        return cls(plugin, load_rules(package), read_toml(package, "data.toml"))

    @property
    def has_window(self) -> bool:
        return self.earliest_days is not None

    def _check_rules(self, data: Mapping[str, Any]) -> None:
        """Every rule the configured checks report is declared, with the outcomes reported."""
        wanted: dict[str, tuple[str, ...]] = {
            "COV-001": ("hold",),
            "BOE-001": ("query", "warn"),
            "VAL-001": ("reject", "info"),
            "VAL-002": ("query",),
            "FLD-001": ("query",),
            "FEE-001": ("fee", "info"),
        }
        if any(e["status"] == "list_not_loaded" for e in data["coverage"]):
            wanted["COV-002"] = ("info",)
        if self.air_freight is not None:
            wanted["EXM-001"] = ("info",)
        if self.has_window:
            wanted["WIN-001"] = ("query", "hold", "info")
        if self.checks["registered_quantity_and_value"]:
            wanted["FLD-002"] = ("query",)
        if self.checks["fee_paid"]:
            wanted["FEE-002"] = ("query",)
        for check, outcomes in wanted.items():
            rule_id = f"{self.prefix}-{check}"
            rule = self.rules.get(rule_id)
            missing = [o for o in outcomes if rule is None or o not in rule.outcomes]
            if missing:
                raise ValueError(
                    f"[{self.plugin}] rules.toml must declare {rule_id} with outcomes "
                    f"{', '.join(outcomes)} (missing: {', '.join(missing)})"
                )

    def rule(self, check: str) -> Rule:
        return self.rules[f"{self.prefix}-{check}"]

    def setting(self, ctx: CheckContext, key: str) -> Any:
        """A setting of the plugin's ``--config`` table (one of :data:`SETTINGS`), else the
        data file's default."""
        return ctx.settings(self.plugin).get(key, self.defaults.get(key))

    def validity(self, ctx: CheckContext) -> int:
        """Days a registration is valid from its issue date: the data file's ``validity_days``,
        or the ``--config`` table's (a notification that changes it); a value that is not a
        whole number of days above 0 is a clear error."""
        raw = self.setting(ctx, "validity_days")
        if raw is None:
            return self.validity_days
        if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
            raise ValueError(
                f"[{self.plugin}] validity_days must be a whole number of days above 0, got {raw!r}"
            )
        return raw

    def percentage(self, ctx: CheckContext, key: str) -> Decimal:
        """A ``--config`` percentage; a value that is not a number >= 0 is a clear error."""
        raw = self.setting(ctx, key)
        try:
            value = Decimal(str(raw if raw is not None else 0))
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value < 0:
            raise ValueError(f"[{self.plugin}] {key} must be a number >= 0, got {raw!r}")
        return value

    # -- coverage ----------------------------------------------------------------------------

    def in_chapters(self, item: Item) -> bool:
        return item.hs_code[:2] in self.chapters

    def hs_prefixes(self, ctx: CheckContext) -> tuple[str, ...]:
        """What the scheme covers: the ``hs_prefixes`` an operator loaded in the plugin's
        ``--config`` table (the notified tariff lines), else the whole ``chapters``."""
        loaded = self.setting(ctx, "hs_prefixes")
        if loaded is None:
            return self.chapters
        # an empty list, or "7208.51" (no code starts so), would switch the scheme off in silence
        if (
            not isinstance(loaded, list | tuple)
            or not loaded
            or not all(isinstance(p, str) and _HS_PREFIX.fullmatch(p) for p in loaded)
        ):
            raise ValueError(
                f"[{self.plugin}] hs_prefixes must be a non-empty list of HS code prefixes "
                f'(2 to 8 digits, as "7208" or "72085110"), got {loaded!r}'
            )
        return tuple(loaded)

    def exemption(self, boe: BillOfEntry, item: Item) -> str | None:
        """Why a covered line needs no registration under the data file (``[air_freight]``)."""
        if self.air_freight is None:
            return None
        return self.air_freight.reason(boe)

    def scope(
        self,
        boe: BillOfEntry,
        ctx: CheckContext,
        exemption: Exemption | None = None,
        exemption_rule: str = "EXM-001",
    ) -> Scope:
        """Which lines the scheme covers on the reference date, less the exempt ones
        (``exemption``: the plugin's; default: the data file's)."""
        exempt = exemption or self.exemption
        status = self.coverage.at(ctx.reference_date(boe))
        prefixes = self.hs_prefixes(ctx)
        candidates = [
            (i, item) for i, item in enumerate(boe.items) if item.hs_code.startswith(prefixes)
        ]
        if status is None or not candidates:
            return Scope([], [])
        if status == "list_not_loaded":
            rule = self.rule("COV-002")
            return Scope(
                [
                    rule.finding(
                        "info",
                        f"HS {item.hs_code}: on {ctx.reference_date(boe)} {self.scheme} covered "
                        "only the lines of a notified list that is not loaded; coverage not "
                        "checked",
                        item=item.number,
                        field=f"items[{i}].hs_code",
                    )
                    for i, item in candidates
                ],
                [],
            )
        findings, lines = [], []
        for i, item in candidates:
            reason = exempt(boe, item)
            if reason is None:
                lines.append((i, item))
            else:
                findings.append(
                    self.rule(exemption_rule).finding(
                        "info",
                        f"HS {item.hs_code}: {self.scheme} registration not required: {reason}",
                        item=item.number,
                        field=f"items[{i}]",
                    )
                )
        return Scope(findings, lines)

    def occurrences(self, lines: Iterable[tuple[int, Item]]) -> list[Occurrence]:
        return [
            Occurrence(i, item, j, lic)
            for i, item in lines
            for j, lic in enumerate(item.licences)
            if lic.scheme.upper() == self.scheme
        ]

    def by_number(self, lines: Iterable[tuple[int, Item]]) -> dict[str, list[Occurrence]]:
        grouped: dict[str, list[Occurrence]] = {}
        for occ in self.occurrences(lines):
            grouped.setdefault(occ.licence.number, []).append(occ)
        return grouped

    # -- dates ---------------------------------------------------------------------------------

    def issued_on(self, licence: Licence, record: RegistryRecord | None) -> date | None:
        """The registration's issue date: the registry's when it holds one (its data is what the
        message is checked against, so a declared date cannot move the window or the fee),
        else the one declared on the message."""
        return (record.issued_on if record else None) or licence.issued_on

    def expiry(
        self, licence: Licence, record: RegistryRecord | None, days: int | None = None
    ) -> date | None:
        """Declared expiry wins (message, then registry); else issued_on + ``days`` (the run's
        validity, :meth:`validity`; the data file's when not given)."""
        if licence.expires_on is not None:
            return licence.expires_on
        if record is not None and record.valid_until is not None:
            return record.valid_until
        issued = self.issued_on(licence, record)
        valid = self.validity_days if days is None else days
        return None if issued is None else issued + timedelta(days=valid)

    # -- stateless checks ------------------------------------------------------------------------

    def check(
        self, boe: BillOfEntry, ctx: CheckContext, lines: list[tuple[int, Item]]
    ) -> list[Finding]:
        findings: list[Finding] = []
        for i, item in lines:
            if not item.licences_for(self.scheme):
                findings.append(
                    self.rule("COV-001").finding(
                        "hold",
                        f"HS {item.hs_code} (chapter {item.hs_code[:2]}) needs a "
                        f"registration under {self.scheme} and none is quoted; the "
                        "registration fee payable is listed under fees",
                        item=item.number,
                        field=f"items[{i}]",
                    )
                )
        for number, occurrences in self.by_number(lines).items():
            record = ctx.registry.licence(self.scheme, number)
            for occ in occurrences:
                findings += self._licence_checks(boe, occ, record, self.validity(ctx))
            if record is not None:
                findings += self._registry_checks(boe, ctx, Quoted(number, occurrences, record))
        return findings

    def _licence_checks(
        self, boe: BillOfEntry, occ: Occurrence, record: RegistryRecord | None, days: int
    ) -> list[Finding]:
        lic, out = occ.licence, []
        where: dict[str, Any] = {"item": occ.item.number, "field": occ.field}
        boe_rule = self.rule("BOE-001")
        if lic.expires_on is None:
            out.append(
                boe_rule.finding(
                    "query",
                    f"{self.scheme} registration {lic.number} is quoted without its expiry "
                    "date; the Bill of Entry must carry both",
                    **where,
                )
            )
        if not lic.number.upper().startswith(self.number_prefix):
            out.append(
                boe_rule.finding(
                    "warn",
                    f"{self.scheme} registration number {lic.number} does not start with "
                    f"{self.number_prefix!r}",
                    **where,
                )
            )
        issued = self.issued_on(lic, record)
        expiry = self.expiry(lic, record, days)
        if expiry is None:
            out.append(
                self.rule("VAL-001").finding(
                    "info",
                    f"{self.scheme} registration {lic.number}: neither issue nor expiry date "
                    "is known (message or registry); validity not checked",
                    **where,
                )
            )
        elif boe.presented_on > expiry:
            out.append(
                self.rule("VAL-001").finding(
                    "reject",
                    f"{self.scheme} registration {lic.number} expired on {expiry}; the Bill "
                    f"of Entry was presented on {boe.presented_on}; a fresh registration is "
                    "needed",
                    **where,
                )
            )
        if lic.expires_on is not None and issued is not None:
            computed = issued + timedelta(days=days)
            if lic.expires_on != computed:
                out.append(
                    self.rule("VAL-002").finding(
                        "query",
                        f"{self.scheme} registration {lic.number}: declared expiry "
                        f"{lic.expires_on} differs from issue date {issued} + "
                        f"{days} days = {computed}",
                        **where,
                    )
                )
        return out

    def _registry_checks(
        self, boe: BillOfEntry, ctx: CheckContext, quoted: Quoted
    ) -> list[Finding]:
        fld, out = self.rule("FLD-001"), []
        number, record, first = quoted.number, quoted.record, quoted.first
        if record.port_code and record.port_code != boe.port_code:
            out.append(
                fld.finding(
                    "query",
                    f"{self.scheme} registration {number} is for port {record.port_code}; the "
                    f"Bill of Entry is at {boe.port_code}",
                    item=first.item.number,
                    field="port_code",
                )
            )
        for occ in quoted.lines:
            item = occ.item
            if record.hs_codes and not record.covers_hs(item.hs_code):
                out.append(
                    fld.finding(
                        "query",
                        f"HS {item.hs_code} is not among the HS codes of {self.scheme} "
                        f"registration {number} ({' '.join(record.hs_codes)})",
                        item=item.number,
                        field=f"items[{occ.index}].hs_code",
                    )
                )
            origin = (item.country_of_origin or "").upper()
            if record.country_of_origin and origin != record.country_of_origin.upper():
                out.append(
                    fld.finding(
                        "query",
                        f"country of origin {origin} differs from {record.country_of_origin} "
                        f"registered under {self.scheme} {number}"
                        if origin
                        else f"no country of origin declared: the origin registered under "
                        f"{self.scheme} {number} ({record.country_of_origin}) was not compared",
                        item=item.number,
                        field=f"items[{occ.index}].country_of_origin",
                    )
                )
        if self.checks["registered_quantity_and_value"]:
            out += self._excess(ctx, quoted)
        if self.checks["fee_paid"]:
            out += self._fee_paid(boe, ctx, quoted)
        return out

    def _excess(self, ctx: CheckContext, quoted: Quoted) -> list[Finding]:
        rule, out = self.rule("FLD-002"), []
        number, record, items = quoted.number, quoted.record, quoted.items
        where: dict[str, Any] = {
            "item": items[0].number if len(items) == 1 else None,
            "field": quoted.first.field if len(items) == 1 else None,
        }
        if record.quantity is not None:
            # each line in the registration's unit where it converts (25 MTS = 25000 KGS)
            amounts = [convert(item.quantity, item.unit, record.unit) for item in items]
            if any(amount is None for amount in amounts):
                units = {item.unit.upper() for item in items}
                out.append(
                    rule.finding(
                        "query",
                        f"{self.scheme} registration {number} is in {record.unit}; the "
                        f"Bill of Entry quotes {', '.join(sorted(units))}, which does not "
                        "convert: quantity not compared",
                        **where,
                    )
                )
            else:
                quantity = sum((amount for amount in amounts if amount is not None), Decimal(0))
                pct = self.percentage(ctx, "quantity_tolerance_pct")
                limit = _with_tolerance(record.quantity, pct)
                if quantity > limit:
                    most = shown_quantity(limit.normalize())
                    out.append(
                        rule.finding(
                            "query",
                            f"quantity {quantity} {record.unit or ''} exceeds the "
                            f"{record.quantity} registered under {self.scheme} {number} "
                            f"(limit with tolerance {most})".replace("  ", " "),
                            **where,
                        )
                    )
        if record.value_inr is not None:
            # the engine valued every item once (core/valuation.py): None means unknown
            known = [item.value_inr for item in items if item.value_inr is not None]
            value = sum(known, Decimal(0))
            limit = _with_tolerance(record.value_inr, self.percentage(ctx, "value_tolerance_pct"))
            if value > limit:
                out.append(
                    rule.finding(
                        "query",
                        f"value {inr(value)} exceeds the {inr(record.value_inr)} registered "
                        f"under {self.scheme} {number} (limit with tolerance {inr(limit)})",
                        **where,
                    )
                )
        return out

    def _fee_paid(self, boe: BillOfEntry, ctx: CheckContext, quoted: Quoted) -> list[Finding]:
        record = quoted.record
        if record.fee_paid_inr is None:
            return []
        due = self.registration_fee(boe, ctx, quoted.items, quoted.first.licence, record)
        if due is None or due.amount is None or record.fee_paid_inr >= due.amount:
            return []
        return [
            self.rule("FEE-002").finding(
                "query",
                f"{self.scheme} registration {quoted.number}: fee paid "
                f"{inr(record.fee_paid_inr)} is lower than the fee due {inr(due.amount)} "
                f"({due.basis})",
                item=quoted.first.item.number,
                field=quoted.first.field,
            )
        ]

    # -- in-sequence: the window needs the IGM when nothing else gives the expected arrival ----

    def check_window(
        self,
        boe: BillOfEntry,
        ctx: CheckContext,
        run: RunView | None,
        lines: list[tuple[int, Item]],
    ) -> list[Finding]:
        """The registration window against the expected arrival.

        The registry's or the Bill of Entry's expected arrival needs no run state: those
        registrations are checked in the stateless pass (``run`` is ``None``). The others wait
        for the in-sequence pass, where the noted IGM may give the arrival.
        """
        if self.earliest_days is None:
            return []  # the scheme sets no window
        rule, out, earliest_days = self.rule("WIN-001"), [], self.earliest_days
        for number, occurrences in self.by_number(lines).items():
            record = ctx.registry.licence(self.scheme, number)
            occ = occurrences[0]
            where: dict[str, Any] = {"item": occ.item.number, "field": occ.field}
            issued = self.issued_on(occ.licence, record)
            if issued is None:
                # with no expiry either, VAL-001 says the dates are unknown; otherwise say here
                # what the missing issue date leaves unchecked (once: in the stateless pass)
                valid = self.validity(ctx)
                if run is None and self.expiry(occ.licence, record, valid) is not None:
                    out.append(
                        rule.finding(
                            "info",
                            f"{self.scheme} registration {number}: issue date unknown (message "
                            "and registry); registration window and declared expiry (issue "
                            f"date + {valid} days) not checked",
                            **where,
                        )
                    )
                continue
            needs_igm = boe.expected_arrival is None and (
                record is None or record.expected_arrival is None
            )
            if needs_igm != (run is not None):
                continue  # checked in the other pass
            arrival, source = self._expected_arrival(boe, run, record)
            if arrival is None:
                out.append(
                    rule.finding(
                        "info",
                        f"{self.scheme} registration {number}: expected arrival unknown "
                        "(registry, Bill of Entry and IGM); registration window not checked",
                        **where,
                    )
                )
                continue
            earliest = arrival - timedelta(days=earliest_days)
            if issued < earliest:
                out.append(
                    rule.finding(
                        "query",
                        f"{self.scheme} registration {number} was issued on {issued}, earlier "
                        f"than {earliest} ({earliest_days} days before the expected "
                        f"arrival {arrival} per the {source})",
                        **where,
                    )
                )
            days = self.latest.at(ctx.as_of or issued)
            if days is not None and issued > arrival - timedelta(days=days):
                bound = "the arrival date" if days == 0 else f"{days} days before arrival"
                out.append(
                    rule.finding(
                        "hold",
                        f"{self.scheme} registration {number} was issued on {issued}, later "
                        f"than {arrival - timedelta(days=days)} ({bound}, expected arrival "
                        f"{arrival} per the {source}) as required for registrations of "
                        "that date",
                        **where,
                    )
                )
        return out

    def _expected_arrival(
        self, boe: BillOfEntry, run: RunView | None, record: RegistryRecord | None
    ) -> tuple[date | None, str]:
        if record is not None and record.expected_arrival is not None:
            return record.expected_arrival, "registry"
        if boe.expected_arrival is not None:
            return boe.expected_arrival, "Bill of Entry"
        ref = boe.manifest
        if run is not None and ref is not None and ref.igm_number:
            igm = run.manifest(ref.igm_number, ref.igm_date)
            moment = None if igm is None else (igm.expected_arrival or igm.arrived_at)
            if moment is not None:
                return india_date(moment), f"IGM {ref.igm_number}"
        return None, ""

    # -- fees ------------------------------------------------------------------------------------

    def fee_formula(self, ctx: CheckContext, on: date) -> FeeFormula | None:
        """The formula in force on ``on`` under the configured ``fee_model``.

        A ``fee_model`` the data file does not define is a :class:`UnknownFeeModel` (a
        :class:`ValueError`), like any other bad ``--config`` value of the scheme: it fails
        closed (the plugin's failure, ``CORE-PLUGIN-001``), never a fee silently left out.
        """
        raw = self.setting(ctx, "fee_model")
        schedule = self.fee_models.get(raw) if isinstance(raw, str) else None
        if schedule is None:
            known = ", ".join(sorted(self.fee_models))
            raise UnknownFeeModel(f"[{self.plugin}] fee_model must be one of {known}, got {raw!r}")
        return schedule.at(on)

    def registration_fee(
        self,
        boe: BillOfEntry,
        ctx: CheckContext,
        items: list[Item],
        licence: Licence | None,
        record: RegistryRecord | None,
    ) -> FeeDue | None:
        """The fee of one registration (``licence`` None: the one the BoE lacks), if in force.

        Keyed on the registration's issue date (a missing one: the BoE date), or ``--as-of``.
        """
        issued = None if licence is None else self.issued_on(licence, record)
        on = ctx.as_of or issued or boe.presented_on
        formula = self.fee_formula(ctx, on)  # an unknown fee_model fails closed
        keyed = "as-of date" if ctx.as_of else ("issue date" if issued else "Bill of Entry date")
        if formula is None:  # dated before the first schedule: an honest gap, not a nil fee
            return FeeDue(
                None, f"no fee schedule is in force on its {keyed} {on}: fee not computed"
            )
        cif, cif_source = self._cif(boe, ctx, items, record)
        basis = f"{formula.describe()}, by {keyed} {on}"
        if formula.needs_cif:
            basis += (
                f"; CIF {inr(cif)} from the {cif_source}"
                if cif is not None
                else ("; CIF unknown, fee not computed")
            )
        return FeeDue(formula.amount(cif), basis)

    def _cif(
        self, boe: BillOfEntry, ctx: CheckContext, items: list[Item], record: RegistryRecord | None
    ) -> tuple[Decimal | None, str]:
        """Registry value, else the sum of the BoE lines the registration covers."""
        if record is not None and record.value_inr is not None:
            return record.value_inr, "registry"
        total = Decimal(0)
        for item in items:
            value = item.value_inr  # valued once by the engine; None: unknown (CORE-FX-002)
            if value is None:
                return None, ""
            total += value
        return total, "Bill of Entry lines"

    def fees(
        self,
        boe: BillOfEntry,
        ctx: CheckContext,
        lines: list[tuple[int, Item]],
        *,
        quoted: bool = True,
        missing: bool = True,
        listed_before: Callable[[str], bool] | None = None,
    ) -> tuple[list[Fee], list[Finding]]:
        """One fee per registration quoted (``quoted``), and one for the registration the BoE
        lacks (``missing``). A registration ``listed_before`` says an earlier Bill of Entry
        listed the fee of is left out (``fee_once_per_registration``).

        Returns the fees and ``info`` findings for fees that could not be computed.
        """
        wanted: list[tuple[Licence | None, list[Item]]] = []
        if quoted:
            wanted += [
                (occurrences[0].licence, [occ.item for occ in _distinct_items(occurrences)])
                for number, occurrences in self.by_number(lines).items()
                if listed_before is None or not listed_before(number)
            ]
        unregistered = [item for _, item in lines if not item.licences_for(self.scheme)]
        if missing and unregistered:
            wanted.append((None, unregistered))
        fees: list[Fee] = []
        notes: list[Finding] = []
        for licence, items in wanted:
            fee = self._fee(boe, ctx, licence, items)
            if isinstance(fee, Fee):
                fees.append(fee)
            elif fee is not None:
                notes.append(fee)
        return fees, notes

    def _fee(
        self, boe: BillOfEntry, ctx: CheckContext, licence: Licence | None, items: list[Item]
    ) -> Fee | Finding | None:
        """The fee of one registration (``licence`` None: the missing one) for these lines; an
        ``info`` finding when it cannot be computed; ``None`` when no fee is in force."""
        rule = self.rule("FEE-001")
        record = None if licence is None else ctx.registry.licence(self.scheme, licence.number)
        due = self.registration_fee(boe, ctx, items, licence, record)
        if due is None:
            return None
        numbers = [item.number for item in items]
        only = numbers[0] if len(numbers) == 1 else None
        label = (
            f"{self.scheme} registration {licence.number}"
            if licence
            else f"missing {self.scheme} registration "
            f"(item{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))})"
        )
        if due.amount is None:
            return rule.finding("info", f"{label}: {due.basis}", item=only)
        return Fee(
            rule=rule.id,
            scheme=rule.scheme,
            kind="registration_fee",
            amount=due.amount,
            item=only,
            basis=f"{label}: {due.basis}",
        )


@dataclass(frozen=True)
class AirFreight:
    """``[air_freight]``: the scheme does not apply to goods that come by air."""

    modes: frozenset[str]
    station_types: frozenset[str]

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any] | None) -> AirFreight | None:
        if entry is None:
            return None
        return cls(frozenset(entry.get("modes", ())), frozenset(entry.get("station_types", ())))

    def reason(self, boe: BillOfEntry) -> str | None:
        if boe.mode.value in self.modes:
            return f"air freight (mode {boe.mode.value})"
        if station_type(boe.port_code) in self.station_types:
            return f"air freight ({boe.port_code} is an air cargo station)"
        return None


#: the optional checks of ``[checks]`` (all on unless the data file turns them off)
CHECKS = ("registered_quantity_and_value", "fee_paid")


def _checks(plugin: str, entry: Mapping[str, Any]) -> dict[str, bool]:
    unknown = sorted(set(entry) - set(CHECKS))
    if unknown:
        raise ValueError(
            f"[{plugin}] unknown [checks] key {unknown[0]!r} (expected {', '.join(CHECKS)})"
        )
    return {name: bool(entry.get(name, True)) for name in CHECKS}


class UnknownFeeModel(ValueError):
    """The ``fee_model`` setting names no fee model of the scheme's data file (a bad
    ``--config`` value: the plugin fails closed, ``CORE-PLUGIN-001``)."""


@dataclass(frozen=True)
class FeeDue:
    amount: Decimal | None  # None: could not be computed, ``basis`` says why
    basis: str


def _distinct_items(occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    seen: set[int] = set()
    out = []
    for occ in occurrences:
        if occ.index not in seen:
            seen.add(occ.index)
            out.append(occ)
    return out


def _with_tolerance(limit: Decimal, pct: Decimal) -> Decimal:
    return limit * (1 + pct / HUNDRED)
