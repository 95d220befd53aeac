"""Hypothesis strategies for EDIFACT tests: raw segment streams and canonical messages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st
from pydifact.control import Characters
from pydifact.segments import Segment
from pydifact.serializer import Serializer

from customs_engine.core.dates import IST
from customs_engine.core.models import (
    BillOfEntry,
    CargoMovement,
    Certificate,
    CertificateType,
    Conveyance,
    ForeignValue,
    Function,
    Importer,
    ImporterCategory,
    ImportGeneralManifest,
    Item,
    Licence,
    ManifestLine,
    ManifestReference,
    Mode,
    ProductCategory,
    Purpose,
    ScrapForm,
    UnitType,
)

CHARACTER_SETS = [
    Characters(),
    Characters.from_str("UNA:+.? '"),
    Characters.from_str("UNA*|.\\ ~"),
    Characters.from_str("UNA:+,? '"),
]

# values include every service character of every set above, so release characters are exercised
VALUE_ALPHABET = st.sampled_from(list("ABCXYZ0129 .,-/") + list(":+'?*|\\~") + ["é", "\n"])
values = st.text(VALUE_ALPHABET, max_size=12)
tags = st.text(
    st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTVWXYZ019")), min_size=3, max_size=3
).filter(lambda t: t[0].isalpha() and t != "UNA")
elements = st.one_of(values, st.lists(values, min_size=2, max_size=5))


@st.composite
def segment_streams(draw: st.DrawFn) -> tuple[str, list[Segment]]:
    """A serialized stream of random segments (no envelope) and the segments drawn."""
    chars = draw(st.sampled_from(CHARACTER_SETS))
    segs = [
        Segment(draw(tags), *draw(st.lists(elements, min_size=1, max_size=6)))
        for _ in range(draw(st.integers(1, 8)))
    ]
    una = draw(st.booleans()) or chars != Characters()
    separator = draw(st.sampled_from(["", "\n", "\r\n"]))
    serializer = Serializer(chars)
    text = chars.service_string_advice + separator if una else ""
    text += separator.join(serializer.serialize([seg], with_una_header=False) for seg in segs)
    return text, segs


# -- canonical models --------------------------------------------------------------------------

TEXT = (
    st.text(st.sampled_from(list("ABCDEFGHIJ KLMNOP0123456789-/.+:'?")), min_size=1, max_size=90)
    .map(str.strip)
    .filter(bool)
    .filter(lambda text: all(len(word) <= 70 for word in text.split(" ")))
)  # EDIFACT text lines: an..70
CODE = st.text(
    st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")), min_size=1, max_size=14
)
DAY = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
MOMENT = st.builds(
    lambda d, m: datetime(d.year, d.month, d.day, tzinfo=IST) + timedelta(minutes=m),
    DAY,
    st.integers(0, 24 * 60 - 1),
)
AMOUNT = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999"), places=2)
QUANTITY = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999999"), places=3)


@st.composite
def items(draw: st.DrawFn, number: int, valued: bool = False) -> Item:
    """An item; ``valued``: with its INR value, its foreign value or both (as an original Bill
    of Entry's items must be)."""
    certificates = []
    for kind in draw(st.lists(st.sampled_from(list(CertificateType)), max_size=3)):
        certificates.append(
            Certificate(
                type=kind,
                number=draw(CODE),
                issued_on=draw(st.none() | DAY),
                agency=draw(st.none() | CODE),
            )
        )
    # flags and radiation levels travel per item: only the first PSIC / CONTRACT carries them
    for kind in (CertificateType.PSIC, CertificateType.CONTRACT):
        first = next((c for c in certificates if c.type == kind), None)
        if first is not None:
            first.no_radioactive = draw(st.none() | st.booleans())
            first.no_explosives = draw(st.none() | st.booleans())
            if kind == CertificateType.PSIC:
                first.background_usvh = draw(st.none() | QUANTITY)
                first.max_usvh = draw(st.none() | QUANTITY)
    foreign = draw(
        st.none()
        | st.builds(
            ForeignValue,
            amount=AMOUNT,
            currency=st.sampled_from(["USD", "EUR", "JPY"]),
            rate=st.none() | AMOUNT,
        )
    )
    value_inr = draw(st.none() | AMOUNT)
    if valued and value_inr is None and foreign is None:
        value_inr = draw(AMOUNT)
    return Item(
        number=number,
        hs_code=draw(st.from_regex(r"\A[0-9]{8}\Z")),
        description=draw(st.none() | TEXT),
        product_category=draw(st.none() | st.sampled_from(list(ProductCategory))),
        purpose=draw(st.sampled_from(list(Purpose))),
        quantity=draw(QUANTITY),
        unit=draw(st.sampled_from(["NOS", "KGS", "MTS"])),
        value_inr=value_inr,
        foreign_value=foreign,
        country_of_origin=draw(st.none() | st.sampled_from(["CN", "SG", "US"])),
        scrap_form=draw(st.none() | st.sampled_from(list(ScrapForm))),
        self_certified=draw(st.booleans()),
        licences=draw(
            st.lists(
                st.builds(
                    Licence,
                    scheme=st.sampled_from(["IMS", "SIMS", "AIMS"]),
                    number=CODE,
                    issued_on=st.none() | DAY,
                    expires_on=st.none() | DAY,
                ),
                max_size=2,
            )
        ),
        certificates=certificates,
    )


@st.composite
def bills_of_entry(draw: st.DrawFn) -> BillOfEntry:
    manifest = draw(
        st.none()
        | st.builds(
            ManifestReference,
            igm_number=CODE,
            igm_date=st.none() | DAY,
            line=st.none() | st.integers(1, 9999),
            subline=st.none() | st.integers(0, 99),
            bl_number=st.none() | CODE,
            bl_date=st.none() | DAY,
        )
    )
    if manifest is not None and manifest.bl_number is None:
        manifest.bl_date = None
    # an original declares at least one item, each with a value; an amendment or a
    # cancellation may leave them out
    function = draw(st.sampled_from(list(Function)))
    original = function == Function.ORIGINAL
    count = draw(st.integers(1 if original else 0, 4))
    return BillOfEntry(
        message_id=draw(st.text(st.sampled_from(list("ABC-0123456789")), min_size=1, max_size=24)),
        function=function,
        port_code="INNSA1",
        type=draw(st.sampled_from(["HOME_CONSUMPTION", "WAREHOUSING", "EX_BOND"])),
        number=draw(st.none() | CODE),
        presented_at=draw(MOMENT),
        prior=draw(st.booleans()),
        mode=draw(st.sampled_from(list(Mode))),
        importer=Importer(
            iec=draw(st.none() | CODE),
            gstin=draw(st.none() | CODE),
            pan=draw(st.none() | CODE),
            name=draw(st.none() | TEXT),
            category=draw(st.none() | st.sampled_from(list(ImporterCategory))),
            unit_type=draw(st.none() | st.sampled_from(list(UnitType))),
        ),
        broker=draw(st.none() | CODE),
        manifest=manifest,
        expected_arrival=draw(st.none() | DAY),
        arrived_at=draw(st.none() | MOMENT),
        consigned_from=draw(st.none() | st.sampled_from(["SG", "CN"])),
        port_of_loading=draw(st.none() | st.sampled_from(["SGSIN", "CNSHA"])),
        ex_bond_of=draw(st.none() | CODE),
        items=[draw(items(n, valued=original)) for n in range(1, count + 1)],
    )


@st.composite
def manifests(draw: st.DrawFn) -> ImportGeneralManifest:
    filed = draw(st.none() | MOMENT)
    number = draw(st.none() | CODE)  # ICES allots number and date together
    lines = [
        ManifestLine(
            line=n * 10,
            subline=draw(st.integers(0, 9)),
            bl_number=draw(st.none() | CODE),
            bl_date=draw(st.none() | DAY),
            consignee_name=draw(st.none() | TEXT),
            consignee_iec=draw(st.none() | CODE),
            packages=draw(st.none() | st.integers(0, 99999)),
            package_kind=draw(st.none() | st.sampled_from(["PKG", "CLS"])),
            gross_weight_kg=draw(st.none() | QUANTITY),
            description=draw(st.none() | TEXT),
            cargo_movement=draw(st.none() | st.sampled_from(list(CargoMovement))),
        )
        for n in range(1, draw(st.integers(0, 4)) + 1)
    ]
    return ImportGeneralManifest(
        message_id=draw(st.text(st.sampled_from(list("IGM-0123456789")), min_size=1, max_size=24)),
        function=draw(st.sampled_from(list(Function))),
        port_code="INNSA1",
        igm_number=number,
        igm_date=None if number is None else filed.date() if filed else draw(st.none() | DAY),
        filed_at=filed,
        conveyance=draw(st.sampled_from(list(Conveyance))),
        voyage=draw(st.none() | CODE),
        vessel_name=draw(st.none() | TEXT.map(lambda t: t[:35].strip() or "X")),
        carrier=draw(st.none() | CODE),
        expected_arrival=draw(st.none() | MOMENT),
        arrived_at=draw(st.none() | MOMENT),
        entry_inwards_at=draw(st.none() | MOMENT),
        last_port_of_call=draw(st.none() | st.sampled_from(["SGSIN", "AEJEA"])),
        lines=lines,
    )
