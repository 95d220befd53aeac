"""A large interchange is read block by block and handed on one message at a time: the segments,
positions, findings and messages are exactly those of reading the whole file at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs_engine.adapters.edifact import reader, tokenizer
from customs_engine.adapters.edifact.tokenizer import (
    MARK_CHOICES,
    EdifactSyntaxError,
    Lines,
    blocks,
    tokenize,
)
from customs_engine.adapters.edifact.writer import cuscar_body, cusdec_body
from customs_engine.adapters.edifact.writer import interchange as writer_interchange

from .interchanges import cuscar_segments, cusdec_segments, interchange
from .strategies import bills_of_entry, manifests, segment_streams


@contextmanager
def small_blocks(chars: int) -> Iterator[None]:
    """Blocks of about ``chars`` characters, every file read in two passes, and an ASCII file
    decoded from its bytes a window of about ``chars`` characters at a time."""
    saved = tokenizer.BLOCK_CHARS, reader.WHOLE_CHARS, tokenizer.DECODE_CHARS
    tokenizer.BLOCK_CHARS, reader.WHOLE_CHARS, tokenizer.DECODE_CHARS = chars, 0, chars
    try:
        yield
    finally:
        tokenizer.BLOCK_CHARS, reader.WHOLE_CHARS, tokenizer.DECODE_CHARS = saved


def split(text: str) -> tuple[list, list[tuple[int, int]]] | tuple[str, int, int]:
    try:
        tokens = tokenize(text)
    except EdifactSyntaxError as exc:
        return exc.message, exc.line, exc.column
    return tokens.segments, [tokens.position(i) for i in range(len(tokens.segments))]


def split_bytes(text: str) -> tuple[list, list[tuple[int, int]]] | tuple[str, int, int]:
    """:func:`split` of an ASCII text given as its bytes (decoded a window at a time)."""
    data = text.encode("ascii")
    lines = Lines(data)
    try:
        found = list(blocks(data, lines=lines))
    except EdifactSyntaxError as exc:
        return exc.message, exc.line, exc.column
    segments = [segment for block in found for segment in block.segments]
    return segments, [lines.position(offset) for block in found for offset in block.offsets]


@given(segment_streams(), st.integers(1, 40))
@settings(max_examples=200, deadline=None)
def test_blocks_split_exactly_like_the_whole_text(stream, chars: int) -> None:
    text, _ = stream
    whole = split(text)
    with small_blocks(chars):
        assert split(text) == whole
        if text.isascii():
            assert split_bytes(text) == whole


def test_an_ascii_file_is_split_from_its_bytes_a_window_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large ASCII file is never decoded whole: each window decoded is about DECODE_CHARS."""
    data = interchange(*[cusdec_segments() for _ in range(40)])
    assert data.isascii() and len(data) > 20_000
    decoded: list[int] = []
    original = tokenizer._Text.hold

    def hold(self, offset: int, chars: int) -> int:  # type: ignore[no-untyped-def]
        before = self.window
        pos = original(self, offset, chars)
        if self.window is not before:
            decoded.append(len(self.window))
        return pos

    monkeypatch.setattr(tokenizer._Text, "hold", hold)
    whole = reader.read(data)
    assert decoded == []  # under WHOLE_CHARS: decoded whole, once
    monkeypatch.setattr(reader, "WHOLE_CHARS", 0)
    monkeypatch.setattr(tokenizer, "BLOCK_CHARS", 500)
    monkeypatch.setattr(tokenizer, "DECODE_CHARS", 2000)
    assert reader.read(data) == whole
    assert len(decoded) > 2 * len(data) // 2000  # both passes, window by window
    assert max(decoded) < 2600


@pytest.mark.parametrize(
    "text",
    [
        "UNB+A'\nUNH+1",
        "UNB+A'\n  bgm+1'",
        "UNB+A'UN:X+1'",
        "UNB+A'BGM+A?\nB'",
        "UNB+A''",
        "UNA:+.? 'UNB+A'UNZ+0'\nUNA*|.\\ ~UNB|X*Y~UNZ|0~",
        "UNA:+.? 'UNB+A'FTX+" + "a?'" * 50 + "b??'UNZ+0'",
        "UNA:+.? 'UNB+A'\r\n UNA:+.? 'UNZ+0'",
        "UNA:+.? 'UNB+A'UNZ+0'UNA:+.? 'UNB+B'UNH+1+X'UNA:+.",
        # runs of blanks longer than a block (and than a window of the bytes)
        "UNA:+.? 'UNB+A'" + "\r\n " * 20 + "UNA:+.? 'UNZ+0'",
        "UNA:+.? '" + "\n" * 20 + "UNB+A'UNZ+0'",
        " \t\n" * 20 + "UNB+A'UNZ+0'\n\n\n",
        "UNB+A'" + " " * 40 + "UNZ+0",
    ],
)
def test_blocks_split_malformed_and_unusual_text_like_the_whole_text(text: str) -> None:
    whole = split(text)
    for chars in (1, 2, 3, 5, 8, 13):
        with small_blocks(chars):
            assert split(text) == whole, chars
            assert split_bytes(text) == whole, chars


def envelope_cases() -> list[bytes]:
    good = interchange(cusdec_segments(), cuscar_segments(), cusdec_segments())
    body = good.decode()
    head, rest = body.split("UNH+M1", 1)
    rest, _ = ("UNH+M1" + rest).rsplit("UNZ", 1)
    grouped = f"{head}UNG+CUSDEC+S+R+260309:1130+G1+UN+D:96B'\n{rest}UNE+2+G1'\nUNZ+1+REF1'\n"
    bare = "".join(
        line + "\n" for line in body.splitlines() if not line.startswith(("UNA", "UNB", "UNZ"))
    )
    return [
        good,
        good.replace(b"UNT+37+M2", b"UNT+36+M2"),
        good.replace(b"UNZ+3+REF1", b"UNZ+4+OTHER"),
        good.replace(b"UNH+M2+", b"UNH++").replace(b"UNH+M3+", b"UNH++"),
        good.replace(b"UNT+37+M1'\n", b"").replace(b"UNZ+3+REF1'\n", b""),
        good.replace(b"UNT+37+M2'\n", b"UNT+37+M2'\nBGM+929'\nFTX+AAA'\n"),
        good.replace(b"CUSDEC:D:96B:UN", b"CUSDEC:D:99A:UN", 1),
        good.replace(b"260309:1130", b"2603:11"),
        good + b"BGM+929'\n",
        good + good,
        good + bare.encode(),
        good[: len(good) // 2].rsplit(b"'", 1)[0] + b"'",
        grouped.encode(),
        grouped.replace("UNE+2+G1", "UNE+5+G1").replace("UNZ+1+", "UNZ+2+").encode(),
        bare.encode(),
        bare.replace("BGM+929:::H+BE-1+9'\n", "BGM+929:::H+BE-1+9'\nUNE+1'\n", 1).encode(),
        b"UNB+UNOC:3+A+B+260101:1200+1'UNZ+0+1'UNB+UNOC:3+A+B+260101:1200+2'"
        + good.split(b"UNB", 1)[1].split(b"\n", 1)[1],
        b"UNA:+.? 'UNB+UNOC:3+A+B+260101:1200+1'UNZ+0+1'",
        b"BGM+929'UNH+1+CUSDEC:D:96B:UN'BGM+929'UNT+2+1'",
        b"UNB+UNOC:3+A+B+260101:1200+1'UNH+1+CUSDEC:D:96B:UN'BGM+929",
        # escaped segments the first pass stands in for by their tag, and ones it must not
        good.replace(b"FTX+AAA+++LAPTOPS", b"FTX+AAA+++LAP?'TOPS??"),
        good.replace(b"FTX+AAA+++LAPTOPS", b"FTX+AAA+++LAP?'TOPS?\nX", 1),
        b"UNAA+.? 'UNB+UNOC:3+A+B+260101:1200+1'FTA+x?'y'UNZ+0+1'",
    ]


def test_every_envelope_case_reads_the_same_in_two_passes_over_small_blocks() -> None:
    for number, data in enumerate(envelope_cases()):
        whole = reader.read(data)
        assert whole, number
        for chars in (1, 7, 64):
            with small_blocks(chars):
                assert reader.read(data) == whole, (number, chars)


def test_the_samples_read_the_same_in_two_passes_over_small_blocks(samples_dir: Path) -> None:
    for path in sorted((samples_dir / "edifact").glob("*.edi")):
        data = path.read_bytes()
        whole = reader.read(data)
        with small_blocks(50):
            assert reader.read(data) == whole, path.name


@given(st.lists(bills_of_entry() | manifests(), min_size=1, max_size=3), st.integers(1, 200))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_interchanges_read_the_same_in_two_passes(models, chars: int) -> None:
    messages = [
        (
            str(n),
            ["CUSDEC", "D", "96B", "UN"]
            if m.kind == "bill_of_entry"
            else ["CUSCAR", "D", "95B", "UN"],
            cusdec_body(m) if m.kind == "bill_of_entry" else cuscar_body(m),
        )
        for n, m in enumerate(models)
    ]
    data = writer_interchange(messages, date(2026, 3, 9), "REF")
    whole = reader.read(data)
    with small_blocks(chars):
        assert reader.read(data) == whole


def test_messages_are_read_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = reader._message

    def counting(raw, index):  # type: ignore[no-untyped-def]
        built.append(raw.reference)
        return original(raw, index)

    monkeypatch.setattr(reader, "_message", counting)
    data = interchange(cusdec_segments(), cuscar_segments(), cusdec_segments())
    for whole in (True, False):
        built.clear()
        monkeypatch.setattr(reader, "WHOLE_CHARS", len(data) if whole else 0)
        messages = reader.messages(data)
        first = next(messages)
        assert (first.reference, built) == ("M1", ["M1"])
        assert [m.reference for m in messages] == ["M2", "M3"]
        assert built == ["M1", "M2", "M3"]


def test_an_interchange_problem_reaches_messages_handed_on_before_it_is_seen() -> None:
    """The UNZ count is only known at the end; the first message carries it all the same."""
    data = interchange(cusdec_segments(), cusdec_segments(), unz="5")
    with small_blocks(16):
        first, second = reader.messages(data)
    for parsed in (first, second):
        assert any("UNZ says 5 messages, but there are 2" in f.message for f in parsed.findings)


def test_a_syntax_error_at_the_end_makes_the_whole_file_unreadable_as_before() -> None:
    data = interchange(cusdec_segments(), cusdec_segments()) + b"bgm+1'"
    with small_blocks(16):
        (parsed,) = reader.messages(data)
    assert parsed.type == "unknown" and "upper-case" in parsed.findings[0].message


@contextmanager
def small_windows(chars: int) -> Iterator[None]:
    """Unescaped terminators searched ``chars`` characters at a time."""
    saved = tokenizer.WINDOW_CHARS
    tokenizer.WINDOW_CHARS = chars
    try:
        yield
    finally:
        tokenizer.WINDOW_CHARS = saved


def unescaped_terminators(text: str, esc: str = "?", term: str = "'") -> list[int]:
    """The plain definition, one character at a time."""
    found, at = [], 0
    while at < len(text):
        if text[at] == esc:
            at += 2
            continue
        if text[at] == term:
            found.append(at)
        at += 1
    return found


@given(st.text(st.sampled_from(list("??'a")), max_size=40), st.integers(2, 9))
@settings(max_examples=300, deadline=None)
def test_unescaped_terminators_are_found_across_windows(text: str, window: int) -> None:
    splitter = tokenizer._Splitter(tokenizer.Characters())
    with small_windows(window):
        assert list(splitter.terminators(text, 0, len(text))) == unescaped_terminators(text)


@given(segment_streams(), st.integers(1, 40), st.integers(2, 9))
@settings(max_examples=200, deadline=None)
def test_small_windows_split_exactly_like_the_whole_text(stream, chars: int, window: int) -> None:
    text, _ = stream
    whole = split(text)
    with small_blocks(chars), small_windows(window):
        assert split(text) == whole


@pytest.mark.parametrize("present", ["", "\x01", "\x01\x02\x03\x04\x05", MARK_CHOICES])
@pytest.mark.parametrize("chars", [4, 1 << 16])
def test_escaped_segments_are_exact_whatever_characters_the_text_holds(
    present: str, chars: int
) -> None:
    # the marks standing for escaped separators are characters the block does not hold; with
    # every candidate in it, the general path reads the segments
    value = "x?'y?+z?:w???'" + present + "?'"
    text = f"UNB+UNOC:3+A+B+200101:1200+1'FTX+AAA+++{value}:{present}?:'UNZ+1+1'" * 3
    whole = split(text)
    with small_blocks(chars):
        assert split(text) == whole
    segments = whole[0]
    assert isinstance(segments, list)
    assert segments[1].elements[3] == ["x'y+z:w?'" + present + "'", present + ":"]
