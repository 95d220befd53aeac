"""Generate synthetic Bill of Entry archives for the batch benchmark (SPEC §5 XML, §6.1 CUSDEC).

Every message is a valid 10-item Bill of Entry whose numbers vary with its index, so archives are
realistic to compress and parse. Output is deterministic for a given count.

    python benchmarks/generate_archive.py --count 1000 --format xml --out /tmp/be-1k.tar.gz
    python benchmarks/generate_archive.py --count 1000 --format edifact --out /tmp/be-1k-edi/
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

ITEMS = 10
#: (HS code, description, product category, unit, licence scheme) — one row per kind of goods
GOODS = (
    ("84713010", "LAPTOP COMPUTERS 14 INCH", "LAPTOP", "NOS", "IMS"),
    ("72083610", "HOT ROLLED STEEL PLATES", None, "KGS", "SIMS"),
    ("76061190", "ALUMINIUM ALLOY PLATES", None, "KGS", "AIMS"),
    ("39269099", "PLASTIC FITTINGS", None, "NOS", None),
    ("85176290", "NETWORK SWITCHES", None, "NOS", None),
)
IMPORTERS = (
    ("AAPFU0939F", "27AAPFU0939F1ZV", "ACME IMPORTS PVT LTD"),
    ("AABCB1234C", None, "BHARAT STEEL FABRICATORS PVT LTD"),
    ("AADCH4321K", None, "HIMALAYA METALS PVT LTD"),
)
BASE = datetime(2026, 3, 9, 11, 30)


def _item_values(
    index: int, number: int
) -> tuple[tuple[str, str, str | None, str, str | None], int, str]:
    goods = GOODS[(index + number) % len(GOODS)]
    quantity = 10 + (index * 7 + number * 13) % 490
    value = f"{quantity * (1000 + (index + number) % 9000)}.{(index * number) % 100:02d}"
    return goods, quantity, value


def boe_xml(index: int) -> bytes:
    iec, gstin, name = IMPORTERS[index % len(IMPORTERS)]
    presented = BASE + timedelta(minutes=index)
    items = []
    for number in range(1, ITEMS + 1):
        (hs, description, category, unit, scheme), quantity, value = _item_values(index, number)
        licence = (
            (
                f'\n      <Licence scheme="{scheme}" number="{scheme}-2026-{index % 997:05d}"'
                ' issuedOn="2026-01-05" expiresOn="2026-12-31"/>'
            )
            if scheme
            else ""
        )
        cat = f"\n      <ProductCategory>{category}</ProductCategory>" if category else ""
        items.append(f"""    <Item number="{number}">
      <HSCode>{hs}</HSCode>
      <Description>{description}</Description>{cat}
      <Quantity unit="{unit}">{quantity}</Quantity>
      <Value currency="INR">{value}</Value>
      <CountryOfOrigin>CN</CountryOfOrigin>{licence}
    </Item>""")
    gst = f"\n    <GSTIN>{gstin}</GSTIN>" if gstin else ""
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<BillOfEntry xmlns="urn:customs-engine:icegate:v1" messageId="BE-INNSA1-{index:07d}"
             function="original">
  <PortCode>INNSA1</PortCode>
  <Type>HOME_CONSUMPTION</Type>
  <PresentedAt>{presented.isoformat()}+05:30</PresentedAt>
  <Mode>SEA</Mode>
  <Importer>
    <IEC>{iec}</IEC>{gst}
    <Name>{name}</Name>
    <Category>COMMERCIAL</Category>
  </Importer>
  <Manifest>
    <IGMNumber>{2234567 + index % 50}</IGMNumber>
    <IGMDate>2026-03-08</IGMDate>
    <BLNumber>MAEU{123456 + index}</BLNumber>
    <BLDate>2026-02-20</BLDate>
  </Manifest>
  <ExpectedArrival>2026-03-10</ExpectedArrival>
  <ConsignedFrom>SG</ConsignedFrom>
  <PortOfLoading>SGSIN</PortOfLoading>
  <Items>
{chr(10).join(items)}
  </Items>
</BillOfEntry>
"""
    return text.encode()


def _edi_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def boe_edifact(index: int, items: int = ITEMS) -> bytes:
    """One CUSDEC D:96B interchange in the SPEC §6.1 layout, of ``items`` goods items."""
    iec, gstin, name = IMPORTERS[index % len(IMPORTERS)]
    presented = BASE + timedelta(minutes=index)
    ref = f"BE{index:07d}"
    body = [
        f"UNH+{ref}+CUSDEC:D:96B:UN",
        f"BGM+929:::H+{ref}+9",
        "LOC+22+INNSA1",
        "LOC+35+SG",
        "LOC+9+SGSIN",
        f"DTM+137:{presented.strftime('%Y%m%d%H%M')}:203",
        "DTM+132:20260310:102",
        "FTX+ZZZ+++ICAT:COMMERCIAL",
        f"RFF+AFB:{2234567 + index % 50}",
        "DTM+171:20260308:102",
        f"RFF+BM:MAEU{123456 + index}",
        "DTM+95:20260220:102",
        "TDT+20+V123+1",
        f"NAD+IM+{iec}::ZZZ++{name}",
    ]
    if gstin:
        body.append(f"RFF+VA:{gstin}")
    body.append("UNS+D")
    for number in range(1, items + 1):
        (hs, description, category, unit, scheme), quantity, value = _item_values(index, number)
        body.append(f"CST+{number}+{hs}:122")
        body.append(f"FTX+AAA+++{description}")
        if category:
            body.append(f"FTX+ZZZ+++PCAT:{category}")
        body += ["LOC+27+CN", f"MEA+AAE++{unit}:{quantity}", f"MOA+40:{value}:INR"]
        if scheme:
            body += [
                f"DOC+911:::{scheme}+{scheme}-2026-{index % 997:05d}",
                "DTM+182:20260105:102",
                "DTM+36:20261231:102",
            ]
    body += ["UNS+S", f"CNT+5:{items}"]
    body.append(f"UNT+{len(body) + 1}+{ref}")
    stamp = presented.strftime("%y%m%d:%H%M")
    segments = [f"UNB+UNOC:3+SENDER:ZZZ+ICEGATE:ZZZ+{stamp}+{ref}", *body, f"UNZ+1+{ref}"]
    return ("UNA:+.? '\n" + "'\n".join(segments) + "'\n").encode()


RENDERERS: dict[str, tuple[Callable[[int], bytes], str]] = {
    "xml": (boe_xml, "xml"),
    "edifact": (boe_edifact, "edi"),
}


def members(count: int, fmt: str) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) in sorted path order: 1,000 messages per folder, as archives are kept."""
    render, ext = RENDERERS[fmt]
    for index in range(count):
        yield f"{index // 1000:04d}/be-{index:07d}.{ext}", render(index)


def write_archive(out: Path, count: int, fmt: str) -> None:
    """Write ``count`` messages to a ``.tar.gz``, ``.zip`` or (any other name) a directory."""
    name = out.name
    if name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(out, "w:gz", compresslevel=6) as tar:
            for path, data in members(count, fmt):
                info = tarfile.TarInfo(path)
                info.size = len(data)
                info.mtime = 1773043200
                tar.addfile(info, io.BytesIO(data))
    elif name.endswith(".zip"):
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in members(count, fmt):
                archive.writestr(path, data)
    else:
        for path, data in members(count, fmt):
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--format", choices=sorted(RENDERERS), default="xml")
    parser.add_argument(
        "--out", type=Path, required=True, help="x.tar.gz / x.tgz / x.zip, or a directory"
    )
    args = parser.parse_args(argv)
    write_archive(args.out, args.count, args.format)
    print(f"wrote {args.count} {args.format} Bills of Entry to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
