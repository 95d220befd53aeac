"""The field tables of the SACHM22 message implementation guide (CSN, v1.6), as data.

Every object of a Cargo Summary Notification and every field in it, with the guide's type,
length, code list and whether it is mandatory. :mod:`.schema` builds the JSON Schema that the
adapter validates declarations against from these tables; nothing else describes the structure.

Two variants: ``D`` — the declarations SCE (arrival), SCX (exit) and SCD (domestic), which share
one layout — and ``A`` — SCA, the amendment, where every object carries its own ``amendment``
action and most fields become optional because an amendment sends only what it changes.
``req`` lists the variants in which a field (or object) is mandatory; ``only`` the variants in
which it may appear at all (a field not allowed in a variant is an unknown property there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Kind = Literal["string", "number", "date", "time", "datetime"]

#: the guide's date (CCYYMMDD), time (``T`` + HH:MM) and date-time layouts, anchored
DATE_PATTERN = r"^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[1-2][0-9]|3[0-1])$"
TIME_PATTERN = r"^[T]([0-1][0-9]|[2][0-3]):([0-5][0-9])$"
DATETIME_PATTERN = (
    r"^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[1-2][0-9]|3[0-1])"
    r"[T]([0-1][0-9]|[2][0-3]):([0-5][0-9])$"
)


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind = "string"
    low: int | Decimal | None = None  # minimum length (strings) or value (numbers)
    high: int | Decimal | None = None  # maximum length or value
    places: int = 0  # numbers: decimal places allowed (0: a whole number)
    codes: tuple[str, ...] = ()
    pattern: str | None = None
    req: str = "DA"
    only: str = "DA"
    low_amendment: int | None = None  # SCA's own minimum where it differs


@dataclass(frozen=True)
class Obj:
    key: str
    fields: tuple[Field | Obj, ...]
    array: bool = False
    req: str = ""
    only: str = "DA"
    #: the SCA ``amendment`` codes of this object (U update, D delete, S supplementary/add)
    actions: tuple[str, ...] = ("U", "D", "S")
    #: present only to one field when another is (draft-04 ``dependencies``)
    needs: tuple[tuple[str, str], ...] = field(default=())


def text(
    key: str,
    low: int,
    high: int,
    *,
    req: str = "DA",
    only: str = "DA",
    codes: tuple[str, ...] = (),
    pattern: str | None = None,
    low_amendment: int | None = None,
) -> Field:
    return Field(
        key,
        "string",
        low,
        high,
        codes=codes,
        pattern=pattern,
        req=req,
        only=only,
        low_amendment=low_amendment,
    )


def num(
    key: str,
    low: int,
    high: int,
    *,
    places: int = 0,
    req: str = "DA",
    only: str = "DA",
    low_amendment: int | None = None,
) -> Field:
    return Field(
        key, "number", low, high, places=places, req=req, only=only, low_amendment=low_amendment
    )


def day(key: str, *, req: str = "DA", only: str = "DA") -> Field:
    return Field(key, "date", req=req, only=only)


# -- code lists (MIG §3.4 and §6; values seen in CBIC's own samples are kept) --------------------

EVENTS = ("SCE", "SCX", "SCD", "SCA")
MESSAGE_TYPES = ("F", "A", "D")
MODES = ("1", "2", "3", "4")
MEANS = ("10", "11")
SUBMITTERS = ("ASA", "ASC", "ANC", "ATP", "ATO", "AES", "PAN")
CONSOLIDATION = ("S", "C", "H", "R")
PREVIOUS = ("N", "C", "Y", "S", "B", "R")
CARGO_TYPES = ("IM", "EX", "CG", "TR", "RN", "EM")
ITEM_TYPES = ("GC", "UB", "OT")
MOVEMENTS = ("LC", "TI", "TC", "DT", "FT", "FI", "NA")
NATURES = ("C", "P", "CP", "LB", "DB")
PARTY_CODES = ("IEC", "PAN", "GSN", "GSD", "GSG")
PACKAGES = ("PKG", "KGS", "MTS", "LTR", "USG")
WEIGHT_UNITS = ("KGS", "MTS")
VOLUME_UNITS = ("LTR", "USG")
EQUIPMENT = ("CN", "B", "W", "TE", "DPL", "CH", "BL", "BB")
LOAD_STATUS = ("FCL", "LCL", "EMP")
SEALS = ("ESEAL", "BTSL")
YES_NO = ("Y", "N")
CIN_TYPES = ("MCIN", "PCIN", "CSN", "P")
PORT = r"^[A-Z0-9]{5,10}$"
INDIAN_SITE = r"^IN[A-Z0-9]{4}$"
HS_CODE = r"^[0-9]{2,8}$"

# -- objects --------------------------------------------------------------------------------

HEADER = Obj(
    "headerField",
    (
        text("senderID", 1, 30),
        text("receiverID", 1, 30),
        text("versionNo", 1, 7),
        text("indicator", 1, 1, codes=("T", "P")),
        text("messageID", 1, 7, codes=("SACHM22",)),
        num("sequenceOrControlNumber", 1, 9999999),
        day("date"),
        Field("time", "time"),
        text("reportingEvent", 1, 4, codes=EVENTS),
    ),
    req="DA",
    actions=(),
)

ERRORS = Obj(
    "errCD",
    (text("pathName", 0, 100), text("errorCode", 0, 50), text("errorMessage", 0, 100)),
    array=True,
    actions=(),
)
AMEND_DETAILS = Obj(
    "Amend_det",
    (text("amendRefNo", 0, 15), text("amendFlag", 0, 2), text("amendType", 0, 10)),
    array=True,
    actions=(),
)

DEC_REF = Obj(
    "decRef",
    (
        text("msgTyp", 1, 1, codes=MESSAGE_TYPES),
        text("prtofRptng", 5, 10, pattern=INDIAN_SITE),
        num("jobNo", 1, 9999999),
        day("jobDt"),
        text("rptngEvent", 1, 4, codes=EVENTS),
        # SCA names the CSN it amends; an SCE may quote the CSN number ICEGATE allotted (its ACK)
        num("csnNmbr", 1, 9999999, req="A"),
        day("csnDt", req="A"),
    ),
    req="DA",
    actions=("U", "D"),
)

AUTHORISED_PERSON = Obj(
    "authPrsn",
    (
        text("sbmtrTyp", 1, 4, codes=SUBMITTERS),
        text("sbmtrCd", 1, 15),
        text("authReprsntvCd", 1, 10),
    ),
    req="DA",
    actions=("U",),
)

VESSEL = Obj(
    "vesselDtls",
    (
        text("modeOfTrnsprt", 1, 4, codes=MODES, req="D"),
        text("typOfTrnsprtMeans", 1, 25, codes=MEANS, req="D"),
        text("trnsprtMeansId", 1, 25, req="D"),
    ),
    req="D",
    actions=("U",),
)

VOYAGE = Obj(
    "voyageDtls",
    (
        text("cnvnceRefNmbr", 1, 35, req="D"),
        num("totalNoOfTrnsprtEqmtMnfsted", 0, 99999, req="D"),
        num("totalNmbrOfLines", 1, 99999, req="D"),
    ),
    req="D",
    actions=("U",),
)

MC_REF = Obj(
    "MCRef",
    (
        num("lineNo", 1, 99999),
        text("mstrBlNo", 1, 20),
        day("mstrBlDt"),
        text("consolidatedIndctr", 1, 4, codes=CONSOLIDATION),
        text("prevDec", 1, 4, codes=PREVIOUS),
        text("consolidatorPan", 1, 35),
    ),
    req="DA",
)

HC_REF = Obj(
    "HCRef",
    (
        num("subLineNo", 1, 9999),
        text("blNo", 1, 20),
        day("blDt"),
        text("consolidatedIndctr", 1, 4, codes=CONSOLIDATION),
        text("consolidatorPan", 1, 35),
        text("prevDec", 1, 4, codes=PREVIOUS),
    ),
    req="DA",
)


def _reference(key: str, *, req: str, cin_required: str, only: str = "DA") -> Obj:
    return Obj(
        key,
        (
            text("cinTyp", 1, 4, codes=CIN_TYPES, req=cin_required),
            text("mcinPcin", 0, 20, req=""),
            text("csnSbmtdTyp", 0, 4, req=""),
            text("csnSbmtdBy", 0, 20, req=""),
            text("csnRptngTyp", 0, 4, req=""),
            text("csnSiteId", 0, 6, req=""),
            num("csnNmbr", 0, 9999999, req=""),
            day("csnDt", req=""),
        ),
        req=req,
        only=only,
    )


LOCATION = Obj(
    "locCstm",
    (
        text("firstPrtOfEntry", 5, 10, pattern=PORT),
        text("destPrt", 5, 10, pattern=PORT),
        text("nxtPrtOfUnlading", 5, 10, pattern=PORT),
        text("typOfCrgo", 1, 2, codes=CARGO_TYPES),
        text("itemTyp", 1, 2, codes=ITEM_TYPES),
        text("crgoMvmt", 1, 4, codes=MOVEMENTS),
        text("natrOfCrgo", 1, 4, codes=NATURES),
    ),
)

TRANSHIPPER = Obj("trnshpr", (text("trnshprCd", 1, 10), text("trnshprBond", 1, 10)))


def party(
    prefix: str,
    name: str,
    code: str,
    code_type: str,
    subdivision: str,
    *,
    country_required: bool = True,
) -> tuple[Field, ...]:
    """A party of a transport document (consignor, consignee, notified party): nine fields of
    the same lengths for each, named ``<prefix>City`` and so on, but for the four the MIG names
    irregularly (``name``, ``code``, ``code_type``, ``subdivision``)."""
    return (
        text(name, 1, 70),
        text(code, 0, 17, req=""),
        text(code_type, 0, 3, req="", codes=PARTY_CODES),
        text(f"{prefix}StreetAddress", 1, 70),
        text(f"{prefix}City", 1, 70),
        text(f"{prefix}CntrySubDivName", 0, 35, req=""),
        text(subdivision, 0, 9, req=""),
        text(f"{prefix}CntryCd", 1, 2)
        if country_required
        else text(f"{prefix}CntryCd", 0, 2, req=""),
        text(f"{prefix}Pstcd", 0, 9, req=""),
    )


TRANSPORT_DOCUMENT = Obj(
    "trnsprtDoc",
    (
        text("prtOfAcptCdd", 5, 10, pattern=PORT),
        text("prtOfAcptName", 0, 256, req=""),
        text("prtOfReceiptCdd", 5, 10, pattern=PORT),
        text("prtOfReceiptName", 0, 256, req=""),
        *party("cnsgnr", "cnsgnrsName", "cnsgnrsCd", "cnsgnrCdTyp", "cnsgnrCntrySubDivCd"),
        *party("cnsgne", "cnsgnesName", "cnsgnesCd", "typOfCd", "cnsgneCntrySubDiv"),
        *party(
            "notfdParty",
            "nameOfAnyOtherNotfdParty",
            "panOfNotfdParty",
            "typOfNotfdPartyCd",
            "notfdPartyCntrySubDiv",
            country_required=False,
        ),
        text("goodsDescAsPerBl", 1, 512),
        text("ucrTyp", 0, 3, req=""),
        text("ucrCd", 0, 35, req=""),
    ),
)

MEASURES = Obj(
    "trnsprtDocMsr",
    (
        num("nmbrOfPkgs", 1, 99999999, req="D", low_amendment=0),
        text("typsOfPkgs", 1, 3, req="D", codes=PACKAGES, low_amendment=0),
        text("marksNoOnPkgs", 1, 512),
        num("grossWeight", 0, 999999999999, places=3, req=""),
        num("netWeight", 0, 999999999999, places=3, req=""),
        text("unitOfWeight", 0, 3, req="", codes=WEIGHT_UNITS),
        num("grossVolume", 0, 999999999999, places=3, req=""),
        text("unitOfVolume", 0, 3, req="", codes=VOLUME_UNITS),
        num("invoiceValueOfCnsgmt", 0, 9999999999999999, places=2, req=""),
        text("crncyCd", 0, 3, req="", pattern=r"^[A-Z]{3}$"),
    ),
    needs=(
        ("grossWeight", "unitOfWeight"),
        ("netWeight", "unitOfWeight"),
        ("grossVolume", "unitOfVolume"),
        ("invoiceValueOfCnsgmt", "crncyCd"),
    ),
)

ITEMS = Obj(
    "itemDtls",
    (
        num("crgoItemSeqNmbr", 1, 99999),
        text("hsCd", 1, 8, pattern=HS_CODE),
        text("crgoItemDesc", 0, 256, req=""),
        text("unoCd", 1, 5),
        text("imdgCd", 1, 3),
        num("nmbrOfPkgs", 0, 99999999, req=""),
        text("typOfPkgs", 0, 3, req="", codes=PACKAGES),
    ),
    array=True,
    needs=(("nmbrOfPkgs", "typOfPkgs"),),
)

EQUIPMENT_DETAILS = Obj(
    "trnsprtEqmt",
    (
        num("eqmtSeqNo", 1, 99999),
        text("eqmtId", 1, 17, pattern=r"^[A-Za-z0-9]+$"),
        text("eqmtTyp", 1, 3, codes=EQUIPMENT),
        text("eqmtSize", 1, 4, req="", pattern=r"^[A-Za-z0-9]{1,4}$"),
        text("eqmtLoadStatus", 1, 3, codes=LOAD_STATUS),
        text("adtnlEqmtHold", 0, 256, req=""),
        text("eqmtSealTyp", 0, 5, req="", codes=SEALS),
        text("eqmtSealNmbr", 0, 15, req="", pattern=r"^[A-Za-z0-9]*$"),
        text("otherEqmtId", 0, 256, req=""),
        text("socFlag", 1, 1, codes=YES_NO),
        text("cntrAgntCd", 0, 17, req=""),
        num("cntrWeight", 0, 99999999999999, places=2, req=""),
        num("totalNmbrOfPkgs", 1, 99999999, req="D", low_amendment=0),
    ),
    array=True,
)

ITINERARY = Obj(
    "itnry",
    (
        num("prtOfCallSeqNmbr", 1, 99999),
        text("prtOfCallCdd", 5, 10, req="", pattern=PORT),
        text("prtOfCallName", 0, 256, req=""),
        text("nxtPrtOfCallCdd", 5, 10, req="", pattern=PORT),
        text("nxtPrtOfCallName", 0, 256, req=""),
        text("modeOfTrnsprt", 1, 4, codes=MODES),
    ),
    array=True,
)


def _additional(key: str) -> Obj:
    return Obj(
        key,
        (
            text("tagRef", 1, 5),
            text("refSerialNo", 1, 5),
            text("infoTyp", 1, 10),
            text("infoQualifier", 1, 10),
            text("infoCd", 0, 35, req=""),
            text("infoText", 0, 100, req=""),
            text("infoMsr", 0, 5, req=""),
            Field("infoDt", "datetime", req=""),
        ),
        array=True,
    )


def _documents(key: str) -> Obj:
    return Obj(
        key,
        (
            text("tagRef", 1, 5),
            text("refSerialNo", 1, 5),
            num("subSerialNoRef", 0, 99999),
            text("icegateUserid", 1, 15),
            text("irnNmbr", 1, 14),
            text("docRefNmbr", 1, 17),
            text("docTypCd", 1, 6),
            text("bnefcryCd", 1, 35),
        ),
        array=True,
    )


HOUSE = Obj(
    "houseCargoDec",
    (
        HC_REF,
        _reference("prevRef", req="", cin_required="DA"),
        _reference("supRef", req="", cin_required="DA"),
        LOCATION,
        TRANSHIPPER,
        TRANSPORT_DOCUMENT,
        Obj(MEASURES.key, MEASURES.fields, req="D", needs=MEASURES.needs),
        ITEMS,
        EQUIPMENT_DETAILS,
        ITINERARY,
        _additional("adtnlDec"),
        _documents("crgoSuprtDocs"),
    ),
    array=True,
    actions=(),
)

MASTER_LINE = Obj(
    "mastrCnsgmtDec",
    (
        MC_REF,
        _reference("prevRef", req="", cin_required="D"),
        _reference("supRef", req="A", cin_required="A", only="A"),
        LOCATION,
        TRANSHIPPER,
        TRANSPORT_DOCUMENT,
        Obj(MEASURES.key, MEASURES.fields, req="D", needs=MEASURES.needs),
        ITEMS,
        Obj(EQUIPMENT_DETAILS.key, EQUIPMENT_DETAILS.fields, array=True, req="D"),
        ITINERARY,
        HOUSE,
        _additional("mcAdtnlDec"),
        _documents("mcSuprtDocs"),
    ),
    array=True,
    req="DA",
    actions=(),
)

MASTER = Obj(
    "master",
    (ERRORS, AMEND_DETAILS, DEC_REF, AUTHORISED_PERSON, VESSEL, VOYAGE, MASTER_LINE),
    req="DA",
    actions=(),
)

SIGNATURE = Obj(
    "digSign",
    (
        text("startSignature", 0, 4096),
        text("startCertificate", 0, 16384),
        text("signerVersion", 0, 35),
    ),
    req="DA",
    actions=(),
)

DECLARATION = Obj("", (HEADER, MASTER, SIGNATURE), req="DA", actions=())
