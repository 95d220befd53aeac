"""The plugin contract: every hook customs-engine calls, with when and how.

A plugin is a module or class with functions decorated ``@hookimpl`` (``from customs_engine import
hookimpl``), exposed through the ``customs_engine`` entry-point group. Built-in plugins — the core
checks, the format adapters, the serializers and the schemes — use exactly these hooks.

How results are combined:

* **collected** — every plugin's answer is gathered; ``None`` (or an empty list) means "nothing
  from me". Findings, fees, claims, rules and schemes are collected.
* **first-non-None** — plugins are asked in turn and the first answer that is not ``None`` wins;
  ``None`` means "not mine". Format detection, parsing, routing, rate date and rendering are
  first-non-None.

When hooks run, per message of a run:

1. ``customs_detect_format`` then ``customs_parse`` (may run in a worker process);
2. stateless checks — ``customs_check_bill_of_entry`` / ``customs_check_manifest``,
   ``customs_fees``, ``customs_authorisations``, ``customs_routing`` (may run in a worker);
3. in input order, in the main process — ``customs_resolve_message`` (a partial amendment made
   whole), then ``customs_check_in_sequence`` and ``customs_rate_date``;
   then the core ledger applies the authorisation claims and the run state records the message.

Stateless hooks must depend only on the message and the :class:`CheckContext` (settings and the
read-only registry): the output of a run is identical for any ``--jobs`` value.

Which hooks see which ``function`` (``message.function``: original, amendment or cancellation):

* an **original** and an **amendment** go through every hook above. An amendment is checked on its
  own content, like an original; its claims are checked against balances with the replaced
  version's debits already credited back (the core ledger does that; plugins claim as usual).
* a **cancellation** withdraws its document: no stateless hook is called for it (no checks, fees,
  claims or routing) and, of the in-sequence hooks, only the core plugin's
  ``customs_check_in_sequence`` runs (``customs_rate_date`` is not called). The core credits back
  everything the document holds. Scheme plugins never see a cancellation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, BinaryIO

import pluggy

if TYPE_CHECKING:
    from customs_engine.core.check_context import CheckContext, Scheme
    from customs_engine.core.formats import (
        ParsedMessage,
        ResponseFormat,
        ResponseWriter,
        Unapplied,
        WireFormat,
    )
    from customs_engine.core.ledger.run_view import RunView
    from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
    from customs_engine.core.response import AuthorisationClaim, Fee, Finding, Routing
    from customs_engine.core.rules import Rule

PROJECT = "customs_engine"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- what a plugin is -------------------------------------------------------------------------


@hookspec
def customs_schemes() -> list[Scheme] | None:
    """Declare the schemes this plugin handles.

    Called once at start-up. **Collected.** Each :class:`Scheme` names the scheme (``"ims"``) and
    the licence scheme names it answers for (``("IMS",)``). A licence whose scheme no loaded plugin
    declares is reported by the core as ``CORE-LIC-001`` (not evaluated).
    """


@hookspec
def customs_rules() -> list[Rule] | None:
    """Declare every rule this plugin can report: ID, title, outcomes, legal reference, dates.

    Called once at start-up. **Collected.** Rule IDs must be unique across all plugins (a duplicate
    stops the run with exit code 3) and every finding or fee a plugin returns must name one of its
    declared rules. ``customs rules`` lists them.
    """


# -- format adapters ---------------------------------------------------------------------------


@hookspec
def customs_wire_formats() -> list[WireFormat] | None:
    """Register the message formats this plugin reads (and writes) as :class:`WireFormat`
    records: name, title, ``detect``, ``read`` and optionally ``write``.

    Called once at start-up. **Collected.** A format name registered by two plugins stops the
    run (exit code 3). Detection asks the formats in name order; a failing ``detect`` or ``read``
    becomes ``CORE-PLUGIN-001`` naming the plugin. ``customs convert --to`` offers every format
    with a ``write``.
    """


@hookspec
def customs_response_formats() -> list[ResponseFormat] | None:
    """Register the response formats this plugin writes as :class:`ResponseFormat` records:
    name, title and ``writer(stream)``.

    Called once at start-up. **Collected.** A name registered twice stops the run (exit code 3);
    ``customs validate --format`` accepts every registered name.
    """


@hookspec(firstresult=True)
def customs_detect_format(head: bytes, name: str) -> str | None:
    """Recognise the wire format of an input file (older form of ``customs_wire_formats``,
    asked after the registered formats).

    ``head`` is the first 4 KiB of the file (possibly with a UTF-8 BOM), ``name`` its path or
    archive member name. Return the format name this plugin parses (``"icegate_xml"``), or ``None``.
    **First-non-None.**
    """


@hookspec(firstresult=True)
def customs_message_kind(format: str, head: bytes, name: str) -> str | None:
    """What kind of message a file of ``format`` holds, from its first 4 KiB: ``"manifest"``,
    ``"bill_of_entry"``, or ``None`` when the head does not tell. Directories and archives are
    read manifests first, so a Bill of Entry finds its manifest noted. Must be cheap (called
    once more per file). **First-non-None.**
    """


@hookspec(firstresult=True)
def customs_parse(
    format: str, data: bytes, source: str, config: Mapping[str, Mapping[str, Any]]
) -> list[ParsedMessage] | None:
    """Parse a whole file of ``format`` into canonical messages.

    ``config`` holds the ``--config`` tables; an adapter reads its own (e.g. ``[ices_flatfile]``)
    and may ignore the argument altogether (pluggy passes only the arguments an implementation
    names).

    Return ``None`` when ``format`` is not this plugin's. Otherwise return one
    :class:`ParsedMessage` per message in file order (at least one): malformed input becomes a
    message of type ``unknown`` with a ``CORE-SYNTAX-001`` finding naming line and column — a
    parser must never raise. **First-non-None.** May run in a worker process.
    """


@hookspec(firstresult=True)
def customs_write_messages(
    messages: Sequence[BillOfEntry | ImportGeneralManifest], format: str
) -> bytes | None:
    """Render canonical messages as one document in wire format ``format`` (``"xml"``,
    ``"edifact"``): a single message as itself, several in the format's own container (an XML
    ``<Messages>`` wrapper, one EDIFACT interchange).

    Used by ``customs convert``, which passes every message of one input file, for a target no
    registered :class:`WireFormat` writes (older form). Return ``None`` when ``format`` is not
    this plugin's. **First-non-None.**
    """


# -- checks ------------------------------------------------------------------------------------


@hookspec
def customs_check_bill_of_entry(boe: BillOfEntry, ctx: CheckContext) -> list[Finding] | None:
    """Check a Bill of Entry on its own (stateless) and return findings.

    May consult ``ctx.registry`` (read-only) and ``ctx.config``; must not depend on other messages
    of the run. **Collected.** May run in a worker process.
    """


@hookspec
def customs_check_manifest(
    manifest: ImportGeneralManifest, ctx: CheckContext
) -> list[Finding] | None:
    """Check an Import General Manifest on its own (stateless) and return findings.

    **Collected.** May run in a worker process.
    """


@hookspec
def customs_fees(boe: BillOfEntry, ctx: CheckContext) -> list[Fee] | None:
    """Compute the fees a Bill of Entry attracts (stateless). Fees are not findings.

    **Collected.** Amounts are ``Decimal`` INR; the response writes them with two decimals.
    """


@hookspec
def customs_authorisations(boe: BillOfEntry, ctx: CheckContext) -> list[AuthorisationClaim] | None:
    """Declare which authorisation balances the items need (stateless).

    The core ledger checks each claim against the registry limit less earlier debits (committed
    and earlier in the run), debits it whole if covered, and otherwise reports the claim's
    ``shortfall_rule`` as ``reject`` with the shortfall. Plugins never debit anything themselves.
    **Collected.**
    """


@hookspec(firstresult=True)
def customs_routing(boe: BillOfEntry, ctx: CheckContext) -> Routing | None:
    """Faceless-assessment routing of a Bill of Entry, or ``None``. **First-non-None.**"""


@hookspec
def customs_check_in_sequence(
    message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext, run: RunView
) -> list[Finding | Fee] | None:
    """Checks that need the run's state, called in input order in the main process.

    ``run`` (a read-only :class:`RunView`) shows IGMs earlier in the run or stored, authorisation
    debits so far and earlier uses of a licence (``run.manifest``, ``run.prior_uses``,
    ``run.debited``); the engine records the message after this hook. Return findings and fees.
    **Collected.**
    """


@hookspec(firstresult=True)
def customs_resolve_message(
    parsed: ParsedMessage, run: RunView
) -> BillOfEntry | ImportGeneralManifest | Unapplied | None:
    """The whole document a partial amendment stands for, built on the run's current version.

    Some wire formats amend a document by sending only what changes (an SCMTR SCA names its CSN
    and adds, updates or deletes lines). Called once per message, in input order in the main
    process, before ``customs_check_in_sequence``; ``parsed.message`` may be ``None`` (a partial
    amendment is no document of its own: the adapter keeps it in ``parsed.echo``). Return the
    complete new version —
    same ``message_id`` as the document it amends, ``function`` amendment — and the engine checks,
    records and commits that instead of ``parsed.message``. When the run does not know the
    document it amends, return the partial message itself as that amendment: the engine answers
    it (an amendment of an unknown document) but never files or commits it, as it files a partial
    amendment only over a known version. When the amendment does not fit the known version (it
    updates or deletes a part the document does not have, or adds one it has), return
    :class:`~customs_engine.core.formats.Unapplied`: the version to answer it as and the
    rejecting findings that say why; the engine answers it and never files or commits it.
    Return ``None`` when the message is not yours or already whole. **First-non-None.**
    """


@hookspec(firstresult=True)
def customs_rate_date(boe: BillOfEntry, ctx: CheckContext, run: RunView) -> date | None:
    """The date whose exchange and duty rates apply (Customs Act s.15). **First-non-None.**"""


# -- output ------------------------------------------------------------------------------------


@hookspec
def customs_output_formats() -> list[str] | None:
    """Name the response formats this plugin can write with ``customs_response_writer`` (older
    form of ``customs_response_formats``; names are checked for duplicates at start-up too).
    **Collected.**"""


@hookspec(firstresult=True)
def customs_response_writer(format: str, stream: BinaryIO) -> ResponseWriter | None:
    """A writer of responses in ``format`` onto a binary ``stream``, or ``None`` if not yours.

    The engine calls ``write(response)`` once per message in input order, then ``close()``.
    **First-non-None.**
    """
