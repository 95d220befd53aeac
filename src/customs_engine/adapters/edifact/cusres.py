"""Responses → one CUSRES D:96B interchange, written by pydifact's serializer.

One UNH…UNT message per response: ``BGM+962+<document>+<AP|CA|RE>``, ``DTM+137`` (document
date, else the run's), ``RFF+ACW:<input reference>``, one ERP/ERC/FTX group per finding, then
``TAX+7``/``MOA+161`` per fee. The UNB date of preparation is the first response's document
date; when no response carries one (only unreadable files), it is the time of the run (when the
writer was opened).

Every message stays within the D96B directory, whatever the response holds: segment group 4
(ERP) repeats at most 99 times, so a response with more findings lists its first 98 in order and
a 99th group saying how many further findings (and of which outcomes) are not listed — the JSON
response has them all; segment group 5 (TAX) likewise, the 99th group carrying the further fees'
total per currency; and one finding's text takes at most 99 FTX segments.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import BinaryIO

from pydifact.segments import Segment
from pydifact.serializer import Serializer

from customs_engine.adapters.edifact.charset import LATIN_1, in_latin_1
from customs_engine.adapters.edifact.writer import CHARACTERS, FREE_TEXT_WIDTH, RECIPIENT, chunks
from customs_engine.core.dates import IST
from customs_engine.core.response import Fee, Finding, Response, money

FORMAT = "cusres"
SENDER = "CUSTOMS-ENGINE"
IDENTIFIER = ["CUSRES", "D", "96B", "UN"]
RESPONSE_TYPES = {"accepted": "AP", "query": "CA", "hold": "CA", "rejected": "RE"}
ERROR_CODES = {"reject": "REJ", "hold": "HLD", "query": "QRY", "warn": "WRN", "info": "INF"}
TEXT_PARTS = 4  # C108 holds five components: the rule id and four parts of text
GROUPS = 99  # SG4 (ERP) and SG5 (TAX) repeat at most 99 times
TEXTS = 99  # FTX repeats at most 99 times in SG4
MORE = "..."  # ends a finding's text cut to fit its group


def response_date(response: Response) -> date | None:
    return response.document.date or response.rate_date


def message_segments(response: Response, run_date: date) -> list[Segment]:
    """The CUSRES body (BGM … MOA) of one response. ``BGM`` names the document (its number, else
    the message's reference, else the input file and the message's place in it); ``DTM+137`` is
    the document's date, else ``run_date`` (an input that could not be read has none)."""
    message = response.message
    reference = in_latin_1(message.reference or f"{message.source}#{message.index}")
    document = in_latin_1(response.document.number or message.reference or "")
    if not document:  # the file's own name, not the start of its path (1004 is an..35)
        document = in_latin_1(f"{PurePath(message.source).name or message.source}#{message.index}")
        document = document[-35:]
    segs = [Segment("BGM", "962", document[:35], RESPONSE_TYPES[response.status])]
    when = response_date(response) or run_date
    segs.append(Segment("DTM", ["137", when.strftime("%Y%m%d"), "102"]))
    segs.append(Segment("RFF", _input_reference(reference)))
    findings = response.findings
    for finding in findings if len(findings) <= GROUPS else findings[: GROUPS - 1]:
        segs += _error(finding)
    if len(findings) > GROUPS:
        segs += _further_findings(findings[GROUPS - 1 :], len(findings))
    fees = response.fees
    for fee in fees if len(fees) <= GROUPS else fees[: GROUPS - 1]:
        segs.append(Segment("TAX", "7", ["", "", "", fee.rule]))
        segs.append(Segment("MOA", ["161", money(fee.amount), fee.currency]))
    if len(fees) > GROUPS:
        segs += _further_fees(fees[GROUPS - 1 :])
    return segs


def _input_reference(reference: str) -> list[str]:
    """C506 of ``RFF+ACW``: the input's reference in 1154 (an..35); a longer one (a message id
    may have 64 characters) goes on in 4000, the reference version (an..35), so the reply can
    still be matched to its input: ``RFF+ACW:<first 35>::<the rest>``."""
    if len(reference) <= 35:
        return ["ACW", reference]
    return ["ACW", reference[:35], "", reference[35:70]]


def _error(finding: Finding) -> list[Segment]:
    """One SG4 group: ERP (the item, empty for the header), ERC, the text in FTX segments."""
    segs = [
        Segment("ERP", "" if finding.item is None else ["", str(finding.item)]),
        Segment("ERC", ERROR_CODES[finding.outcome]),
    ]
    return segs + _texts(finding.rule, finding.message)


def _texts(rule: str, message: str) -> list[Segment]:
    parts = chunks(in_latin_1(message), FREE_TEXT_WIDTH)
    if len(parts) > TEXTS * TEXT_PARTS:
        parts = parts[: TEXTS * TEXT_PARTS]
        parts[-1] = parts[-1][: FREE_TEXT_WIDTH - len(MORE)] + MORE
    return [
        Segment("FTX", "AAO", "", "", [in_latin_1(rule), *parts[start : start + TEXT_PARTS]])
        for start in range(0, len(parts), TEXT_PARTS)
    ]


def _further_findings(omitted: list[Finding], total: int) -> list[Segment]:
    """The 99th SG4 group of a response with more findings than fit: a header ERP, the worst
    outcome among the findings not listed, and what they are (its FTX names no rule)."""
    worst = min(omitted, key=lambda f: list(ERROR_CODES).index(f.outcome)).outcome
    counts = Counter(ERROR_CODES[f.outcome] for f in omitted)
    kinds = ", ".join(f"{counts[code]} {code}" for code in ERROR_CODES.values() if counts[code])
    text = (
        f"{len(omitted)} further findings ({kinds}) are not listed, as a CUSRES message holds "
        f"{GROUPS} error groups; the JSON response lists all {total} findings"
    )
    return [Segment("ERP", ""), Segment("ERC", ERROR_CODES[worst]), *_texts("", text)]


def _further_fees(omitted: list[Fee]) -> list[Segment]:
    """The 99th SG5 group of a response with more fees than fit: no rule, the further fees'
    total in each currency (the JSON response lists each fee)."""
    totals: dict[str, Decimal] = {}
    for fee in omitted:
        totals[fee.currency] = totals.get(fee.currency, Decimal(0)) + fee.amount
    return [
        Segment("TAX", "7"),
        *(Segment("MOA", ["161", money(total), currency]) for currency, total in totals.items()),
    ]


class CusresWriter:
    """Streams one interchange: UNA/UNB before the first message, UNZ on close."""

    def __init__(self, stream: BinaryIO, *, run_at: datetime | None = None):
        self.stream = stream
        #: the run's time, India time: the date of preparation when no response has a date
        self.run_at = (run_at or datetime.now(IST)).astimezone(IST)
        self.serializer = Serializer(CHARACTERS)
        self.count = 0
        self.reference = ""

    def _emit(self, segs: list[Segment]) -> None:
        text = self.serializer.serialize(segs, with_una_header=False, break_lines=True)
        # every text is spelled in Latin-1 before it is cut to width (:func:`in_latin_1`); a
        # character that slipped past would be a ``?`` here rather than a failed run
        self.stream.write(text.encode("latin-1", "replace"))

    def _open(self, first: Response | None) -> None:
        dated = response_date(first) if first else None
        stamp = (
            [dated.strftime("%y%m%d"), "0000"]
            if dated is not None
            else [self.run_at.strftime("%y%m%d"), self.run_at.strftime("%H%M")]
        )
        seed = first.message.reference or first.message.source if first else ""
        self.reference = hashlib.sha1(seed.encode()).hexdigest()[:14].upper()
        self.stream.write((CHARACTERS.service_string_advice + "\n").encode())
        self._emit([Segment("UNB", LATIN_1, SENDER, RECIPIENT, stamp, self.reference)])

    def write(self, response: Response) -> None:
        if self.count == 0:
            self._open(response)
        self.count += 1
        ref = str(self.count)
        body = message_segments(response, self.run_at.date())
        self._emit(
            [Segment("UNH", ref, IDENTIFIER), *body, Segment("UNT", str(len(body) + 2), ref)]
        )

    def close(self) -> None:
        if self.count == 0:
            self._open(None)
        self._emit([Segment("UNZ", str(self.count), self.reference)])
