"""``--format ices-ack``: the run's responses as one ICES CHCAI02 acknowledgement file.

Layout: NIC/CBIC's ICES/IMPORTS 1.5 BE Message Exchange Document v2.23, p.53–55: 24
GS-delimited fields per record, CRLF, inside an HREC … TREC envelope like every ICES message.

* An **accepted** message (warn/info findings only) gets one positive record: message type ``F``,
  custom house, user job number and date (when the message has them), an amendment's or
  cancellation's BE number, error code ``00``, the rest empty. We are not ICES: BE
  number, BE date and appraising group, which ICES would allot, stay empty.
* A message that is **not accepted** gets one negative record per failing input record — the
  record named by a syntax finding's locator (``ITEMS[line 12].field 9``), the ITEMS record of an
  item-level finding (invoice and item serial from the item number), or the BE main record for a
  message-level finding (vesinfo for a manifest), a message that could not be read too — with
  that record's table in field 24 and our rule IDs, ``|``-separated as ICES clubs its codes, in
  the error-code field 20 (split over several records when longer than its 100 characters).
  Only reject, hold and query findings fail a record.
* A manifest (SACHI01, or any other input) is acknowledged in the same layout with its IGM number
  and date in fields 14–15; ICES's own IGM reply layout is not published.
* Deterministic: HREC date is the run's ``--as-of`` date when given, else empty; its control
  number is the number of messages acknowledged. ``--format json`` is unchanged; run the two
  formats side by side to get both.
"""

from __future__ import annotations

import re
from functools import cache
from typing import BinaryIO

from customs_engine.adapters.ices_flatfile import GS
from customs_engine.adapters.ices_flatfile.cachi01 import decode_item_number
from customs_engine.adapters.ices_flatfile.layouts import layouts
from customs_engine.core.response import Finding, Response

MESSAGE_ID = "CHCAI02"
FIELDS = 24
ERROR_CODE_LENGTH = 100
ACCEPTED = "00"
_FAILING = ("reject", "hold", "query")
_LOCATOR = re.compile(r"^(?P<table>[A-Za-z_]+)(?:\[line (?P<line>\d+)\])?")
_REFERENCE = re.compile(r"^[A-Z0-9_]+-(?P<port>[^-]*)-(?P<key>[^-]*)")


def _yyyymmdd(value: object) -> str:
    return value.strftime("%Y%m%d") if hasattr(value, "strftime") else ""


class AckWriter:
    """Collects one acknowledgement per response and writes the file on ``close``."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.records: list[list[str]] = []
        self.messages = 0
        self.port = ""
        self.as_of = ""

    def write(self, response: Response) -> None:
        self.messages += 1
        base = self._base(response)
        if not self.port:
            self.port = base[1]
        self.as_of = self.as_of or _yyyymmdd(response.engine.as_of)
        failing = [f for f in response.findings if f.outcome in _FAILING]
        if not failing:
            self.records.append(self._record(base, ACCEPTED))
            return
        for (table, _line, item), rules in _group(response, failing).items():
            for code in _club(rules):
                record = self._record(base, code, table=table)
                if item is not None:
                    invoice, serial = decode_item_number(item)
                    record[7], record[8] = str(invoice), str(serial)
                self.records.append(record)

    def close(self) -> None:
        header = [
            "HREC",
            "ZZ",
            self.port,
            "ZZ",
            "",
            "ICES1_5",
            "T",
            "",
            MESSAGE_ID,
            str(self.messages),
            self.as_of,
            "",
        ]
        lines = [header, *self.records, ["TREC", str(self.messages)]]
        self.stream.write(
            b"".join(GS.join(line).encode("ascii", "replace") + b"\r\n" for line in lines)
        )

    @staticmethod
    def _base(response: Response) -> list[str]:
        record = [""] * FIELDS
        record[0] = "F"
        document = response.document
        match = _REFERENCE.match(response.message.reference or "")
        record[1] = document.port_code or (match["port"] if match else "")
        if response.message.type == "manifest":
            record[13] = document.number or ""
            record[14] = _yyyymmdd(document.date)
        else:
            key = match["key"] if match else ""
            if key.isdigit():  # the user job number and date ICES keys a Bill of Entry by
                record[2] = key
                record[3] = _yyyymmdd(document.date)
            if response.message.function not in (None, "original"):
                record[4] = document.number or ""  # an amendment is keyed by its BE number
        return record

    @staticmethod
    def _record(base: list[str], code: str, *, table: str = "") -> list[str]:
        record = list(base)
        record[19] = code
        record[23] = table[:10]
        return record


def _group(
    response: Response, failing: list[Finding]
) -> dict[tuple[str, int | None, int | None], list[str]]:
    """Failing input record (table, file line, item number) → its rule IDs, in order seen.

    The ITEMS record of an item is one record whether a syntax finding names its line or a rule
    names its item number; other records are told apart by their line.
    """
    main = _main_record(response)
    groups: dict[tuple[str, int | None, int | None], list[str]] = {}
    for finding in failing:
        match = _LOCATOR.match(finding.field or "")
        if (
            match
            and match["table"] in _tables()
            and (match["line"] or finding.field == match["table"])
        ):
            table = match["table"]
            line = int(match["line"]) if match["line"] else None
            key = (table, None if table == "ITEMS" and finding.item else line, finding.item)
        elif finding.item is not None:
            key = ("ITEMS", None, finding.item)
        else:
            key = (main, None, None)
        rules = groups.setdefault(key, [])
        if finding.rule not in rules:
            rules.append(finding.rule)
    return groups


def _main_record(response: Response) -> str:
    """The record a finding that names none fails: a manifest's vesinfo, else the BE record,
    also for a message that could not be read (an IGM by its id, any other as a BE)."""
    manifest = response.message.type == "manifest" or (
        response.message.type == "unknown"
        and (response.message.reference or "").upper().startswith("SACHI01-")
    )
    return "vesinfo" if manifest else "BE"


@cache
def _tables() -> frozenset[str]:
    """The record names a locator may start with: the envelope's and every table's (a core
    finding's field, such as ``function``, names no input record)."""
    names = {"HREC", "TREC", "signature"}
    for dialect in ("cachi01", "sachi01"):
        names.update(layouts(dialect))
    return frozenset(names)


def _club(rules: list[str]) -> list[str]:
    """ICES clubs several codes with '|'; a field holds 100 characters, so split beyond that."""
    out: list[str] = []
    for rule in rules:
        if out and len(out[-1]) + 1 + len(rule) <= ERROR_CODE_LENGTH:
            out[-1] += "|" + rule
        else:
            out.append(rule[:ERROR_CODE_LENGTH])
    return out
