"""The testing kit for customs-engine and its plugin authors (a pytest plugin, ``pytest11``).

Build messages and registry rows in a line each, run them through an engine with the plugins you
choose, and assert what the response says::

    from customs_engine.testing import assert_finding, bill_of_entry, item

    def test_copper_needs_a_registration(customs_check):
        response = customs_check(bill_of_entry(item("74031100")), only=["copper"])
        assert_finding(response, "NFMIMS-CU-COV-001", outcome="hold", item=1)

Builders, engines and assertions are plain functions that work without pytest; the fixtures at
the end only choose defaults (override ``customs_plugins`` in a ``conftest.py`` to pick the
plugins every test of a project runs with). The guide is ``docs/testing.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args, overload

from customs_engine.core.check_context import CheckContext
from customs_engine.core.dates import IST
from customs_engine.core.engine import Engine
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.models import (
    BillOfEntry,
    Certificate,
    Importer,
    ImportGeneralManifest,
    Item,
    Licence,
    ManifestLine,
    ManifestReference,
)
from customs_engine.core.plugin_host import BLOCK_ENV, TRACE_ENV, PluginHost
from customs_engine.core.registry.records import MemoryRegistry, Registry, RegistryRecord
from customs_engine.core.response import Fee, Finding, Outcome, Response, Status, money

Message = BillOfEntry | ImportGeneralManifest
Amount = Decimal | int | str
DateLike = date | str

# -- defaults: a clean, ordinary consignment that no scheme plugin objects to ----------------

#: a real importer of the shared samples, with a GSTIN that matches its IEC
DEFAULT_IEC = "AABCB1234C"
DEFAULT_GSTIN = "27AABCB1234C1ZE"
DEFAULT_PORT = "INNSA1"
#: other articles of plastics: no monitoring, licensing or scrap scheme covers the heading
DEFAULT_HS = "39269099"
DEFAULT_PRESENTED_AT = datetime(2026, 3, 9, 10, 0, tzinfo=IST)
DEFAULT_ORIGIN = "KR"
DEFAULT_PORT_OF_LOADING = "KRPUS"
DEFAULT_IGM_NUMBER = "2234567"
DEFAULT_IGM_DATE = date(2026, 3, 8)
TEST_VERSION = "0.0.0+test"


def _decimal(value: Amount | None) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):  # a float has already lost the paise
        raise TypeError(f"use Decimal, int or str for amounts, not float ({value!r})")
    return Decimal(str(value))


def _moment(value: datetime | date | str) -> datetime | str:
    """A plain date — a ``date`` or a ``"YYYY-MM-DD"`` string — means 10:00 India time that day;
    other strings (with a time) are left to the model to parse."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(10, 0), tzinfo=IST)
    if len(value) == 10:
        try:
            return datetime.combine(date.fromisoformat(value), time(10, 0), tzinfo=IST)
        except ValueError:
            pass  # the model says what is wrong with it
    return value


def _codes(value: str | Iterable[str]) -> tuple[str, ...]:
    return tuple(value.split()) if isinstance(value, str) else tuple(value)


# -- message builders ------------------------------------------------------------------------


def licence(
    scheme: str,
    number: str,
    *,
    issued_on: DateLike | None = None,
    expires_on: DateLike | None = None,
) -> Licence:
    """A licence or registration quoted on an item, e.g. ``licence("NFMIMS", "NFS123")``."""
    return Licence.model_validate(
        {"scheme": scheme, "number": number, "issued_on": issued_on, "expires_on": expires_on}
    )


def certificate(
    type: str,
    number: str = "CERT-1",
    *,
    issued_on: DateLike | None = None,
    agency: str | None = None,
    **fields: Any,
) -> Certificate:
    """A certificate quoted on an item, e.g. a pre-shipment inspection certificate:
    ``certificate("PSIC", "PSIC-1", agency="PSIA-017", max_usvh="0.10")``.

    ``type`` is a :class:`~customs_engine.core.models.CertificateType` value (``PSIC``,
    ``CONTRACT``, ``SUPPLIER_DECLARATION``, ``DEFENCE_SUPPLY``); other fields by keyword
    (``background_usvh``, ``no_radioactive=True``, …).
    """
    for reading in ("background_usvh", "max_usvh"):
        if reading in fields:
            fields[reading] = _decimal(fields[reading])
    return Certificate.model_validate(
        {"type": type, "number": number, "issued_on": issued_on, "agency": agency, **fields}
    )


def item(
    hs_code: str = DEFAULT_HS,
    *,
    number: int = 0,
    quantity: Amount = 1000,
    unit: str = "KGS",
    value_inr: Amount | None = "100000.00",
    country_of_origin: str | None = DEFAULT_ORIGIN,
    description: str | None = None,
    licences: Iterable[Licence] = (),
    **fields: Any,
) -> Item:
    """A Bill of Entry line. ``number`` 0 means "its position in the Bill of Entry".

    Any other :class:`~customs_engine.core.models.Item` field may be given by keyword
    (``country_of_origin="CL"``, ``purpose="RND"``, ``certificates=[...]``).
    """
    return Item.model_validate(
        {
            "number": number,
            "hs_code": hs_code,
            "quantity": _decimal(quantity),
            "unit": unit,
            "value_inr": _decimal(value_inr),
            "country_of_origin": country_of_origin,
            "description": description or f"TEST GOODS OF HS {hs_code}",
            "licences": list(licences),
            **fields,
        }
    )


def bill_of_entry(
    *items: Item,
    message_id: str = "BE-TEST-0001",
    port_code: str = DEFAULT_PORT,
    presented_at: datetime | date | str = DEFAULT_PRESENTED_AT,
    mode: str = "SEA",
    type: str = "HOME_CONSUMPTION",
    iec: str | None = DEFAULT_IEC,
    gstin: str | None = DEFAULT_GSTIN,
    importer: Importer | None = None,
    consigned_from: str | None = DEFAULT_ORIGIN,
    port_of_loading: str | None = DEFAULT_PORT_OF_LOADING,
    prior: bool = True,
    **fields: Any,
) -> BillOfEntry:
    """A valid prior Bill of Entry for home consumption by sea at Nhava Sheva, presented 2026-03-09.

    It is a *prior* entry (filed before arrival) by default, so it needs no IGM to be noted
    against; pass ``prior=False, manifest=manifest_reference()`` to test noting.

    It is complete enough to be written as schema-valid ICEGATE XML (:func:`write_message`).

    With no items it carries one ordinary line (:data:`DEFAULT_HS`). Items whose ``number`` is 0
    are numbered by position. Other fields by keyword (``manifest=manifest_reference()``,
    ``expected_arrival="2026-03-10"``, ``function="amendment"``).
    """
    lines = list(items) or [item()]
    numbered = [
        line if line.number else line.model_copy(update={"number": position})
        for position, line in enumerate(lines, start=1)
    ]
    who = importer or Importer(iec=iec, gstin=gstin, name="TEST IMPORTS PVT LTD")
    return BillOfEntry.model_validate(
        {
            "message_id": message_id,
            "port_code": port_code,
            "type": type,
            "presented_at": _moment(presented_at),
            "mode": mode,
            "importer": who,
            "prior": prior,
            "consigned_from": consigned_from,
            "port_of_loading": port_of_loading,
            "items": numbered,
            **fields,
        }
    )


def manifest_reference(
    *,
    igm_number: str = DEFAULT_IGM_NUMBER,
    igm_date: DateLike = DEFAULT_IGM_DATE,
    line: int = 1,
    subline: int = 0,
    **fields: Any,
) -> ManifestReference:
    """Where a Bill of Entry's goods stand in the manifest :func:`manifest` builds."""
    return ManifestReference.model_validate(
        {"igm_number": igm_number, "igm_date": igm_date, "line": line, "subline": subline, **fields}
    )


def manifest_line(*, line: int = 0, bl_number: str | None = None, **fields: Any) -> ManifestLine:
    """An IGM line; ``line`` 0 means "its position in the manifest" (and a B/L number)."""
    return ManifestLine.model_validate(
        {
            "line": line,
            "bl_number": bl_number,
            "packages": 10,
            "package_kind": "PKG",
            "gross_weight_kg": Decimal(1000),
            "consignee_iec": DEFAULT_IEC,
            **fields,
        }
    )


def manifest(
    *lines: ManifestLine,
    message_id: str = "IGM-TEST-0001",
    port_code: str = DEFAULT_PORT,
    igm_number: str = DEFAULT_IGM_NUMBER,
    igm_date: DateLike = DEFAULT_IGM_DATE,
    conveyance: str = "VESSEL",
    filed_at: datetime | date | str | None = datetime(2026, 3, 7, 18, 0, tzinfo=IST),
    **fields: Any,
) -> ImportGeneralManifest:
    """An Import General Manifest for a vessel at Nhava Sheva, filed before arrival."""
    rows = list(lines) or [manifest_line()]
    numbered = []
    for position, row in enumerate(rows, start=1):
        number = row.line or position
        numbered.append(
            row.model_copy(
                update={"line": number, "bl_number": row.bl_number or f"TESTBL{number:06d}"}
            )
        )
    return ImportGeneralManifest.model_validate(
        {
            "message_id": message_id,
            "port_code": port_code,
            "igm_number": igm_number,
            "igm_date": igm_date,
            "conveyance": conveyance,
            "filed_at": None if filed_at is None else _moment(filed_at),
            "voyage": "V001",
            "vessel_name": "TEST VESSEL",
            "carrier": "TESTLINE",
            "expected_arrival": datetime(2026, 3, 8, 6, 0, tzinfo=IST),
            "last_port_of_call": DEFAULT_PORT_OF_LOADING,
            "lines": numbered,
            **fields,
        }
    )


# -- registry rows ---------------------------------------------------------------------------


def _record(kind: str, **fields: Any) -> RegistryRecord:
    if "hs_codes" in fields:
        fields["hs_codes"] = _codes(fields["hs_codes"])
    for money_field in ("quantity", "value_inr", "fee_paid_inr", "rate"):
        if money_field in fields:
            fields[money_field] = _decimal(fields[money_field])
    return RegistryRecord.model_validate({"kind": kind, **fields})


def registration(
    scheme: str,
    number: str,
    *,
    iec: str | None = DEFAULT_IEC,
    issued_on: DateLike | None = None,
    **fields: Any,
) -> RegistryRecord:
    """A monitoring-system registration row (SIMS, AIMS, NFMIMS…); ``hs_codes="7403 7404"``."""
    return _held("registration", scheme, number, iec, issued_on, fields)


def authorisation(
    scheme: str,
    number: str,
    *,
    iec: str | None = DEFAULT_IEC,
    issued_on: DateLike | None = None,
    **fields: Any,
) -> RegistryRecord:
    """An authorisation row with optional ``quantity`` / ``value_inr`` limits (IMS…)."""
    return _held("authorisation", scheme, number, iec, issued_on, fields)


def _held(
    kind: str,
    scheme: str,
    number: str,
    iec: str | None,
    issued_on: DateLike | None,
    fields: dict[str, Any],
) -> RegistryRecord:
    """A row of something an importer holds (registration, authorisation)."""
    return _record(kind, scheme=scheme, number=number, iec=iec, issued_on=issued_on, **fields)


def agency(
    number: str,
    *,
    name: str = "TEST INSPECTION AGENCY",
    country: str = "AE",
    issued_on: DateLike | None = None,
    valid_until: DateLike | None = None,
    **fields: Any,
) -> RegistryRecord:
    """A pre-shipment inspection agency row."""
    return _record(
        "agency",
        number=number,
        name=name,
        country=country,
        issued_on=issued_on,
        valid_until=valid_until,
        **fields,
    )


def exchange_rate(currency: str, rate: Amount, *, issued_on: DateLike) -> RegistryRecord:
    """A CBIC-notified import exchange rate in force from ``issued_on``."""
    return _record(
        "exchange_rate",
        number=f"{currency}-{issued_on}",
        currency=currency,
        rate=rate,
        issued_on=issued_on,
    )


# -- engines and checking ----------------------------------------------------------------------

ExtraPlugin = tuple[str, object] | tuple[str, object, str]


def make_engine(
    *,
    only: Iterable[str] | None = None,
    blocked: Iterable[str] = (),
    extra: Iterable[ExtraPlugin] = (),
    records: Iterable[RegistryRecord] = (),
    registry: Registry | None = None,
    as_of: DateLike | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    run: RunState | None = None,
    trace: bool = False,
) -> Engine:
    """An engine over the installed plugins and a memory registry holding ``records``.

    ``only`` loads just these entry points (a name that is not installed is an error);
    ``blocked`` leaves some out; ``extra`` registers plugins that are not installed, as
    ``(name, module_or_object)`` or ``(name, plugin, version)``. The operator's environment
    switches are ignored so that tests do not depend on the shell they run in. ``registry``
    replaces the memory registry (a database's snapshot, say; ``records`` must then be empty);
    ``run`` is the run's ledger state (by default a fresh one that commits nothing).
    """
    if registry is not None and records:
        raise ValueError("give registry rows either as records or in a registry, not both")
    plugins = [
        (entry[0], entry[1], entry[2] if len(entry) == 3 else TEST_VERSION) for entry in extra
    ]
    host = PluginHost.from_entry_points(only=only, blocked=blocked, trace=trace, extra=plugins)
    when = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    context = CheckContext(
        registry=registry if registry is not None else MemoryRegistry(records),
        as_of=when,
        config=config or {},
    )
    return Engine(host, context, run)


@overload
def check(message: Message, **engine_options: Any) -> Response: ...
@overload
def check(message: Sequence[Message], **engine_options: Any) -> list[Response]: ...
def check(message: Message | Sequence[Message], **engine_options: Any) -> Response | list[Response]:
    """Run one message (→ its response) or several in order on one engine (→ a list).

    Several messages share one run: an IGM earlier in the list is seen by later Bills of Entry,
    as are authorisation debits and earlier uses of a registration.
    """
    engine = make_engine(**engine_options)
    if isinstance(message, BillOfEntry | ImportGeneralManifest):
        return engine.validate_message(message)
    return [engine.validate_message(one) for one in message]


def render(message: Message | Sequence[Message], format: str = "xml") -> bytes:
    """The wire text of a message, or of several in one file, written by the installed writer
    of ``format`` (``xml``, ``edifact``, … — what ``customs convert --to FORMAT`` writes)."""
    messages = [message] if isinstance(message, BillOfEntry | ImportGeneralManifest) else message
    host = PluginHost.from_entry_points(blocked=(), trace=False)
    rendered = host.write_messages(list(messages), format)
    if rendered is None:
        raise LookupError(f"no installed plugin writes {format!r}")
    return rendered


def write_message(path: Path | str, message: Message, format: str = "xml") -> Path:
    """Write a message in a wire format through the installed adapters (for CLI tests);
    ``format`` as :func:`render` takes it, by position or by name."""
    target = Path(path)
    target.write_bytes(render(message, format))
    return target


# -- assertions --------------------------------------------------------------------------------


class _AnyItem:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _AnyItem()
"""``item=ANY`` (the default) matches message-level and item-level records alike."""


def as_response(response: Response | Mapping[str, Any]) -> Response:
    """A :class:`Response`, also from the JSON object ``customs validate --format json`` writes."""
    if isinstance(response, Response):
        return response
    data = {key: value for key, value in response.items() if key != "status"}
    return Response.model_validate(data)


def describe(response: Response | Mapping[str, Any]) -> str:
    """The response's status, findings and fees, one per line (for failure messages)."""
    resp = as_response(response)
    lines = [f"status {resp.status} ({resp.message.reference or resp.message.source})"]
    for f in resp.findings:
        where = f" item {f.item}" if f.item is not None else ""
        lines.append(f"  finding {f.outcome} {f.rule}{where}: {f.message}")
    for fee in resp.fees:
        where = f" item {fee.item}" if fee.item is not None else ""
        lines.append(f"  fee {fee.rule}{where}: {fee.kind} INR {money(fee.amount)}")
    if len(lines) == 1:
        lines.append("  (no findings, no fees)")
    return "\n".join(lines)


def findings_of(
    response: Response | Mapping[str, Any],
    rule: str,
    *,
    item: Any = ANY,
    outcome: str | None = None,
) -> list[Finding]:
    """The findings of one rule (optionally for one item, with one outcome)."""
    return [
        f
        for f in as_response(response).findings
        if f.rule == rule
        and (item is ANY or f.item == item)
        and (outcome is None or f.outcome == outcome)
    ]


_WORST_FIRST: tuple[str, ...] = get_args(Outcome)


def rules_of(response: Response | Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Rule ID → outcome of the findings whose rule ID starts with ``prefix``: ``not
    rules_of(response, "NFMIMS-CU-")`` says a scheme stayed quiet altogether; when a rule
    fires more than once, its most severe outcome."""
    rules: dict[str, str] = {}
    for f in as_response(response).findings:
        if f.rule.startswith(prefix):
            known = rules.get(f.rule)
            if known is None or _WORST_FIRST.index(f.outcome) < _WORST_FIRST.index(known):
                rules[f.rule] = f.outcome
    return rules


def assert_finding(
    response: Response | Mapping[str, Any],
    rule: str,
    *,
    outcome: str | None = None,
    item: Any = ANY,
    field: str | None = None,
    message_contains: str | None = None,
) -> Finding:
    """Exactly one finding of ``rule`` matches; it is returned for further checks.

    ``item=None`` asks for a message-level finding; ``ANY`` (default) accepts either.
    """
    matches = [
        f
        for f in findings_of(response, rule, item=item, outcome=outcome)
        if (field is None or f.field == field)
        and (message_contains is None or message_contains in f.message)
    ]
    if len(matches) != 1:
        wanted = [
            f"{name} {value!r}"
            for name, value in (
                ("outcome", outcome),
                ("field", field),
                ("message containing", message_contains),
            )
            if value is not None
        ]
        if item is not ANY:
            wanted.append("no item (message-level)" if item is None else f"item {item}")
        with_ = f" with {', '.join(wanted)}" if wanted else ""
        raise AssertionError(
            f"expected one {rule} finding{with_}, found {len(matches)}; "
            f"the response:\n{describe(response)}"
        )
    return matches[0]


def assert_no_finding(
    response: Response | Mapping[str, Any], rule: str, *, item: Any = ANY
) -> None:
    """No finding of ``rule`` (for ``item``, if given): the rule stayed quiet."""
    if findings_of(response, rule, item=item):
        where = "" if item is ANY else f" for item {item!r}"
        raise AssertionError(
            f"expected no {rule} finding{where}; the response:\n{describe(response)}"
        )


def assert_fee(
    response: Response | Mapping[str, Any],
    rule: str,
    amount: Amount,
    *,
    item: Any = ANY,
    kind: str | None = None,
) -> Fee:
    """Exactly one fee of ``rule`` (and ``kind``, ``item``) with this amount in INR."""
    due = _decimal(amount)
    fees = [
        fee
        for fee in as_response(response).fees
        if fee.rule == rule
        and (item is ANY or fee.item == item)
        and (kind is None or fee.kind == kind)
    ]
    if len(fees) != 1 or fees[0].amount != due:
        raise AssertionError(
            f"expected one {rule} fee of INR {money(due or Decimal(0))}, "
            f"found {len(fees)}; the response:\n{describe(response)}"
        )
    return fees[0]


def assert_no_fee(response: Response | Mapping[str, Any], rule: str, *, item: Any = ANY) -> None:
    if any(
        fee.rule == rule and (item is ANY or fee.item == item) for fee in as_response(response).fees
    ):
        raise AssertionError(f"expected no {rule} fee; the response:\n{describe(response)}")


def assert_status(response: Response | Mapping[str, Any], status: Status) -> None:
    """The response's status (``accepted``, ``query``, ``hold``, ``rejected``)."""
    actual = as_response(response).status
    if actual != status:
        raise AssertionError(
            f"expected status {status}, got {actual}; the response:\n{describe(response)}"
        )


# -- pytest fixtures ---------------------------------------------------------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - the functions above work without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def customs_plugins() -> list[str] | None:
        """The entry points the kit's engines load: ``None`` = every installed plugin.

        Override it in a ``conftest.py`` (``return ["core", "copper"]``) to test a plugin
        alone; an ``only=`` argument still wins for one call.
        """
        return None

    @pytest.fixture
    def customs_engine_factory(customs_plugins: list[str] | None) -> Callable[..., Engine]:
        """Build an engine: ``customs_engine_factory(records=[...], as_of="2026-03-09")``."""

        def factory(**options: Any) -> Engine:
            options.setdefault("only", customs_plugins)
            return make_engine(**options)

        return factory

    @pytest.fixture
    def customs_check(customs_plugins: list[str] | None) -> Callable[..., Any]:
        """Check a message (→ Response) or a list of them in one run (→ list of Responses).

        Keyword arguments are :func:`make_engine`'s: ``records``, ``as_of``, ``config``,
        ``only``, ``blocked``, ``extra``.
        """

        def run_check(message: Message | Sequence[Message], **options: Any) -> Any:
            options.setdefault("only", customs_plugins)
            return check(message, **options)

        return run_check

    @pytest.fixture
    def customs_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
        """Run the ``customs`` command in-process: ``customs_cli("rules", "--format", "json")``.

        Returns click's ``Result`` (``exit_code``, ``stdout``, ``stderr``). ``block=`` and
        ``trace=`` set the operator switches for that call; otherwise they are cleared. The
        registry database (``CUSTOMS_DB``) is a fresh SQLite file under ``tmp_path`` unless
        ``db=`` names another, so a test never touches the working directory's ``customs.db``.
        """
        from click.testing import CliRunner

        from customs_engine.cli import main

        def invoke(
            *args: str,
            block: Iterable[str] = (),
            trace: bool = False,
            db: str | None = None,
            input: bytes | str | None = None,
        ) -> Any:
            monkeypatch.setenv(BLOCK_ENV, ",".join(block))
            monkeypatch.setenv(TRACE_ENV, "1" if trace else "")
            monkeypatch.setenv("CUSTOMS_DB", db or f"sqlite:///{tmp_path / 'customs.db'}")
            return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

        return invoke
