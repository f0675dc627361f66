"""dnsmasq's DHCPv4 configuration -> a Kea-dialect `Dhcp4` configuration (`edge-dhcp migrate dnsmasq`).

Rules this package keeps:
- Same contract as the dhcpd converter: input dnsmasq refuses ("bad option", a malformed dhcp-range) is
  refused with `FILE line N: message`; what has no Kea 2.2 equivalent becomes a counted note, written as
  a comment where it belongs; everything written loads in edge-dhcp and in `kea-dhcp4 -t`.
- dnsmasq fills in things at run time from the machine it runs on: the netmask of a range from the
  interface it sits on, and its own address as router, DNS server and TFTP server (`0.0.0.0` in options
  means the same). Kea needs them written out, so they are taken from this machine's interfaces
  (`local` addresses) when one lies in the subnet -- run the conversion on the box dnsmasq ran on -- and
  otherwise become notes. Nothing is looked up on the network.
- Tags become client classes (tags.py); directives that are not about DHCP (DNS, TFTP, process settings)
  are listed in one note: edge-dhcp is a DHCP server, whatever served DNS keeps doing so.

Theory of operation, with the data flowing down this list:
  syntax.py   lines -> Directive(name, value, file, line), conf-file, conf-dir, dhcp-hostsfile and
              dhcp-optsfile followed
  options.py  option names and values -> Kea option-data
  read.py     each directive interpreted at once into model.py's subnets, tag classes (tags.py),
              reservations and options; keywords.py lists what has no handler
  write.py    the document, ordering classes so each is defined before a test names it

DHCPv6 (`migrate dnsmasq -6`: dhcp-range with an IPv6 start or `constructor:`, dhcp-host's id: and
[addresses], option6:, enable-ra) is read6.py: the same directives from syntax.py, read into a Dhcp6
document of its own by a small reader that looks only at the v6 forms -- so the v4 modules need no edit
for it. Tags are not carried into v6 (such ranges and options are notes).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from edge.migrate.common import Result

__all__ = ["local_addresses", "translate_file", "translate_file6", "translate_text", "translate_text6"]

# The passes are imported when a configuration is converted, not with the package: every `edge-dhcp`
# start imports dnsmasq/leases.py (the lease-import table), which needs none of them.


def translate_text(
    text: str,
    source: str = "<dnsmasq.conf>",
    interfaces: Iterable[str] = (),
    local: Iterable[tuple[str, ipaddress.IPv4Interface]] = (),
) -> Result:
    from edge.migrate.dnsmasq.read import read_directives
    from edge.migrate.dnsmasq.syntax import read_text
    from edge.migrate.dnsmasq.write import write_document

    return write_document(read_directives(read_text(text, source), source, interfaces, local))


def translate_file(
    path: str,
    interfaces: Iterable[str] = (),
    local: Iterable[tuple[str, ipaddress.IPv4Interface]] | None = None,
) -> Result:
    from edge.migrate.dnsmasq.read import read_directives
    from edge.migrate.dnsmasq.syntax import read_file
    from edge.migrate.dnsmasq.write import write_document

    found = local_addresses() if local is None else local
    return write_document(read_directives(read_file(path), path, interfaces, found))


def local_addresses() -> list[tuple[str, ipaddress.IPv4Interface]]:
    """This machine's IPv4 interface addresses (what dnsmasq would find at run time); [] if unknown."""
    try:
        from edge.netif.interfaces import scan

        found = []
        for name, iface in scan().items():
            if iface.loopback:
                continue
            for address, prefix in iface.addresses:
                found.append((name, ipaddress.IPv4Interface((address, prefix))))
        return found
    except Exception:  # no netifaces, no permission: the conversion goes on without local knowledge
        return []


def translate_text6(
    text: str,
    source: str = "<dnsmasq.conf>",
    interfaces: Iterable[str] = (),
    local6: Iterable[tuple[str, ipaddress.IPv6Interface]] = (),
) -> Result:
    """The DHCPv6 directives of a dnsmasq configuration -> a Kea-dialect Dhcp6 document (read6.py)."""
    from edge.migrate.dnsmasq.read6 import translate6
    from edge.migrate.dnsmasq.syntax import read_text

    return translate6(read_text(text, source), source, interfaces, local6)


def translate_file6(
    path: str,
    interfaces: Iterable[str] = (),
    local6: Iterable[tuple[str, ipaddress.IPv6Interface]] | None = None,
) -> Result:
    from edge.migrate.dnsmasq.read6 import local_addresses6, translate6
    from edge.migrate.dnsmasq.syntax import read_file

    found = local_addresses6() if local6 is None else local6
    return translate6(read_file(path), path, interfaces, found)
