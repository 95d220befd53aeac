"""EDIFACT ingest speed: pydifact ``Interchange.from_str`` vs our tokenizer + envelope.

Generates N ten-item CUSDEC D:96B messages in one interchange (written by our own writer), checks
that both produce identical segments, then times each several times and prints MB/s, messages/s
and the ratio. Also times the full adapter (segments → canonical model) for information.

    .venv/bin/python benchmarks/bench_edifact.py [N] [repeats]      # default N=1000, repeats=3
"""

from __future__ import annotations

import sys
import time
import warnings
from datetime import datetime
from decimal import Decimal

from pydifact.segmentcollection import Interchange
from pydifact.segments import Segment

from customs_engine.adapters.edifact import reader, writer
from customs_engine.core.dates import IST
from customs_engine.core.models import BillOfEntry, Licence

warnings.filterwarnings("ignore")


def bill_of_entry(n: int) -> BillOfEntry:
    return BillOfEntry(
        message_id=f"BE{n:08d}",
        port_code="INNSA1",
        type="HOME_CONSUMPTION",
        presented_at=datetime(2026, 3, 9, 11, 30, tzinfo=IST),
        mode="SEA",
        importer={"iec": "AAPFU0939F", "gstin": "27AAPFU0939F1ZV", "name": "ACME IMPORTS PVT LTD"},
        manifest={"igm_number": "2234567", "line": 10, "subline": 0, "bl_number": "MAEU123456"},
        consigned_from="SG",
        port_of_loading="SGSIN",
        items=[
            {
                "number": i,
                "hs_code": "84713010",
                "description": f"LAPTOP COMPUTERS 14? INCH {i}",
                "quantity": Decimal(60),
                "unit": "NOS",
                "value_inr": Decimal("3000000.00"),
                "foreign_value": {
                    "amount": Decimal("36036.04"),
                    "currency": "USD",
                    "rate": Decimal("83.25"),
                },
                "country_of_origin": "CN",
                "licences": [Licence(scheme="IMS", number=f"IMS-2026-{i:05d}")],
            }
            for i in range(1, 11)
        ],
    )


def interchange_text(count: int) -> str:
    messages = [
        (f"BE{n:08d}", ["CUSDEC", "D", "96B", "UN"], writer.cusdec_body(bill_of_entry(n)))
        for n in range(count)
    ]
    return writer.interchange(messages, datetime(2026, 3, 9, 11, 30, tzinfo=IST), "BENCH").decode()


def pydifact_ingest(text: str) -> list[Segment]:
    interchange = Interchange.from_str(text)
    list(interchange.get_messages())
    return interchange.segments


def our_ingest(text: str) -> list[Segment]:
    tokens, envelope = reader.ingest(text)
    assert envelope.fatal is None and not any(m.findings for m in envelope.messages)
    return [s for s in tokens.segments if s.tag not in ("UNA", "UNB", "UNZ")]


def timed(work, text: str) -> float:
    """CPU seconds of one run (process time: the machine is shared, wall time is noisy)."""
    start = time.process_time()
    work(text)
    return time.process_time() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    text = interchange_text(count)
    mb = len(text.encode()) / 1e6
    assert our_ingest(text) == pydifact_ingest(text), "segments differ"
    contenders = [
        ("pydifact Interchange.from_str", pydifact_ingest),
        ("customs-engine tokenizer+envelope", our_ingest),
        ("customs-engine full parse (→ model)", lambda t: reader.read(t.encode())),
    ]
    best = [float("inf")] * len(contenders)
    for _ in range(repeats):  # interleaved, so load changes hit every contender alike
        for index, (_, work) in enumerate(contenders):
            best[index] = min(best[index], timed(work, text))
    rows = [(name, seconds) for (name, _), seconds in zip(contenders, best, strict=True)]
    print(
        f"{count} ten-item CUSDEC messages, {mb:.2f} MB, "
        f"{text.count(chr(39))} segments, best of {repeats}"
    )
    for name, seconds in rows:
        print(
            f"  {name:<38} {seconds:8.3f} s  {mb / seconds:8.2f} MB/s  "
            f"{count / seconds:10.0f} messages/s"
        )
    print(f"  ingest ratio (pydifact / ours): {rows[0][1] / rows[1][1]:.1f}x")


if __name__ == "__main__":
    main()
