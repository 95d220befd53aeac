"""Envelope rules pydifact does not check: UNT/UNZ/UNE counts and references, UNG groups."""

from __future__ import annotations

from customs_engine.adapters.edifact.reader import read

from .interchanges import cuscar_segments, cusdec_segments, interchange


def texts(parsed) -> list[str]:
    return [finding.message for finding in parsed.findings]


def test_one_response_per_message_of_a_multi_message_interchange() -> None:
    parsed = read(interchange(cusdec_segments(), cuscar_segments(), cusdec_segments()))
    assert [(p.reference, p.type) for p in parsed] == [
        ("M1", "bill_of_entry"),
        ("M2", "manifest"),
        ("M3", "bill_of_entry"),
    ]
    assert all(p.findings == [] for p in parsed)


def test_wrong_unt_count_is_a_finding_on_that_message_only() -> None:
    data = interchange(cusdec_segments(), cusdec_segments()).replace(b"UNT+37+M2", b"UNT+36+M2")
    first, second = read(data)
    assert first.findings == []
    assert second.message is not None  # still mapped
    (finding,) = second.findings
    assert "message M2, segment UNT #37: UNT says 36 segments" in finding.message
    assert finding.message.startswith("line ")


def test_wrong_unz_count_and_reference_reach_every_message() -> None:
    data = interchange(cusdec_segments(), unz="3").replace(b"UNZ+3+REF1", b"UNZ+3+OTHER")
    (parsed,) = read(data)
    assert any("UNZ says 3 messages, but there are 1" in t for t in texts(parsed))
    assert any("does not match the UNB control reference 'REF1'" in t for t in texts(parsed))


def test_unt_reference_must_match_unh() -> None:
    data = interchange(cusdec_segments()).replace(b"UNT+37+M1", b"UNT+37+M9")
    assert any("does not match the UNH message reference" in t for t in texts(read(data)[0]))


def test_functional_groups_are_honoured_and_counted() -> None:
    body = interchange(cusdec_segments(), cusdec_segments()).decode()
    head, rest = body.split("UNH+M1", 1)
    rest, _ = ("UNH+M1" + rest).rsplit("UNZ", 1)
    grouped = f"{head}UNG+CUSDEC+S+R+260309:1130+G1+UN+D:96B'\n{rest}UNE+2+G1'\nUNZ+1+REF1'\n"
    parsed = read(grouped.encode())
    assert [p.findings for p in parsed] == [[], []]
    bad = grouped.replace("UNE+2+G1", "UNE+5+G1").replace("UNZ+1+", "UNZ+2+")
    problems = texts(read(bad.encode())[0])
    assert any("UNE says 5 messages in the group" in t for t in problems)
    assert any("UNZ says 2 groups, but there are 1" in t for t in problems)


def test_bom_crlf_and_no_una_are_accepted() -> None:
    data = b"\xef\xbb\xbf" + interchange(cusdec_segments(), una=False).replace(b"\n", b"\r\n")
    (parsed,) = read(data)
    assert parsed.findings == [] and parsed.message is not None


def test_missing_unt_and_missing_unz_are_findings() -> None:
    data = (
        interchange(cusdec_segments()).replace(b"UNT+37+M1'\n", b"").replace(b"UNZ+1+REF1'\n", b"")
    )
    problems = texts(read(data)[0])
    assert any("message not closed by UNT" in t for t in problems)
    assert any("interchange not closed by UNZ" in t for t in problems)


def test_unreadable_envelope_is_one_unparsable_message() -> None:
    (parsed,) = read(b"BGM+929'UNH+1+CUSDEC:D:96B:UN'BGM+929'UNT+2+1'")
    assert parsed.type == "unknown" and parsed.message is None
    assert "must start with UNB" in parsed.findings[0].message
    (parsed,) = read(b"UNH+1+CUSDEC:D:96B:UN'BGM+929'UNT+2+1'")  # bare, and broken inside
    assert parsed.type == "unknown" and parsed.message is None
    assert parsed.findings[0].rule == "EDIFACT-ENV-001"
    assert any(f.outcome == "reject" for f in parsed.findings[1:])
    (parsed,) = read(b"UNB+UNOC:3+A+B+260101:1200+1'UNH+1+CUSDEC:D:96B:UN'BGM+929")
    assert parsed.findings[0].message.startswith("line 1, column ")
    assert "no terminator" in parsed.findings[0].message


def test_foreign_message_versions_get_a_clear_finding() -> None:
    data = interchange(cusdec_segments()).replace(b"CUSDEC:D:96B:UN", b"CUSDEC:D:99A:UN")
    (parsed,) = read(data)
    assert parsed.type == "unknown"
    assert (
        "CUSDEC D:99A:UN is not covered by our message implementation guide"
        in parsed.findings[0].message
    )


def bare(*messages: list[str]) -> bytes:
    """UNH…UNT messages as many systems store them: no UNA, UNB or UNZ."""
    text = interchange(*messages).decode()
    return "".join(
        line + "\n" for line in text.splitlines() if not line.startswith(("UNA", "UNB", "UNZ"))
    ).encode()


def test_bare_messages_without_unb_unz_are_read_with_a_warning() -> None:
    parsed = read(bare(cusdec_segments(), cuscar_segments()))
    assert [(p.reference, p.type) for p in parsed] == [("M1", "bill_of_entry"), ("M2", "manifest")]
    for p in parsed:
        assert p.message is not None
        assert [(f.rule, f.outcome) for f in p.findings] == [("EDIFACT-ENV-001", "warn")]
        assert "no UNB…UNZ interchange envelope" in p.findings[0].message
    assert parsed[0].message == read(interchange(cusdec_segments()))[0].message


def test_bare_messages_are_still_checked() -> None:
    (parsed,) = read(bare(cusdec_segments()).replace(b"UNT+37+M1", b"UNT+36+M1"))
    assert [f.outcome for f in parsed.findings] == ["warn", "reject"]
    assert "UNT says 36 segments" in parsed.findings[1].message


def test_bare_messages_are_detected_as_edifact() -> None:
    from customs_engine.testing import make_engine

    (parsed,) = make_engine().parse(bare(cusdec_segments()), "stored.txt")
    assert parsed.format == "edifact" and parsed.type == "bill_of_entry"


def test_an_over_long_unh_reference_is_refused_and_answered_as_written() -> None:
    """0062 holds 14 characters: a longer reference is a finding, and the reply names it as the
    input wrote it (cut to 14, it named a message that is not in the file)."""
    data = interchange(cusdec_segments()).replace(b"M1", b"ABCDEFGHIJKLMNO")
    (parsed,) = read(data)
    assert parsed.reference == "ABCDEFGHIJKLMNO"
    assert any("UNH message reference (0062) is longer than 14" in t for t in texts(parsed))
    (hostile,) = read(interchange(cusdec_segments()).replace(b"M1", b"R" * 5000))
    assert hostile.reference == "R" * 64
