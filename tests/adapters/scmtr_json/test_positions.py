"""A JSON pointer's value placed by line and column in the text it was read from."""

from __future__ import annotations

import json

from customs_engine.adapters.scmtr_json.positions import locate


def place(text: str, fragment: str) -> tuple[int, int]:
    """Line and column (1-based) where ``fragment`` first starts in ``text``."""
    offset = text.index(fragment)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def test_members_and_elements_are_placed_where_their_value_starts() -> None:
    text = json.dumps({"a": {"b": [10, {"c": "x"}], "d": True}, "e": None}, indent=2)
    found = locate(text, ["/a/b/1/c", "/a/d", "/e", "/a/b/0", "/a"])
    assert found["/a/b/1/c"] == place(text, '"x"')
    assert found["/a/d"] == place(text, "true")
    assert found["/e"] == place(text, "null")
    assert found["/a/b/0"] == place(text, "10")
    assert found["/a"] == place(text, '{\n    "b"')


def test_the_whole_document_and_a_missing_member() -> None:
    text = '  {"a": {"b": 1}}'
    found = locate(text, ["", "/", "/a/nope", "/zzz/y"])
    assert found[""] == found["/"] == found["/zzz/y"] == (1, 3)
    assert found["/a/nope"] == (1, 9)  # the object that lacks it


def test_escaped_steps_and_siblings_skipped_whole() -> None:
    text = '{"x": [1, {"a/b": 0}], "m~n": {"deep": [[["]"]]], "k": 5}}'
    found = locate(text, ["/m~0n/k", "/x/1/a~1b"])
    assert found["/m~0n/k"] == (1, text.index("5") + 1)
    assert found["/x/1/a~1b"] == (1, text.index("0}") + 1)


def test_columns_count_characters_after_crlf_lines() -> None:
    text = '{\r\n  "name": "Ärzte €",\r\n  "n": 1\r\n}'
    assert locate(text, ["/n"])["/n"] == (3, 8)


def test_text_that_is_not_json_places_what_it_reached() -> None:
    # "/b" would start where the text ends
    assert locate('{"a": 1, "b": ', ["/b", "/a"]) == {"/a": (1, 7), "/b": (1, 15)}
