"""Lab fixtures for the switch-over tests (see tests/lab/fixtures.py)."""

from tests.lab.fixtures import lab, lab_ready, resolv_conf_guard

__all__ = ["lab", "lab_ready", "resolv_conf_guard"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001, ARG001
    """Print the keama conformance figures collected by test_keama.py (when it ran)."""
    from tests.migrate.test_keama import FIGURES

    _summary_v6(terminalreporter)
    if not FIGURES:
        return
    write = terminalreporter.write_line
    write("")
    write("keama conformance (../shared/conformance/keama):")
    if "working" in FIGURES:
        w = FIGURES["working"]
        total = sum(len(v) for v in w.values())
        write(
            f"  working cases: {total}: {len(w['equal'])} equal, {len(w['on purpose'])} differing on purpose, "
            f"{len(w['failing'])} failing"
        )
        for name, reason in FIGURES.get("reasons", {}).items():
            write(f"    {name}: {reason}")
    if "errors" in FIGURES:
        e = FIGURES["errors"]
        total = sum(len(v) for v in e.values())
        write(
            f"  error cases: {total}: {len(e['same line'])} refused at the same line, "
            f"{len(e['on purpose'])} differing on purpose, {len(e['failing'])} failing"
        )
        from tests.migrate.test_keama import ERRORS_ON_PURPOSE

        for name in e["on purpose"]:
            write(f"    {name}: {ERRORS_ON_PURPOSE[name]}")
    for name in FIGURES.get("gaps closed", []):
        write(f"  note: edge-dhcp now loads {name}, listed in EDGE_LOADER_GAPS; remove it from there")


def _summary_v6(terminalreporter) -> None:  # noqa: ANN001
    """The DHCPv6 figures of test_keama6.py (when it ran)."""
    from tests.migrate.test_keama6 import FIGURES6

    if not FIGURES6:
        return
    write = terminalreporter.write_line
    write("")
    write("keama DHCPv6 conformance (keama/tests, -6):")
    if "working" in FIGURES6:
        w = FIGURES6["working"]
        total = sum(len(v) for v in w.values())
        write(
            f"  working cases: {total}: {len(w['equal'])} equal, {len(w['on purpose'])} differing on purpose, "
            f"{len(w['gaps'])} known gaps, {len(w['failing'])} failing"
        )
        from tests.migrate.test_keama6 import ON_PURPOSE, dhcpd_preferred

        only_preferred = [n for n in w["on purpose"] if n not in ON_PURPOSE]
        write(
            f"    every case where we write dhcpd's preferred lifetime ({len(FIGURES6.get('preferred', []))}):"
        )
        write(f"      {' '.join((dhcpd_preferred.__doc__ or '').split())}")
        write(f"      differing by that alone: {', '.join(only_preferred)}")
        for name, reason in FIGURES6.get("reasons", {}).items():
            if name in ON_PURPOSE:
                write(f"    {name}: {reason}")
        for name, reason in FIGURES6.get("gap reasons", {}).items():
            write(f"    gap {name}: {reason}")
    if "errors" in FIGURES6:
        e = FIGURES6["errors"]
        total = sum(len(v) for v in e.values())
        write(
            f"  error cases: {total}: {len(e['same line'])} refused at the same line, "
            f"{len(e['on purpose'])} differing on purpose, {len(e['gaps'])} known gaps, {len(e['failing'])} failing"
        )
        for name, reason in FIGURES6.get("error gap reasons", {}).items():
            write(f"    gap {name}: {reason}")
