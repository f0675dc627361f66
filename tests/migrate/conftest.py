"""Lab fixtures for the switch-over tests (see tests/lab/fixtures.py)."""

from tests.lab.fixtures import lab, lab_ready, resolv_conf_guard

__all__ = ["lab", "lab_ready", "resolv_conf_guard"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001, ARG001
    """Print the keama conformance figures collected by test_keama.py (when it ran)."""
    from tests.migrate.test_keama import FIGURES

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
