"""Responses → one CUSRES D:96B interchange, written by pydifact's serializer.

One UNH…UNT message per response: ``BGM+962+<document>+<AP|CA|RE>``, ``DTM+137`` (document
date), ``RFF+ACW:<input reference>``, one ERP/ERC/FTX group per finding, then ``TAX+7``/``MOA+161``
per fee. The UNB date of preparation is the first response's document date; when no response
carries one (only unreadable files), it is the time of the run (when the writer was opened).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import BinaryIO

from pydifact.segments import Segment
from pydifact.serializer import Serializer

from customs_engine.adapters.edifact.writer import CHARACTERS, FREE_TEXT_WIDTH, RECIPIENT, chunks
from customs_engine.core.dates import IST
from customs_engine.core.response import Response, money

FORMAT = "cusres"
SENDER = "CUSTOMS-ENGINE"
IDENTIFIER = ["CUSRES", "D", "96B", "UN"]
RESPONSE_TYPES = {"accepted": "AP", "query": "CA", "hold": "CA", "rejected": "RE"}
ERROR_CODES = {"reject": "REJ", "hold": "HLD", "query": "QRY", "warn": "WRN", "info": "INF"}
TEXT_PARTS = 4  # C108 holds five components: the rule id and four parts of text


def response_date(response: Response) -> date | None:
    return response.document.date or response.rate_date


def message_segments(response: Response, number: int) -> list[Segment]:
    """The CUSRES body (BGM … MOA) of one response."""
    reference = response.message.reference or f"{response.message.source}#{response.message.index}"
    document = response.document.number or reference
    segs = [Segment("BGM", "962", document[:35], RESPONSE_TYPES[response.status])]
    when = response_date(response)
    if when is not None:
        segs.append(Segment("DTM", ["137", when.strftime("%Y%m%d"), "102"]))
    segs.append(Segment("RFF", ["ACW", reference[:35]]))
    for finding in response.findings:
        segs.append(Segment("ERP", "" if finding.item is None else ["", str(finding.item)]))
        segs.append(Segment("ERC", ERROR_CODES[finding.outcome]))
        parts = chunks(finding.message, FREE_TEXT_WIDTH)
        for start in range(0, len(parts), TEXT_PARTS):
            segs.append(
                Segment("FTX", "AAO", "", "", [finding.rule, *parts[start : start + TEXT_PARTS]])
            )
    for fee in response.fees:
        segs.append(Segment("TAX", "7", ["", "", "", fee.rule]))
        segs.append(Segment("MOA", ["161", money(fee.amount), fee.currency]))
    return segs


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
        self.stream.write(text.encode("utf-8"))

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
        self._emit([Segment("UNB", ["UNOC", "3"], SENDER, RECIPIENT, stamp, self.reference)])

    def write(self, response: Response) -> None:
        if self.count == 0:
            self._open(response)
        self.count += 1
        ref = str(self.count)
        body = message_segments(response, self.count)
        self._emit(
            [Segment("UNH", ref, IDENTIFIER), *body, Segment("UNT", str(len(body) + 2), ref)]
        )

    def close(self) -> None:
        if self.count == 0:
            self._open(None)
        self._emit([Segment("UNZ", str(self.count), self.reference)])
