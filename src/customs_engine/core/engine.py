"""The pipeline: bytes → adapter → canonical model → checks → ledger → Response.

:meth:`Engine.assess` is the stateless half (parse-independent, safe in worker processes);
:meth:`Engine.complete` is the stateful half, applied in input order: in-sequence checks, claims
against the ledger, then :meth:`RunState.commit` (a no-op unless the run commits, ``--commit``).
Bills of Entry are valued (:mod:`customs_engine.core.valuation`) before any check sees them.
:meth:`Engine.validate_bytes` does both for one file.
"""

from __future__ import annotations

import dataclasses
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from customs_engine import __version__
from customs_engine.core.check_context import CheckContext, ContextGuard, Memo, one_message
from customs_engine.core.checks.arrival import noted_by_bl, noted_manifest
from customs_engine.core.checks.catalogue import RULES as CORE_RULES
from customs_engine.core.checks.licences import check_unrecorded_claims
from customs_engine.core.checks.lifecycle import as_rejected, igm_cancellation_finding
from customs_engine.core.formats import SYNTAX_RULES, ParsedMessage, Unapplied, unparsable
from customs_engine.core.ledger.run_state import (
    BOND,
    ClaimResult,
    LedgerError,
    RunState,
    Shortfall,
    bond_parts,
    message_key,
)
from customs_engine.core.ledger.run_view import AsItStood, ReadOnlyRun
from customs_engine.core.ledger.units import convert
from customs_engine.core.models import (
    MAX_MAGNITUDE,
    BillOfEntry,
    BillOfEntryType,
    Function,
    ImportGeneralManifest,
)
from customs_engine.core.money import inr
from customs_engine.core.plugin_host import (
    STOPS_THE_RUN,
    FirstResult,
    ImplCall,
    PluginHost,
    answer_problem,
)
from customs_engine.core.response import (
    AuthorisationClaim,
    Credit,
    DocumentInfo,
    EngineInfo,
    Fee,
    Finding,
    MessageInfo,
    MessageType,
    Response,
    Routing,
)
from customs_engine.core.valuation import notified_currencies, value_bill_of_entry

HEAD_SIZE = 4096
#: a file of nothing but these bytes holds no message
_BLANK = re.compile(rb"[ \t\r\n\x00\xef\xbb\xbf]*")
PLUGIN_ERROR_RULE = "CORE-PLUGIN-001"
#: the plugins that see a cancellation: only the core (it credits back; no scheme checks it)
CANCELLATION_PLUGINS = ("core",)
PLUGIN_ERROR_REFERENCE = (
    "customs-engine fail-closed policy: a missing or failing scheme must never read as clear"
)


class Assessment(BaseModel):
    """What the stateless checks said about one parsed message (picklable)."""

    model_config = ConfigDict(frozen=True)

    findings: list[Finding] = Field(default_factory=list)
    fees: list[Fee] = Field(default_factory=list)
    claims: list[AuthorisationClaim] = Field(default_factory=list)
    routing: Routing | None = None
    #: the message the checks saw, when it differs from the parsed one (valued, see valuation.py)
    message: BillOfEntry | ImportGeneralManifest | None = None
    #: the submission key of the parsed message (``ledger.message_key``), computed here, off the
    #: in-order path, before any plugin saw the message
    key: str | None = None
    #: the message as the plugins were given it (its JSON): a plugin must not change it
    given: bytes | None = None


class Engine:
    """Runs messages through the loaded plugins with one run's settings and state."""

    def __init__(
        self, host: PluginHost, ctx: CheckContext | None = None, run: RunState | None = None
    ):
        self.host = host
        base = ctx or CheckContext()
        self.ctx = CheckContext(
            registry=base.registry,
            as_of=base.as_of,
            config=base.config,
            handled_schemes=host.handled_licence_schemes(),
        )
        #: the context as the run began: a plugin that forces a change on it (it is shared by
        #: every check and message) is found out after its hook call, and the context put back
        self._guard = ContextGuard(self.ctx)
        self._after = _left_intact(self._guard)
        #: the same for the one other context hooks may be given (an amendment's, valued_on)
        self._other: tuple[ContextGuard, Callable[[ImplCall], ImplCall]] | None = None
        self.run = run or RunState()
        #: what hooks see of the run: its read methods, never apply_claims or commit
        self.view = ReadOnlyRun(self.run)
        #: the message last assessed and what its stateless hooks worked out (see assess)
        self._last_memo: tuple[object, Memo | None] = (None, None)
        #: (plugin, rule, scheme, outcome) → why such a finding or fee is refused (None: fine)
        self._declared: dict[tuple[str, str, str, str | None], object] = {}
        self.engine_info = EngineInfo(
            version=__version__, as_of=self.ctx.as_of, plugins=host.versions()
        )

    # -- parsing -------------------------------------------------------------------------------

    def detect(self, data: bytes, source: str) -> str | None:
        return self._detect(data, source)[0]

    def _detect(self, data: bytes, source: str) -> tuple[str | None, list[Finding]]:
        """The detected format and the failures of plugins that raised while detecting."""
        answer = self.host.detect_format(data[:HEAD_SIZE], source)
        failures = self._failures(answer.failures)
        if answer.result is None or isinstance(answer.result, str):
            return answer.result, failures
        wrong = TypeError(f"returned {_shown(answer.result)}, not a format name")
        return None, [
            *failures,
            self._plugin_failure("customs_detect_format", wrong, answer.plugin or "?"),
        ]

    def is_manifest(self, head: bytes, name: str) -> bool:
        """Whether a file starting with ``head`` holds a manifest (for the reading order)."""
        fmt = self.detect(head, name)
        if fmt is None:
            return False
        # a plugin failing here only moves the file to the second group: parsing reports it
        answer = self.host.call_first(
            "customs_message_kind", format=fmt, head=head[:HEAD_SIZE], name=name
        )
        return answer.result == "manifest"

    def parse(self, data: bytes, source: str) -> list[ParsedMessage]:
        """Every message of one file; unreadable input becomes an ``unknown`` message.

        A plugin that fails while detecting or parsing is reported on every message of the file
        as ``CORE-PLUGIN-001`` (the file was not fully checked); it never escapes as an exception.
        """
        return list(self.messages(data, source))

    def messages(self, data: bytes, source: str) -> Iterator[ParsedMessage]:
        """:meth:`parse`, one message at a time: a format whose ``read`` returns an iterator
        (EDIFACT) hands each message on before it reads the next, so a large file is never held
        parsed whole. A plugin whose iterator raises after some messages were handed on is
        reported as ``CORE-PLUGIN-001`` on one more message, of type ``unknown``."""
        if _BLANK.fullmatch(data):  # (no stripped copy of a large file)
            yield unparsable("unknown", "empty file: no message found", line=1, column=1)
            return
        fmt, failures = self._detect(data, source)
        if fmt is None:
            expected = _one_of(self.host.format_titles())
            parsed: Iterable[ParsedMessage] = [
                unparsable(
                    "unknown",
                    f"format not recognised{f' (expected {expected})' if expected else ''}",
                    line=1,
                    column=1,
                )
            ]
        else:
            answer = self.host.read_format(fmt, data, source, self.ctx.config)
            failures += self._failures(answer.failures)
            parsed = self._iterated(fmt, answer, failures)
        for message in parsed:
            if failures:
                message = message.model_copy(update={"findings": [*failures, *message.findings]})
            yield message

    def _iterated(
        self, fmt: str, answer: FirstResult, failures: list[Finding]
    ) -> Iterator[ParsedMessage]:
        """A format plugin's messages (a list, or an iterator); a failure while iterating, or
        something that is not a message, ends them with an ``unknown`` message that names it."""
        hook = f"{fmt}.read" if fmt in self.host.wire_formats else "customs_parse"
        count = 0
        result = answer.result
        wrong: BaseException | None = None
        if isinstance(result, str | bytes | BaseModel) or not isinstance(result, Iterable | None):
            wrong = TypeError(f"returned {_shown(result)}, not a list of ParsedMessage")
            result = None
        # a third party's findings may have been built without validation (model_construct)
        trusted = answer.plugin is None or self.host.is_builtin(answer.plugin)
        messages: Iterator[Any] | None = None
        while wrong is None:
            try:  # the plugin's code only: a GeneratorExit at this generator's own yield (its
                # consumer closing it) must end it, never be taken for the plugin's failure
                messages = iter(result or ()) if messages is None else messages
                message = next(messages)
                if not isinstance(message, ParsedMessage):
                    wrong = TypeError(f"gave {_shown(message)}, not a ParsedMessage")
                    break
                invalid = None if trusted else _findings_problem(message)
                if invalid is not None:
                    wrong = ValueError(invalid)
                    break
            except StopIteration:
                break
            except (LedgerError, *STOPS_THE_RUN):
                raise
            except BaseException as exc:  # isolated: reported against the plugin, like a call
                wrong = exc
                break
            yield message
            count += 1
        if wrong is not None:
            failure = self._plugin_failure(hook, wrong, answer.plugin or fmt)
            yield ParsedMessage(index=count, format=fmt, type="unknown", findings=[failure])
            return
        if count:
            return
        if failures:
            yield ParsedMessage(index=0, format=fmt, type="unknown")
        else:
            yield unparsable(fmt, f"no {fmt} adapter could read this file")

    # -- stateless checks ----------------------------------------------------------------------

    def assess(self, parsed: ParsedMessage) -> Assessment:
        with one_message() as memo:
            assessment = self._assess(parsed)
        # kept for the in-sequence hooks when the message is completed next, in this process
        self._last_memo = (parsed.message, memo)
        return assessment

    def _assess(self, parsed: ParsedMessage, ctx: CheckContext | None = None) -> Assessment:
        ctx = ctx or self.ctx
        # changed since the last hook call (while reading, say): put back before any check
        findings: list[Finding] = self._context_failures()
        original = message = parsed.message
        if original is None or message is None:
            return Assessment(findings=findings)
        key = message_key(original)
        fees: list[Fee] = []
        claims: list[AuthorisationClaim] = []
        routing: Routing | None = None
        valued = None
        given: bytes | None = None
        if message.function == Function.CANCELLATION:
            pass  # a cancellation withdraws the document: nothing of it is checked or claimed
        elif isinstance(message, BillOfEntry):
            valued = value_bill_of_entry(message, ctx.registry, ctx.valuation_date(message))
            message = valued
            given = _as_given(message)
            findings += self._collect("customs_check_bill_of_entry", boe=message, ctx=ctx)
            for fee in self._collect("customs_fees", boe=message, ctx=ctx):
                (findings if isinstance(fee, Finding) else fees).append(fee)
            for part in self._collect("customs_authorisations", boe=message, ctx=ctx):
                (findings if isinstance(part, Finding) else claims).append(part)
            findings += check_unrecorded_claims(message, claims, ctx)
            routing, failures = self._first(Routing, "customs_routing", boe=message, ctx=ctx)
            findings += failures
        else:
            given = _as_given(message)
            findings += self._collect("customs_check_manifest", manifest=message, ctx=ctx)
        return Assessment(
            findings=findings,
            fees=fees,
            claims=claims,
            routing=routing,
            message=valued if valued is not parsed.message else None,
            key=key,
            given=given if message.function != Function.CANCELLATION else None,
        )

    # -- stateful completion, in input order -------------------------------------------------------

    def complete(self, parsed: ParsedMessage, assessment: Assessment, source: str) -> Response:
        """The message's response, after its in-order steps; :class:`LedgerError` (naming the
        message) when the ledger's database fails — the run cannot go on."""
        reference = parsed.message.message_id if parsed.message else parsed.reference
        named = f"{source}, message {parsed.index + 1}{f' ({reference})' if reference else ''}"
        failed = False
        try:
            return self._complete(parsed, assessment, source)
        except LedgerError as exc:
            failed = True
            raise LedgerError(f"{named}: {exc}") from exc
        except BaseException:
            failed = True
            raise
        finally:
            try:
                self.run.message_done()
            except LedgerError as exc:
                # the message's reads end on a connection that may be dead by now: a failure
                # there must not hide the one that stopped the message (nor its name)
                if not failed:
                    raise LedgerError(f"{named}: {exc}") from exc

    def _complete(self, parsed: ParsedMessage, assessment: Assessment, source: str) -> Response:
        assessment = self._valued_as_first_presented(parsed, assessment)
        message = assessment.message or parsed.message
        findings = list(parsed.findings) + list(assessment.findings) + self._context_failures()
        fees = list(assessment.fees)
        uses = []
        credits: list[Credit] = []
        rate_date = None
        whole, failures = self._first(
            BillOfEntry | ImportGeneralManifest | Unapplied,
            "customs_resolve_message",
            parsed=parsed,
            run=self.view,
        )
        findings += failures
        if isinstance(whole, Unapplied):
            whole = self._resent(parsed, whole)
        # a partial amendment that does not fit its document: answered, never filed
        unapplied = isinstance(whole, Unapplied)
        if isinstance(whole, Unapplied):
            findings += whole.findings
            whole = whole.message
        assessed_message = message
        message = whole if whole is not None else message
        if isinstance(message, ImportGeneralManifest):
            message = self._cancelled_document(message)
        given = (
            assessment.given
            if message is assessed_message
            else _as_given(message)
            if message is not None and message.function != Function.CANCELLATION
            else None
        )
        if message is not None:
            key = assessment.key or message_key(parsed.message or message)
            # an unapplied partial amendment is no submission (it is never filed): even when the
            # version it is answered as equals a filed one, it is checked against the document as
            # it stands, not replayed against the version before
            self.run.current_key = None if unapplied else key
            only = CANCELLATION_PLUGINS if message.function == Function.CANCELLATION else None
            assessed, memo = self._last_memo
            with one_message(memo if assessed is parsed.message else None):
                in_sequence = self._collect(
                    "customs_check_in_sequence",
                    only=only,
                    message=message,
                    ctx=self.ctx,
                    run=self.view,
                )
            self._last_memo = (None, None)
            for part in in_sequence:
                (fees if isinstance(part, Fee) else findings).append(part)
            claims: list[AuthorisationClaim] = []
            if isinstance(message, BillOfEntry):
                if message.function != Function.CANCELLATION:
                    rate_date, failures = self._first(
                        date, "customs_rate_date", boe=message, ctx=self.ctx, run=self.view
                    )
                    findings += failures
                claims = list(assessment.claims)
            if given is not None and _as_given(message) != given:
                # fail closed: what was checked is not what was given; the message goes on as
                # it came (in the response and, rejected, nowhere else). What the checks said
                # of the changed message is not reported (it may name a licence the importer
                # never quoted): only how it was read and what failed
                kind = type(message)
                findings = [
                    finding for finding in findings if finding.rule in _KEPT_WHEN_CHANGED
                ] + [_changed_by_a_plugin(self._changer(kind, given))]
                fees, claims = [], []
                message = kind.model_validate_json(given)
            findings = self._checked(findings)
            # a rejected message cannot proceed: it is not filed, so it debits and credits
            # nothing, uses none of its licences, is not known to later messages and is not
            # committed
            filed = not any(finding.outcome == "reject" for finding in findings)
            # a partial amendment (no document of its own) is filed only as the new version of
            # a known document: left partial, it is answered but its own lines are no document
            if unapplied or (parsed.message is None and self.run.replaces(message) is None):
                filed = False
            result = self.run.apply_claims(
                key,
                claims,
                self.ctx.registry,
                filed=filed,
                message=message,
                noted_manifest=self._noted_manifest(message, findings),
            )
            if filed and not result.shortfalls and result.conflict is None:
                if not result.replayed:
                    self._remember(message)
                # --commit: persist the completed message; a failed balance re-check under
                # lock comes back as shortfalls with nothing debited
                result = self.run.commit(key, message, result) or result
                findings = _as_voided(findings, message, result)
            uses = result.uses
            credits = result.credits if not result.replayed else self._credited_before(key, message)
            findings += self._shortfall_findings(result.shortfalls, findings)
            findings += self._conflict_findings(result)
            if any(finding.outcome == "reject" for finding in findings):
                # a rejected amendment or cancellation took no effect: neither its fee nor a
                # finding saying it replaced, credited back or voided anything
                findings, fees = as_rejected(findings, fees, message, self.run)
        if message is None:
            findings = self._checked(findings)
        return Response(
            message=MessageInfo(
                source=source,
                index=parsed.index,
                format=parsed.format,
                type=parsed.type,
                reference=message.message_id if message else parsed.reference,
                function=message.function if message else None,
                echo=parsed.echo,
            ),
            document=_document(message),
            findings=sorted(findings, key=_finding_order),
            fees=sorted(fees, key=lambda f: (f.item is not None, f.item or 0)),
            authorisations=uses,
            credited=credits,
            routing=assessment.routing,
            rate_date=rate_date,
            engine=self.engine_info,
        )

    def _valued_as_first_presented(
        self, parsed: ParsedMessage, assessment: Assessment
    ) -> Assessment:
        """An amendment restates a Bill of Entry already presented: its goods are valued at the
        CBIC-notified rates in force when the document was first presented (s.14), not on the
        day the amendment is made. Its stateless checks are made again on those rates, here in
        input order, when they differ from the rates of its own date (only then: the first
        presentation is known from the ledger, which the stateless stage does not read)."""
        boe = parsed.message
        if (
            not isinstance(boe, BillOfEntry)
            or boe.function != Function.AMENDMENT
            or self.ctx.as_of is not None
        ):
            return assessment
        currencies = notified_currencies(boe)
        if not currencies:
            return assessment
        first = self.run.first_presented(boe.message_id)
        if first is None or first == boe.presented_on:
            return assessment
        registry = self.ctx.registry

        def rate(currency: str, on: date) -> Decimal | None:
            notified = registry.exchange_rate(currency, on)
            return notified.rate if notified is not None else None

        if all(rate(c, first) == rate(c, boe.presented_on) for c in sorted(currencies)):
            return assessment
        with one_message() as memo:
            again = self._assess(parsed, dataclasses.replace(self.ctx, valued_on=first))
        self._last_memo = (parsed.message, memo)
        return again

    def _changer(
        self, kind: type[BillOfEntry] | type[ImportGeneralManifest], given: bytes
    ) -> str | None:
        """Which plugin and hook changed a message (``'x' in customs_fees``), found only once a
        change is seen (rare; comparing after every call would cost every message): each hook
        that is given the message is called again, plugin by plugin, on a fresh copy, until
        one changes it. ``None`` when none does so again (a change made only sometimes)."""
        for hook_name, argument in _GIVEN_THE_MESSAGE:
            if kind is ImportGeneralManifest and argument == "boe":
                continue
            if kind is BillOfEntry and argument == "manifest":
                continue
            for impl in getattr(self.host.pm.hook, hook_name).get_hookimpls():
                copy = kind.model_validate_json(given)
                offered = {argument: copy, "ctx": self.ctx, "run": self.view}
                try:
                    impl.function(**{name: offered[name] for name in impl.argnames})
                except STOPS_THE_RUN:
                    raise
                except BaseException:  # its failure was reported already
                    pass
                if _as_given(copy) != given:
                    return f"{impl.plugin_name!r} in {hook_name}"
        return None

    def _resent(
        self, parsed: ParsedMessage, unapplied: Unapplied
    ) -> BillOfEntry | ImportGeneralManifest | Unapplied:
        """A partial amendment that does not fit its document as it stands may be the very one
        that made it so, sent again (a retry after a crash, a file dropped twice): it is when,
        built on the version its document's current version replaced, it gives that current
        version exactly. Its whole document is then that version (the same submission: the
        engine replays it as it was answered, and files nothing again); else it stays
        unapplied."""
        message = unapplied.message
        current = self.run.document(message.message_id)
        if current is None or current.function != Function.AMENDMENT:
            return unapplied
        replaced = self.run.replayed(current.key, message.message_id)
        before = replaced.before.model() if replaced and replaced.before else None
        if not isinstance(before, ImportGeneralManifest) or before.message_id != current.message_id:
            return unapplied
        again, failures = self._first(
            BillOfEntry | ImportGeneralManifest | Unapplied,
            "customs_resolve_message",
            parsed=parsed,
            run=ReadOnlyRun(AsItStood(self.view, before)),
        )
        if (
            not failures
            and isinstance(again, ImportGeneralManifest)
            and message_key(again) == current.key
        ):
            return again
        return unapplied

    def _credited_before(
        self, key: str, message: BillOfEntry | ImportGeneralManifest
    ) -> list[Credit]:
        """What a re-submitted amendment or cancellation credited back when it was accepted
        (a replay credits nothing again, but says what it did)."""
        if message.function == Function.ORIGINAL:
            return []
        replayed = self.run.replayed(key, message.message_id)
        return [] if replayed is None else list(replayed.credits)

    def _noted_manifest(
        self, message: BillOfEntry | ImportGeneralManifest, findings: list[Finding]
    ) -> str | None:
        """The manifest (message id) a Bill of Entry is noted against, when it is known: by its
        IGM number, or by its B/L while the manifest has no IGM number (``CORE-BOE-NOTE-006``).
        Kept with the BoE's version, so that cancelling that manifest voids it, and cancelling
        another one that has (or had) its number does not."""
        if not isinstance(message, BillOfEntry) or message.type == BillOfEntryType.EX_BOND:
            return None
        if any(finding.rule == "CORE-BOE-NOTE-006" for finding in findings):
            manifest = noted_by_bl(message, self.run)
        elif message.manifest is not None and message.manifest.igm_number:
            manifest = noted_manifest(message, self.run)
        else:
            return None
        return manifest.message_id if manifest is not None else None

    def _cancelled_document(self, igm: ImportGeneralManifest) -> ImportGeneralManifest:
        """An IGM cancellation names its document by message id: it cancels that document's
        IGM number (which it may leave out, ICES having allotted it), not the one it carries."""
        replaced = self.run.replaces(igm) if igm.function == Function.CANCELLATION else None
        live = replaced.model() if replaced is not None else None
        if not isinstance(live, ImportGeneralManifest) or (live.igm_number, live.igm_date) == (
            igm.igm_number,
            igm.igm_date,
        ):
            return igm
        return igm.model_copy(update={"igm_number": live.igm_number, "igm_date": live.igm_date})

    def _remember(self, message: BillOfEntry | ImportGeneralManifest) -> None:
        if isinstance(message, ImportGeneralManifest):
            self.run.remember_manifest(message)
        elif message.function != Function.CANCELLATION:
            self.run.remember_uses(message)

    @staticmethod
    def _conflict_findings(result: ClaimResult) -> list[Finding]:
        """The store found, under the document's lock, that the message no longer fits the
        document's state (another committer got there first)."""
        if result.conflict is None:
            return []
        rule, text = result.conflict
        return [CORE_RULES[rule].finding("reject", text, field="function")]

    # -- one-shot helpers ------------------------------------------------------------------------

    def validate_message(
        self,
        message: BillOfEntry | ImportGeneralManifest,
        *,
        source: str = "<api>",
        format: str = "model",
    ) -> Response:
        """Check a canonical message built in Python (API and test fixtures)."""
        kind: MessageType = "bill_of_entry" if isinstance(message, BillOfEntry) else "manifest"
        parsed = ParsedMessage(
            index=0, format=format, type=kind, reference=message.message_id, message=message
        )
        return self.complete(parsed, self.assess(parsed), source)

    def validate_bytes(self, data: bytes, source: str) -> list[Response]:
        return [self.complete(p, self.assess(p), source) for p in self.parse(data, source)]

    # -- internals --------------------------------------------------------------------------------

    def _collect(
        self, hook_name: str, *, only: tuple[str, ...] | None = None, **kwargs: Any
    ) -> list[Any]:
        """Call a collected hook plugin by plugin, so one failing plugin is reported by name.

        ``only`` names the plugins allowed to see the message (a cancellation: the core).
        An authorisation claim naming a shortfall rule that cannot be reported (undeclared, or
        declared without the outcome ``reject``) is replaced by a ``CORE-PLUGIN-001`` finding.
        """
        out: list[Any] = []
        expected = _RETURNS[hook_name]
        after = self._after_each_call(kwargs.get("ctx"))
        message = kwargs.get("boe") or kwargs.get("manifest") or kwargs.get("message")
        numbers: frozenset[int] | None = None  # the message's item numbers, once asked for
        for call in self.host.call_each(hook_name, only=only, after=after, **kwargs):
            if call.error is not None:
                out.append(self._plugin_failure(call.hook, call.error, call.plugin))
                continue
            parts = _parts(call.result, expected)
            if isinstance(parts, TypeError):  # fail closed: what it returned cannot be used
                out.append(self._plugin_failure(call.hook, parts, call.plugin))
                continue
            for part in parts:
                problem = (
                    self.host.claim_problem(call.plugin, part)
                    if isinstance(part, AuthorisationClaim)
                    else self._not_its_own(part, call.plugin)
                )
                if problem is None and part.item is not None and message is not None:
                    if numbers is None:
                        numbers = _item_numbers(message)
                    if part.item not in numbers:
                        problem = _no_such_item(part, message, numbers)
                out.append(
                    part
                    if problem is None
                    else self._plugin_failure(call.hook, ValueError(problem), call.plugin)
                )
        return out

    def _not_its_own(self, part: Finding | Fee, plugin: str) -> str | None:
        """Why a plugin's finding or fee cannot be reported as it stands (``None``: it can): it
        must name a rule that plugin declared, under the rule's scheme, with a declared outcome
        (``fee`` for a fee), a message and a legal reference (a finding), a finite
        ``Decimal`` amount in INR that is not negative (a fee); and every field must be what the
        model says, however the finding or fee was built (``model_construct`` too:
        :func:`answer_problem`)."""
        if isinstance(part, Fee) and (
            not isinstance(part.amount, Decimal) or not part.amount.is_finite()
        ):
            return (
                f"its fee of rule {part.rule} has the amount {part.amount!r}, not a Decimal "
                "(a float has lost the paise)"
            )
        # before its fields are used: a third party's may be of any type
        invalid = None if self.host.is_builtin(plugin) else answer_problem(part)
        if invalid is not None:
            return invalid
        key = (plugin, part.rule, part.scheme, part.outcome if isinstance(part, Finding) else "fee")
        problem = self._declared.get(key, _UNSEEN)
        if problem is _UNSEEN:  # the same few combinations come back on every message
            problem = self._declaration_problem(*key)
            if len(self._declared) < _DECLARED_KEPT:
                self._declared[key] = problem
        if problem is not None:
            return problem  # type: ignore[return-value]
        if isinstance(part, Finding):
            if not part.message.strip() or not part.reference.strip():
                return f"its finding of rule {part.rule} has no message or no legal reference"
            return None
        if part.amount < 0:
            return f"its fee of rule {part.rule} is negative"
        if part.amount >= MAX_MAGNITUDE:  # (no response could write it to the paisa)
            return f"its fee of rule {part.rule} is INR {part.amount}, not below 10^18"
        if part.currency != "INR":
            return f"its fee of rule {part.rule} is in {part.currency!r}: fees are in INR"
        return None

    def _declaration_problem(
        self, plugin: str, rule_id: str, scheme: str, outcome: str
    ) -> str | None:
        """Whether ``plugin`` declared ``rule_id`` under ``scheme`` with ``outcome`` (``fee``:
        a fee)."""
        what = "fee" if outcome == "fee" else "finding"
        rule = self.host.rules.get(rule_id)
        if rule is None:
            return f"its {what} names rule {rule_id}, which no plugin declares"
        owner = self.host.rule_owner.get(rule_id)
        if owner != plugin:
            return f"its {what} names rule {rule_id}, which plugin {owner!r} declares"
        if scheme != rule.scheme:
            return (
                f"its {what} of rule {rule_id} says scheme {scheme!r}; the rule's "
                f"scheme is {rule.scheme!r}"
            )
        if outcome not in rule.outcomes:
            return (
                f"rule {rule_id} is not declared with the outcome {outcome!r} "
                f"(declared: {', '.join(rule.outcomes)})"
            )
        return None

    def _first(self, kind: Any, hook_name: str, **kwargs: Any) -> tuple[Any, list[Finding]]:
        """A first-non-None hook's answer (a ``kind``, or ``None``), and the failures: plugins
        that raised or answered something that is not a ``kind`` (fail closed; the next
        plugin is asked, so the core's answer is kept)."""

        def refuse(answer: Any) -> Exception | None:
            if not _is_a(answer, kind):
                return TypeError(f"returned {_shown(answer)}, not {_named(kind)}")
            # a routing built without validation (``model_construct``) is checked all the same
            invalid = answer_problem(answer) if isinstance(answer, Routing) else None
            return None if invalid is None else ValueError(invalid)

        after = self._after_each_call(kwargs.get("ctx"))
        answer = self.host.call_first(hook_name, refuse=refuse, after=after, **kwargs)
        return answer.result, self._failures(answer.failures)

    def _after_each_call(self, ctx: CheckContext | None) -> Callable[[ImplCall], ImplCall]:
        """What checks, after each plugin's call, that the context it was given (or the run's,
        when the hook is given none) is as it was: cheap, by identity and equality."""
        if ctx is None or ctx is self.ctx:
            return self._after
        if self._other is None or self._other[0].ctx is not ctx:
            guard = ContextGuard(ctx)
            self._other = (guard, _left_intact(guard))
        return self._other[1]

    def _context_failures(self) -> list[Finding]:
        """The run's context changed outside any hook call the engine checked (a plugin kept it
        and changed it later, or changed the ``--config`` tables a format's ``read`` is given):
        put back, and the message fails closed (no plugin can be named)."""
        if self._guard.intact():
            return []
        changed = ", ".join(self._guard.restore())
        return [
            Finding(
                rule=PLUGIN_ERROR_RULE,
                scheme="core",
                outcome="reject",
                message=f"a plugin changed the run's CheckContext ({changed}), which is "
                "read-only and the same for every message: put back as it was; the message "
                "was not fully checked",
                reference=PLUGIN_ERROR_REFERENCE,
            )
        ]

    def _failures(self, calls: Iterable[ImplCall]) -> list[Finding]:
        return [
            self._plugin_failure(call.hook, call.error, call.plugin)
            for call in calls
            if call.error is not None
        ]

    def _plugin_failure(self, hook_name: str, exc: BaseException, plugin: str) -> Finding:
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        place = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
        return Finding(
            rule=PLUGIN_ERROR_RULE,
            scheme="core",
            outcome="reject",
            message=f"plugin {plugin!r} failed in {hook_name}: "
            f"{type(exc).__name__}: {exc}{place}; the message was not fully "
            "checked",
            reference=PLUGIN_ERROR_REFERENCE,
        )

    def _shortfall_findings(
        self, shortfalls: Iterable[Shortfall], findings: Iterable[Finding]
    ) -> list[Finding]:
        """A refused claim as its rule says; a unit that does not convert to the limit's is
        CORE-LIC-004 (once per item: the licence check may have said it already), not a
        shortfall of the balance."""
        said = {f.item for f in findings if f.rule == "CORE-LIC-004"}
        out = []
        for shortfall in shortfalls:
            claim = shortfall.claim
            if not shortfall.unconvertible:
                out.append(self._shortfall_finding(shortfall))
            elif claim.item not in said:
                said.add(claim.item)
                out.append(
                    CORE_RULES["CORE-LIC-004"].finding(
                        "reject",
                        f"item {claim.item} is in {claim.unit}, the limit of "
                        f"{claim.scheme.upper()} licence {claim.number} is in "
                        f"{shortfall.limit_unit}: the quantity cannot be debited against it",
                        item=claim.item,
                        field=claim.field,
                    )
                )
        return out

    def _shortfall_finding(self, shortfall: Shortfall) -> Finding:
        claim = shortfall.claim
        rule = self.host.rules.get(claim.shortfall_rule)
        unit = f" {claim.unit}" if claim.unit else ""
        limit_unit = f" {shortfall.limit_unit}" if shortfall.limit_unit else unit
        left_q = (
            "unlimited"
            if shortfall.remaining_quantity is None
            else (f"{shortfall.remaining_quantity}{limit_unit}")
        )
        left_v = (
            "unlimited" if shortfall.remaining_value is None else (inr(shortfall.remaining_value))
        )
        needs = f"{claim.quantity}{unit}"
        if limit_unit != unit:  # say it in the limit's unit too: 2 MTS (2000 KGS)
            converted = convert(claim.quantity, claim.unit, shortfall.limit_unit)
            needs += f" ({converted.normalize():f}{limit_unit})" if converted is not None else ""
        text = (
            f"{claim.scheme.upper()} authorisation {claim.number} has {left_q} / {left_v} "
            f"left; item needs {needs} / {inr(claim.value_inr)}"
        )
        if claim.scheme.upper() == BOND:
            warehousing, hs_code = bond_parts(claim.number)
            text = (
                f"{left_q} of HS {hs_code} left in bond under warehousing Bill of Entry "
                f"{warehousing}; item needs {claim.quantity}{unit} (no partial clearance)"
            )
        if shortfall.reason is not None:
            text = (
                f"{claim.scheme.upper()} authorisation {claim.number}: {shortfall.reason}; "
                "nothing is debited"
            )
        assert rule is not None, "claims are checked against the declared rules when collected"
        return rule.finding("reject", text, item=claim.item, field=claim.field)

    def _checked(self, findings: Iterable[Finding]) -> list[Finding]:
        """Every finding must name a declared rule: an unknown one is a plugin bug, fail closed."""
        out = []
        for finding in findings:
            out.append(finding)
            if finding.rule == PLUGIN_ERROR_RULE or finding.rule in SYNTAX_RULES.values():
                continue
            rule = self.host.rules.get(finding.rule)
            if rule is None:
                problem = f"rule {finding.rule} is not declared by any plugin"
            elif finding.outcome not in rule.outcomes:
                problem = (
                    f"rule {finding.rule} is not declared with the outcome "
                    f"{finding.outcome!r} (declared: {', '.join(rule.outcomes)})"
                )
            else:
                continue
            out.append(
                self._plugin_failure(
                    "finding",
                    KeyError(problem),
                    self.host.rule_owner.get(finding.rule, finding.scheme),
                )
            )
        return out


def _one_of(names: list[str]) -> str:
    """``"A, B or C"``."""
    return " or ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))


def _finding_order(finding: Finding) -> tuple[bool, int]:
    return (finding.item is not None, finding.item or 0)


def _document(message: BillOfEntry | ImportGeneralManifest | None) -> DocumentInfo:
    if isinstance(message, BillOfEntry):
        return DocumentInfo(
            number=message.number,
            port_code=message.port_code,
            date=message.presented_on,
            iec=message.importer.iec,
        )
    if isinstance(message, ImportGeneralManifest):
        return DocumentInfo(
            number=message.igm_number, port_code=message.port_code, date=message.igm_date, iec=None
        )
    return DocumentInfo()


#: what each collected hook's list may hold (anything else fails the plugin closed)
_RETURNS: dict[str, tuple[type, ...]] = {
    "customs_check_bill_of_entry": (Finding,),
    "customs_check_manifest": (Finding,),
    "customs_fees": (Fee,),
    "customs_authorisations": (AuthorisationClaim,),
    "customs_check_in_sequence": (Finding, Fee),
}


def _parts(result: Any, expected: tuple[type, ...]) -> list[Any] | TypeError:
    """A collected hook's answer as a list of ``expected`` items, or why it is not one (a
    string, a mapping or a single model is not a list of them, though each can be iterated)."""
    if result is None:
        return []
    if not isinstance(result, list | tuple) and (
        isinstance(result, str | bytes | BaseModel | Mapping) or not isinstance(result, Iterable)
    ):
        return TypeError(f"returned {_shown(result)}, not a list of {_named(expected)}")
    parts = list(result)
    for part in parts:
        if not isinstance(part, expected):
            return TypeError(f"returned a list holding {_shown(part)}, not only {_named(expected)}")
    return parts


def _item_numbers(message: BillOfEntry | ImportGeneralManifest) -> frozenset[int]:
    """What a finding, fee or claim on ``message`` may give as its ``item``: a Bill of Entry's
    item numbers, a manifest's line numbers."""
    if isinstance(message, BillOfEntry):
        return frozenset(item.number for item in message.items)
    return frozenset(line.line for line in message.lines)


def _no_such_item(
    part: Finding | Fee | AuthorisationClaim,
    message: BillOfEntry | ImportGeneralManifest,
    numbers: frozenset[int],
) -> str:
    """Why a part on an item the message does not have is refused (a claim on it would be
    debited against a line nobody declared)."""
    if isinstance(part, AuthorisationClaim):
        what = f"claim on {part.scheme} licence {part.number}"
    else:
        what = f"{'fee' if isinstance(part, Fee) else 'finding'} of rule {part.rule}"
    kind = "item" if isinstance(message, BillOfEntry) else "line"
    shown = ", ".join(str(number) for number in sorted(numbers)[:10])
    more = ", …" if len(numbers) > 10 else ""
    has = f"its {kind}s: {shown}{more}" if numbers else f"it has no {kind}s"
    return f"its {what} is on {kind} {part.item}, which the message does not have ({has})"


_UNSEEN = object()
#: verdicts on (plugin, rule, scheme, outcome) kept per engine (a plugin inventing rule IDs
#: cannot grow it without bound)
_DECLARED_KEPT = 4096


def _as_voided(
    findings: list[Finding], message: BillOfEntry | ImportGeneralManifest, result: ClaimResult
) -> list[Finding]:
    """An IGM cancellation's CORE-IGM-008 names what the store voided under its lock (another
    committer may have filed a Bill of Entry against the IGM since the run looked)."""
    if not (
        isinstance(message, ImportGeneralManifest)
        and message.function == Function.CANCELLATION
        and not result.replayed
        and result.conflict is None
        and not result.shortfalls
    ):
        return findings
    said = igm_cancellation_finding(message, result.voided)
    return [said if finding.rule == said.rule else finding for finding in findings]


def _left_intact(guard: ContextGuard) -> Callable[[ImplCall], ImplCall]:
    """A plugin's call, or its failure when it forced a change on the context (then put back:
    the next plugin and the next message see the run's own)."""

    def after(call: ImplCall) -> ImplCall:
        if guard.intact():
            return call
        changed = ", ".join(guard.restore())
        return ImplCall(
            call.plugin,
            call.hook,
            error=RuntimeError(
                f"it changed the run's CheckContext ({changed}), which is read-only and the "
                "same for every message: put back as it was"
            ),
        )

    return after


def _as_given(message: BillOfEntry | ImportGeneralManifest) -> bytes:
    """The message as the plugins are given it, to find out whether one changed it."""
    return message.__pydantic_serializer__.to_json(message)


#: the findings a message changed by a plugin keeps: how it was read, and plugin failures
_KEPT_WHEN_CHANGED = frozenset({*SYNTAX_RULES.values(), PLUGIN_ERROR_RULE})


def _findings_problem(message: ParsedMessage) -> str | None:
    """Why the findings a format adapter read with a message cannot be reported (``None``: they
    can): each must be a :class:`Finding` whose fields are what the model says."""
    for finding in message.findings:
        if not isinstance(finding, Finding):
            return f"gave a message whose findings hold {_shown(finding)}, not a Finding"
        problem = answer_problem(finding)
        if problem is not None:
            return f"gave a message whose finding is invalid: {problem.removeprefix('its ')}"
    return None


def _changed_by_a_plugin(changer: str | None) -> Finding:
    who = f"plugin {changer}" if changer else "a plugin"
    return Finding(
        rule=PLUGIN_ERROR_RULE,
        scheme="core",
        outcome="reject",
        message=f"{who} changed the message while it was being checked (plugins must not "
        "modify the message they are given): the checks cannot be trusted; the message was "
        "not fully checked",
        reference=PLUGIN_ERROR_REFERENCE,
    )


#: the hooks given the message, in the order a message meets them, and the argument naming it
_GIVEN_THE_MESSAGE = (
    ("customs_check_bill_of_entry", "boe"),
    ("customs_fees", "boe"),
    ("customs_authorisations", "boe"),
    ("customs_routing", "boe"),
    ("customs_check_manifest", "manifest"),
    ("customs_check_in_sequence", "message"),
    ("customs_rate_date", "boe"),
)


def _is_a(value: Any, kind: Any) -> bool:
    """``isinstance``, except that a datetime is not a date (a rate date has no time of day)."""
    if isinstance(value, datetime) and kind is date:
        return False
    return isinstance(value, kind)


def _named(kind: Any) -> str:
    kinds = kind if isinstance(kind, tuple) else getattr(kind, "__args__", (kind,))
    return " or ".join(k.__name__ for k in kinds)


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:80]}{'…' if len(text) > 80 else ''}"
