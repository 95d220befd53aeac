"""ICEGATE's two replies to a SACHM22 declaration, written from our responses.

* ``--format scmtr-sfl`` — the **structural-failure** reply (SFL) for each declaration that is
  not structurally valid: the declaration's ``headerField`` echoed as it came (even invalid
  values), then ``errorDetails`` with status ``Schema validation failure``, code ``ERR100`` and
  one ``errorMessage`` per failure — schema and instance pointers, keyword, message and the
  keyword's members, in the draft-04 validator's terms ICEGATE uses. A structurally valid
  declaration gets no SFL (ICEGATE sends none); input that is not JSON at all gets an SFL whose
  entries have domain ``syntax``.
* ``--format scmtr-ack`` — the **business-validation** acknowledgement (layout of ICEGATE's SCE
  and SCA ACKs) for every SACHM22 declaration read as one (structurally valid or not; any other
  input — a Bill of Entry, unreadable bytes, another message or event — gets no ACK, only an
  SFL where it has syntax findings): the header and ``decRef`` echoed with numbers as strings, one
  ``…ErrorCode`` array per object (``000`` Successful when nothing failed), ``itemDtls``,
  ``trnsprteqmt`` and ``itnry`` per sequence number, house lines in ``hcargoDec`` at index
  sub-line − 1 (the ``{}`` before them written as a stream). A failing finding (reject, hold
  or query) is placed on the object its JSON pointer or canonical line names, with the
  message implementation guide's three-digit code where one fits (:data:`FIELD_CODES`,
  :data:`KEYWORD_CODES`) and our rule ID otherwise.
  We are not ICEGATE: no CSN number, MCIN or PCIN is allotted (``csn_no`` appears only when
  the declaration quotes one) and the ACK is not signed.

Both write one compact JSON document per line (JSON Lines), in input order.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, BinaryIO

from customs_engine.adapters.scmtr_json import FORMAT
from customs_engine.adapters.scmtr_json.structure import plain
from customs_engine.core.response import Finding, Response

HEADER_KEYS = (
    "senderID",
    "receiverID",
    "versionNo",
    "indicator",
    "messageID",
    "date",
    "time",
    "sequenceOrControlNumber",
    "reportingEvent",
)
DECREF_KEYS = ("msgTyp", "prtofRptng", "jobNo", "jobDt", "rptngEvent")
_FAILING = ("reject", "hold", "query")
_SUCCESS = "000"

#: MIG §7 codes for a failure on a field, whatever the keyword (key: field, or object/field)
FIELD_CODES = {
    "msgTyp": "003",
    "rptngEvent": "004",
    "reportingEvent": "004",
    "prtofRptng": "005",
    "sbmtrTyp": "008",
    "sbmtrCd": "009",
    "authReprsntvCd": "010",
    "modeOfTrnsprt": "014",
    "typOfTrnsprtMeans": "015",
    "trnsprtMeansId": "016",
    "cnvnceRefNmbr": "020",
    "prtOfCallSeqNmbr": "027",
    "prtOfCallCdd": "028",
    "nxtPrtOfCallCdd": "029",
    "typsOfPkgs": "030",
    "typOfPkgs": "030",
    "hsCd": "031",
    "unoCd": "032",
    "imdgCd": "033",
    "ucrTyp": "034",
    "ucrCd": "035",
    "trnshprCd": "036",
    "prtOfAcptCdd": "037",
    "prtOfReceiptCdd": "038",
    "cnsgnrCdTyp": "039",
    "cnsgnrsCd": "040",
    "cnsgnrCntryCd": "043",
    "typOfNotfdPartyCd": "045",
    "notfdPartyCntryCd": "046",
    "unitOfWeight": "048",
    "unitOfVolume": "049",
    "crncyCd": "050",
    "nmbrOfPkgs": "051",
    "grossWeight": "052",
    "netWeight": "053",
    "grossVolume": "054",
    "invoiceValueOfCnsgmt": "055",
    "MCRef/consolidatedIndctr": "056",
    "MCRef/prevDec": "057",
    "firstPrtOfEntry": "058",
    "destPrt": "060",
    "nxtPrtOfUnlading": "061",
    "typOfCrgo": "062",
    "itemTyp": "063",
    "crgoMvmt": "064",
    "natrOfCrgo": "067",
    "eqmtSeqNo": "069",
    "eqmtTyp": "070",
    "eqmtId": "071",
    "eqmtSize": "072",
    "eqmtLoadStatus": "073",
    "adtnlEqmtHold": "074",
    "eqmtSealTyp": "075",
    "socFlag": "076",
    "totalNmbrOfPkgs": "078",
    "cntrWeight": "079",
    "eqmtSealNmbr": "084",
    "totalNoOfTrnsprtEqmtMnfsted": "085",
    "totalNmbrOfLines": "086",
    "consolidatorPan": "092",
    "trnshprBond": "095",
    "cinTyp": "099",
    "panOfNotfdParty": "111",
    "nameOfAnyOtherNotfdParty": "112",
    "HCRef/consolidatedIndctr": "116",
    "HCRef/prevDec": "117",
    "cnsgnrsName": "131",
    "cnsgnesName": "135",
    "typOfCd": "136",
    "goodsDescAsPerBl": "145",
    "MCRef/lineNo": "363",
    "HCRef/subLineNo": "364",
}
#: MIG §7 codes for failures of a kind rather than of a field
KEYWORD_CODES = {"required": "002", "uniqueKey": "001"}
#: MIG §7 codes of the adapter's own rules (an SCA line action that does not fit the CSN)
RULE_CODES = {"SCMTR-SCA-001": "306", "SCMTR-SCA-002": "307"}
LABELS = {
    "001": "Duplicate Records",
    "002": "No Attribute Exists for Mandatory Object",
    "003": "Invalid Message Type",
    "004": "Invalid Reporting Events",
    "005": "Reporting Port Not Match with Submission Port",
    "008": "Invalid Submitter Type",
    "009": "Invalid Submitter Type/Code",
    "010": "Invalid Authorized Person Code",
    "014": "Invalid Mode of Transport",
    "015": "Invalid Transport Means",
    "016": "Invalid Transport Means No/IMO Code",
    "020": "Invalid Voyage Call Number-VCN",
    "027": "Invalid Ship Itinerary Sequence",
    "028": "Invalid Port of Call Code/Name",
    "029": "Invalid Port of Next Call Code/Name",
    "030": "Invalid Type of Packet",
    "031": "Invalid HS Code",
    "032": "Invalid UNO Code",
    "033": "Invalid IMDG Code",
    "034": "Invalid UCR Type",
    "035": "Invalid UCR Code",
    "036": "Invalid Transhipper Code",
    "037": "Invalid Acceptance Port Code",
    "038": "Invalid Receipt Port Code",
    "039": "Invalid Consignor Code Type",
    "040": "Invalid Consignor Code",
    "043": "Invalid Consignor Country Code",
    "045": "Invalid Notified Party Code Type",
    "046": "Invalid Notified Party Country Code",
    "048": "Invalid Unit of Weight",
    "049": "Invalid Unit of Volume",
    "050": "Invalid Currency Code",
    "051": "Total Packets Can Not Be -Ve",
    "052": "Gross Weight Can Not Be -Ve",
    "053": "Net Weight Can Not Be -Ve",
    "054": "Gross Volume Can Not Be -Ve",
    "055": "Invoice Value Can Not Be -Ve",
    "056": "Invalid MC Consolidated Flag For CSN",
    "057": "Invalid MC Previous Declaration Value",
    "058": "Invalid First Port Code",
    "060": "Invalid Destination Port Code",
    "061": "Invalid Next Port Code",
    "062": "Invalid Cargo Type",
    "063": "Invalid Item Type",
    "064": "Invalid Cargo Movement Type",
    "067": "Invalid Nature of Cargo",
    "069": "Invalid Equipment Serial Number",
    "070": "Invalid Equipment Type",
    "071": "Invalid Equipment Identification",
    "072": "Invalid Equipment Size",
    "073": "Invalid Load Status",
    "074": "Invalid Additional Hold",
    "075": "Invalid Seal Type",
    "076": "Invalid SOC Flag",
    "078": "Total Packet Can Not Be -Ve in Equipment",
    "079": "Weight Can Not Be -Ve in Equipment",
    "084": "Invalid Seal Number",
    "085": "Wrong Total Number of Equipment Manifested",
    "086": "Invalid Total Number of Lines",
    "092": "Invalid Consolidator PAN",
    "095": "Bond Number is Blank",
    "099": "Invalid CIN Type for CSN",
    "111": "Invalid Notified Party PAN",
    "112": "Notified Party Name is Null",
    "116": "Invalid HC Consolidated Value",
    "117": "Invalid HC Previous Declaration Value",
    "131": "Consignor Name is Null",
    "135": "Consignee Name is Null",
    "136": "Invalid Consignee Code Type",
    "145": "Goods Description is NULL",
    "306": "Line_No+Sline_No Not Exists For Update/Delete",
    "307": "Line_No+Sline_No Already Exists For Addition",
    "363": "Bl Can not have Line Number as Zero-0",
    "364": "HBl Can not have Sub-Line Number as Zero-0",
}
_LINE = re.compile(r"^lines\[(\d+)\]")
#: ``{}`` written at a time where ``hcargoDec`` is padded
_PADDING_CHUNK = 1024
_INDEX = re.compile(r"/\d+(?=/|$)")


def _line(document: dict[str, Any]) -> bytes:
    return (
        json.dumps(document, default=plain, ensure_ascii=False, separators=(",", ":")).encode()
        + b"\n"
    )


def _is_syntax(finding: Finding) -> bool:
    return finding.rule.startswith("CORE-SYNTAX-")


def _header(response: Response) -> dict[str, Any]:
    echo = response.message.echo or {}
    header = echo.get("headerField")
    return dict(header) if isinstance(header, dict) else {}


class SflWriter:
    """One SFL per structurally invalid declaration."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def write(self, response: Response) -> None:
        failures = [f for f in response.findings if _is_syntax(f)]
        if not failures:
            return
        errors = list((response.message.echo or {}).get("errors") or [])
        if not errors:
            errors = [
                {
                    "level": "error",
                    "schema": {"loadingURI": "#", "pointer": ""},
                    "instance": {"pointer": "" if f.field in (None, "/") else f.field},
                    "domain": "syntax",
                    "keyword": "syntax",
                    "message": f.message,
                }
                for f in failures
            ]
        self.stream.write(
            _line(
                {
                    "headerField": _header(response),
                    "errorDetails": {
                        "status": "Schema validation failure",
                        "errorCode": "ERR100",
                        "errorMessage": errors,
                    },
                }
            )
        )

    def close(self) -> None:
        return None


# -- ACK ------------------------------------------------------------------------------------

#: DEC object → (ACK key of its error array, its pathName below the line)
_SINGLE = (
    ("prevRef", "prevRefErrorCode"),
    ("locCstm", "locCstmErrorCode"),
    ("trnshpr", "trnshprErrorCode"),
    ("trnsprtDoc", "trnsprtDocErrorCode"),
    ("trnsprtDocMsr", "trnsprtDocmsrErrorCode"),
)
#: DEC array → (ACK array key, its sequence-number key, the entry's error array key)
_REPEATED = (
    ("itemDtls", "itemDtls", "crgoItemSeqNmbr", "itemDtlsErrorCode", "items"),
    ("trnsprtEqmt", "trnsprteqmt", "eqmtSeqNo", "trnsprtEqpmtErrorCode", "equipment"),
    ("itnry", "itnry", "prtOfCallSeqNmbr", "itnryErrorCode", "itinerary"),
)


def code_of(finding: Finding) -> str:
    """The MIG's code for a failing finding where one fits, else our rule ID."""
    pointer = finding.field or ""
    if _is_syntax(finding) and pointer.startswith("/"):
        parts = [p for p in _INDEX.sub("", pointer).split("/") if p]
        for key in ("/".join(parts[-2:]), parts[-1] if parts else ""):
            if key in FIELD_CODES:
                return FIELD_CODES[key]
        keyword = _keyword(finding)
        if keyword in KEYWORD_CODES:
            return KEYWORD_CODES[keyword]
    return RULE_CODES.get(finding.rule, finding.rule)


def _keyword(finding: Finding) -> str | None:
    text = finding.message
    if "missing required properties" in text:
        return "required"
    if " is already " in text:
        return "uniqueKey"
    return None


def _entry(path: str, finding: Finding | None, success: str) -> dict[str, str]:
    if finding is None:
        return {"pathName": path, "errorCode": _SUCCESS, "errorMessage": success}
    code = code_of(finding)
    label = LABELS.get(code)
    message = f"{label}: {finding.message}" if label else finding.message
    return {"pathName": path, "errorCode": code, "errorMessage": message}


def _string(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        number = plain(value)
        return str(number) if isinstance(number, int) else str(value)
    if isinstance(value, int):
        return str(value)
    return value


class _Placer:
    """Which ACK object a failing finding belongs to: its JSON pointer, or its canonical line."""

    def __init__(self, response: Response):
        echo = response.message.echo or {}
        self.lines: list[dict[str, Any]] = list(echo.get("lines") or [])
        #: the canonical lines are the declaration's own (not an amended manifest's, whose
        #: line positions the declaration's skeleton does not follow)
        self.whole = echo.get("reference") == response.message.reference
        self.canonical: list[tuple[int, int | None]] = []
        for mc_index, mc in enumerate(self.lines):
            self.canonical.append((mc_index, None))
            self.canonical += [(mc_index, hc) for hc in range(len(mc.get("houses") or []))]
        self.placed: dict[tuple[Any, ...], list[Finding]] = {}
        for finding in response.findings:
            if finding.outcome in _FAILING:
                self.placed.setdefault(self._where(finding), []).append(finding)

    def _where(self, finding: Finding) -> tuple[Any, ...]:
        field = finding.field or ""
        match = _LINE.match(field)
        if match and int(match[1]) < len(self.canonical) and self.whole:
            mc, hc = self.canonical[int(match[1])]
            return (mc, hc, "ref", None)
        parts = field.split("/")[1:] if field.startswith("/") else []
        if len(parts) >= 2 and parts[0] == "master":
            if parts[1] in ("authPrsn", "vesselDtls", "voyageDtls"):
                return (parts[1],)
            if (
                parts[1] == "mastrCnsgmtDec"
                and len(parts) >= 3
                and parts[2].isdigit()
                and int(parts[2]) < len(self.lines)
            ):
                rest = parts[3:]
                hc = None
                if len(rest) >= 2 and rest[0] == "houseCargoDec" and rest[1].isdigit():
                    hc, rest = int(rest[1]), rest[2:]
                return (int(parts[2]), hc, *self._object(rest))
        return ("decRef",)

    @staticmethod
    def _object(rest: list[str]) -> tuple[str, int | None]:
        if not rest:
            return ("ref", None)
        name = rest[0]
        if name in {single for single, _ in _SINGLE}:
            return (name, None)
        if name in {repeated[0] for repeated in _REPEATED}:
            return (name, int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else None)
        return ("ref", None)

    def entries(self, key: tuple[Any, ...], path: str, success: str) -> list[dict[str, str]]:
        """The object's error array; its findings are consumed (see :meth:`leftovers`)."""
        found = self.placed.pop(key, None)
        if not found:
            return [_entry(path, None, success)]
        return [_entry(path, finding, success) for finding in found]

    def leftovers(self) -> list[Finding]:
        """Failing findings no object of the ACK took: they go to ``decRef``, never lost."""
        return [finding for found in self.placed.values() for finding in found]


def acknowledges(response: Response) -> bool:
    """Whether an ACK answers this message: a SACHM22 declaration of a supported event that was
    read as one (its objects, even invalid ones, are what an ACK reports on). Input that is not
    a declaration — a Bill of Entry, another format, bytes that are not JSON or not a JSON
    object, another message or event, one of ICEGATE's replies — has no vessel, voyage or lines
    to call successful: it gets no ACK (ICEGATE answers what fails before business validation
    with an SFL and stops; ``--format scmtr-sfl`` writes that)."""
    echo = response.message.echo
    return response.message.format == FORMAT and isinstance(echo, dict) and "event" in echo


class AckWriter:
    """One ACK per SACHM22 declaration (:func:`acknowledges`), in input order; other messages
    get none."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def write(self, response: Response) -> None:
        if not acknowledges(response):
            return
        echo = response.message.echo or {}
        placer = _Placer(response)
        header = {key: _string(value) for key, value in _header(response).items()}
        header.setdefault("messageID", "SACHM22")
        found_ref = echo.get("decRef")
        raw_ref: dict[str, Any] = found_ref if isinstance(found_ref, dict) else {}
        dec_ref: dict[str, Any] = {
            key: _string(raw_ref[key]) for key in DECREF_KEYS if key in raw_ref
        }
        if "csnNmbr" in raw_ref:
            dec_ref["csn_no"] = _string(raw_ref["csnNmbr"])
            dec_ref["csn_dt"] = raw_ref.get("csnDt")
        elif response.document.number:
            dec_ref["csn_no"] = response.document.number
        master: dict[str, Any] = {"decRef": dec_ref}
        for name in ("authPrsn", "vesselDtls", "voyageDtls"):
            master[f"{name}ErrorCode"] = placer.entries((name,), f"/master/{name}", "Successful")
        master["mastrCnsgnmtDec"] = [
            self._line(placer, index, line) for index, line in enumerate(placer.lines)
        ]
        own = placer.entries(("decRef",), "/master/decRef", "Successful")
        rest = [_entry("/master/decRef", finding, "") for finding in placer.leftovers()]
        dec_ref["decRefErrorCode"] = [
            e for e in own if rest == [] or e["errorCode"] != _SUCCESS
        ] + rest
        self._write({"headerField": header, "master": master})

    def _write(self, document: dict[str, Any]) -> None:
        """The ACK as one JSON line, written line by line of the declaration: the ``{}`` that
        pad ``hcargoDec`` up to a house line's sub-line number (up to 9,998 per master line) are
        written in chunks, never built, so memory stays flat whatever the sub-line numbers."""
        lines = document["master"].pop("mastrCnsgnmtDec")
        head = _line(document)[:-3]  # without the closing ``}}`` and the newline
        self.stream.write(head + b',"mastrCnsgnmtDec":[')
        for index, (line, houses) in enumerate(lines):
            if index:
                self.stream.write(b",")
            if not houses:
                self.stream.write(_line(line)[:-1])
                continue
            self.stream.write(_line(line)[:-2] + b',"hcargoDec":[')
            for at, (padding, house) in enumerate(houses):
                if at:
                    self.stream.write(b",")
                for written in range(0, padding, _PADDING_CHUNK):
                    self.stream.write(b"{}," * min(_PADDING_CHUNK, padding - written))
                self.stream.write(_line(house)[:-1])
            self.stream.write(b"]}")
        self.stream.write(b"]}}\n")

    def _line(
        self, placer: _Placer, index: int, line: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
        """A master line's ACK object, and its house lines in ``hcargoDec`` order, each with
        the number of ``{}`` written before it (ICEGATE places a house line at index sub-line
        - 1)."""
        out = self._objects(
            placer, (index, None), line, "/master/mastrCnsgmtDec", "MCRef", "lineNo"
        )
        houses: list[tuple[int, dict[str, Any]]] = []
        size = 0
        for hc_index, house in enumerate(line.get("houses") or []):
            sub = house.get("subLineNo")
            at = (
                int(sub) - 1
                if isinstance(sub, int | Decimal)
                and not isinstance(sub, bool)
                and 0 < sub <= 9999
                and sub == int(sub)
                else -1
            )
            padding = max(0, at - size)  # ICEGATE places a house line at index sub-line - 1
            houses.append(
                (
                    padding,
                    self._objects(
                        placer,
                        (index, hc_index),
                        house,
                        "/master/mastrCnsgmtDec/houseCargoDec",
                        "HCRef",
                        "subLineNo",
                    ),
                )
            )
            size += padding + 1
        return out, houses

    @staticmethod
    def _objects(
        placer: _Placer,
        at: tuple[int, int | None],
        line: dict[str, Any],
        base: str,
        ref: str,
        number: str,
    ) -> dict[str, Any]:
        done = "Successfull"  # sic: ICEGATE's word at line level
        out: dict[str, Any] = {
            ref: {
                number: _string(line.get(number)),
                f"{ref}ErrorCode": placer.entries((*at, "ref", None), f"{base}/{ref}", done),
            }
        }
        for name, key in _SINGLE:
            ack_key = "loccstmErrorCode" if ref == "HCRef" and name == "locCstm" else key
            out[ack_key] = placer.entries((*at, name, None), f"{base}/{name}", done)
        for name, ack, seq, errors, echo_key in _REPEATED:
            numbers = line.get(echo_key) or []
            if numbers:
                out[ack] = [
                    {
                        seq: _string(n),
                        errors: placer.entries((*at, name, i), f"{base}/{name}", done),
                    }
                    for i, n in enumerate(numbers)
                ]
        return out

    def close(self) -> None:
        return None
