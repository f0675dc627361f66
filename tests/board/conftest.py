"""Fixtures and report for the board tests: the image figures are printed in pytest's terminal summary."""

from __future__ import annotations

import pytest

from tests.lab.fixtures import lab, lab_ready, resolv_conf_guard

__all__ = ["lab", "lab_ready", "resolv_conf_guard"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.board.test_image import FIGURES

    if FIGURES:
        terminalreporter.section("Raspberry Pi image figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
