"""Raw UN/EDIFACT wire text for the adapter tests, segment by segment (valid CUSDEC and CUSCAR
of our MIG to break on purpose); canonical messages come from the public kit instead."""

from __future__ import annotations

HEADER = "UNA:+.? '\nUNB+UNOC:3+SENDER+ICEGATE+260309:1130+REF1'\n"


def cusdec_segments(**overrides: str) -> list[str]:
    """A valid CUSDEC of our MIG as a list of segment texts (without terminators)."""
    segs = {
        "BGM": "BGM+929:::H+BE-1+9",
        "LOC22": "LOC+22+INNSA1",
        "LOC35": "LOC+35+SG",
        "LOC9": "LOC+9+SGSIN",
        "DTM137": "DTM+137:202603091130:203",
        "DTM132": "DTM+132:20260310:102",
        "FTXPRIOR": "FTX+ZZZ+++PRIOR:Y",
        "FTXICAT": "FTX+ZZZ+++ICAT:COMMERCIAL",
        "RFFAFB": "RFF+AFB:2234567:10:0",
        "DTM171": "DTM+171:20260308:102",
        "RFFBM": "RFF+BM:MAEU123456",
        "DTM95": "DTM+95:20260220:102",
        "RFFABT": "RFF+ABT:7001234",
        "TDT": "TDT+20+V1+1",
        "NADIM": "NAD+IM+AAPFU0939F::ZZZ++ACME IMPORTS",
        "RFFVA": "RFF+VA:27AAPFU0939F1ZV",
        "NADCB": "NAD+CB+CHA1::ZZZ",
        "UNSD": "UNS+D",
        "CST": "CST+1+84713010:122",
        "FTXAAA": "FTX+AAA+++LAPTOPS",
        "FTXPCAT": "FTX+ZZZ+++PCAT:LAPTOP",
        "FTXPNOR": "FTX+ZZZ+++PNOR:Y",
        "LOC27": "LOC+27+CN",
        "MEA": "MEA+AAE++NOS:60",
        "MEABGR": "MEA+AAE+BGR+USH:0.08",
        "MOA40": "MOA+40:3000000.00:INR",
        "MOA38": "MOA+38:36036.04:USD",
        "CUX": "CUX+2:USD+3:INR+83.25",
        "DOC911": "DOC+911:::IMS+IMS-1",
        "DTM182": "DTM+182:20260105:102",
        "DTM36": "DTM+36:20261231:102",
        "DOCPSIC": "DOC+ZZZ:::PSIC+PSIC-9",
        "NADAM": "NAD+AM+PSIA-017",
        "UNSS": "UNS+S",
        "CNT": "CNT+5:1",
    }
    for key, value in overrides.items():
        segs[key] = value
    return [value for value in segs.values() if value]


def interchange(
    *messages: list[str], ref: str = "REF1", unz: str | None = None, una: bool = True
) -> bytes:
    """UNA/UNB + one UNH…UNT per message (correct counts) + UNZ."""
    text = HEADER if una else HEADER.split("\n", 1)[1]
    for number, body in enumerate(messages, start=1):
        kind = "CUSCAR:D:95B:UN" if body[0].startswith("BGM+85") else "CUSDEC:D:96B:UN"
        text += f"UNH+M{number}+{kind}'\n"
        text += "".join(f"{seg}'\n" for seg in body)
        text += f"UNT+{len(body) + 2}+M{number}'\n"
    text += f"UNZ+{unz if unz is not None else len(messages)}+{ref}'\n"
    return text.encode()


def cuscar_segments() -> list[str]:
    return [
        "BGM+85+2234567+9",
        "DTM+137:202603080900:203",
        "TDT+20+V123+1++MAEU+++:::MAERSK ELBA",
        "LOC+60+INNSA1",
        "LOC+125+SGSIN",
        "DTM+132:202603100600:203",
        "DTM+178:202603100600:203",
        "DTM+151:202603100800:203",
        "CNI+10",
        "RFF+BM:MAEU123456::0",
        "NAD+CN+AAPFU0939F::ZZZ++ACME IMPORTS PVT LTD",
        "GID+1+120:PKG",
        "FTX+AAA+++LAPTOP COMPUTERS",
        "FTX+ZZZ+++CMOV:LC",
        "FTX+ZZZ+++BLDT:20260220",
        "MEA+AAE+G+KGM:4200,5",
    ]
