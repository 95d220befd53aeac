"""The canonical message model.

Adapters turn wire formats into these objects; every rule is written against them and never sees
raw segments or XML elements. Field names are stable API: JSON output, the XML rendering and
plugins all use them.

Money is ``Decimal``. Date-times are timezone-aware: a naive value is taken as India time (IST).

Every value has the shape the XML rendering (``customs-engine-icegate-v1.xsd``) gives it — codes,
lengths, digits, how many items — so a message any adapter reads can be written in every format,
and the same data gets the same verdict whichever format carried it. A reader that meets a value
of another shape reports it where it stands (the model refuses it); it never reaches the checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from customs_engine.core.dates import IST, aware, check_in_range


class Function(StrEnum):
    ORIGINAL = "original"
    AMENDMENT = "amendment"
    CANCELLATION = "cancellation"


class BillOfEntryType(StrEnum):
    HOME_CONSUMPTION = "HOME_CONSUMPTION"
    WAREHOUSING = "WAREHOUSING"
    EX_BOND = "EX_BOND"


class Mode(StrEnum):
    SEA = "SEA"
    AIR = "AIR"
    ROAD = "ROAD"
    RAIL = "RAIL"


class Conveyance(StrEnum):
    VESSEL = "VESSEL"
    AIRCRAFT = "AIRCRAFT"
    VEHICLE = "VEHICLE"


class ProductCategory(StrEnum):
    LAPTOP = "LAPTOP"
    TABLET = "TABLET"
    AIO_PC = "AIO_PC"
    USFF = "USFF"
    SERVER = "SERVER"
    DESKTOP = "DESKTOP"
    OTHER = "OTHER"


class Purpose(StrEnum):
    COMMERCIAL = "COMMERCIAL"
    RND = "RND"
    TESTING = "TESTING"
    BENCHMARKING = "BENCHMARKING"
    PRODUCT_DEVELOPMENT = "PRODUCT_DEVELOPMENT"
    REPAIR_RETURN = "REPAIR_RETURN"
    REPLACEMENT = "REPLACEMENT"
    REIMPORT_AFTER_REPAIR = "REIMPORT_AFTER_REPAIR"
    BAGGAGE = "BAGGAGE"
    POST_COURIER = "POST_COURIER"
    CAPITAL_GOOD_PART = "CAPITAL_GOOD_PART"
    DEFENCE_SECURITY = "DEFENCE_SECURITY"
    PACKAGING_REIMPORT = "PACKAGING_REIMPORT"


class ScrapForm(StrEnum):
    SHREDDED = "SHREDDED"
    UNSHREDDED = "UNSHREDDED"
    COMPRESSED = "COMPRESSED"
    LOOSE = "LOOSE"


class ImporterCategory(StrEnum):
    COMMERCIAL = "COMMERCIAL"
    GOVERNMENT = "GOVERNMENT"
    DIPLOMAT = "DIPLOMAT"
    BAGGAGE = "BAGGAGE"
    PERSONAL = "PERSONAL"
    NEPAL = "NEPAL"
    MYANMAR = "MYANMAR"
    ATA_CARNET = "ATA_CARNET"
    BLOOD_GROUP = "BLOOD_GROUP"
    RELIEF = "RELIEF"
    CHINA_BORDER = "CHINA_BORDER"
    RBI_AUTHORISED = "RBI_AUTHORISED"
    STATE_GOVERNMENT = "STATE_GOVERNMENT"


class UnitType(StrEnum):
    DTA = "DTA"
    SEZ = "SEZ"
    EOU = "EOU"
    EHTP = "EHTP"
    STPI = "STPI"
    BTP = "BTP"


class CertificateType(StrEnum):
    PSIC = "PSIC"
    CONTRACT = "CONTRACT"
    SUPPLIER_DECLARATION = "SUPPLIER_DECLARATION"
    DEFENCE_SUPPLY = "DEFENCE_SUPPLY"


class CargoMovement(StrEnum):
    LC = "LC"  # local clearance
    TI = "TI"  # transhipment to an inland container depot
    TC = "TC"  # transhipment to another port


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)


AwareDatetime = Annotated[datetime, Field(description="timezone-aware; naive values are IST")]


class _HasDatetimes(_Model):
    """Mixin: every datetime field without an offset is read as India time; every date and
    datetime must lie between :data:`~customs_engine.core.dates.EARLIEST_DATE` and
    :data:`~customs_engine.core.dates.LATEST_DATE`."""

    @field_validator("*", mode="after")
    @classmethod
    def _ist_when_naive(cls, value: object) -> object:
        if isinstance(value, date):
            check_in_range(value)
            if isinstance(value, datetime):
                return aware(value)
        return value


#: The largest item number a message may carry: it fits the ledger's 32-bit integer column on every
#: database, and covers the ICES numbering of items (invoice serial × 10000 + item serial).
MAX_ITEM_NUMBER = 999_999_999
#: Quantities, amounts and weights stay below 10^18 with at most six decimals, so every one is
#: stored exactly in the ledger's text columns (trailing zeros past the sixth place are dropped).
MAX_MAGNITUDE = Decimal(10) ** 18
DECIMAL_PLACES = 6
_SIXTH = Decimal(1).scaleb(-DECIMAL_PLACES)


def _at_most_six_places(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    return value.quantize(_SIXTH) if isinstance(exponent, int) and exponent < -6 else value


#: A goods item's number, at most :data:`MAX_ITEM_NUMBER` (readers number items from 1; the
#: testing kit's 0 stands for "its position in the Bill of Entry").
ItemNumber = Annotated[
    int, Field(ge=0, le=MAX_ITEM_NUMBER, description=f"1 to {MAX_ITEM_NUMBER} in a Bill of Entry")
]
#: A quantity, weight or rate: above zero (a line of nothing is meaningless, and a negative one
#: would credit an authorisation).
Positive = Annotated[
    Decimal,
    Field(
        gt=0,
        lt=MAX_MAGNITUDE,
        decimal_places=DECIMAL_PLACES,
        description="above 0, below 10^18, at most 6 decimals",
    ),
    AfterValidator(_at_most_six_places),
]
#: An amount of money or a measured level: zero or more, never negative.
NonNegative = Annotated[
    Decimal,
    Field(
        ge=0,
        lt=MAX_MAGNITUDE,
        decimal_places=DECIMAL_PLACES,
        description="0 or more, below 10^18, at most 6 decimals",
    ),
    AfterValidator(_at_most_six_places),
]


def _in_range(value: date) -> date:
    check_in_range(value)
    return value


#: a date of a part of a message (a licence's, a B/L's), in the range every message date keeps
#: (the messages themselves check theirs in :class:`_HasDatetimes`)
InRangeDate = Annotated[date, AfterValidator(_in_range)]


# -- the shapes of text and codes ----------------------------------------------------------------

#: XML's white space: what ``xs:token`` collapses (other Unicode spaces are ordinary characters)
_XML_SPACE = " \t\n\r"
_XML_SPACE_RUN = re.compile("[ \t\n\r]+")


def _token(most: int) -> Callable[[str], str]:
    """An ``xs:token`` of 1 to ``most`` characters: non-blank, at most ``most`` characters once
    runs of white space count as one. The value is kept with its ends trimmed, as the XML reader
    reads it, so that a number is the same key whichever format brought it (`` IMS-1`` in an
    EDIFACT element is the registry's ``IMS-1``, and one ledger account, never a second)."""

    def check(value: str) -> str:
        value = value.strip(_XML_SPACE)
        length = len(_XML_SPACE_RUN.sub(" ", value))
        if length == 0:
            raise PydanticCustomError("blank", "must not be blank")
        if length > most:
            raise PydanticCustomError(
                "too_long",
                "must be at most {most} characters, got {length}",
                {"most": most, "length": length},
            )
        return value

    return check


def _text(most: int) -> Callable[[str], str]:
    """Free text of 1 to ``most`` characters that is not all white space."""

    def check(value: str) -> str:
        if not value.strip(_XML_SPACE):
            raise PydanticCustomError("blank", "must not be blank")
        if len(value) > most:
            raise PydanticCustomError(
                "too_long",
                "must be at most {most} characters, got {length}",
                {"most": most, "length": len(value)},
            )
        return value

    return check


def _shape(pattern: str, description: str) -> Any:
    """A code that matches ``pattern`` exactly (no spaces around it, upper case as written): the
    constraint pydantic checks (fast) and the JSON schema states."""
    return Field(pattern=f"^{pattern}$", description=description)


def _refused_as(kind: str, refusal: str) -> Any:
    """A value that does not match its code's pattern is refused as ``{value!r} {refusal}``
    (error type ``kind``), in words an integrator reads rather than the pattern's; any other
    error (not a string) stays as pydantic words it. The pattern is still what checks a value:
    a valid one costs a call of this wrapper, no second match."""
    template = "{value} " + refusal

    def reworded(value: object, handler: ValidatorFunctionWrapHandler) -> object:
        try:
            return handler(value)
        except ValidationError as exc:
            if isinstance(value, str) and exc.errors()[0]["type"] == "string_pattern_mismatch":
                raise PydanticCustomError(kind, template, {"value": repr(value)}) from None
            raise

    return WrapValidator(reworded)


def _assigned_country(code: str) -> str:
    """Two capital letters that ISO 3166-1 assigns to a country (not ``UK``, ``EU`` or ``XX``)."""
    if code not in _countries():
        raise PydanticCustomError(
            "country_code",
            "{value} is not an ISO 3166-1 alpha-2 country code (the United Kingdom is GB; "
            "the EU has none)",
            {"value": repr(code)},
        )
    return code


@cache
def _countries() -> frozenset[str]:
    from customs_engine.core.refdata import country_codes  # reference data, read on first use

    return country_codes()


_TOKEN = "1 to {} characters (a run of white space counts as one), not blank"

#: a message's own identifier
MessageId = Annotated[str, AfterValidator(_token(64)), Field(description=_TOKEN.format(64))]
#: a customs location (``INNSA1``); its exact shape is a rule (CORE-PORT-001)
PortCode = Annotated[str, AfterValidator(_token(10)), Field(description=_TOKEN.format(10))]
#: a reference, code or number: a licence, a B/L, an IEC, a voyage
Token35 = Annotated[str, AfterValidator(_token(35)), Field(description=_TOKEN.format(35))]
#: a name or a description
Text512 = Annotated[
    str, AfterValidator(_text(512)), Field(description="1 to 512 characters, not blank")
]
#: an ISO 3166-1 alpha-2 country code (``CN``)
CountryCode = Annotated[
    str,
    _shape("[A-Z]{2}", "ISO 3166-1 alpha-2 country code (`CN`)"),
    _refused_as("country_code", "is not an ISO 3166-1 alpha-2 country code (two capital letters)"),
    AfterValidator(_assigned_country),
]
#: an ISO 4217 currency code (``USD``)
CurrencyCode = Annotated[
    str,
    _shape("[A-Z]{3}", "ISO 4217 currency code (`USD`)"),
    _refused_as("currency_code", "is not an ISO 4217 currency code (three capital letters)"),
]
#: a UN/LOCODE (``SGSIN``): country and three letters or digits
UNLocode = Annotated[
    str,
    _shape("[A-Z]{2}[A-Z0-9]{3}", "UN/LOCODE (`SGSIN`)"),
    _refused_as("un_locode", "is not a UN/LOCODE (country code and 3 capitals or digits)"),
]
#: an eight-digit Indian tariff item (ITC-HS)
HSCode = Annotated[
    str,
    _shape("[0-9]{8}", "8-digit ITC-HS tariff item (`84713010`)"),
    _refused_as("hs_code", "is not an 8-digit ITC-HS code"),
]
#: the form of a unit quantity code: two or three capitals (the registry's units are held to it)
UNIT_CODE = "[A-Z]{2,3}"
#: a unit quantity code (``NOS``, ``KGS``, ``MT``): two or three capitals
UnitCode = Annotated[
    str,
    _shape(UNIT_CODE, "unit quantity code, 2 or 3 capitals (`KGS`)"),
    _refused_as("unit_code", "is not a unit quantity code (2 or 3 capitals)"),
]
#: the highest IGM line or sub-line number
MAX_LINE_NUMBER = 999_999
#: an IGM line or sub-line number
LineNumber = Annotated[int, Field(ge=0, le=MAX_LINE_NUMBER, description=f"0 to {MAX_LINE_NUMBER}")]
#: the most items a Bill of Entry, and goods items a manifest line, may hold
MAX_ITEMS = 9_999
#: the most lines a manifest may hold
MAX_LINES = 99_999


def _optional(kind: Any) -> Any:
    """The default (``None``) of an optional field of type ``kind``, described as ``kind`` is
    (pydantic keeps the description of an ``Annotated`` type only when it is not in a union)."""
    info = next(meta for meta in kind.__metadata__ if isinstance(meta, FieldInfo))
    return Field(default=None, description=info.description)


class Licence(_Model):
    scheme: Token35
    number: Token35
    issued_on: InRangeDate | None = None
    expires_on: InRangeDate | None = None


class Certificate(_Model):
    type: CertificateType
    number: Token35
    issued_on: InRangeDate | None = None
    agency: Token35 | None = _optional(Token35)
    background_usvh: NonNegative | None = _optional(NonNegative)
    max_usvh: NonNegative | None = _optional(NonNegative)
    no_radioactive: bool | None = None
    no_explosives: bool | None = None


class ForeignValue(_Model):
    amount: NonNegative
    currency: CurrencyCode
    rate: Positive | None = _optional(Positive)


class Item(_Model):
    number: ItemNumber
    hs_code: HSCode
    description: Text512 | None = _optional(Text512)
    product_category: ProductCategory | None = None
    purpose: Purpose = Purpose.COMMERCIAL
    quantity: Positive
    unit: UnitCode
    value_inr: NonNegative | None = _optional(NonNegative)
    foreign_value: ForeignValue | None = None
    country_of_origin: CountryCode | None = _optional(CountryCode)
    scrap_form: ScrapForm | None = None
    self_certified: bool = False
    licences: list[Licence] = Field(default_factory=list)
    certificates: list[Certificate] = Field(default_factory=list)

    def licences_for(self, scheme: str) -> list[Licence]:
        """The item's licences of one scheme."""
        wanted = scheme.upper()
        return [lic for lic in self.licences if lic.scheme.upper() == wanted]

    def certificates_of(self, kind: CertificateType) -> list[Certificate]:
        return [cert for cert in self.certificates if cert.type == kind]


class Importer(_Model):
    iec: Token35 | None = _optional(Token35)
    gstin: Token35 | None = _optional(Token35)
    pan: Token35 | None = _optional(Token35)
    name: Text512 | None = _optional(Text512)
    category: ImporterCategory | None = None
    unit_type: UnitType | None = None


class ManifestReference(_Model):
    """Where a Bill of Entry's goods stand in an Import General Manifest."""

    igm_number: Token35 | None = _optional(Token35)
    igm_date: InRangeDate | None = None
    line: LineNumber | None = _optional(LineNumber)
    subline: LineNumber | None = _optional(LineNumber)
    bl_number: Token35 | None = _optional(Token35)
    bl_date: InRangeDate | None = None


class BillOfEntry(_HasDatetimes):
    kind: Literal["bill_of_entry"] = "bill_of_entry"
    message_id: MessageId
    function: Function = Function.ORIGINAL
    port_code: PortCode
    type: BillOfEntryType
    number: Token35 | None = _optional(Token35)
    presented_at: AwareDatetime
    prior: bool = False
    mode: Mode
    importer: Importer
    broker: Token35 | None = _optional(Token35)
    manifest: ManifestReference | None = None
    expected_arrival: date | None = None
    arrived_at: AwareDatetime | None = None
    consigned_from: CountryCode | None = _optional(CountryCode)
    port_of_loading: UNLocode | None = _optional(UNLocode)
    ex_bond_of: Token35 | None = _optional(Token35)
    items: list[Item] = Field(
        default_factory=list, max_length=MAX_ITEMS, description=f"at most {MAX_ITEMS}"
    )

    @field_validator("items")
    @classmethod
    def _numbered_from_one(cls, items: list[Item]) -> list[Item]:
        """An item of a Bill of Entry is numbered from 1 (0 is only the testing kit's "number
        it by its position", resolved before the Bill of Entry is made)."""
        for item in items:
            if item.number < 1:
                raise PydanticCustomError(
                    "item_number", "item number {number} must be from 1", {"number": item.number}
                )
        return items

    @property
    def presented_on(self) -> date:
        """The presentation date in India."""
        return self.presented_at.astimezone(IST).date()

    @property
    def total_value_inr(self) -> Decimal:
        return sum((item.value_inr or Decimal(0) for item in self.items), Decimal(0))


class GoodsItem(_Model):
    """One kind of goods under a manifest line (a CUSCAR GID, an SCMTR ``itemDtls`` entry)."""

    packages: Annotated[int, Field(ge=0)] | None = None
    package_kind: Token35 | None = _optional(Token35)
    gross_weight_kg: Positive | None = _optional(Positive)
    description: Text512 | None = _optional(Text512)
    hs_code: Token35 | None = _optional(Token35)

    def is_empty(self) -> bool:
        return all(value is None for value in self.__dict__.values())


class ManifestLine(_Model):
    """A B/L line of the manifest: its goods items, and the line totals.

    ``packages``, ``package_kind``, ``gross_weight_kg`` and ``description`` are the line's
    totals. A line given only totals gets them as its one goods item; a line given only goods
    items gets the totals computed (sums; the kind and description when all items share one),
    so every adapter yields the same canonical line whichever side its format carries.
    """

    line: LineNumber
    subline: LineNumber = 0
    bl_number: Token35 | None = _optional(Token35)
    bl_date: InRangeDate | None = None
    consignee_name: Text512 | None = _optional(Text512)
    consignee_iec: Token35 | None = _optional(Token35)
    packages: Annotated[int, Field(ge=0)] | None = None
    package_kind: Token35 | None = _optional(Token35)
    gross_weight_kg: Positive | None = _optional(Positive)
    description: Text512 | None = _optional(Text512)
    cargo_movement: CargoMovement | None = None
    goods_items: list[GoodsItem] = Field(
        default_factory=list, max_length=MAX_ITEMS, description=f"at most {MAX_ITEMS}"
    )

    @model_validator(mode="after")
    def _goods_and_totals(self) -> ManifestLine:
        goods = [item for item in self.goods_items if not item.is_empty()]
        if not goods:
            single = GoodsItem(
                packages=self.packages,
                package_kind=self.package_kind,
                gross_weight_kg=self.gross_weight_kg,
                description=self.description,
            )
            self.goods_items = [] if single.is_empty() else [single]
            return self
        self.goods_items = goods
        if self.packages is None:
            self.packages = _total([item.packages for item in goods])
        if self.gross_weight_kg is None:
            self.gross_weight_kg = _total([item.gross_weight_kg for item in goods])
        if self.package_kind is None:
            self.package_kind = _shared([item.package_kind for item in goods])
        if self.description is None:
            self.description = _shared([item.description for item in goods])
        return self


def _total(values: list[Any]) -> Any:
    """The sum when every goods item gives a value, else ``None`` (a partial sum would mislead)."""
    if not values or any(value is None for value in values):
        return None
    return sum(values[1:], values[0])


def _shared(values: list[str | None]) -> str | None:
    """The one value every goods item shares, else ``None``."""
    distinct = set(values)
    return values[0] if len(distinct) == 1 else None


class ImportGeneralManifest(_HasDatetimes):
    kind: Literal["manifest"] = "manifest"
    message_id: MessageId
    function: Function = Function.ORIGINAL
    port_code: PortCode
    igm_number: Token35 | None = _optional(Token35)
    igm_date: date | None = None
    filed_at: AwareDatetime | None = None
    conveyance: Conveyance
    voyage: Token35 | None = _optional(Token35)
    vessel_name: Text512 | None = _optional(Text512)
    carrier: Token35 | None = _optional(Token35)
    expected_arrival: AwareDatetime | None = None
    arrived_at: AwareDatetime | None = None
    entry_inwards_at: AwareDatetime | None = None
    last_port_of_call: UNLocode | None = _optional(UNLocode)
    lines: list[ManifestLine] = Field(
        default_factory=list, max_length=MAX_LINES, description=f"at most {MAX_LINES}"
    )

    def find_line(self, line: int, subline: int = 0) -> ManifestLine | None:
        return next((ml for ml in self.lines if ml.line == line and ml.subline == subline), None)

    def find_by_bl(self, bl_number: str) -> ManifestLine | None:
        wanted = bl_number.strip().upper()
        return next(
            (ml for ml in self.lines if (ml.bl_number or "").strip().upper() == wanted), None
        )


Message = Annotated[BillOfEntry | ImportGeneralManifest, Field(discriminator="kind")]
