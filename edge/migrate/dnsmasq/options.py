"""dnsmasq's DHCPv4 option names and value forms, and how a dhcp-option value becomes Kea option-data.

Rules this module keeps:
- Options are named as `dnsmasq --help dhcp` names them (`option:router`) or by number; the Kea name of a
  code comes from edge.wire.options4, never from a second table.
- A value is encoded to wire bytes by edge's codec for the option's definition, after dnsmasq's own
  spellings are turned into Kea's (a size suffix b/s/i on numbers, 0/1 for booleans); classless routes
  (121) are read in dnsmasq's `net/len,router` pairs. An option with no definition is guessed from the
  text, as dnsmasq guesses it: addresses, hex lists and strings (a bare number has no size: a note).
- `0.0.0.0` in an address option means dnsmasq's own address: such an entry is held back, marked
  "own-address", until the writer knows the subnet (write.py resolves it). Everything else is written at
  once, as text or hex (kea.put_data).
- A value dnsmasq would refuse is refused: MigrationError with the directive's line.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from edge.migrate.dnsmasq.model import Model
from edge.migrate.dnsmasq.syntax import HEX, IPV4, Directive, fail
from edge.migrate.kea import FORCE_HEX_CODES, KEA_LACKS, put_data
from edge.wire import optiondef, options4
from edge.wire.errors import OptionTextError

__all__ = ["DEFAULTED", "DNSMASQ_OPTION_NAMES", "option_code", "option_entry"]


# `dnsmasq --help dhcp` (2.90): option names -> codes. 255 "server-ip-address" is dnsmasq's own pseudo
# option for the siaddr field (next-server), not a DHCP option.
DNSMASQ_OPTION_NAMES = {
    "netmask": 1,
    "time-offset": 2,
    "router": 3,
    "dns-server": 6,
    "log-server": 7,
    "lpr-server": 9,
    "boot-file-size": 13,
    "domain-name": 15,
    "swap-server": 16,
    "root-path": 17,
    "extension-path": 18,
    "ip-forward-enable": 19,
    "non-local-source-routing": 20,
    "policy-filter": 21,
    "max-datagram-reassembly": 22,
    "default-ttl": 23,
    "mtu": 26,
    "all-subnets-local": 27,
    "router-discovery": 31,
    "router-solicitation": 32,
    "static-route": 33,
    "trailer-encapsulation": 34,
    "arp-timeout": 35,
    "ethernet-encap": 36,
    "tcp-ttl": 37,
    "tcp-keepalive": 38,
    "nis-domain": 40,
    "nis-server": 41,
    "ntp-server": 42,
    "netbios-ns": 44,
    "netbios-dd": 45,
    "netbios-nodetype": 46,
    "netbios-scope": 47,
    "x-windows-fs": 48,
    "x-windows-dm": 49,
    "T1": 58,
    "T2": 59,
    "vendor-class": 60,
    "nis+-domain": 64,
    "nis+-server": 65,
    "tftp-server": 66,
    "bootfile-name": 67,
    "mobile-ip-home": 68,
    "smtp-server": 69,
    "pop3-server": 70,
    "nntp-server": 71,
    "irc-server": 74,
    "user-class": 77,
    "rapid-commit": 80,
    "client-arch": 93,
    "client-interface-id": 94,
    "client-machine-id": 97,
    "posix-timezone": 100,
    "tzdb-timezone": 101,
    "ipv6-only": 108,
    "domain-search": 119,
    "sip-server": 120,
    "classless-static-route": 121,
    "vendor-id-encap": 125,
    "tftp-server-address": 150,
    "server-ip-address": 255,
}
# Options dnsmasq fills in itself unless told otherwise (an empty dhcp-option turns them off).
DEFAULTED = {1, 3, 6, 12, 15, 28}


def option_code(d: Directive, spec: str) -> int:
    low = spec.lower()
    if low.startswith("option:"):
        name = spec[7:]
        code = DNSMASQ_OPTION_NAMES.get(name, DNSMASQ_OPTION_NAMES.get(name.lower()))
        if code is None:
            raise fail(d, f"unknown DHCP option name {name}")
        return code
    if spec.isdigit() and 0 < int(spec) < 255:
        return int(spec)
    raise fail(d, f"bad dhcp-option {spec}")


def option_entry(model: Model, d: Directive, code: int, values: list[str]) -> dict[str, Any] | None:
    defn = options4.by_code(code)
    own = [i for i, v in enumerate(values) if v == "0.0.0.0"]
    if own and defn is not None and defn.type == "ipv4-address":
        # 0.0.0.0 means "dnsmasq's own address": resolved per subnet when the document is built.
        return {"code": code, "own-address": values, "line": d.line, "directive": d}
    entry: dict[str, Any] = {"space": "dhcp4"}
    if code in KEA_LACKS or defn is None:
        entry["code"] = code
    else:
        entry["name"] = defn.name
        entry["code"] = code
    payload = _payload(model, d, code, defn, values)
    if payload is None:
        return None
    put_data(entry, defn, payload, code in FORCE_HEX_CODES)
    return entry


def _payload(
    model: Model, d: Directive, code: int, defn: optiondef.OptionDef | None, values: list[str]
) -> bytes | None:
    if code == 121:
        return _classless_routes(d, values)
    if len(values) == 1 and HEX.match(values[0]) and (defn is None or defn.type in ("binary", "string")):
        return bytes(int(p, 16) for p in values[0].split(":"))
    if defn is not None:
        parts = []
        for v in values:
            if defn.type.startswith(("uint", "int")) and v[-1:] in "bsi" and v[:-1].isdigit():
                v = v[:-1]
            if defn.type == "boolean" and v in ("0", "1"):
                v = "true" if v == "1" else "false"
            parts.append(v.replace(",", "\\,"))
        text = ", ".join(parts)
        try:
            return optiondef.text_to_wire(defn, text)
        except OptionTextError as err:
            if defn.type in ("string",) or defn.type == "fqdn":
                raise fail(d, f"bad value for option {code}: {err.message}") from None
            raise fail(d, f"bad value for option {defn.name} ({code}): {err.message}") from None
    # An option without a definition: dnsmasq guesses the type from the text, and so do we.
    out = b""
    for v in values:
        if IPV4.match(v):
            out += ipaddress.IPv4Address(v).packed
        elif HEX.match(v):
            out += bytes(int(p, 16) for p in v.split(":"))
        elif v.isdigit():
            model.note(d, f"a number for option {code}, which has no definition: its size is unknown")
            return None
        else:
            out += v.encode()
    return out


def _classless_routes(d: Directive, values: list[str]) -> bytes:
    """dnsmasq's `net/len,router,...` for option 121 -> RFC 3442 bytes."""
    if len(values) % 2:
        raise fail(d, "classless-static-route takes pairs of destination/width and router")
    out = bytearray()
    for dest, router in zip(values[::2], values[1::2], strict=True):
        try:
            net = ipaddress.IPv4Network(dest if "/" in dest else dest + "/32", strict=False)
            gw = ipaddress.IPv4Address(router)
        except ValueError:
            raise fail(d, f"bad route {dest} via {router}") from None
        out.append(net.prefixlen)
        out += net.network_address.packed[: (net.prefixlen + 7) // 8]
        out += gw.packed
    return bytes(out)
