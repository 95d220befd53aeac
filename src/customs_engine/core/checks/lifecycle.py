"""A document's life (CORE-DOC-001…003, CORE-BOE-AMD-001…003, CORE-BOE-CAN-001, CORE-IGM-003…005).

A document is its ``message_id``; the run knows its latest version (accepted earlier in the run,
or committed). These checks compare a message's ``function`` with that state; what the ledger then
credits back and debits is :class:`~customs_engine.core.ledger.run_state.RunState`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from customs_engine.core.check_context import CheckContext
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.dates import add_months, india_date
from customs_engine.core.ledger.documents import KIND_NAMES, DocumentVersion, an, refiled
from customs_engine.core.ledger.run_state import RunState, kind_of
from customs_engine.core.models import (
    BillOfEntry,
    BillOfEntryType,
    Function,
    ImportGeneralManifest,
)
from customs_engine.core.refdata import CoreReference, reference_of
from customs_engine.core.response import Fee, Finding
from customs_engine.core.rules import Rule

_CONVERTIBLE = {BillOfEntryType.HOME_CONSUMPTION, BillOfEntryType.WAREHOUSING}


def _superseded(
    message: BillOfEntry | ImportGeneralManifest, current: DocumentVersion
) -> list[Finding | Fee]:
    """An original or amendment accepted before, which a later version has replaced since:
    neither a retry nor a version the ledger could file again under the same submission."""
    if message.function == Function.ORIGINAL:
        return [
            RULES["CORE-DOC-001"].finding(
                "reject", refiled(message.message_id, kind_of(message), current), field="message_id"
            )
        ]
    return [
        RULES["CORE-DOC-003"].finding(
            "reject",
            f"this amendment repeats an earlier version of {message.message_id}, which a later "
            "version replaced: it is not taken as a retry, nor filed again; to return to that "
            "content, send it as a new amendment that differs from it (in any field)",
            field="function",
        )
    ]


def check_lifecycle(
    message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext, run: RunState
) -> list[Finding | Fee]:
    """The message against its document's state. A re-submission of an accepted version (same
    content) is replayed: an original says nothing, an amendment or a cancellation is answered
    as it was when accepted (against the version it replaced, with its fee)."""
    # the document first, then its submissions: a committer elsewhere writes both in one
    # transaction, so once the document is seen its submission is too (in the other order a
    # commit landing between the two reads made a re-submission look like new content)
    current = run.document(message.message_id)
    key = run.current_key
    voided: tuple[str, ...] | None = None
    if (
        key is not None
        and key.split("#", 1)[0] == message.message_id
        and run.is_resubmission(key, message)
    ):
        if current is not None and run.superseded(key, message):
            return _superseded(message, current)
        replayed = (
            run.replayed(key, message.message_id) if message.function != Function.ORIGINAL else None
        )
        if replayed is None:
            return []
        current, voided = replayed.before, replayed.voided
    name = KIND_NAMES[kind_of(message)]
    if message.function == Function.ORIGINAL:
        if current is None:
            return []
        return [
            RULES["CORE-DOC-001"].finding(
                "reject",
                refiled(message.message_id, kind_of(message), current),
                field="message_id",
            )
        ]
    verb = "amendment" if message.function == Function.AMENDMENT else "cancellation"
    if current is None:
        if verb == "cancellation":
            consequence = (
                "nothing is credited back, and the message_id is closed: a document filed "
                "under it later is refused (CORE-DOC-001)"
            )
        elif isinstance(message, BillOfEntry):
            consequence = "it is checked and debited as an original"
        else:  # a manifest's amendment may hold only the lines it changes (an SCMTR SCA)
            consequence = "it is checked as it came"
        return [
            RULES["CORE-DOC-002"].finding(
                "query",
                f"{verb} of {name} {message.message_id}, which is not known (not stored, "
                f"not accepted earlier in this run): {consequence}",
                field="function",
            )
        ]
    if current.kind != kind_of(message):
        return [
            RULES["CORE-DOC-003"].finding(
                "reject",
                f"document {message.message_id} is {an(KIND_NAMES[current.kind])}: "
                f"{an(name)} {verb} cannot replace it",
                field="function",
            )
        ]
    if current.cancelled:
        return [
            RULES["CORE-DOC-003"].finding(
                "reject",
                f"{name} {message.message_id} is cancelled: it cannot take an {verb}"
                if verb == "amendment"
                else f"{name} {message.message_id} is already cancelled",
                field="function",
            )
        ]
    if (
        isinstance(message, BillOfEntry)
        and message.function == Function.AMENDMENT
        and not message.items
    ):
        return [
            RULES["CORE-DOC-003"].finding(
                "reject",
                f"this amendment of {name} {message.message_id} declares no goods item: an "
                "amendment replaces the document whole, so it would withdraw every item and "
                "credit back every debit; send the whole amended document, or a cancellation",
                field="items",
            )
        ]
    previous = current.model()
    on = ctx.reference_date(message)
    ref = reference_of(ctx)
    if isinstance(message, BillOfEntry):
        before = previous if isinstance(previous, BillOfEntry) else None
        if message.function == Function.AMENDMENT:
            return _boe_amendment(message, before, _fee(ref, "boe_amendment", on), on)
        return _boe_cancellation(message, _fee(ref, "boe_cancellation", on))
    before_igm = previous if isinstance(previous, ImportGeneralManifest) else None
    if message.function == Function.AMENDMENT:
        return _igm_amendment(message, before_igm, _fee(ref, "igm_amendment", on), run)
    return _igm_cancellation(message, before_igm, run, voided)


def _igm_cancellation(
    igm: ImportGeneralManifest,
    before: ImportGeneralManifest | None,
    run: RunState,
    voided: tuple[str, ...] | None = None,
) -> list[Finding | Fee]:
    """``before``: the manifest as it stood; ``voided``: what a re-submitted cancellation voided
    when it was accepted."""
    noted = (
        list(voided)
        if voided is not None
        else [b.message_id for b in run.noted_documents(igm, before)]
    )
    return [igm_cancellation_finding(igm, noted)]


def igm_cancellation_finding(
    igm: ImportGeneralManifest, voided: Sequence[str], *, rejected: bool = False
) -> Finding:
    """CORE-IGM-008 naming the Bills of Entry the cancellation voids (the engine says it again
    with what the store voided under its lock, when that differs from what the run saw).

    ``rejected``: the cancellation was refused, so it voided nothing; the finding still names the
    Bills of Entry it would have voided (what the filer must deal with before cancelling)."""
    name = f"IGM {igm.igm_number or igm.message_id}"
    if rejected:
        noted = (
            f"the Bills of Entry noted against it would have been void: {', '.join(voided)}"
            if voided
            else "no known Bill of Entry is noted against it"
        )
        return RULES["CORE-IGM-008"].finding(
            "warn",
            f"cancellation of {name} is rejected: nothing is voided or credited back, the IGM "
            f"stands; {noted}",
            field="function",
        )
    void = (
        f"the Bills of Entry noted against it are void and their debits credited back: "
        f"{', '.join(voided)}"
        if voided
        else "no known Bill of Entry is noted against it"
    )
    return RULES["CORE-IGM-008"].finding(
        "warn", f"cancellation of {name}: {void}", field="function"
    )


#: the rules that say an amendment or a cancellation took effect, each with its fee
_TAKING_EFFECT = frozenset({"CORE-BOE-AMD-001", "CORE-BOE-CAN-001", "CORE-IGM-003"})


def as_rejected(
    findings: Sequence[Finding],
    fees: Sequence[Fee],
    message: BillOfEntry | ImportGeneralManifest,
    run: RunState,
) -> tuple[list[Finding], list[Fee]]:
    """A rejected amendment or cancellation was never filed: it replaced, credited back and
    voided nothing, and no fee is due for it. Its ``CORE-BOE-AMD-001`` / ``CORE-BOE-CAN-001`` /
    ``CORE-IGM-003`` findings (which say it took effect) and their fees are left out, whatever
    rule rejected it (also a rejection that only the store's re-check under lock found), as
    they are when ``CORE-DOC-003`` refuses it before they are made. An IGM cancellation's
    ``CORE-IGM-008`` stays, saying that nothing was voided and naming the Bills of Entry that
    would have been. Other findings (``CORE-BOE-AMD-002``, ``CORE-IGM-004`` …) are checks of
    the content and stay as they are."""
    if message.function == Function.ORIGINAL:
        return list(findings), list(fees)
    out: list[Finding] = []
    for finding in findings:
        if finding.rule in _TAKING_EFFECT and finding.outcome == "info":
            continue
        if (
            finding.rule == "CORE-IGM-008"
            and isinstance(message, ImportGeneralManifest)
            and message.function == Function.CANCELLATION
        ):
            finding = igm_cancellation_finding(message, _would_void(message, run), rejected=True)
        out.append(finding)
    return out, [fee for fee in fees if fee.rule not in _TAKING_EFFECT]


def _would_void(igm: ImportGeneralManifest, run: RunState) -> list[str]:
    """The Bills of Entry an IGM cancellation would void (the run's view; nothing changed)."""
    current = run.replaces(igm)
    before = current.model() if current is not None else None
    manifest = before if isinstance(before, ImportGeneralManifest) else None
    return [boe.message_id for boe in run.noted_documents(igm, manifest)]


def _fee(ref: CoreReference, kind: str, on: date) -> Decimal | None:
    schedule = ref.dated("document_fee", on)
    if schedule is None or kind not in schedule:
        return None
    return Decimal(schedule[kind])


def _noted(
    rule: Rule, message: str, fee: Decimal | None, kind: str, basis: str
) -> list[Finding | Fee]:
    """A document change said as the rule's ``info`` finding, with its fee when one is due."""
    out: list[Finding | Fee] = [rule.finding("info", message, field="function")]
    if fee is not None:
        out.append(Fee(rule=rule.id, scheme=rule.scheme, kind=kind, amount=fee, basis=basis))
    return out


def _boe_amendment(
    boe: BillOfEntry, before: BillOfEntry | None, fee: Decimal | None, on: date
) -> list[Finding | Fee]:
    rule = RULES["CORE-BOE-AMD-001"]
    if boe.prior and fee is not None:  # the fee schedule in force says nil for a prior BoE
        fee = Decimal(0)
        basis = "prior Bill of Entry: amendment fee nil"
    elif fee is None:
        basis = f"no amendment fee is computed before 2017-04-11 (presented {on})"
    else:
        basis = f"amendment fee INR {fee:.2f}"
    out = _noted(
        rule,
        f"amendment of Bill of Entry {boe.message_id} (needs the proper officer's approval, "
        f"s.149): it replaces the filed version; {basis}",
        fee,
        "amendment_fee",
        "Bill of Entry amendment",
    )
    if before is None:
        return out
    if before.type != boe.type and {before.type, boe.type} <= _CONVERTIBLE:
        out.append(
            RULES["CORE-BOE-AMD-002"].finding(
                "hold",
                f"the amendment changes the type from {before.type} to {boe.type}: needs "
                "the Additional/Joint Commissioner's approval",
                field="type",
            )
        )
    old_iec = (before.importer.iec or "").strip().upper()
    new_iec = (boe.importer.iec or "").strip().upper()
    if old_iec != new_iec:
        out.append(
            RULES["CORE-BOE-AMD-003"].finding(
                "reject",
                f"the amendment changes the importer's IEC from {old_iec or '(none)'} to "
                f"{new_iec or '(none)'}: that is a different declaration, file it as an "
                "original",
                field="importer.iec",
            )
        )
    return out


def _boe_cancellation(boe: BillOfEntry, fee: Decimal | None) -> list[Finding | Fee]:
    rule = RULES["CORE-BOE-CAN-001"]
    basis = (
        "no cancellation fee is computed before 2017-04-11"
        if fee is None
        else f"cancellation fee INR {fee:.2f}"
    )
    return _noted(
        rule,
        f"cancellation of Bill of Entry {boe.message_id}: every debit of the document is "
        f"credited back; {basis}",
        fee,
        "cancellation_fee",
        "Bill of Entry cancellation",
    )


def _igm_amendment(
    igm: ImportGeneralManifest,
    before: ImportGeneralManifest | None,
    fee: Decimal | None,
    run: RunState,
) -> list[Finding | Fee]:
    rule = RULES["CORE-IGM-003"]
    out = _noted(
        rule,
        f"amendment of IGM {igm.igm_number or igm.message_id} (s.30(3)): it replaces the "
        f"filed version for all later noting"
        f"{f'; amendment fee INR {fee:.2f}' if fee is not None else ''}",
        fee,
        "amendment_fee",
        "IGM amendment",
    )
    if before is None:
        return out
    kept = {(line.line, line.subline): line for line in igm.lines}
    for old in before.lines:
        new = kept.get((old.line, old.subline))
        where = f"line {old.line}/{old.subline}"
        if new is None:
            out.append(
                RULES["CORE-IGM-004"].finding(
                    "hold",
                    f"the amendment removes {where} (B/L {old.bl_number or '-'}): excising "
                    "it needs the agent's application, proof of short shipment and the fee",
                    field="lines",
                )
            )
            continue
        lowered = [
            f"{label} {was} → {now}"
            for label, was, now in (
                ("packages", old.packages, new.packages),
                ("gross weight (kg)", old.gross_weight_kg, new.gross_weight_kg),
            )
            if was is not None and now is not None and now < was
        ]
        if lowered:
            out.append(
                RULES["CORE-IGM-005"].finding(
                    "hold",
                    f"the amendment lowers {where}: {', '.join(lowered)}; allowed only once "
                    "the excess is proved shown in error",
                    field="lines",
                )
            )
    return out + _late_change_of_noted_lines(igm, before, run)


def _late_change_of_noted_lines(
    igm: ImportGeneralManifest, before: ImportGeneralManifest, run: RunState
) -> list[Finding | Fee]:
    """CORE-IGM-006: presented more than 2 calendar months after arrival, changing a line that a
    known Bill of Entry was noted against."""
    arrived = before.arrived_at or igm.arrived_at
    presented = igm.filed_at
    if arrived is None or presented is None:
        return []
    limit = add_months(india_date(arrived), 2)
    if india_date(presented) <= limit:
        return []
    new_lines = {(line.line, line.subline): line for line in igm.lines}
    changed = {
        (line.line, line.subline)
        for line in before.lines
        if new_lines.get((line.line, line.subline)) != line
    }
    by_bl = {
        (line.bl_number or "").strip().upper(): (line.line, line.subline)
        for line in before.lines
        if line.bl_number
    }
    hits = []
    for boe in run.noted_documents(before, before):
        reference = boe.manifest
        assert reference is not None
        noted_line = (
            (reference.line, reference.subline or 0)
            if reference.line is not None
            else by_bl.get((reference.bl_number or "").strip().upper())
        )
        if noted_line in changed:
            hits.append(f"{boe.message_id} (line {noted_line[0]}/{noted_line[1]})")
    if not hits:
        return []
    return [
        RULES["CORE-IGM-006"].finding(
            "info",
            f"amendment presented {india_date(presented)}, more than 2 calendar months after "
            f"arrival on {india_date(arrived)}, changes lines noted by {', '.join(hits)}: "
            "routed to the Manifest Clearance Section",
            field="lines",
        )
    ]
