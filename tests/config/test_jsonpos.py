"""The Kea-dialect JSON parser: values, positions, comments, includes, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config.errors import ConfigError
from edge.config.jsonpos import MAX_DEPTH, parse_text, read_config_text
from tests.config.helpers import pos_of


def syntax_error(text: str, source: str = "s.json") -> tuple[int, int, str, str]:
    with pytest.raises(ConfigError) as info:
        parse_text(text, source)
    (issue,) = info.value.issues
    assert issue.file == source
    return issue.line or 0, issue.column or 0, issue.path, issue.message


def test_values_and_comments_of_all_three_kinds() -> None:
    text = '{\n  # hash\n  "a": 1, // slashes\n  /* block\n  */ "b": [true, false, null, -2.5e1, "x\\u00e9\\n"]\n}'
    parsed = parse_text(text)
    assert parsed.value == {"a": 1, "b": [True, False, None, -25.0, "x\u00e9\n"]}
    assert parsed.errors == [] and parsed.warnings == []


def test_every_value_and_key_has_its_position() -> None:
    text = '{"Dhcp4": {\n    "subnet4": [ { "pools": [ { "pool": "10.0.0.1 - 10.0.0.9" } ] } ]\n}}'
    positions = parse_text(text, "f.json").positions
    path = ("Dhcp4", "subnet4", 0, "pools", 0, "pool")
    assert positions.values[path] == ("f.json", *pos_of(text, '"10.0.0.1'))
    assert positions.keys[path] == ("f.json", *pos_of(text, '"pool"'))
    assert positions.values[("Dhcp4", "subnet4", 0)] == ("f.json", *pos_of(text, '{ "pools"'))
    # an absent path falls back to its nearest ancestor
    assert positions.locate(path + ("nope",)) == positions.values[path]


def test_surrogate_pairs_and_bom() -> None:
    assert parse_text('\ufeff{"a": "\\ud83d\\ude00"}').value == {"a": "\U0001f600"}


def test_duplicate_keys_are_all_reported_with_both_positions() -> None:
    text = '{"a": 1,\n "b": {"c": 1, "c": [1, 2]},\n "a": 2}'
    parsed = parse_text(text, "d.json")
    assert parsed.value == {"a": 1, "b": {"c": 1}}  # the first value is kept
    first, second = sorted(parsed.errors, key=lambda i: i.line or 0)
    assert (first.line, first.column, first.path) == (*pos_of(text, '"c"', 2), "b.c")
    assert "first given at d.json:2:8" in first.message
    assert (second.line, second.column, second.path) == (*pos_of(text, '"a"', 2), "a")
    assert "first given at d.json:1:2" in second.message


def test_extraneous_comma_is_a_warning_as_in_kea() -> None:
    text = '{"a": [1, 2,],\n "b": 3,\n}'
    parsed = parse_text(text, "w.json")
    assert parsed.value == {"a": [1, 2], "b": 3}
    assert [(w.line, w.column, w.path) for w in parsed.warnings] == [(1, 12, "a"), (2, 8, "")]


@pytest.mark.parametrize(
    ("text", "line", "column", "path", "message"),
    [
        ('{"a": 1\n "b": 2}', 2, 2, "", "expected ',' or '}', found string \"b\""),
        ('{"a": [1 2]}', 1, 10, "a", "expected ',' or ']'"),
        ('{"a" 1}', 1, 6, "a", "expected ':' after key \"a\""),
        ("{'a': 1}", 1, 2, "", "strings need double quotes"),
        ('{"a": yes}', 1, 7, "a", "unexpected word 'yes'"),
        ('{"a": "one\ntwo"}', 1, 7, "a", "not closed before the end of the line"),
        ('{"a": "x\\q"}', 1, 9, "a", "invalid escape"),
        ('{"a": "\\u12"}', 1, 8, "a", "four hex digits"),
        ('{"a": "\\udc00"}', 1, 8, "a", "half of a surrogate pair"),
        ('{"a": "tab\there"}', 1, 11, "a", "control character U+0009"),
        ('{"a": 1} /* never closed', 1, 10, "", "never closed"),
        ('{"a": 1e999}', 1, 7, "a", "out of range"),
        ('{"a": 123456789012345678901}', 1, 7, "a", "does not fit in 64 bits"),
        ('{"a": 1.2.3}', 1, 7, "a", "malformed number"),
        ('{"a": 1}\n{"b": 2}', 2, 1, "", "after the end of the configuration"),
        ("  // only a comment\n", 2, 1, "", "the configuration is empty"),
        ('{"a": "\x00"}', 1, 8, "a", "control character U+0000"),
        ('{"a": [1, 2], "b": }', 1, 20, "b", "expected a value, found '}'"),
        ('{"a": 1,, "b": 2}', 1, 9, "", "expected a key in double quotes"),
    ],
)
def test_syntax_errors_name_line_column_and_path(
    text: str, line: int, column: int, path: str, message: str
) -> None:
    got = syntax_error(text)
    assert got[:3] == (line, column, path)
    assert message in got[3]


def test_nesting_is_bounded() -> None:
    line, column, _, message = syntax_error("[" * (MAX_DEPTH + 1))
    assert (line, column) == (1, MAX_DEPTH + 1)
    assert "nested more than" in message


def test_deep_but_allowed_nesting_parses() -> None:
    depth = MAX_DEPTH - 1  # the outer object is one level too
    value = parse_text('{"a": ' + "[" * depth + "]" * depth + "}").value["a"]
    for _ in range(depth - 1):
        (value,) = value
    assert value == []


def test_include_splices_members_and_positions_name_the_included_file(tmp_path: Path) -> None:
    (tmp_path / "part.json").write_text('// members\n"b": [1,\n  2]\n')
    main = tmp_path / "main.json"
    main.write_text('{"a": 1,\n <?include "part.json"?>,\n "c": 3}')
    parsed = parse_text(main.read_text(), str(main))
    assert parsed.value == {"a": 1, "b": [1, 2], "c": 3}
    assert parsed.positions.values[("b", 1)] == (str(tmp_path / "part.json"), 3, 3)
    assert parsed.positions.values[("c",)] == (str(main), 3, 7)


def test_include_errors_point_at_the_directive(tmp_path: Path) -> None:
    main = tmp_path / "main.json"
    main.write_text('{"a":\n  <?include "missing.json"?>}')
    line, column, path, message = syntax_error(main.read_text(), str(main))
    assert (line, column, path) == (2, 3, "a")
    assert 'cannot include "missing.json"' in message and "No such file" in message


def test_include_cycles_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('<?include "b.json"?>')
    (tmp_path / "b.json").write_text('<?include "a.json"?>')
    main = tmp_path / "a.json"
    with pytest.raises(ConfigError) as info:
        parse_text(main.read_text(), str(main))
    (issue,) = info.value.issues
    assert issue.file == str(tmp_path / "b.json") and (issue.line, issue.column) == (1, 1)
    assert "includes itself" in issue.message


def test_syntax_error_inside_an_include_names_the_included_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('"x": [1,\n  2 3]')
    main = tmp_path / "main.json"
    main.write_text('{<?include "bad.json"?>}')
    with pytest.raises(ConfigError) as info:
        parse_text(main.read_text(), str(main))
    (issue,) = info.value.issues
    assert (issue.file, issue.line, issue.column) == (str(tmp_path / "bad.json"), 2, 5)


def test_reading_files_fails_as_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        read_config_text(str(tmp_path))
    with pytest.raises(ConfigError, match="No such file"):
        read_config_text(str(tmp_path / "absent.json"))
    binary = tmp_path / "bin.json"
    binary.write_bytes(b'{"a":\n "\xff\xfe"}')
    with pytest.raises(ConfigError) as info:
        read_config_text(str(binary))
    (issue,) = info.value.issues
    assert (issue.line, issue.column) == (2, 3)
    assert "not UTF-8" in issue.message


@pytest.mark.parametrize(
    ("literal", "value"),
    [(".5", 0.5), ("5.", 5.0), ("+0.25", 0.25), ("+.5", 0.5), ("-.5e1", -5.0), ("+7", 7.0), ("-7", -7)],
)
def test_numbers_as_kea_reads_them(literal: str, value: float) -> None:
    # Kea's lexer takes -?[0-9]+ as an integer and anything else numeric as a float, with or without digits
    # around the point and with a plus sign (Kea's own examples write "t1-percent": .5).
    got = parse_text('{"a": ' + literal + "}", "t.json").value["a"]
    assert got == value and type(got) is type(value)
