"""ISC dhcpd 4.x `dhcpd.conf` -> a Kea-dialect `Dhcp4` configuration (what `edge-dhcp migrate dhcpd` runs).

Rules this package keeps:
- The output is Kea 2.2's dialect: edge-dhcp runs it and `kea-dhcp4 -t` accepts it wherever the features
  are Kea's. Where keama (ISC's own converter) and this one agree on the meaning, the output is the same
  data keama writes (tests/migrate/test_keama.py measures this against keama's own test cases).
- Input dhcpd would refuse is refused: MigrationError `FILE line N: message`, first error only.
- Valid input with no Kea equivalent becomes a Note, written as a `// NOT TRANSLATED` comment where the
  translation would have gone, and counted in the exit status. Nothing is dropped silently.
- No network: names dhcpd would resolve with DNS (fixed-address www.example.com) become notes.

Theory of operation, in two passes, with the data flowing down this list:
  syntax.py   text -> tokens -> statements (`include` followed), one top-level statement at a time
  expr.py     dhcpd expressions (match if, option values) -> folded trees -> Kea expression text
  options.py  dhcpd's option table and formats; option values -> wire bytes
  1. Reading (read.py, with the handlers in params.py and option_statements.py on context.py's state):
     each statement is interpreted at once into model.py's tree of Scopes, in Kea terms where it can be.
     Errors surface here, in file order; keywords.py lists what has no handler.
  2. Writing (write.py, with write_options.py for option-data/option-def and guards.py for pool
     permits): the tree is walked once into the Kea document.

DHCPv6 (`dhcpd -6`: subnet6, range6, prefix6, fixed-address6) goes in as a second pair of passes beside
these -- read6/write6, on the same syntax, expressions, option formats and reader context, and a v6 option
table beside the v4 one -- so that the v4 modules need no edit for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from edge.migrate.common import Result

__all__ = ["translate_file", "translate_file6", "translate_text", "translate_text6"]

# The passes are imported when a configuration is converted, not with the package: every `edge-dhcp`
# start imports dhcpd/leases.py (the lease-import table), and that needs only syntax.py and options.py.


def translate_text(text: str, source: str = "<dhcpd.conf>", interfaces: Iterable[str] = ()) -> Result:
    from edge.migrate.dhcpd.read import read_statements
    from edge.migrate.dhcpd.syntax import read_text
    from edge.migrate.dhcpd.write import write_document

    return write_document(read_statements(read_text(text, source), source), interfaces)


def translate_file(path: str, interfaces: Iterable[str] = ()) -> Result:
    from edge.migrate.dhcpd.read import read_statements
    from edge.migrate.dhcpd.syntax import read_file
    from edge.migrate.dhcpd.write import write_document

    return write_document(read_statements(read_file(path), path), interfaces)


def translate_text6(
    text: str, source: str = "<dhcpd.conf>", interfaces: Iterable[str] = (), local6: Iterable[Any] = ()
) -> Result:
    """A `dhcpd -6` configuration -> a Kea-dialect Dhcp6 document (read6.py, write6.py). `local6`: this
    machine's (interface, IPv6Interface) addresses, which tie a subnet6 to the interface it is on."""
    from edge.migrate.dhcpd.read6 import Reader6
    from edge.migrate.dhcpd.syntax import read_text
    from edge.migrate.dhcpd.write6 import write_document6

    reader = Reader6(source)
    reader.read(read_text(text, source))
    return write_document6(reader.model(), interfaces, local6)


def translate_file6(path: str, interfaces: Iterable[str] = (), local6: Iterable[Any] | None = None) -> Result:
    from edge.migrate.dhcpd.read6 import Reader6
    from edge.migrate.dhcpd.syntax import read_file
    from edge.migrate.dhcpd.write6 import write_document6
    from edge.migrate.local6 import local_addresses6

    reader = Reader6(path)
    reader.read(read_file(path))
    return write_document6(reader.model(), interfaces, local_addresses6() if local6 is None else local6)
