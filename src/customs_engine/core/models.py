"""The canonical message model.

Adapters turn wire formats into these objects; every rule is written against them and never sees
raw segments or XML elements. Field names are stable API: JSON output, the XML rendering and
plugins all use them.

Money is ``Decimal``. Date-times are timezone-aware: a naive value is taken as India time (IST).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

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
ItemNumber = Annotated[int, Field(ge=0, le=MAX_ITEM_NUMBER)]
#: A quantity, weight or rate: above zero (a line of nothing is meaningless, and a negative one
#: would credit an authorisation).
Positive = Annotated[
    Decimal,
    Field(gt=0, lt=MAX_MAGNITUDE, decimal_places=DECIMAL_PLACES),
    AfterValidator(_at_most_six_places),
]
#: An amount of money or a measured level: zero or more, never negative.
NonNegative = Annotated[
    Decimal,
    Field(ge=0, lt=MAX_MAGNITUDE, decimal_places=DECIMAL_PLACES),
    AfterValidator(_at_most_six_places),
]


def _in_range(value: date) -> date:
    check_in_range(value)
    return value


#: a date of a part of a message (a licence's, a B/L's), in the range every message date keeps
#: (the messages themselves check theirs in :class:`_HasDatetimes`)
InRangeDate = Annotated[date, AfterValidator(_in_range)]


class Licence(_Model):
    scheme: str
    number: str
    issued_on: InRangeDate | None = None
    expires_on: InRangeDate | None = None


class Certificate(_Model):
    type: CertificateType
    number: str
    issued_on: InRangeDate | None = None
    agency: str | None = None
    background_usvh: NonNegative | None = None
    max_usvh: NonNegative | None = None
    no_radioactive: bool | None = None
    no_explosives: bool | None = None


class ForeignValue(_Model):
    amount: NonNegative
    currency: str
    rate: Positive | None = None


class Item(_Model):
    number: ItemNumber
    hs_code: str
    description: str | None = None
    product_category: ProductCategory | None = None
    purpose: Purpose = Purpose.COMMERCIAL
    quantity: Positive
    unit: str
    value_inr: NonNegative | None = None
    foreign_value: ForeignValue | None = None
    country_of_origin: str | None = None
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
    iec: str | None = None
    gstin: str | None = None
    pan: str | None = None
    name: str | None = None
    category: ImporterCategory | None = None
    unit_type: UnitType | None = None


class ManifestReference(_Model):
    """Where a Bill of Entry's goods stand in an Import General Manifest."""

    igm_number: str | None = None
    igm_date: InRangeDate | None = None
    line: int | None = None
    subline: int | None = None
    bl_number: str | None = None
    bl_date: InRangeDate | None = None


class BillOfEntry(_HasDatetimes):
    kind: Literal["bill_of_entry"] = "bill_of_entry"
    message_id: str
    function: Function = Function.ORIGINAL
    port_code: str
    type: BillOfEntryType
    number: str | None = None
    presented_at: AwareDatetime
    prior: bool = False
    mode: Mode
    importer: Importer
    broker: str | None = None
    manifest: ManifestReference | None = None
    expected_arrival: date | None = None
    arrived_at: AwareDatetime | None = None
    consigned_from: str | None = None
    port_of_loading: str | None = None
    ex_bond_of: str | None = None
    items: list[Item] = Field(default_factory=list)

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
    package_kind: str | None = None
    gross_weight_kg: Positive | None = None
    description: str | None = None
    hs_code: str | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in self.__dict__.values())


class ManifestLine(_Model):
    """A B/L line of the manifest: its goods items, and the line totals.

    ``packages``, ``package_kind``, ``gross_weight_kg`` and ``description`` are the line's
    totals. A line given only totals gets them as its one goods item; a line given only goods
    items gets the totals computed (sums; the kind and description when all items share one),
    so every adapter yields the same canonical line whichever side its format carries.
    """

    line: int
    subline: int = 0
    bl_number: str | None = None
    bl_date: InRangeDate | None = None
    consignee_name: str | None = None
    consignee_iec: str | None = None
    packages: Annotated[int, Field(ge=0)] | None = None
    package_kind: str | None = None
    gross_weight_kg: Positive | None = None
    description: str | None = None
    cargo_movement: CargoMovement | None = None
    goods_items: list[GoodsItem] = Field(default_factory=list)

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
    message_id: str
    function: Function = Function.ORIGINAL
    port_code: str
    igm_number: str | None = None
    igm_date: date | None = None
    filed_at: AwareDatetime | None = None
    conveyance: Conveyance
    voyage: str | None = None
    vessel_name: str | None = None
    carrier: str | None = None
    expected_arrival: AwareDatetime | None = None
    arrived_at: AwareDatetime | None = None
    entry_inwards_at: AwareDatetime | None = None
    last_port_of_call: str | None = None
    lines: list[ManifestLine] = Field(default_factory=list)

    def find_line(self, line: int, subline: int = 0) -> ManifestLine | None:
        return next((ml for ml in self.lines if ml.line == line and ml.subline == subline), None)

    def find_by_bl(self, bl_number: str) -> ManifestLine | None:
        wanted = bl_number.strip().upper()
        return next(
            (ml for ml in self.lines if (ml.bl_number or "").strip().upper() == wanted), None
        )


Message = Annotated[BillOfEntry | ImportGeneralManifest, Field(discriminator="kind")]
