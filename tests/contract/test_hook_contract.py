"""Every hook of ``core/hookspecs.py`` called the way ``docs/hooks.md`` says (one test per hook).

Each ``test_hook_<name>`` registers small probe plugins next to no installed plugin (``only=[]``)
and checks when the hook is called, with what, and how answers combine (collected or
first-non-None). ``tests/test_docs.py`` fails if a hook has no test here.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from customs_engine import hookimpl
from customs_engine.core.batch.inputs import InputFile, iter_inputs
from customs_engine.core.batch.runner import run
from customs_engine.core.check_context import CheckContext, Scheme
from customs_engine.core.engine import Engine
from customs_engine.core.formats import ParsedMessage, ResponseFormat, WireFormat
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.plugin_host import PluginClashError, PluginLoadError
from customs_engine.core.response import AuthorisationClaim, Fee, Finding, Response, Routing
from customs_engine.core.rules import Rule
from customs_engine.testing import (
    assert_fee,
    assert_finding,
    assert_no_finding,
    authorisation,
    bill_of_entry,
    item,
    licence,
    make_engine,
    manifest,
)

RULE = Rule(
    id="PROBE-CHK-001",
    scheme="probe",
    title="A probe rule",
    outcomes=("query", "reject", "fee"),
    reference="tests/contract probe plugin",
)


class Probe:
    """Declares the probe rule, so its findings and fees are accepted by the engine."""

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [RULE]


def engine_with(*plugins: object, **options: Any) -> Engine:
    extra = [(f"probe{n}", plugin) for n, plugin in enumerate(plugins)]
    return make_engine(only=[], extra=extra, **options)


def query(text: str, item: int | None = None) -> Finding:
    return RULE.finding("query", text, item=item)


# -- what a plugin is ------------------------------------------------------------------------


def test_hook_customs_schemes() -> None:
    class Paper(Probe):
        @hookimpl
        def customs_schemes(self) -> list[Scheme]:
            return [Scheme(name="paper", title="Paper", licence_schemes=("pims",))]

    class Coal:
        @hookimpl
        def customs_schemes(self) -> list[Scheme]:
            return [Scheme(name="coal", title="Coal", licence_schemes=("CIMS",))]

    engine = engine_with(Paper(), Coal())
    assert [s.name for s in engine.host.schemes] == ["coal", "paper"]  # collected, sorted
    assert engine.ctx.handled_schemes == frozenset({"PIMS", "CIMS"})

    class Broken:
        @hookimpl
        def customs_schemes(self) -> list[Scheme]:
            raise OSError("scheme data missing")

    with pytest.raises(PluginLoadError, match="scheme data missing") as exc:
        engine_with(Paper(), Broken())
    assert exc.value.plugin == "probe1"


def test_hook_customs_rules() -> None:
    class Other:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [RULE.model_copy(update={"id": "PROBE-CHK-002"})]

    host = engine_with(Probe(), Other()).host
    assert list(host.rules) == ["PROBE-CHK-001", "PROBE-CHK-002"]
    assert host.rule_owner == {"PROBE-CHK-001": "probe0", "PROBE-CHK-002": "probe1"}

    with pytest.raises(PluginClashError) as exc:
        engine_with(Probe(), Probe())
    assert exc.value.reason == "rule ID PROBE-CHK-001 is declared by both 'probe0' and 'probe1'"
    assert exc.value.plugins == ("probe0", "probe1")

    class Broken:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            raise RuntimeError("rules.toml missing")

    with pytest.raises(PluginLoadError, match=r"rules\.toml missing"):
        engine_with(Broken())


# -- format adapters -------------------------------------------------------------------------


class PaperFormat:
    """A toy wire format: ``PAPER <message id>`` per line, one Bill of Entry each."""

    def __init__(self) -> None:
        self.detect_calls: list[tuple[bytes, str]] = []
        self.configs: list[Any] = []

    @hookimpl
    def customs_detect_format(self, head: bytes, name: str) -> str | None:
        self.detect_calls.append((head, name))
        return "paper" if head.startswith(b"PAPER") else None

    @hookimpl
    def customs_parse(
        self, format: str, data: bytes, source: str, config: Any
    ) -> list[ParsedMessage] | None:
        if format != "paper":
            return None
        self.configs.append(config)
        return [
            ParsedMessage(
                index=n,
                format="paper",
                type="bill_of_entry",
                message=bill_of_entry(message_id=line.split()[1].decode()),
            )
            for n, line in enumerate(data.splitlines())
        ]

    @hookimpl
    def customs_write_messages(
        self, messages: Sequence[BillOfEntry | ImportGeneralManifest], format: str
    ) -> bytes | None:
        if format != "paper":
            return None
        return b"".join(f"PAPER {message.message_id}\n".encode() for message in messages)


class Silent:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def customs_detect_format(self, head: bytes, name: str) -> str | None:
        self.calls += 1
        return None


def test_hook_customs_detect_format() -> None:
    silent, paper = Silent(), PaperFormat()
    engine = engine_with(silent, paper)
    data = b"PAPER BE-1\n" + b"x" * 10_000
    assert engine.detect(data, "in/one.paper") == "paper"
    head, name = paper.detect_calls[0]
    assert head == data[:4096] and name == "in/one.paper"
    # first-non-None: the later-registered plugin answered, the earlier one was not asked
    assert silent.calls == 0
    assert engine.detect(b"<xml/>", "x.xml") is None
    assert silent.calls == 1
    [unknown] = engine.parse(b"<xml/>", "x.xml")
    assert unknown.type == "unknown" and unknown.findings[0].rule == "CORE-SYNTAX-001"


class PaperKinds(PaperFormat):
    @hookimpl
    def customs_message_kind(self, format: str, head: bytes) -> str | None:
        if format != "paper":
            return None
        return "manifest" if head.startswith(b"PAPER IGM") else "bill_of_entry"


def test_hook_customs_message_kind(tmp_path: Path) -> None:
    engine = engine_with(PaperKinds())
    assert engine.is_manifest(b"PAPER IGM-1\n", "a.paper")
    assert not engine.is_manifest(b"PAPER BE-1\n", "b.paper")
    assert not engine.is_manifest(b"<xml/>", "c.xml")  # no format: read with the rest
    for name, text in (
        ("a-be.paper", b"PAPER BE-1\n"),
        ("b-igm.paper", b"PAPER IGM-1\n"),
        ("c-be.paper", b"PAPER BE-2\n"),
    ):
        (tmp_path / name).write_bytes(text)
    order = [
        Path(f.name).name for f in iter_inputs([str(tmp_path)], is_manifest=engine.is_manifest)
    ]
    assert order == ["b-igm.paper", "a-be.paper", "c-be.paper"]


def test_hook_customs_parse() -> None:
    paper = PaperFormat()
    engine = engine_with(paper, config={"paper": {"strict": True}})
    responses = engine.validate_bytes(b"PAPER BE-1\nPAPER BE-2\n", "two.paper")
    assert [r.message.reference for r in responses] == ["BE-1", "BE-2"]
    assert [r.message.index for r in responses] == [0, 1]
    assert paper.configs == [{"paper": {"strict": True}}]

    class Crashing(PaperFormat):
        @hookimpl
        def customs_parse(
            self, format: str, data: bytes, source: str, config: Any
        ) -> list[ParsedMessage] | None:
            raise ValueError("bad byte")

    [response] = engine_with(Crashing()).validate_bytes(b"PAPER BE-1\n", "one.paper")
    finding = assert_finding(response, "CORE-PLUGIN-001", outcome="reject")
    assert "'probe0' failed in customs_parse: ValueError: bad byte" in finding.message


def test_hook_customs_write_messages() -> None:
    host = engine_with(PaperFormat()).host
    first, second = bill_of_entry(message_id="BE-9"), bill_of_entry(message_id="BE-10")
    assert (
        host.hook.customs_write_messages(messages=[first, second], format="paper")
        == b"PAPER BE-9\nPAPER BE-10\n"
    )
    assert host.hook.customs_write_messages(messages=[first], format="edifact") is None


# -- checks ------------------------------------------------------------------------------------


def test_hook_customs_check_bill_of_entry() -> None:
    seen: list[tuple[str, CheckContext]] = []

    class Checker(Probe):
        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
            seen.append((boe.message_id, ctx))
            return [query(f"line {i.number}", item=i.number) for i in boe.items]

    class Crashing:
        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
            raise KeyError("hs_code")

    class Undeclared:
        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
            return [
                Finding(rule="NOPE-001", scheme="x", outcome="info", message="m", reference="r")
            ]

    engine = engine_with(Checker(), Crashing(), Undeclared(), as_of=date(2026, 1, 1))
    response = engine.validate_message(bill_of_entry(item(), item()))
    # collected: both lines' findings, and the crash did not hide them
    assert_finding(response, "PROBE-CHK-001", item=1)
    assert_finding(response, "PROBE-CHK-001", item=2)
    crash = assert_finding(response, "CORE-PLUGIN-001", message_contains="'probe1'")
    assert "customs_check_bill_of_entry: KeyError" in crash.message
    undeclared = assert_finding(
        response, "CORE-PLUGIN-001", message_contains="NOPE-001, which no plugin declares"
    )
    assert "'probe2' failed in customs_check_bill_of_entry" in undeclared.message
    assert response.status == "rejected"
    assert seen[0][1].as_of == date(2026, 1, 1)
    engine.validate_message(manifest())
    assert len(seen) == 1  # not called for a manifest


def test_hook_customs_check_manifest() -> None:
    class Checker(Probe):
        @hookimpl
        def customs_check_manifest(self, manifest: ImportGeneralManifest) -> list[Finding]:
            return [query(f"{len(manifest.lines)} lines")]

    engine = engine_with(Checker())
    assert_finding(engine.validate_message(manifest()), "PROBE-CHK-001", message_contains="1 lines")
    assert_no_finding(engine.validate_message(bill_of_entry()), "PROBE-CHK-001")


class Fees:
    """Declares its own fee rule and charges it (or, with ``rule``, names another one)."""

    def __init__(self, own: str, rule: str | None = None, **fee: Any) -> None:
        self.own = RULE.model_copy(update={"id": own})
        self.fee = {
            "rule": rule or own,
            "scheme": "probe",
            "kind": "registration_fee",
            "amount": Decimal("500"),
            "item": 1,
            "basis": "flat",
            **fee,
        }

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return [self.own]

    @hookimpl
    def customs_fees(self, boe: BillOfEntry) -> list[Fee]:
        return [Fee(**self.fee)]


def test_hook_customs_fees() -> None:
    response = engine_with(Fees("PROBE-FEE-001"), Fees("PROBE-FEE-002")).validate_message(
        bill_of_entry()
    )
    assert len(response.fees) == 2  # collected from both plugins
    assert response.to_json_dict()["fees"][0]["amount"] == "500.00"
    assert response.status == "accepted"  # fees are not findings


@pytest.mark.parametrize(
    ("plugin", "problem"),
    [
        (Fees("PROBE-FEE-002", rule="PROBE-FEE-001"), "PROBE-FEE-001, which plugin 'probe0'"),
        (Fees("PROBE-FEE-002", scheme="core"), "says scheme 'core'; the rule's scheme is"),
        (Fees("PROBE-FEE-002", amount=Decimal("-5")), "fee of rule PROBE-FEE-002 is negative"),
    ],
    ids=["another-plugins-rule", "another-scheme", "negative"],
)
def test_a_fee_must_be_the_plugins_own_and_not_negative(plugin: Fees, problem: str) -> None:
    response = engine_with(Fees("PROBE-FEE-001"), plugin).validate_message(bill_of_entry())
    failure = assert_finding(response, "CORE-PLUGIN-001", message_contains=problem)
    assert "plugin 'probe1' failed in customs_fees" in failure.message
    assert [fee.rule for fee in response.fees] == ["PROBE-FEE-001"]  # the bad one is not charged
    assert response.status == "rejected"


@pytest.mark.parametrize(
    ("finding", "problem"),
    [
        ({"rule": "PROBE-CHK-001"}, "PROBE-CHK-001, which plugin 'probe0' declares"),
        ({"scheme": "core"}, "says scheme 'core'"),
        ({"reference": " "}, "has no message or no legal reference"),
        ({"outcome": "hold"}, "not declared with the outcome 'hold'"),
    ],
    ids=[
        "another-plugins-rule",
        "another-scheme",
        "no-reference",
        "undeclared-outcome",
    ],
)
def test_a_finding_must_name_the_plugins_own_rule_as_declared(
    finding: dict[str, Any], problem: str
) -> None:
    own = RULE.model_copy(update={"id": "PROBE-CHK-002"})

    class Spoofer:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [own]

        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
            fields = {
                "rule": own.id,
                "scheme": "probe",
                "outcome": "query",
                "message": "m",
                "reference": own.reference,
                **finding,
            }
            return [Finding(**fields)]

    response = engine_with(Probe(), Spoofer()).validate_message(bill_of_entry())
    failure = assert_finding(response, "CORE-PLUGIN-001", message_contains=problem)
    assert "plugin 'probe1' failed in customs_check_bill_of_entry" in failure.message
    assert_no_finding(response, finding.get("rule", own.id))


def test_a_finding_may_cite_a_more_precise_reference_than_its_rule() -> None:
    """The rule's reference is what ``rule.finding(...)`` fills in; a plugin may cite the
    paragraph that applies to this case instead."""
    own = RULE.model_copy(update={"id": "PROBE-CHK-002"})

    class Precise:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [own]

        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
            return [own.finding("query", "m").model_copy(update={"reference": "Probe Act s.9(2)"})]

    response = engine_with(Probe(), Precise()).validate_message(bill_of_entry())
    assert_no_finding(response, "CORE-PLUGIN-001")
    [finding] = [f for f in response.findings if f.rule == own.id]
    assert finding.reference == "Probe Act s.9(2)"


def test_hook_customs_authorisations() -> None:
    class Claims(Probe):
        @hookimpl
        def customs_authorisations(self, boe: BillOfEntry) -> list[AuthorisationClaim]:
            return [
                AuthorisationClaim(
                    scheme="PROBE",
                    number="A-1",
                    item=i.number,
                    quantity=i.quantity,
                    unit=i.unit,
                    shortfall_rule=RULE.id,
                )
                for i in boe.items
            ]

    limit = authorisation("PROBE", "A-1", quantity=10, unit="KGS")
    engine = engine_with(Claims(), records=[limit])
    first = engine.validate_message(bill_of_entry(item(quantity=6), message_id="BE-1"))
    assert [(u.debited_quantity, u.remaining_quantity) for u in first.authorisations] == [
        (Decimal(6), Decimal(4))
    ]
    second = engine.validate_message(bill_of_entry(item(quantity=6), message_id="BE-2"))
    shortfall = assert_finding(second, RULE.id, outcome="reject", item=1)
    assert "has 4 KGS" in shortfall.message
    assert second.authorisations[0].debited_quantity == 0  # never a partial debit


def test_hook_customs_routing() -> None:
    class Group5:
        @hookimpl
        def customs_routing(self, boe: BillOfEntry) -> Routing:
            return Routing(nac="INBOM4", group="5")

    class Group7:
        @hookimpl
        def customs_routing(self, boe: BillOfEntry) -> Routing | None:
            return Routing(nac="INMAA1", group="7") if boe.port_code == "INMAA1" else None

    engine = engine_with(Group5(), Group7())
    assert engine.validate_message(bill_of_entry()).routing == Routing(nac="INBOM4", group="5")
    at_chennai = engine.validate_message(bill_of_entry(port_code="INMAA1"))
    assert at_chennai.routing == Routing(nac="INMAA1", group="7")  # first non-None wins


def test_hook_customs_check_in_sequence() -> None:
    class Sequence(Probe):
        @hookimpl
        def customs_check_in_sequence(
            self, message: BillOfEntry | ImportGeneralManifest, run: RunState
        ) -> list[Finding | Fee] | None:
            if not isinstance(message, BillOfEntry):
                return None
            earlier = run.prior_uses("PROBE", "R-1", excluding=message.message_id)
            out: list[Finding | Fee] = [
                Fee(rule=RULE.id, scheme="probe", kind="k", amount=Decimal(1), basis="b")
            ]
            if earlier:
                out.append(query(f"R-1 already used by {', '.join(earlier)}"))
            return out

    quoting = item(licences=[licence("PROBE", "R-1")])
    engine = engine_with(Sequence())
    first = engine.validate_message(bill_of_entry(quoting, message_id="BE-1"))
    second = engine.validate_message(bill_of_entry(quoting, message_id="BE-2"))
    assert_no_finding(first, RULE.id)
    assert_fee(first, RULE.id, 1)  # a Fee goes to fees, a Finding to findings
    assert_finding(second, RULE.id, message_contains="already used by BE-1")


def test_hook_customs_resolve_message() -> None:
    class Whole:
        @hookimpl
        def customs_resolve_message(
            self, parsed: ParsedMessage, run: RunState
        ) -> ImportGeneralManifest | None:
            partial = parsed.message
            if not isinstance(partial, ImportGeneralManifest) or partial.function != "amendment":
                return None
            current = run.manifest(partial.igm_number or "")
            assert current is not None
            return current.model_copy(
                update={"function": partial.function, "lines": current.lines + partial.lines}
            )

    engine = engine_with(Whole())
    original = manifest(message_id="IGM-1")
    engine.validate_message(original)
    added = manifest(message_id="PART-1", function="amendment")
    added.lines[0].line = 99
    response = engine.validate_message(added)
    assert response.message.reference == "IGM-1"  # the document it amends
    noted = engine.run.manifest(original.igm_number or "")
    assert noted is not None and [ln.line for ln in noted.lines] == [1, 99]
    # nobody resolves: the message is taken as it came
    plain = engine_with()
    plain.validate_message(original)
    assert plain.validate_message(added).message.reference == "PART-1"


def test_hook_customs_rate_date() -> None:
    class RateDate:
        @hookimpl
        def customs_rate_date(self, boe: BillOfEntry, run: RunState) -> date:
            return boe.presented_on

    response = engine_with(RateDate()).validate_message(bill_of_entry(presented_at="2026-03-09"))
    assert response.rate_date == date(2026, 3, 9)
    assert engine_with().validate_message(bill_of_entry()).rate_date is None


# -- output ------------------------------------------------------------------------------------


class Writer:
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, response: Response) -> None:
        self.stream.write(f"{response.message.reference}:{response.status}\n".encode())

    def close(self) -> None:
        self.stream.write(b"end\n")


class Output:
    @hookimpl
    def customs_output_formats(self) -> list[str]:
        return ["paper-report"]

    @hookimpl
    def customs_response_writer(self, format: str, stream: Any) -> Writer | None:
        return Writer(stream) if format == "paper-report" else None


def test_hook_customs_output_formats() -> None:
    class Json:
        @hookimpl
        def customs_output_formats(self) -> list[str]:
            return ["json"]

    assert engine_with(Output(), Json()).host.output_formats() == ["json", "paper-report"]

    class Shadowing(Json):
        @hookimpl
        def customs_output_formats(self) -> list[str]:
            return ["paper-report"]

    # a name two plugins claim would silently shadow one of them: refused at load
    with pytest.raises(PluginClashError, match="'paper-report' is registered by both"):
        engine_with(Output(), Shadowing())


def test_hook_customs_response_writer() -> None:
    engine = engine_with(Output(), PaperFormat())
    stream = io.BytesIO()
    writer = engine.host.hook.customs_response_writer(format="paper-report", stream=stream)
    summary = run(engine, [InputFile("a.paper", b"PAPER BE-1\nPAPER BE-2\n")], writer)
    assert stream.getvalue() == b"BE-1:accepted\nBE-2:accepted\nend\n"
    assert summary.messages == 2
    assert engine.host.hook.customs_response_writer(format="xml", stream=stream) is None


# -- formats as records ------------------------------------------------------------------------


def paper_record(name: str = "paper", *, title: str = "a paper list") -> WireFormat:
    def detect(head: bytes, name: str) -> bool:
        return head.startswith(b"PAPER")

    def read(data: bytes, source: str, config: Any) -> list[ParsedMessage]:
        return [
            ParsedMessage(
                index=n,
                format=name,
                type="bill_of_entry",
                message=bill_of_entry(message_id=line.split()[1].decode()),
            )
            for n, line in enumerate(data.splitlines())
        ]

    def write(messages: Sequence[BillOfEntry | ImportGeneralManifest]) -> bytes:
        return b"".join(f"PAPER {message.message_id}\n".encode() for message in messages)

    return WireFormat(name=name, title=title, detect=detect, read=read, write=write)


class PaperRecords:
    @hookimpl
    def customs_wire_formats(self) -> list[WireFormat]:
        return [paper_record()]


def test_hook_customs_wire_formats() -> None:
    engine = engine_with(PaperRecords())
    assert list(engine.host.wire_formats) == ["paper"]
    responses = engine.validate_bytes(b"PAPER BE-1\nPAPER BE-2\n", "two.paper")
    assert [(r.message.format, r.message.reference) for r in responses] == [
        ("paper", "BE-1"),
        ("paper", "BE-2"),
    ]
    assert engine.host.write_messages([bill_of_entry(message_id="BE-9")], "paper") == (
        b"PAPER BE-9\n"
    )
    # the "not recognised" message names the loaded formats, never a hand-written list
    [unknown] = engine.validate_bytes(b"%PDF-1.7", "x.pdf")
    assert "format not recognised (expected a paper list)" in unknown.findings[0].message

    class Broken:
        @hookimpl
        def customs_wire_formats(self) -> list[WireFormat]:
            def detect(head: bytes, name: str) -> bool:
                raise ValueError("cannot sniff")

            return [
                WireFormat(
                    name="broken", title="t", detect=detect, read=lambda data, source, config: []
                )
            ]

    [response] = engine_with(PaperRecords(), Broken()).validate_bytes(b"PAPER BE-1\n", "x")
    failure = assert_finding(response, "CORE-PLUGIN-001", message_contains="'probe1'")
    assert "broken.detect: ValueError: cannot sniff" in failure.message
    assert response.message.reference == "BE-1"  # the paper format still read it


def test_a_wire_format_registered_twice_is_refused_naming_both_plugins() -> None:
    with pytest.raises(PluginClashError) as info:
        engine_with(PaperRecords(), PaperRecords())
    assert info.value.plugins == ("probe1", "probe0")  # (pluggy asks the last one first)
    assert str(info.value) == (
        "plugin clash: wire format 'paper' is registered by both 'probe0' and 'probe1'"
    )

    class XmlAgain:
        @hookimpl
        def customs_wire_formats(self) -> list[WireFormat]:
            return [dataclasses.replace(paper_record("other_xml"), convert_name="xml")]

    with pytest.raises(
        PluginClashError,
        match=r"convert target 'xml' is written by both 'icegate_xml' \(format 'icegate_xml'\) "
        r"and 'xml2' \(format 'other_xml'\)",
    ):
        make_engine(only=["icegate_xml"], extra=[("xml2", XmlAgain())])


def test_hook_customs_response_formats() -> None:
    class Records:
        @hookimpl
        def customs_response_formats(self) -> list[ResponseFormat]:
            return [ResponseFormat(name="paper-report", title="t", writer=Writer)]

    engine = engine_with(Records(), PaperRecords())
    assert engine.host.output_formats() == ["paper-report"]
    stream = io.BytesIO()
    writer = engine.host.response_writer("paper-report", stream)
    assert writer is not None
    run(engine, [InputFile("a.paper", b"PAPER BE-1\n")], writer)
    assert stream.getvalue() == b"BE-1:accepted\nend\n"
    with pytest.raises(PluginClashError, match="response format 'paper-report' is registered by"):
        engine_with(Records(), Output())


def test_rule_fee_builds_an_exact_fee_of_its_rule() -> None:
    fee = RULE.fee("registration_fee", "500", basis="flat", item=1)
    assert (fee.rule, fee.scheme, fee.amount, fee.currency) == (
        RULE.id,
        "probe",
        Decimal(500),
        "INR",
    )
    with pytest.raises(ValueError, match="not float"):
        RULE.fee("registration_fee", 1.5, basis="flat")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not float"):
        Fee(rule=RULE.id, scheme="probe", kind="k", amount=0.1, basis="b")  # type: ignore[arg-type]
