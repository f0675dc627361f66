"""edge.wire: the wire codec, family-neutral machinery and one module pair per family.

Rules this package keeps:
- It imports nothing else from ``edge``; everything above it may import it.
- It runs unchanged under MicroPython 1.27 (tests/micropython/run.mjs proves it
  on every ``make test``): no annotations, f-strings, dataclasses, typing,
  enum or ipaddress; struct, bytes and ints only.
- This file imports nothing, so ``from edge.wire import pkt4`` costs only
  what it names (the hot path needs pkt4.py alone; pkt6.py needs payloads6).

Modules (shared):
  errors     DecodeError / EncodeError / OptionTextError and the decode reasons
  addr       IPv4 and IPv6 address text <-> bytes <-> int, v6 address classes
  duid       DHCP Unique Identifiers: build/parse LLT, EN, LL, UUID; Kea's text form
  types      one codec per Kea option data type (from_wire/to_wire/from_text/to_text);
             TYPES for DHCPv4, TYPES6 for DHCPv6 (16-bit tuple lengths)
  optiondef  OptionDef, OptionRegistry, Kea csv-format text <-> wire for any space
Modules (DHCPv4):
  pkt4       Packet, decode, encode, make_reply, option 82 sub-options
  options4   the DHCPv4 option tables as data, the standard registry
Modules (DHCPv6):
  pkt6       Packet6, Relay, decode6, encode6, make_reply, relay_replies
  payloads6  option lists and structured payloads: IA, IAAddress, IAPrefix, status
             code, vendor-opts, opaque lists, client FQDN, PD exclude
  options6   the DHCPv6 option tables as data (Kea 2.2), the standard registry
"""
