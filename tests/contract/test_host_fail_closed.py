"""The plugin host fails closed: probes for each way a plugin could make a message read as clear.

Each test registers a misbehaving probe plugin next to the installed ones and checks that the
failure is named (plugin and hook), reported as ``CORE-PLUGIN-001`` or refused at load, and that
the other plugins' answers are kept.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from customs_engine import WireFormat, hookimpl
from customs_engine.core.check_context import Scheme
from customs_engine.core.models import BillOfEntry
from customs_engine.core.plugin_host import BlockedEssentialError, PluginHost, PluginLoadError
from customs_engine.core.registry.records import MemoryRegistry
from customs_engine.core.response import AuthorisationClaim, Fee, Finding, Routing
from customs_engine.core.rules import Rule
from customs_engine.testing import (
    as_response,
    assert_finding,
    authorisation,
    bill_of_entry,
    item,
    licence,
    make_engine,
    manifest,
    manifest_line,
    render,
    write_message,
)

HOLD_ONLY = Rule(
    id="PROBE-BAL-001",
    scheme="probe",
    title="Probe balance",
    outcomes=("hold",),
    reference="tests/contract probe plugin",
)


class Wrapper:
    @hookimpl(wrapper=True)
    def customs_check_bill_of_entry(self, boe: BillOfEntry):  # type: ignore[no-untyped-def]
        findings = yield
        return findings


class OldStyleWrapper:
    @hookimpl(hookwrapper=True)
    def customs_fees(self, boe: BillOfEntry):  # type: ignore[no-untyped-def]
        yield


@pytest.mark.parametrize("plugin", [Wrapper(), OldStyleWrapper()])
def test_a_wrapper_hookimpl_is_refused_at_load_with_its_name(plugin: object) -> None:
    with pytest.raises(PluginLoadError) as info:
        make_engine(only=["core"], extra=[("wrapping", plugin)])
    assert info.value.plugin == "wrapping"
    assert "wrapper" in info.value.reason


def test_a_wrapper_plugin_stops_the_cli_with_exit_3_naming_it(fake_dists, customs_cli) -> None:
    fake_dists.add(
        "customs-engine-wrap",
        "ce_wrapping",
        (
            "from customs_engine import hookimpl\n"
            "@hookimpl(wrapper=True)\n"
            "def customs_check_bill_of_entry(boe, ctx):\n"
            "    return (yield)\n"
        ),
        entry_name="wrapping",
    )
    result = customs_cli("rules")
    assert result.exit_code == 3
    assert "plugin 'wrapping' failed to load" in result.stderr
    assert "customs_check_bill_of_entry is a wrapper" in result.stderr


class FailingRouting:
    @hookimpl
    def customs_routing(self, boe: BillOfEntry) -> Routing | None:
        raise RuntimeError("routing table missing")


def test_a_failing_routing_plugin_is_named_and_the_core_routing_is_kept() -> None:
    boe = bill_of_entry(item("84713010"))
    routed = make_engine(only=["core"]).validate_message(boe)
    assert routed.routing is not None
    response = make_engine(only=["core"], extra=[("router", FailingRouting())]).validate_message(
        boe
    )
    failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    assert "plugin 'router' failed in customs_routing: RuntimeError: routing table missing" in (
        failure.message
    )
    assert response.routing == routed.routing


def _sniff(head: bytes, name: str) -> bool:
    raise UnicodeDecodeError("utf-8", head, 0, 1, "probe cannot read this")


class FailingDetection:
    """A format whose detection raises, asked first (formats are asked in name order)."""

    @hookimpl
    def customs_wire_formats(self) -> list[WireFormat]:
        return [
            WireFormat(
                name="a_sniffed",
                title="sniffed",
                detect=_sniff,
                read=lambda data, source, config: [],
            )
        ]


class FailingLegacyDetection:
    @hookimpl
    def customs_detect_format(self, head: bytes, name: str) -> str | None:
        return "x" if _sniff(head, name) else None


def test_a_failing_format_detection_never_escapes_validate_bytes(tmp_path: Path) -> None:
    path = write_message(tmp_path / "be.xml", bill_of_entry())
    engine = make_engine(only=["core", "icegate_xml"], extra=[("sniffer", FailingDetection())])
    [response] = engine.validate_bytes(path.read_bytes(), str(path))
    failure = assert_finding(response, "CORE-PLUGIN-001")
    assert "plugin 'sniffer' failed in a_sniffed.detect: UnicodeDecodeError" in (failure.message)
    # the ICEGATE XML adapter still detected and read the file
    assert response.message.format == "icegate_xml" and response.message.reference == "BE-TEST-0001"
    assert response.status == "rejected"

    # the older first-non-None detection hook fails closed the same way
    [alone] = make_engine(only=[], extra=[("legacy", FailingLegacyDetection())]).validate_bytes(
        b"anything", "x.bin"
    )
    assert_finding(
        alone, "CORE-PLUGIN-001", message_contains="'legacy' failed in customs_detect_format"
    )


def test_the_core_checks_cannot_be_blocked(customs_cli, tmp_path: Path) -> None:
    boe = bill_of_entry(item(licences=[licence("PIMS", "PIMS-2026-1")]))
    path = write_message(tmp_path / "be.xml", boe)
    unblocked = customs_cli("validate", "--format", "json", str(path))
    assert unblocked.exit_code == 1 and '"CORE-LIC-001"' in unblocked.stdout
    result = customs_cli("validate", "--format", "json", str(path), block=["core", "ims"])
    assert result.exit_code == 2
    assert "'core'" in result.stderr and "cannot be blocked" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("blocked", [("serializers",), ("core", "serializers")])
def test_essential_plugins_are_named_when_blocked(blocked: tuple[str, ...]) -> None:
    with pytest.raises(BlockedEssentialError) as info:
        PluginHost.from_entry_points(blocked=blocked)
    assert info.value.names == tuple(sorted(blocked))


class ShortfallWithoutReject:
    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [HOLD_ONLY]

    @hookimpl
    def customs_authorisations(self, boe: BillOfEntry) -> list[AuthorisationClaim]:
        return [
            AuthorisationClaim(
                scheme="ims",
                number="IMS-2026-1",
                item=i.number,
                quantity=i.quantity,
                unit=i.unit,
                value_inr=Decimal(10**9),
                shortfall_rule=HOLD_ONLY.id,
            )
            for i in boe.items
        ]


def test_a_shortfall_rule_without_reject_is_refused_at_load() -> None:
    class Declares(ShortfallWithoutReject):
        @hookimpl
        def customs_schemes(self) -> list[Scheme]:
            return [Scheme(name="probe", title="Probe", shortfall_rules=(HOLD_ONLY.id,))]

    with pytest.raises(PluginLoadError) as info:
        make_engine(only=[], extra=[("probe", Declares())])
    assert info.value.plugin == "probe"
    assert "PROBE-BAL-001 is not declared with the outcome 'reject'" in info.value.reason

    class Undeclared(Declares):
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return []

    with pytest.raises(PluginLoadError, match="PROBE-BAL-001 is not declared by any plugin"):
        make_engine(only=[], extra=[("probe", Undeclared())])


def test_a_claim_naming_a_bad_shortfall_rule_fails_closed_not_mid_run() -> None:
    records = [authorisation("IMS", "IMS-2026-1", quantity=1, value_inr=1)]
    engine = make_engine(
        only=["core"], extra=[("probe", ShortfallWithoutReject())], records=records
    )
    responses = [engine.validate_message(bill_of_entry(message_id=f"BE-{n}")) for n in (1, 2)]
    for response in responses:  # the run went on
        failure = assert_finding(
            response, "CORE-PLUGIN-001", message_contains="failed in customs_authorisations"
        )
        assert "'probe'" in failure.message and "outcome 'reject'" in failure.message
        assert response.status == "rejected" and response.authorisations == []


OWN_BALANCE = Rule(
    id="PROBE-BAL-002",
    scheme="probe",
    title="Probe balance",
    outcomes=("reject",),
    reference="tests/contract probe plugin",
)


class ClaimsOthers:
    """Files a claim against an IMS authorisation the line never quotes (``rule``: under IMS's
    own shortfall rule, or under its own)."""

    def __init__(self, rule: str) -> None:
        self.rule = rule

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [OWN_BALANCE]

    @hookimpl
    def customs_authorisations(self, boe: BillOfEntry) -> list[AuthorisationClaim]:
        return [
            AuthorisationClaim(
                scheme="IMS",
                number="IMS-2026-1",
                item=1,
                quantity=Decimal(5),
                unit="NOS",
                shortfall_rule=self.rule,
            )
        ]


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("IMS-BAL-001", "names shortfall rule IMS-BAL-001, which plugin 'ims' declares"),
        (OWN_BALANCE.id, "debits IMS licence IMS-2026-1, which plugin 'ims' handles"),
    ],
)
def test_a_plugin_cannot_debit_another_plugins_licences(rule: str, problem: str) -> None:
    """A claim is refused unless its shortfall rule is the claiming plugin's own and no other
    plugin's scheme handles its licence scheme: before, any plugin could debit IMS-2026-1."""
    records = [authorisation("IMS", "IMS-2026-1", quantity=100, value_inr=10**7)]
    engine = make_engine(extra=[("claims", ClaimsOthers(rule))], records=records)
    response = engine.validate_message(bill_of_entry(item("39269099")))
    failure = assert_finding(response, "CORE-PLUGIN-001", message_contains="'claims'")
    assert problem in failure.message
    assert response.authorisations == []


def test_a_finding_with_an_undeclared_outcome_is_reported() -> None:
    class Holds:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [HOLD_ONLY]

        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
            return [
                Finding(
                    rule=HOLD_ONLY.id, scheme="probe", outcome="info", message="m", reference="r"
                )
            ]

    response = make_engine(only=[], extra=[("holds", Holds())]).validate_message(bill_of_entry())
    failure = assert_finding(response, "CORE-PLUGIN-001", message_contains="'holds'")
    assert "not declared with the outcome 'info'" in failure.message


FEE_RULE = Rule(
    id="PROBE-FEE-001",
    scheme="probe",
    title="Probe fee",
    outcomes=("fee",),
    reference="tests/contract probe plugin",
)


class Charges:
    """Returns one fee as ``how`` builds it."""

    def __init__(self, how: str) -> None:
        self.how = how

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [FEE_RULE, HOLD_ONLY]

    @hookimpl
    def customs_fees(self, boe: BillOfEntry) -> list[Fee]:
        fields = {"rule": FEE_RULE.id, "scheme": "probe", "kind": "probe", "basis": "b"}
        if self.how == "float":  # past validation, as ``model_construct`` builds it
            return [Fee.model_construct(**fields, amount=500.1, currency="INR", item=None)]
        if self.how == "usd":
            return [FEE_RULE.fee("probe", 5, basis="b", currency="USD")]
        if self.how == "not a fee rule":
            return [Fee(**{**fields, "rule": HOLD_ONLY.id}, amount=Decimal(5))]
        if self.how == "huge":  # finite, but no answer could write it to the paisa
            return [FEE_RULE.fee("probe", Decimal("1E+30"), basis="b")]
        return [FEE_RULE.fee("probe", 5, basis="b")]


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("float", "has the amount 500.1, not a Decimal"),
        ("usd", "is in 'USD': fees are in INR"),
        ("not a fee rule", "is not declared with the outcome 'fee'"),
        ("huge", "is INR 1E+30, not below 10^18"),
    ],
)
def test_a_fee_the_contract_does_not_allow_fails_the_message_not_the_run(
    how: str, problem: str
) -> None:
    """Checked by the host however it was built: a float past validation crashed the run's
    summary; a USD fee was added to the INR total; a rule without the ``fee`` outcome charged."""
    engine = make_engine(only=["core"], extra=[("charges", Charges(how))])
    response = engine.validate_message(bill_of_entry())
    failure = assert_finding(response, "CORE-PLUGIN-001", message_contains="'charges'")
    assert problem in failure.message
    assert response.fees == []
    fine = make_engine(only=["core"], extra=[("charges", Charges("fine"))])
    assert [fee.amount for fee in fine.validate_message(bill_of_entry()).fees] == [Decimal(5)]


def test_rule_fee_refuses_a_rule_without_the_fee_outcome() -> None:
    with pytest.raises(ValueError, match="PROBE-BAL-001 is not declared with outcome 'fee'"):
        HOLD_ONLY.fee("probe", 5, basis="b")


class Misbehaves:
    """A probe whose hooks raise or answer with what the contract does not allow."""

    def __init__(self, hook: str, answer: object) -> None:
        self.hook, self.answer = hook, answer

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry) -> object:
        return self._answer("customs_check_bill_of_entry")

    @hookimpl
    def customs_fees(self, boe: BillOfEntry) -> object:
        return self._answer("customs_fees")

    @hookimpl
    def customs_authorisations(self, boe: BillOfEntry) -> object:
        return self._answer("customs_authorisations")

    @hookimpl
    def customs_routing(self, boe: BillOfEntry) -> object:
        return self._answer("customs_routing")

    @hookimpl
    def customs_rate_date(self, boe: BillOfEntry) -> object:
        return self._answer("customs_rate_date")

    def _answer(self, hook: str) -> object:
        if hook != self.hook:
            return None
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


FINDING = Finding(rule="CORE-PLUGIN-001", scheme="core", outcome="info", message="m", reference="r")


@pytest.mark.parametrize(
    ("hook", "answer"),
    [
        ("customs_fees", RuntimeError("fees down")),
        ("customs_fees", [FINDING]),
        ("customs_fees", "oops"),
        ("customs_check_bill_of_entry", "oops"),
        ("customs_check_bill_of_entry", FINDING),
        ("customs_check_bill_of_entry", [{"rule": "X"}]),
        ("customs_check_bill_of_entry", {"rule": "X"}),  # a mapping is not a list of findings
        ("customs_check_bill_of_entry", 42),
        ("customs_authorisations", [FINDING]),
        ("customs_routing", "5E"),
        ("customs_rate_date", "2026-03-09"),
        ("customs_rate_date", datetime(2026, 3, 9, 10, 0)),  # a date has no time of day
        ("customs_check_bill_of_entry", [None]),
        ("customs_fees", [None]),
        ("customs_authorisations", [None]),
    ],
)
def test_a_hook_that_raises_or_answers_out_of_contract_fails_the_message_closed(
    hook: str, answer: object
) -> None:
    """Never a crash of the run: the message gets CORE-PLUGIN-001 naming plugin and hook."""
    engine = make_engine(only=["core"], extra=[("misbehaves", Misbehaves(hook, answer))])
    response = engine.validate_message(bill_of_entry())
    failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    assert "'misbehaves'" in failure.message and hook in failure.message
    assert response.status == "rejected"


@pytest.mark.parametrize(
    ("hook", "answer"), [("customs_routing", "5E"), ("customs_rate_date", "2026-03-09")]
)
def test_an_answer_out_of_contract_does_not_stop_the_chain(hook: str, answer: object) -> None:
    """Like a plugin that raises, one answering out of contract is reported and the next plugin
    is asked: the core's routing and rate date stand (they were left empty)."""
    boe = bill_of_entry(item("84713010"))
    plain = make_engine(only=["core"]).validate_message(boe)
    assert plain.routing is not None and plain.rate_date is not None
    engine = make_engine(only=["core"], extra=[("misbehaves", Misbehaves(hook, answer))])
    response = engine.validate_message(boe)
    assert_finding(response, "CORE-PLUGIN-001", message_contains="'misbehaves'")
    assert response.routing == plain.routing and response.rate_date == plain.rate_date


def test_a_hook_answering_within_contract_is_quiet() -> None:
    """An empty list, None and a tuple of the right kind are all fine."""
    for hook, answer in [
        ("customs_fees", []),
        ("customs_check_bill_of_entry", ()),
        ("customs_routing", None),
    ]:
        engine = make_engine(only=["core"], extra=[("fine", Misbehaves(hook, answer))])
        assert "CORE-PLUGIN-001" not in {
            f.rule for f in engine.validate_message(bill_of_entry()).findings
        }


# -- a plugin that changes what it is given --------------------------------------------------


class Changes:
    """Changes the message it is given to check (``how``), from a check hook or in sequence."""

    def __init__(self, how: str, hook: str = "customs_check_bill_of_entry") -> None:
        self.how, self.hook = how, hook

    @hookimpl(tryfirst=True)
    def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
        if self.hook == "customs_check_bill_of_entry":
            self._change(boe)
        return []

    @hookimpl
    def customs_check_in_sequence(self, message: Any) -> list[Finding]:
        if self.hook == "customs_check_in_sequence":
            self._change(message)
        return []

    def _change(self, boe: BillOfEntry) -> None:
        if self.how == "items":
            boe.items.clear()
        elif self.how == "hs_code":
            boe.items[0].hs_code = "01011010"
        else:
            boe.message_id = "HACKED"


@pytest.mark.parametrize("hook", ["customs_check_bill_of_entry", "customs_check_in_sequence"])
@pytest.mark.parametrize("how", ["items", "hs_code", "message_id"])
def test_a_plugin_that_changes_the_message_fails_it_closed(how: str, hook: str) -> None:
    """A laptop line without licence is rejected by IMS; a plugin emptying the items (or making
    the line a horse) must not turn that into "accepted"."""
    engine = make_engine(extra=[("changes", Changes(how, hook))])
    laptop = bill_of_entry(item(hs_code="84713010", product_category="LAPTOP"), message_id="BE-7")
    response = engine.validate_message(laptop)
    failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    # the plugin and the hook are named, so an operator knows which one to block
    assert f"plugin 'changes' in {hook} changed the message" in failure.message
    assert response.status == "rejected"
    assert response.message.reference == "BE-7"  # answered as it came
    assert engine.run.document("BE-7") is None  # not filed


@pytest.mark.parametrize("hook", ["customs_check_bill_of_entry", "customs_check_in_sequence"])
def test_what_was_said_of_a_changed_message_is_not_reported(hook: str) -> None:
    """The checks saw a horse where the importer declared a laptop: what they said of it (its
    routing group, fees, licence uses) is not the importer's message and is left out; the
    response says the message was changed, and what reading it found."""
    engine = make_engine(extra=[("changes", Changes("hs_code", hook))])
    laptop = bill_of_entry(
        item(hs_code="84713010", product_category="LAPTOP", licences=[licence("IMS", "IMS-1")]),
        message_id="BE-9",
    )
    response = engine.validate_message(laptop)
    assert {finding.rule for finding in response.findings} == {"CORE-PLUGIN-001"}
    assert response.fees == [] and response.authorisations == []


@pytest.mark.parametrize("hook", ["customs_check_bill_of_entry", "customs_check_in_sequence"])
def test_a_changed_message_fails_closed_in_a_worker_process_too(hook: str) -> None:
    """``-j N``: the checks run in a worker and their results cross a pipe; the message as the
    plugins were given it must cross too, or a change goes unseen (and ``-j1`` and ``-j2``
    answer differently)."""
    from customs_engine.core.batch.inputs import InputFile
    from customs_engine.core.batch.runner import stateless
    from customs_engine.core.batch.wire import compress, decompress, pack, unpack

    engine = make_engine(extra=[("changes", Changes("items", hook))])
    laptop = bill_of_entry(item(hs_code="84713010", product_category="LAPTOP"), message_id="BE-7")
    file = InputFile("be-7.xml", render(laptop))
    wire = decompress(compress([pack(*pair) for pair in stateless(engine, file)]))
    (response,) = [engine.complete(*unpack(packed), file.name) for packed in wire]
    failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    assert f"plugin 'changes' in {hook} changed the message" in failure.message
    assert response.status == "rejected" and response.message.reference == "BE-7"


class Exits:
    """Raises what ``Exception`` does not catch, as careless library code does."""

    def __init__(self, raised: BaseException) -> None:
        self.raised = raised

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
        raise self.raised


class _Odd(BaseException):
    pass


@pytest.mark.parametrize(
    "raised", [SystemExit(0), SystemExit("done"), _Odd("odd"), GeneratorExit("closed")]
)
def test_a_plugin_raising_system_exit_fails_the_message_not_the_run(raised: BaseException) -> None:
    """``sys.exit()`` in a hook ended the run with exit 0 and no answers (a silent "clear");
    a ``GeneratorExit`` ended it with a traceback and exit 1."""
    engine = make_engine(extra=[("exits", Exits(raised))])
    response = engine.validate_message(bill_of_entry(message_id="BE-8"))
    failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    assert "plugin 'exits' failed in customs_check_bill_of_entry" in failure.message
    assert type(raised).__name__ in failure.message


RAISES_IN_ITS_CHECK = """
from customs_engine import hookimpl

@hookimpl
def customs_check_bill_of_entry(boe, ctx):
    raise {raised}
"""


@pytest.mark.parametrize("raised", ["GeneratorExit()", "SystemExit(0)"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_hook_raising_generator_exit_or_system_exit_is_a_finding_in_the_cli_not_a_traceback(
    fake_dists: Any, customs_cli: Any, tmp_path: Path, raised: str, jobs: str
) -> None:
    """``GeneratorExit`` from a check ended ``validate`` with a traceback and exit 1, in one
    process or in workers; neither it nor ``SystemExit(0)`` may end the run or read as clear."""
    paths = [
        str(write_message(tmp_path / f"be-{n}.xml", bill_of_entry(message_id=f"BE-{n}")))
        for n in (1, 2)
    ]
    source = RAISES_IN_ITS_CHECK.format(raised=raised)
    fake_dists.add(
        "customs-engine-raises", f"ce_raises_{jobs}_{raised[:3]}", source, entry_name="raises"
    )
    result = customs_cli("validate", "--format", "json", "-j", jobs, *paths)
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    responses = [as_response(r) for r in json.loads(result.stdout)]
    assert len(responses) == 2
    for response in responses:
        failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
        assert "plugin 'raises' failed in customs_check_bill_of_entry" in failure.message
        assert raised.split("(")[0] in failure.message


def test_a_plugin_that_only_reads_the_message_is_quiet() -> None:
    engine = make_engine(extra=[("reads", Changes("none", hook="nowhere"))])
    response = engine.validate_message(bill_of_entry())
    assert "CORE-PLUGIN-001" not in {f.rule for f in response.findings}


class Reconfigures:
    """Writes into the run's --config table while checking one message."""

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry, ctx: Any) -> list[Finding]:
        ctx.config["sims"]["quantity_tolerance_pct"] = 50
        return []


def test_the_run_settings_cannot_be_changed_by_a_check() -> None:
    engine = make_engine(
        extra=[("reconfigures", Reconfigures())],
        config={"sims": {"quantity_tolerance_pct": 5, "hs_prefixes": ["7208"]}},
    )
    response = engine.validate_message(bill_of_entry())
    failure = assert_finding(response, "CORE-PLUGIN-001", message_contains="'reconfigures'")
    assert "read-only" in failure.message
    assert engine.ctx.settings("sims") == {"quantity_tolerance_pct": 5, "hs_prefixes": ("7208",)}
    # still a mapping for every reader, and picklable for worker processes
    assert pickle.loads(pickle.dumps(engine.ctx)).settings("sims")["quantity_tolerance_pct"] == 5


class Formats:
    """A wire format whose detection or reading answers out of contract."""

    def __init__(self, detected: object = "odd", read: object = ()) -> None:
        self.detected, self.read = detected, read

    @hookimpl
    def customs_wire_formats(self) -> list[WireFormat]:
        def read(data: bytes, source: str, config: object) -> Any:
            return self.read

        return [WireFormat(name="odd", title="odd", detect=lambda h, n: h == b"ODD", read=read)]

    @hookimpl
    def customs_detect_format(self, head: bytes) -> object:
        return self.detected if head == b"LEGACY" else None


def _messages_then_junk() -> Iterator[object]:
    yield from ()
    yield "junk"


def _closing_itself() -> Iterator[object]:
    yield from ()
    raise GeneratorExit("reader closed")


@pytest.mark.parametrize(
    ("formats", "data", "problem"),
    [
        (Formats(detected=5), b"LEGACY", "returned int 5, not a format name"),
        (Formats(read="x"), b"ODD", "returned str 'x', not a list of ParsedMessage"),
        (Formats(read=[object()]), b"ODD", "not a ParsedMessage"),
        (Formats(read=_messages_then_junk()), b"ODD", "gave str 'junk', not a ParsedMessage"),
        (Formats(read=_closing_itself()), b"ODD", "GeneratorExit: reader closed"),
    ],
    ids=["detect-int", "read-str", "read-object", "iterator-junk", "iterator-generator-exit"],
)
def test_a_format_answering_out_of_contract_fails_the_file_closed(
    formats: Formats, data: bytes, problem: str
) -> None:
    engine = make_engine(only=["core"], extra=[("formats", formats)])
    (response,) = engine.validate_bytes(data, "f.odd")
    failure = assert_finding(response, "CORE-PLUGIN-001", message_contains=problem)
    assert "'formats'" in failure.message
    assert response.status == "rejected"


class ForcesARecord:
    """Forces a change on a frozen registry record (``object.__setattr__``): 999,999 left."""

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry, ctx: Any) -> list[Finding]:
        record = ctx.registry.licence("IMS", "IMS-2026-00042")
        if record is not None:
            object.__setattr__(record, "quantity", Decimal(999999))
        return []


def test_a_registry_record_forced_by_a_plugin_is_not_what_later_messages_are_checked_against() -> (
    None
):
    """In ``customs serve`` one snapshot serves every request: a record changed through it once
    answered every later client "accepted" against a limit that was not the registry's."""
    records = [
        authorisation("IMS", "IMS-2026-00042", quantity=100, unit="NOS", value_inr="5000000")
    ]
    engine = make_engine(only=["core", "ims"], extra=[("forces", ForcesARecord())], records=records)

    def laptops(message_id: str, quantity: int) -> BillOfEntry:
        return bill_of_entry(
            item(
                "84713010",
                quantity=quantity,
                unit="NOS",
                value_inr=Decimal(quantity * 1000),
                product_category="LAPTOP",
                licences=[licence("IMS", "IMS-2026-00042")],
            ),
            message_id=message_id,
        )

    engine.validate_message(laptops("BE-1", 10))
    over = engine.validate_message(laptops("BE-2", 500))
    assert_finding(over, "IMS-BAL-001", outcome="reject")
    assert engine.ctx.registry.licence("IMS", "IMS-2026-00042").quantity == 100


# -- answers built without validation (``model_construct``) -----------------------------------

CHECK_RULE = Rule(
    id="PROBE-CHK-001",
    scheme="probe",
    title="Probe check",
    outcomes=("warn",),
    reference="tests/contract probe plugin",
)
_FINDING = {"rule": CHECK_RULE.id, "scheme": "probe", "outcome": "warn", "message": "m"}
_FINDING |= {"reference": CHECK_RULE.reference, "item": None, "field": None}
_FEE = {"rule": FEE_RULE.id, "scheme": "probe", "kind": "probe", "amount": Decimal(5)}
_FEE |= {"currency": "INR", "item": None, "basis": "b"}
_CLAIM = {"scheme": "PROBE", "number": "P-1", "item": 1, "quantity": Decimal(1), "unit": "KGS"}
_CLAIM |= {"value_inr": Decimal(0), "shortfall_rule": OWN_BALANCE.id, "field": None}


class Constructs:
    """Answers one record built with ``model_construct`` (no validation), one field changed."""

    def __init__(self, hook: str, model: type[Any], fields: dict[str, Any]) -> None:
        self.hook, self.model, self.fields = hook, model, fields

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [CHECK_RULE, FEE_RULE, OWN_BALANCE]

    @hookimpl
    def customs_schemes(self) -> list[Scheme]:
        return [
            Scheme(
                name="probe",
                title="Probe",
                licence_schemes=("PROBE",),
                shortfall_rules=(OWN_BALANCE.id,),
            )
        ]

    def _answer(self, hook: str) -> Any:
        if hook != self.hook:
            return None
        built = self.model.model_construct(**self.fields)
        return built if hook == "customs_routing" else [built]

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry) -> Any:
        return self._answer("customs_check_bill_of_entry")

    @hookimpl
    def customs_fees(self, boe: BillOfEntry) -> Any:
        return self._answer("customs_fees")

    @hookimpl
    def customs_authorisations(self, boe: BillOfEntry) -> Any:
        return self._answer("customs_authorisations")

    @hookimpl
    def customs_check_in_sequence(self, message: Any) -> Any:
        return self._answer("customs_check_in_sequence")

    @hookimpl
    def customs_routing(self, boe: BillOfEntry) -> Any:
        return self._answer("customs_routing")


Claim = AuthorisationClaim
_CONSTRUCTED = [
    ("customs_check_bill_of_entry", Finding, _FINDING | {"item": "1"}, "item"),
    ("customs_check_bill_of_entry", Finding, _FINDING | {"message": 12345}, "message"),
    ("customs_check_bill_of_entry", Finding, _FINDING | {"outcome": ["warn"]}, "outcome"),
    ("customs_check_bill_of_entry", Finding, _FINDING | {"rule": None}, "rule"),
    ("customs_check_in_sequence", Finding, _FINDING | {"item": 1.0}, "item"),
    ("customs_fees", Fee, _FEE | {"kind": None}, "kind"),
    ("customs_fees", Fee, _FEE | {"item": "2"}, "item"),
    ("customs_check_in_sequence", Fee, _FEE | {"basis": b"b"}, "basis"),
    ("customs_authorisations", Claim, _CLAIM | {"quantity": Decimal("NaN")}, "quantity"),
    ("customs_authorisations", Claim, _CLAIM | {"quantity": 1.5}, "quantity"),
    ("customs_authorisations", Claim, _CLAIM | {"value_inr": Decimal("NaN")}, "value_inr"),
    ("customs_authorisations", Claim, _CLAIM | {"scheme": None}, "scheme"),
    ("customs_authorisations", Claim, _CLAIM | {"item": "1"}, "item"),
    ("customs_routing", Routing, {"nac": None, "group": "5E"}, "nac"),
]


@pytest.mark.parametrize(("hook", "model", "fields", "field"), _CONSTRUCTED)
def test_an_answer_built_with_a_wrong_typed_field_fails_the_message_not_the_run(
    hook: str, model: type[Any], fields: dict[str, Any], field: str
) -> None:
    """hooks.md: answers are checked "however built, ``model_construct`` too". A wrong-typed
    field crashed the whole run with a traceback (sorting findings by item, ``.strip()`` on a
    message, the ledger adding a float, the run's summary sorting fee kinds)."""
    engine = make_engine(only=["core"], extra=[("constructs", Constructs(hook, model, fields))])
    responses = [engine.validate_message(bill_of_entry(message_id=f"BE-{n}")) for n in (1, 2)]
    for response in responses:  # the run went on
        failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
        assert f"plugin 'constructs' failed in {hook}" in failure.message
        assert f"its answer is an invalid {model.__name__}: {field}:" in failure.message
        assert response.status == "rejected"
        assert response.fees == [] and response.authorisations == []
        assert all(isinstance(f.item, int | None) for f in response.findings)


@pytest.mark.parametrize(
    ("hook", "model", "fields"),
    [
        ("customs_check_bill_of_entry", Finding, _FINDING | {"item": 1}),
        ("customs_fees", Fee, _FEE),
        ("customs_routing", Routing, {"nac": "NAC1", "group": "5E"}),
    ],
)
def test_an_answer_built_with_model_construct_and_right_types_is_kept(
    hook: str, model: type[Any], fields: dict[str, Any]
) -> None:
    engine = make_engine(only=["core"], extra=[("constructs", Constructs(hook, model, fields))])
    response = engine.validate_message(bill_of_entry())
    assert "CORE-PLUGIN-001" not in {f.rule for f in response.findings}


def test_a_file_whose_messages_are_not_all_taken_closes_quietly() -> None:
    """The engine's own generator is closed at its ``yield``: that ``GeneratorExit`` ends it; it
    is no plugin's failure (taken for one, the generator would ignore it)."""
    engine = make_engine(only=["core", "icegate_xml"])
    data = render([bill_of_entry(message_id="BE-1"), bill_of_entry(message_id="BE-2")])
    messages = engine.messages(data, "two.xml")
    assert next(messages).message is not None
    messages.close()  # no RuntimeError: generator ignored GeneratorExit


# -- answers on an item the message does not have; claims that are no debit --------------------


@pytest.mark.parametrize(
    ("hook", "model", "fields", "what"),
    [
        (
            "customs_check_bill_of_entry",
            Finding,
            _FINDING | {"item": 99},
            "finding of rule PROBE-CHK-001",
        ),
        (
            "customs_check_in_sequence",
            Finding,
            _FINDING | {"item": 99},
            "finding of rule PROBE-CHK-001",
        ),
        ("customs_fees", Fee, _FEE | {"item": 99}, "fee of rule PROBE-FEE-001"),
        ("customs_check_in_sequence", Fee, _FEE | {"item": 0}, "fee of rule PROBE-FEE-001"),
        ("customs_authorisations", Claim, _CLAIM | {"item": 99}, "claim on PROBE licence P-1"),
    ],
)
def test_an_answer_on_an_item_the_message_does_not_have_fails_it_closed(
    hook: str, model: type[Any], fields: dict[str, Any], what: str
) -> None:
    """Was accepted; a claim on item 99 of a one-item Bill of Entry was debited as "item 99"."""
    records = [authorisation("PROBE", "P-1", quantity=100, value_inr=10**7)]
    engine = make_engine(
        only=["core"], extra=[("constructs", Constructs(hook, model, fields))], records=records
    )
    response = engine.validate_message(bill_of_entry(item("39269099")))
    failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    assert f"plugin 'constructs' failed in {hook}" in failure.message
    assert (
        f"its {what} is on item {fields['item']}, which the message does not have (its items: 1)"
    ) in failure.message
    assert response.status == "rejected"
    assert response.fees == [] and response.authorisations == []


def test_a_finding_on_a_manifest_line_it_has_is_kept_and_on_one_it_lacks_is_refused() -> None:
    igm = manifest(manifest_line(line=3), manifest_line(line=7))
    for line, kept in ((7, True), (4, False)):
        plugin = Constructs("customs_check_in_sequence", Finding, _FINDING | {"item": line})
        response = make_engine(only=["core"], extra=[("constructs", plugin)]).validate_message(igm)
        if kept:
            assert_finding(response, CHECK_RULE.id, item=7)
        else:
            failure = assert_finding(response, "CORE-PLUGIN-001")
            assert "is on line 4, which the message does not have (its lines: 3, 7)" in (
                failure.message
            )


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"quantity": Decimal(-5)}, "a claim of -5 / INR 0 is negative and would credit"),
        ({"value_inr": Decimal(-1)}, "a claim of 1 / INR -1 is negative and would credit"),
        ({"quantity": Decimal(0)}, "a claim of nothing (zero quantity and zero value)"),
    ],
)
def test_a_claim_that_is_no_debit_is_the_plugins_failure_not_its_shortfall(
    fields: dict[str, Any], said: str
) -> None:
    """Was reported under the plugin's own shortfall rule, as if the balance fell short."""
    records = [authorisation("PROBE", "P-1", quantity=100, value_inr=10**7)]
    plugin = Constructs("customs_authorisations", Claim, _CLAIM | fields)
    engine = make_engine(only=["core"], extra=[("constructs", plugin)], records=records)
    response = engine.validate_message(bill_of_entry(item("39269099")))
    failure = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    assert "its claim on PROBE licence P-1 is not a debit: " + said in failure.message
    assert OWN_BALANCE.id not in {f.rule for f in response.findings}
    assert response.authorisations == []


# -- the shared CheckContext -------------------------------------------------------------------


class ForcesTheContext:
    """Forces a change on the run's shared context (frozen, its tables read-only) in its check
    hook: ``how`` says which. ``times``: on how many messages (per process)."""

    def __init__(self, how: str, times: int = 1) -> None:
        self.how, self.times = how, times

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry, ctx: Any) -> list[Finding]:
        if self.times <= 0:
            return []
        self.times -= 1
        if self.how == "as_of":  # no rule is in force in 2020: every later message clear
            object.__setattr__(ctx, "as_of", date(2020, 1, 1))
        elif self.how == "registry":
            object.__setattr__(ctx, "registry", MemoryRegistry())
        elif self.how == "handled_schemes":
            object.__setattr__(ctx, "handled_schemes", frozenset({"IMS", "NFMIMS"}))
        elif self.how == "new attribute":
            object.__setattr__(ctx, "extra", 1)
        elif self.how == "config":
            dict.__setitem__(ctx.config, "copper", {"off": True})
        elif self.how == "config table":
            dict.__setitem__(ctx.config["sims"], "quantity_tolerance_pct", 50)
        return []


def _copper(message_id: str) -> BillOfEntry:
    """Copper cathodes with no registration on record: held by the copper plugin."""
    return bill_of_entry(item("74031100"), message_id=message_id)


CONFIG = {"sims": {"quantity_tolerance_pct": 5, "hs_prefixes": ["7208"]}}


@pytest.mark.parametrize(
    "how", ["as_of", "registry", "handled_schemes", "new attribute", "config", "config table"]
)
def test_a_context_forced_by_a_plugin_fails_that_message_and_is_put_back(how: str) -> None:
    """``object.__setattr__(ctx, "as_of", ...)`` by one plugin switched the copper plugin's
    rules off for the rest of the run ("accepted" instead of "hold"), and
    ``dict.__setitem__(ctx.config, ...)`` went past the read-only tables the same way."""
    engine = make_engine(
        only=["core", "copper"], extra=[("forces", ForcesTheContext(how))], config=CONFIG
    )
    before = (engine.ctx.registry, engine.ctx.handled_schemes)
    first, second = (engine.validate_message(_copper(f"BE-CU-{n}")) for n in (1, 2))
    failure = assert_finding(first, "CORE-PLUGIN-001", outcome="reject")
    assert "plugin 'forces' failed in customs_check_bill_of_entry" in failure.message
    assert "changed the run's CheckContext" in failure.message
    field = how.split()[0] if how != "new attribute" else "extra"
    assert f"({field})" in failure.message
    # the other plugins were called with the context put back, and so is every later message
    assert_finding(first, "NFMIMS-CU-COV-001", outcome="hold")
    assert_finding(second, "NFMIMS-CU-COV-001", outcome="hold")
    assert "CORE-PLUGIN-001" not in {f.rule for f in second.findings}
    assert second.status == "hold"
    assert engine.ctx.as_of is None and not hasattr(engine.ctx, "extra")
    assert (engine.ctx.registry, engine.ctx.handled_schemes) == before
    assert engine.ctx.config == {"sims": {"quantity_tolerance_pct": 5, "hs_prefixes": ("7208",)}}
    with pytest.raises(TypeError, match="read-only"):  # still read-only once put back
        engine.ctx.config["sims"]["quantity_tolerance_pct"] = 1  # type: ignore[index]


class KeepsTheContext:
    """Keeps the context it is given and forces a change on it later, in a hook given none."""

    ctx: Any = None

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry, ctx: Any) -> list[Finding]:
        self.ctx = ctx
        return []

    @hookimpl
    def customs_response_formats(self) -> list[Any]:
        return []

    def later(self) -> None:
        object.__setattr__(self.ctx, "as_of", date(2020, 1, 1))


def test_a_context_changed_outside_a_hook_call_fails_the_next_message_closed() -> None:
    keeps = KeepsTheContext()
    engine = make_engine(only=["core", "copper"], extra=[("keeps", keeps)])
    assert engine.validate_message(_copper("BE-CU-1")).status == "hold"
    keeps.later()
    second = engine.validate_message(_copper("BE-CU-2"))
    failure = assert_finding(second, "CORE-PLUGIN-001", outcome="reject")
    assert "a plugin changed the run's CheckContext (as_of)" in failure.message
    assert_finding(second, "NFMIMS-CU-COV-001", outcome="hold")
    assert engine.ctx.as_of is None
    assert engine.validate_message(_copper("BE-CU-3")).status == "hold"


def _forcing_host() -> PluginHost:
    """Each worker's plugins: the copper scheme and one that forces ``as_of`` once."""
    return PluginHost.from_entry_points(
        only=["core", "copper", "icegate_xml"],
        extra=[("forces", ForcesTheContext("as_of"), "1")],
        trace=False,
    )


def test_a_context_forced_in_a_worker_process_is_put_back_there_too() -> None:
    """``-j2``: each worker checks with its own copy of the context; a change forced on it
    there was never seen by the main process."""
    import io
    import json

    from customs_engine.core.batch.inputs import InputFile
    from customs_engine.core.batch.runner import run
    from customs_engine.core.batch.workers import BATCH_FILES
    from customs_engine.core.engine import Engine
    from customs_engine.core.writers.json_text import JsonLinesWriter

    files = [
        InputFile(f"be-{n}.xml", render(_copper(f"BE-CU-{n}"))) for n in range(6 * BATCH_FILES)
    ]
    out = io.BytesIO()
    engine = Engine(_forcing_host())
    run(engine, iter(files), JsonLinesWriter(out), jobs=2, host_factory=_forcing_host)
    responses = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(responses) == len(files)
    assert all(r["status"] != "accepted" for r in responses)
    assert all("NFMIMS-CU-COV-001" in {f["rule"] for f in r["findings"]} for r in responses)
    failed = [r for r in responses if r["status"] == "rejected"]
    assert 1 <= len(failed) <= 2  # the first message each process checked, no more
