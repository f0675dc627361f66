"""Helpers for the configuration tests: load text expecting errors, and locate text independently of the
parser (so a test can assert the exact line and column an issue must point at)."""

from __future__ import annotations

import textwrap

import pytest

from edge.config.errors import ConfigError, ConfigIssue
from edge.dhcp4.config import load_text
from edge.dhcp4.model import Config4

SOURCE = "t.json"


def config(text: str) -> Config4:
    """Load text that must be valid."""
    return load_text(textwrap.dedent(text), source=SOURCE)


def issues(text: str) -> list[ConfigIssue]:
    """Load text that must fail; return its issues."""
    with pytest.raises(ConfigError) as info:
        load_text(text, source=SOURCE)
    return info.value.issues


def pos_of(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of `needle` in `text`, found with str.find."""
    offset = -1
    for _ in range(nth):
        offset = text.find(needle, offset + 1)
        assert offset >= 0, f"{needle!r} occurs fewer than {nth} times"
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def expect_error(text: str, needle: str, path: str, message: str, nth: int = 1) -> ConfigIssue:
    """Assert that loading `text` fails with an issue at the nth `needle`, with this path, whose
    message contains `message`. Returns the issue."""
    text = textwrap.dedent(text)
    found = issues(text)
    line, column = pos_of(text, needle, nth)
    matching = [i for i in found if i.path == path]
    assert matching, f"no issue at {path}; got:\n" + "\n".join(map(str, found))
    issue = matching[0]
    assert (issue.file, issue.line, issue.column) == (SOURCE, line, column), str(issue)
    assert message in issue.message, str(issue)
    assert str(issue) == f"{SOURCE}:{line}:{column}: " + (f"{path}: " if path else "") + issue.message
    return issue
