"""edge.wire: the DHCPv4 wire codec.

Rules this package keeps:
- It imports nothing else from ``edge``; everything above it may import it.
- It runs unchanged under MicroPython 1.27 (tests/micropython/run.mjs proves it
  on every ``make test``): no annotations, f-strings, dataclasses, typing,
  enum or ipaddress; struct, bytes and ints only.
- This file imports nothing, so ``from edge.wire import packet`` costs only
  what it names (the hot path needs packet.py alone).

Modules:
  errors   DecodeError / EncodeError / OptionTextError and the decode reasons
  packet   Packet, decode, encode, make_reply, option 82 sub-options, IPv4 helpers
  types    one codec per Kea option data type (from_wire/to_wire/from_text/to_text)
  options  the option table as data, OptionDef, OptionRegistry, Kea text <-> wire
"""
