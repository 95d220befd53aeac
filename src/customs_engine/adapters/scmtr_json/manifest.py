"""A valid SCE declaration (or the lines of an SCA) → the canonical Import General Manifest.

Mapping: ``decRef.prtofRptng`` → ``port_code``; the CSN number and date that ICEGATE
allots in its ACK (``decRef.csnNmbr``/``csnDt``, when the declaration quotes them) → ``igm_number``
/ ``igm_date``, else none — a fresh declaration, noted against by B/L; each master consignment →
a line (``MCRef.lineNo``, sub-line 0, master B/L); each house consignment under it → a line with
``HCRef.subLineNo`` and the house B/L. Consignee, packages, gross weight (``MTS`` converted to kg)
and cargo movement come from the line's own objects, its goods items (HS code, description,
packages) from ``itemDtls[]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from customs_engine.core.dates import IST
from customs_engine.core.models import (
    CargoMovement,
    Conveyance,
    Function,
    GoodsItem,
    ImportGeneralManifest,
    ManifestLine,
)

#: ``decRef.msgTyp`` → function (MIG §3.4.1: fresh, amendment, deletion)
FUNCTIONS = {"F": Function.ORIGINAL, "A": Function.AMENDMENT, "D": Function.CANCELLATION}
#: ``vesselDtls.modeOfTrnsprt`` → conveyance
CONVEYANCES = {
    "1": Conveyance.VESSEL,
    "2": Conveyance.VEHICLE,
    "3": Conveyance.VEHICLE,
    "4": Conveyance.AIRCRAFT,
}
#: ``locCstm.crgoMvmt`` → cargo movement: local clearance; domestic transhipment and domestic
#: transit go inland (TI); foreign transhipment and foreign transit leave for another port (TC)
MOVEMENTS = {
    "LC": CargoMovement.LC,
    "TI": CargoMovement.TI,
    "DT": CargoMovement.TI,
    "TC": CargoMovement.TC,
    "FT": CargoMovement.TC,
    "FI": CargoMovement.TC,
}
#: party code types that are an Importer-Exporter Code (the IEC is the PAN since 2019)
IEC_TYPES = ("IEC", "PAN")
TONNES = ("MTS",)
MESSAGE_ID_LENGTH = 35


def message_id(document: Mapping[str, Any]) -> str:
    """The declaration's identity: the CSN it is or amends when known, else the filer's job.

    ``CSN-<port>-<csn number>-<csn date>`` for an SCA and for an SCE that quotes its CSN;
    ``<event>-<port>-<job no>-<job date>-<sender>`` otherwise (ICEGATE's own key for a
    declaration before it allots the CSN), at most 35 characters so that it travels whole in
    EDIFACT (``RFF+ABE``).
    """
    header, ref = document["headerField"], document["master"]["decRef"]
    port = ref["prtofRptng"]
    if "csnNmbr" in ref:
        return f"CSN-{port}-{number(ref['csnNmbr'])}-{ref['csnDt']}"
    return (
        f"{header['reportingEvent']}-{port}-{number(ref['jobNo'])}-{ref['jobDt']}-"
        f"{header['senderID'].strip()}"
    )[:MESSAGE_ID_LENGTH]


def number(value: Any) -> str:
    """A whole JSON number as digits (``1000126``, also when written ``1000126.0``)."""
    return str(int(value))


def yyyymmdd(value: str | None) -> date | None:
    return datetime.strptime(value, "%Y%m%d").date() if value else None


def filed_at(header: Mapping[str, Any]) -> datetime:
    """``headerField.date`` + ``time`` (``T17:05``), India time."""
    return datetime.strptime(header["date"] + header["time"], "%Y%m%dT%H:%M").replace(tzinfo=IST)


def to_manifest(document: Mapping[str, Any]) -> ImportGeneralManifest:
    """The manifest of a structurally valid SCE (or the lines an SCA names)."""
    header, master = document["headerField"], document["master"]
    ref = master["decRef"]
    vessel = master.get("vesselDtls") or {}
    voyage = master.get("voyageDtls") or {}
    return ImportGeneralManifest(
        message_id=message_id(document),
        function=FUNCTIONS[ref["msgTyp"]],
        port_code=ref["prtofRptng"],
        igm_number=number(ref["csnNmbr"]) if "csnNmbr" in ref else None,
        igm_date=yyyymmdd(ref.get("csnDt")),
        filed_at=filed_at(header),
        conveyance=CONVEYANCES.get(vessel.get("modeOfTrnsprt", "1"), Conveyance.VESSEL),
        voyage=voyage.get("cnvnceRefNmbr"),
        vessel_name=_vessel(vessel),
        carrier=master["authPrsn"]["sbmtrCd"],
        lines=[
            line
            for index, mc in enumerate(master["mastrCnsgmtDec"])
            for line in _lines(mc, f"/master/mastrCnsgmtDec/{index}")
        ],
    )


class LineRefused(ValueError):
    """A consignment whose values the canonical model refuses: ``pointer`` is the JSON pointer
    of the value (else of its consignment), ``why`` the refusal in words."""

    def __init__(self, pointer: str, why: str):
        super().__init__(why)
        self.pointer, self.why = pointer, why


#: a manifest line's field → where a consignment gives it (master ``MCRef``, house ``HCRef``)
_LINE_POINTERS = {
    "packages": "trnsprtDocMsr/nmbrOfPkgs",
    "package_kind": "trnsprtDocMsr/typsOfPkgs",
    "gross_weight_kg": "trnsprtDocMsr/grossWeight",
    "consignee_name": "trnsprtDoc/cnsgnesName",
    "consignee_iec": "trnsprtDoc/cnsgnesCd",
    "description": "trnsprtDoc/goodsDescAsPerBl",
}
_GOODS_POINTERS = {
    "packages": "nmbrOfPkgs",
    "package_kind": "typOfPkgs",
    "description": "crgoItemDesc",
    "hs_code": "hsCd",
}


def _vessel(vessel: Mapping[str, Any]) -> str | None:
    ident = (vessel.get("trnsprtMeansId") or "").strip()
    if not ident:
        return None
    return f"IMO {ident}" if vessel.get("typOfTrnsprtMeans") == "10" else ident


def _lines(mc: Mapping[str, Any], pointer: str) -> list[ManifestLine]:
    ref = mc["MCRef"]
    line_no = int(ref["lineNo"])
    out = [_placed(pointer, mc, line_no, 0, ref["mstrBlNo"], ref["mstrBlDt"])]
    for index, hc in enumerate(mc.get("houseCargoDec") or []):
        house = hc["HCRef"]
        out.append(
            _placed(
                f"{pointer}/houseCargoDec/{index}",
                hc,
                line_no,
                int(house["subLineNo"]),
                house["blNo"],
                house["blDt"],
                parent=mc,
            )
        )
    return out


def _placed(pointer: str, obj: Mapping[str, Any], *args: Any, **kwargs: Any) -> ManifestLine:
    """:func:`_line`, a refusal placed at the value it is about (:class:`LineRefused`)."""
    try:
        return _line(obj, *args, **kwargs)
    except _GoodsRefused as refused:
        goods = f"{pointer}/itemDtls/{refused.index}"
        raise _refusal(goods, _GOODS_POINTERS, refused.error) from None
    except ValidationError as exc:
        raise _refusal(pointer, _LINE_POINTERS, exc.errors()[0]) from None


def _refusal(base: str, pointers: Mapping[str, str], error: Any) -> LineRefused:
    """The model's ``error`` of an object at ``base``, placed at its value when ``pointers``
    knows where the object gives the field, and named by the JSON key."""
    field = str(error["loc"][0]) if error["loc"] else ""
    key = pointers.get(field)
    if key is None:
        return LineRefused(base, f"{field}: {error['msg']}")
    return LineRefused(f"{base}/{key}", f"{key.rsplit('/', 1)[-1]}: {error['msg']}")


class _GoodsRefused(Exception):
    def __init__(self, index: int, error: Any):
        super().__init__(str(error))
        self.index, self.error = index, error


def _line(
    obj: Mapping[str, Any],
    line: int,
    subline: int,
    bl_number: str,
    bl_date: str,
    parent: Mapping[str, Any] | None = None,
) -> ManifestLine:
    doc = obj.get("trnsprtDoc") or {}
    measures = obj.get("trnsprtDocMsr") or {}
    location = obj.get("locCstm") or (parent or {}).get("locCstm") or {}
    packages = measures.get("nmbrOfPkgs")
    consignee_code = (doc.get("cnsgnesCd") or "").strip()
    return ManifestLine(
        line=line,
        subline=subline,
        bl_number=bl_number.strip(),
        bl_date=yyyymmdd(bl_date),
        consignee_name=_text(doc.get("cnsgnesName")),
        consignee_iec=consignee_code or None if doc.get("typOfCd") in IEC_TYPES else None,
        packages=None if packages is None else int(packages),
        package_kind=_text(measures.get("typsOfPkgs")),
        gross_weight_kg=_kilograms(measures),
        description=_text(doc.get("goodsDescAsPerBl")),
        cargo_movement=_movement(location),
        goods_items=_goods_items(obj.get("itemDtls") or [], _kilograms(measures)),
    )


def _goods_items(items: list[Mapping[str, Any]], line_weight: Decimal | None) -> list[GoodsItem]:
    """The line's goods; a line of one kind of goods has the line's gross weight as its own."""
    goods = []
    for index, item in enumerate(items):
        try:
            goods.append(goods_item(item))
        except ValidationError as exc:
            raise _GoodsRefused(index, exc.errors()[0]) from None
    if len(goods) == 1 and line_weight is not None:
        goods[0].gross_weight_kg = line_weight
    return goods


def goods_item(item: Mapping[str, Any]) -> GoodsItem:
    """One ``itemDtls`` entry: HS code, description and packages. The guide gives no weight per
    item, so an item has none of its own (:func:`_goods_items` gives a line's only item the
    line's gross weight; several items leave it on the line)."""
    packages = item.get("nmbrOfPkgs")
    return GoodsItem(
        packages=None if packages is None else int(packages),
        package_kind=_text(item.get("typOfPkgs")),
        description=_text(item.get("crgoItemDesc")),
        hs_code=_text(item.get("hsCd")),
    )


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _kilograms(measures: Mapping[str, Any]) -> Decimal | None:
    weight = measures.get("grossWeight")
    if weight is None:
        return None
    unit = (measures.get("unitOfWeight") or "KGS").upper()
    return Decimal(weight) * 1000 if unit in TONNES else Decimal(weight)


def _movement(location: Mapping[str, Any]) -> CargoMovement | None:
    movement = MOVEMENTS.get(location.get("crgoMvmt", ""))
    if movement is None and location.get("typOfCrgo") == "TR":
        return CargoMovement.TC
    return movement
