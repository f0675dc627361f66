"""Fuzz target: the DHCPv4 wire codec. Any bytes: decode raises DecodeError or gives a packet whose every
option with a standard definition renders as text (or raises DecodeError), whose option 82 splits into
sub-options (or DecodeError), and which encodes again (or raises EncodeError) to bytes that decode."""

from __future__ import annotations

from tests.fuzz.subjects import DecodeError, EncodeError, optiondef, options4, wire


def one_input(data: bytes) -> None:
    try:
        packet = wire.decode(data)
    except DecodeError:
        return
    for code in packet.option_order:
        definition = options4.by_code(code)
        if definition is not None:
            try:
                optiondef.wire_to_text(definition, packet.options[code])
            except DecodeError:
                pass
    agent = packet.options.get(wire.OPT_RELAY_AGENT_INFO)
    if agent is not None:
        try:
            wire.parse_suboptions(agent)
        except DecodeError:
            pass
    try:
        again = wire.encode(packet, max_size=1500)
    except EncodeError:
        return
    decoded = wire.decode(again)
    assert decoded.options == packet.options, "encode/decode changed the options"
