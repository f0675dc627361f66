# ruff: noqa: UP031
"""DHCPv6 test vectors for edge.wire, as plain data, runnable under CPython and MicroPython.

Rules this file keeps (as tests/wire/vectors.py does for DHCPv4):
- MicroPython subset: no annotations, f-strings, dataclasses or typing; it imports nothing but edge.wire
  and binascii.
- Every expectation is written out by hand.  The captured datagrams were copied from the kea6 helper's
  captures (branch kea6, commit 94cc1b17, tests/wire/captures6/*.json: ISC dhclient 4.4.3-P1, dhcpcd
  9.4.1, isc-dhcrelay 4.4.3-P1 and a crafted relay, each against Debian's kea-dhcp6 2.2.0 in network
  namespaces); the file and datagram index are named beside each.  The expected fields were read byte
  by byte from the hex; nothing here was produced by the code under test.
- Each vector is a (name, check) pair; ``run(report)`` runs them all and returns (passed, failed,
  failure_messages), as vectors.run does.

tests/wire/test_vectors6.py runs each vector as its own pytest test; tests/micropython/run.mjs runs
``run`` under MicroPython 1.27 (WebAssembly) together with vectors.py.
"""

import binascii

from edge.wire import addr as A
from edge.wire import duid as D
from edge.wire import optiondef, options6, pkt6
from edge.wire import payloads6 as P6
from edge.wire.errors import DecodeError, EncodeError, OptionTextError


class Fail(Exception):
    pass


def h(text):
    """Hex with blanks and newlines -> bytes."""
    return binascii.unhexlify("".join(text.split()))


def hx(data):
    return binascii.hexlify(data).decode()


def eq(got, want, what):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


def raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    except Exception as e:  # noqa: BLE001 - a wrong exception is a failure to report
        raise Fail(
            "%s raised %s(%s), want %s" % (getattr(fn, "__name__", fn), type(e).__name__, e, exc.__name__)
        ) from None
    raise Fail("%s did not raise %s" % (getattr(fn, "__name__", fn), exc.__name__))


def reason(want, fn, *args, **kw):
    e = raises(DecodeError, fn, *args, **kw)
    eq(e.reason, want, "decode reason")
    return e


def ip6(text):
    return A.ip6_to_bytes(text)


def _options(p, want):
    """p.options against [(code, hex), ...] written by hand."""
    eq([c for c, _ in p.options], [c for c, _ in want], "option codes in order")
    for i in range(len(want)):
        eq(hx(p.options[i][1]), "".join(want[i][1].split()), "payload of option #%d (%d)" % (i, want[i][0]))


def _round_trip(data):
    p = pkt6.decode6(data)
    eq(hx(pkt6.encode6(p)), hx(data), "encode6(decode6(x))")
    eq(pkt6.decode6(pkt6.encode6(p)), p, "decode6(encode6(p))")
    return p


# ------------------------------------------------------------------ captured datagrams

# dhclient6-ia-na.json #0: dhclient -6 -N SOLICIT, multicast to ff02::1:2
DHCLIENT_SOLICIT = """
01 dfe2c6
0001 000e 0001 0001 32a96c07 02005e100002
0006 0004 0017 0018
0008 0002 0000
0003 000c 5e100002 00000e10 00001518
"""


def v_dhclient_solicit():
    p = _round_trip(h(DHCLIENT_SOLICIT))
    eq((p.msg_type, p.name, p.transaction_id, p.relays), (1, "SOLICIT", 0xDFE2C6, []), "header")
    _options(
        p,
        [
            (1, "0001000132a96c0702005e100002"),
            (6, "00170018"),
            (8, "0000"),
            (3, "5e10000200000e1000001518"),
        ],
    )
    eq(D.parse_duid(p.client_id), (1, 1, 0x32A96C07, h("02005e100002")), "DUID-LLT")
    eq(p.oro(), [23, 24], "ORO")
    eq(p.elapsed_time(), 0, "elapsed time")
    eq(p.rapid_commit, False, "no rapid commit")
    eq(p.server_id, None, "no server id")
    ias = p.ia_nas()
    eq(len(ias), 1, "one IA_NA")
    eq((ias[0].iaid, ias[0].t1, ias[0].t2, ias[0].options), (0x5E100002, 3600, 5400, []), "IA_NA fields")
    eq(ias[0].addresses(), [], "no IAADDR hint")
    eq(p.ia_pds(), [], "no IA_PD")


# dhclient6-ia-na.json #1: kea-dhcp6 2.2's ADVERTISE to it (options in ascending code order)
KEA_ADVERTISE = """
02 dfe2c6
0001 000e 0001000132a96c0702005e100002
0002 000e 0001000132a96c0702005e100001
0003 0028 5e100002 00000708 00000b40
     0005 0018 20010db8000100000000000000000100 00000e10 00001c20
0017 0010 20010db8000100000000000000000053
0018 000d 036c6162 076578616d706c65 00
"""


def v_kea_advertise():
    p = _round_trip(h(KEA_ADVERTISE))
    eq((p.msg_type, p.name), (2, "ADVERTISE"), "type")
    eq(p.codes(), [1, 2, 3, 23, 24], "codes")
    eq(D.parse_duid(p.server_id), (1, 1, 0x32A96C07, h("02005e100001")), "server DUID-LLT")
    ia = p.ia_nas()[0]
    eq((ia.iaid, ia.t1, ia.t2), (0x5E100002, 1800, 2880), "T1 = 0.5, T2 = 0.8 x preferred")
    addrs = ia.addresses()
    eq(len(addrs), 1, "one address")
    eq(
        (A.bytes_to_ip6(addrs[0].address), addrs[0].preferred, addrs[0].valid),
        ("2001:db8:1::100", 3600, 7200),
        "IAADDR",
    )
    eq(addrs[0].status(), None, "no status inside")
    eq(ia.status(), None, "no IA status")
    eq(optiondef.wire_to_text(options6.by_code(23), p.get(23)), "2001:db8:1::53", "dns-servers text")
    eq(optiondef.wire_to_text(options6.by_code(24), p.get(24)), "lab.example", "domain-search text")
    eq(
        optiondef.wire_to_text(options6.by_name("ia-na"), p.get(3)),
        "1578106882, 1800, 2880, 0005001820010db8000100000000000000000100" + "00000e1000001c20",
        "ia-na text with its sub-options as hex",
    )


# dhclient6-several-ia.json #0: dhclient -6 -N -N -P, two IA_NA and an IA_PD, repeats kept in order
SEVERAL_IA_SOLICIT = """
01 91996f
0001 000e 0001000132a96c1002005e100002
0006 0004 00170018
0008 0002 0000
0003 000c 5e100002 00000e10 00001518
0003 000c 5e100003 00000e10 00001518
0019 000c 5e100002 00000e10 00001518
"""


def v_several_ia():
    p = _round_trip(h(SEVERAL_IA_SOLICIT))
    eq(p.codes(), [1, 6, 8, 3, 3, 25], "repeated IA_NA kept, in order")
    eq([ia.iaid for ia in p.ia_nas()], [0x5E100002, 0x5E100003], "IAIDs: last 4 MAC bytes, then +1")
    eq(len(p.get_all(3)), 2, "get_all")
    eq(hx(p.get(3)), "5e10000200000e1000001518", "get = the first")
    pd = p.ia_pds()
    eq([(x.code, x.iaid, x.t1, x.t2) for x in pd], [(25, 0x5E100002, 3600, 5400)], "IA_PD")


# dhclient6-ia-pd.json #1: Kea's ADVERTISE with an IA_PD holding an IAPREFIX /64
KEA_PD_ADVERTISE = """
02 721dfe
0001 000e 0001000132a96c0d02005e100002
0002 000e 0001000132a96c0d02005e100001
0017 0010 20010db8000100000000000000000053
0018 000d 036c6162076578616d706c6500
0019 0029 5e100002 00000708 00000b40
     001a 0019 00000e10 00001c20 40 20010db8000800000000000000000000
"""


def v_kea_pd_advertise():
    p = _round_trip(h(KEA_PD_ADVERTISE))
    eq(p.codes(), [1, 2, 23, 24, 25], "codes")
    pd = p.ia_pds()[0]
    eq((pd.iaid, pd.t1, pd.t2), (0x5E100002, 1800, 2880), "IA_PD")
    pfx = pd.prefixes()
    eq(len(pfx), 1, "one prefix")
    eq(
        (A.bytes_to_ip6(pfx[0].prefix), pfx[0].prefix_len, pfx[0].preferred, pfx[0].valid),
        ("2001:db8:8::", 64, 3600, 7200),
        "IAPREFIX",
    )
    eq(pd.addresses(), [], "IA_PD has no IAADDR")
    eq(
        optiondef.wire_to_text(options6.by_name("iaprefix"), pd.get(26)),
        "3600, 7200, 64, 2001:db8:8::",
        "iaprefix text",
    )


# dhclient6-rapid-commit.json #0 and #1: SOLICIT with rapid commit, Kea's REPLY echoing option 14
RAPID_SOLICIT = """
01 f0d149
0001 000e 0001000132a96c0a02005e100002
0006 0004 00170018
0008 0002 0000
000e 0000
0003 000c 5e100002 00000e10 00001518
"""
RAPID_REPLY = """
07 f0d149
0001 000e 0001000132a96c0a02005e100002
0002 000e 0001000132a96c0a02005e100001
0003 0028 5e100002 00000708 00000b40
     0005 0018 20010db8000100000000000000000100 00000e10 00001c20
000e 0000
0017 0010 20010db8000100000000000000000053
0018 000d 036c6162076578616d706c6500
"""


def v_rapid_commit():
    s = _round_trip(h(RAPID_SOLICIT))
    eq((s.rapid_commit, s.codes()), (True, [1, 6, 8, 14, 3]), "SOLICIT with 14")
    eq(hx(s.get(14)), "", "empty payload")
    r = _round_trip(h(RAPID_REPLY))
    eq((r.msg_type, r.transaction_id, r.rapid_commit), (7, 0xF0D149, True), "REPLY with 14")
    eq(r.codes(), [1, 2, 3, 14, 23, 24], "Kea's ascending order")
    eq(optiondef.wire_to_text(options6.by_name("rapid-commit"), r.get(14)), "", "rapid-commit text")


# dhclient6-inform.json #0 and #1: dhclient -6 -S, DUID-LL, and Kea's REPLY
INFORM = """
0b 7b23c6
0001 000a 0003 0001 02005e100002
0006 0004 00170018
0008 0002 0000
"""
INFORM_REPLY = """
07 7b23c6
0001 000a 0003000102005e100002
0002 000e 0001000132a96c2d02005e100001
0017 0010 20010db8000100000000000000000053
0018 000d 036c6162076578616d706c6500
"""


def v_inform():
    p = _round_trip(h(INFORM))
    eq((p.msg_type, p.name), (11, "INFORMATION_REQUEST"), "Kea's name")
    eq(D.parse_duid(p.client_id), (3, 1, h("02005e100002")), "DUID-LL")
    eq(D.duid_lladdr(p.client_id), (1, h("02005e100002")), "MAC from the DUID")
    r = _round_trip(h(INFORM_REPLY))
    eq(r.codes(), [1, 2, 23, 24], "stateless REPLY")
    eq(r.ia_nas(), [], "no IA")


# dhcpcd6.json #0: dhcpcd 9.4.1 SOLICIT: IA_NA 1, IA_PD 2 (T1/T2 zero), ORO with solmax/inf-max-rt,
# vendor-class with dhcpcd's enterprise 40712
DHCPCD_SOLICIT = """
01 9e6669
0001 000e 0001000132a96c2e02005e100002
0003 000c 00000001 00000000 00000000
0019 000c 00000002 00000000 00000000
0006 0008 0017 0018 0052 0053
0008 0002 0000
0010 003d 00009f08 0037
     6468637063642d392e342e313a4c696e75782d362e31382e34342d66632d76313330303a7838365f36343a47656e75696e65496e74656c
"""


def v_dhcpcd_solicit():
    p = _round_trip(h(DHCPCD_SOLICIT))
    eq(p.codes(), [1, 3, 25, 6, 8, 16], "codes")
    eq(p.oro(), [23, 24, 82, 83], "ORO")
    eq([(x.iaid, x.t1, x.t2) for x in p.ia_nas()], [(1, 0, 0)], "IA_NA")
    eq([(x.iaid, x.t1, x.t2) for x in p.ia_pds()], [(2, 0, 0)], "IA_PD")
    ent, items = P6.parse_vendor_class(p.get(16))
    eq((ent, items), (40712, [b"dhcpcd-9.4.1:Linux-6.18.44-fc-v1300:x86_64:GenuineIntel"]), "vendor-class")
    eq(
        optiondef.wire_to_text(options6.by_name("vendor-class"), p.get(16)),
        "40712, 0037" + hx(items[0]),
        "vendor-class text (Kea's record: uint32, binary)",
    )


# dhcrelay6.json #1 and #2: dhcrelay -6 RELAY-FORW (its interface-id is 4 bytes) and Kea's RELAY-REPL
RELAY_FORW = """
0c 00 20010db8000200000000000000000001 fe8000000000000000005efffe100002
0012 0004 01000000
0009 0044
  01 87c495
  0001 000e 0001000132a96c3302005e100002
  0006 0004 00170018
  0008 0002 0000
  0003 000c 5e100002 00000e10 00001518
  0019 000c 5e100002 00000e10 00001518
"""
RELAY_REPL = """
0d 00 20010db8000200000000000000000001 fe8000000000000000005efffe100002
0012 0004 01000000
0009 0095
  02 87c495
  0001 000e 0001000132a96c3302005e100002
  0002 000e 0001000132a96c3302005e100001
  0003 0028 5e100002 00000708 00000b40
       0005 0018 20010db8000200000000000000000100 00000e10 00001c20
  0017 0010 20010db8000200000000000000000053
  0019 0029 5e100002 00000708 00000b40
       001a 0019 00000e10 00001c20 40 20010db8000900000000000000000000
"""


def v_dhcrelay_forw():
    p = _round_trip(h(RELAY_FORW))
    eq((p.msg_type, p.transaction_id, p.relayed), (1, 0x87C495, True), "inner SOLICIT")
    eq(len(p.relays), 1, "one layer")
    r = p.relays[0]
    eq((r.msg_type, r.hop_count), (12, 0), "RELAY-FORW, hop 0")
    eq(A.bytes_to_ip6(r.link_address), "2001:db8:2::1", "link-address")
    eq(A.bytes_to_ip6(r.peer_address), "fe80::5eff:fe10:2", "peer-address")
    eq((r.codes(), hx(r.interface_id), r.relay_msg_at), ([18], "01000000", 1), "relay options")
    eq(A.bytes_to_ip6(p.peer_address), "fe80::5eff:fe10:2", "client address")
    eq(hx(p.relay_option(18, 0)), "01000000", "relay_option")
    eq(p.relay_option(18, 1), None, "no level 1")
    eq(p.codes(), [1, 6, 8, 3, 25], "inner codes")


def v_kea_relay_repl():
    repl = _round_trip(h(RELAY_REPL))
    eq((repl.msg_type, len(repl.relays), repl.relays[0].msg_type), (2, 1, 13), "ADVERTISE in RELAY-REPL")
    eq(A.bytes_to_ip6(repl.ia_nas()[0].addresses()[0].address), "2001:db8:2::100", "address by link-address")
    # make_reply rebuilds Kea's reply chain: hop count and addresses copied, interface-id echoed before
    # relay-msg; then the same options as Kea's answer give the same bytes.
    forw = pkt6.decode6(h(RELAY_FORW))
    ours = pkt6.make_reply(forw, pkt6.ADVERTISE)
    eq(ours.codes(), [1], "client-id copied")
    for code, payload in repl.options[1:]:
        ours.add(code, payload)
    eq(hx(pkt6.encode6(ours)), hx(h(RELAY_REPL)), "our RELAY-REPL == Kea's")


# kea6-relay-crafted.json #2 and #3: a crafted two-relay chain (inner relay puts relay-msg first, then
# interface-id "eth7" and remote-id 2495 "remote-7") and Kea 2.2's answer (interface-id echoed, remote-id
# not, relay-msg last)
INNER_FORW = """
0c 00 20010db8000200000000000000000001 fe800000000000000000000000000003
0009 002e
  01 60000b
  0001 000a 0003 0001 020000000003
  0008 0002 0000
  0006 0002 0017
  0003 000c 00000001 00000000 00000000
0012 0004 65746837
0025 000c 000009bf 72656d6f74652d37
"""
TWO_RELAYS_FORW = (
    "0c 01 20010db8000100000000000000000002 20010db8000100000000000000000002 0009 006c" + INNER_FORW
)
TWO_RELAYS_REPL = """
0d 01 20010db8000100000000000000000002 20010db8000100000000000000000002
0009 0092
  0d 00 20010db8000200000000000000000001 fe800000000000000000000000000003
  0012 0004 65746837
  0009 0064
    02 60000b
    0001 000a 00030001020000000003
    0002 000e 0001000132a96c3a02005e100001
    0003 0028 00000001 00000708 00000b40
         0005 0018 20010db8000200000000000000000101 00000e10 00001c20
    0017 0010 20010db8000200000000000000000053
"""


def v_two_relays():
    p = _round_trip(h(TWO_RELAYS_FORW))
    eq(len(p.relays), 2, "two layers")
    outer, inner = p.relays
    eq((outer.hop_count, inner.hop_count), (1, 0), "hop counts, outermost first")
    eq(A.bytes_to_ip6(outer.peer_address), "2001:db8:1::2", "outer peer: the first relay")
    eq(A.bytes_to_ip6(inner.peer_address), "fe80::3", "inner peer: the client")
    eq((outer.codes(), outer.relay_msg_at), ([], 0), "outer: relay-msg only")
    eq((inner.codes(), inner.relay_msg_at), ([18, 37], 0), "inner: relay-msg first, kept there")
    eq(P6.parse_enterprise_id(inner.get(37)), (2495, b"remote-7"), "remote-id")
    eq(
        optiondef.wire_to_text(options6.by_name("remote-id"), inner.get(37)),
        "2495, " + hx(b"remote-7"),
        "remote-id text",
    )
    eq(hx(p.relay_option_nearest_client(18)), hx(b"eth7"), "interface-id nearest the client")
    eq(p.relay_option(18, 0), None, "outer has none")
    eq((p.msg_type, p.codes()), (1, [1, 8, 6, 3]), "inner SOLICIT")
    repl = _round_trip(h(TWO_RELAYS_REPL))
    ours = pkt6.make_reply(p, pkt6.ADVERTISE)
    for code, payload in repl.options[1:]:
        ours.add(code, payload)
    eq(hx(pkt6.encode6(ours)), hx(h(TWO_RELAYS_REPL)), "our two-layer RELAY-REPL == Kea's")
    eq([r.codes() for r in ours.relays], [[], [18]], "remote-id is not echoed")


# kea6-status-answers.json #11: REPLY to a RELEASE of another client's address (NoBinding in the IA and
# at the top level); #15: CONFIRM answered NotOnLink; #17: CONFIRM answered Success
NOBINDING = """
07 600006
0001 000a 00030001020000000002
0002 000e 0001000132a96c3902005e100001
0003 004b 00000001 00000000 00000000
     000d 003b 0003 546869732061646472657373"""  # "This address"
NOBINDING += (
    "20646f6573206e6f742062656c6f6e6720746f20796f752c20796f752063616e27742072656c65617365206974"
    "000d 0029 0003 53756d6d6172792073746174757320666f7220616c6c2070726f6365737365642049415f4e4173"
)
NOTONLINK = """
07 600008
0001 000a 00030001020000000002
0002 000e 0001000132a96c3902005e100001
000d 0028 0004 4164647265737320323030313a6462383a39393a3a31206973206e6f74206f6e206c696e6b2e
"""
ONLINK = """
07 600009
0001 000a 00030001020000000002
0002 000e 0001000132a96c3902005e100001
000d 001b 0000 416c6c2061646472657373657320617265206f6e2d6c696e6b
"""


def v_status_answers():
    p = _round_trip(h(NOBINDING))
    ia = p.ia_nas()[0]
    eq((ia.iaid, ia.t1, ia.t2), (1, 0, 0), "IA zeroed")
    eq(ia.status(), (3, "This address does not belong to you, you can't release it"), "IA status")
    eq(p.status(), (3, "Summary status for all processed IA_NAs"), "top-level status")
    eq(P6.STATUS_NAMES[p.status()[0]], "NoBinding", "name")
    eq(pkt6.decode6(h(NOTONLINK)).status(), (4, "Address 2001:db8:99::1 is not on link."), "NotOnLink")
    eq(pkt6.decode6(h(ONLINK)).status(), (0, "All addresses are on-link"), "Success")
    eq(
        optiondef.wire_to_text(options6.by_name("status-code"), pkt6.decode6(h(NOTONLINK)).get(13)),
        "4, Address 2001:db8:99::1 is not on link.",
        "status-code text",
    )


# ------------------------------------------------------------------ building messages


def v_build_message():
    p = pkt6.Packet6(pkt6.REPLY, 0x123456)
    p.add(1, D.duid_ll(h("02005e100002")))
    p.add(2, D.duid_llt(h("02005e100001"), 0x32A96C07))
    ia = P6.IA(P6.OPT_IA_NA, 7, 1800, 2880)
    ia.add(5, P6.IAAddress(ip6("2001:db8::5"), 3600, 7200).to_payload())
    p.add_ia(ia)
    p.add(*P6.status_option(0, "ok"))
    want = (
        "07123456"
        "0001000a 0003 0001 02005e100002"
        "0002000e 0001 0001 32a96c07 02005e100001"
        "00030028 00000007 00000708 00000b40"
        "  00050018 20010db8000000000000000000000005 00000e10 00001c20"
        "000d0004 0000 6f6b"
    )
    eq(hx(pkt6.encode6(p)), hx(h(want)), "REPLY built by hand")
    eq(pkt6.decode6(pkt6.encode6(p)), p, "and back")


def v_build_ia_pd_and_ta():
    pd = P6.IA(P6.OPT_IA_PD, 2, 0, 0)
    pd.add(26, P6.IAPrefix(ip6("2001:db8:8::"), 56, 3600, 7200).to_payload())
    eq(
        hx(pd.to_payload()),
        "00000002 00000000 00000000 001a0019 00000e10 00001c20 38 20010db8000800000000000000000000".replace(
            " ", ""
        ),
        "IA_PD",
    )
    ta = P6.IA(P6.OPT_IA_TA, 9)
    ta.add(*P6.status_option(2, ""))
    eq(hx(ta.to_payload()), "00000009000d00020002", "IA_TA: iaid only")
    back = P6.parse_ia(4, ta.to_payload())
    eq((back.iaid, back.status()), (9, (2, "")), "IA_TA back")
    eq(P6.parse_ia(25, pd.to_payload()), pd, "IA_PD back")
    raises(ValueError, P6.IA, 5)


def v_option_list_api():
    p = pkt6.Packet6()
    p.add(23, b"a" * 16)
    p.add(3, b"x" * 12)
    p.add(3, b"y" * 12)
    p.add(24, b"\x00")
    p.set(3, b"z" * 12)
    eq(p.codes(), [23, 3, 24], "set keeps the first place and drops the rest")
    eq(p.get(3), b"z" * 12, "set payload")
    p.set(7, b"\x01")
    eq(p.codes(), [23, 3, 24, 7], "set appends when absent")
    eq(p.remove(3), 1, "remove count")
    eq(3 in p, False, "contains")
    eq(p.get(99, "none"), "none", "default")
    raises(EncodeError, p.add, 70000, b"")
    raises(EncodeError, p.add, 1, "text")
    raises(EncodeError, p.add, 1, b"x" * 65536)
    q = p.copy()
    q.add(1, b"\x00\x03")
    eq((len(p.options), len(q.options)), (3, 4), "copy is independent")


def v_encode_errors():
    raises(EncodeError, pkt6.encode6, pkt6.Packet6(1, 0x1000000))
    raises(EncodeError, pkt6.encode6, pkt6.Packet6(256, 1))
    p = pkt6.Packet6(1, 1)
    p.relays = [pkt6.Relay(12, 0, b"\x00" * 15)]
    raises(EncodeError, pkt6.encode6, p)
    p.relays = [pkt6.Relay(12, 300)]
    raises(EncodeError, pkt6.encode6, p)
    big = pkt6.Packet6(1, 1)
    big.add(1, b"x" * 65530)
    big.relays = [pkt6.Relay()]
    e = raises(EncodeError, pkt6.encode6, big)
    eq(e.reason, "too-big", "relay-msg over 65535")
    deep = pkt6.Packet6(1, 1)
    deep.relays = [pkt6.Relay(12, i, ip6("2001:db8::%x" % (i + 1)), ip6("fe80::1")) for i in range(33)]
    raises(EncodeError, pkt6.encode6, deep)
    raises(EncodeError, P6.IAPrefix(bytes(16), 129).to_payload)
    raises(EncodeError, P6.IAAddress(bytes(4)).to_payload)
    raises(EncodeError, P6.IA(3, -1).to_payload)


def v_make_reply_direct():
    req = pkt6.decode6(h(DHCLIENT_SOLICIT))
    r = pkt6.make_reply(req, pkt6.ADVERTISE)
    eq(
        (r.msg_type, r.transaction_id, r.relays, r.codes()),
        (2, 0xDFE2C6, [], [1]),
        "direct ADVERTISE skeleton",
    )
    eq(r.client_id, req.client_id, "client-id copied")
    anon = pkt6.make_reply(pkt6.Packet6(11, 5))
    eq((anon.msg_type, anon.codes()), (7, []), "no client-id, none copied")


def v_relay_source_port_echoed():
    forw = pkt6.Packet6(1, 1, [(1, b"\x00\x03\x00\x01abcdef")])
    layer = pkt6.Relay(12, 0, ip6("2001:db8::1"), ip6("fe80::1"))
    layer.add(135, b"\x04\x00")  # relay-source-port first on the wire, then interface-id
    layer.add(18, b"if1")
    layer.add(38, b"sub")
    forw.relays = [layer]
    r = pkt6.make_reply(pkt6.decode6(pkt6.encode6(forw)))
    eq(r.relays[0].codes(), [18, 135], "interface-id then relay-source-port, as Kea")
    eq(r.relays[0].relay_msg_at, None, "relay-msg last")
    eq(
        hx(pkt6.encode6(r)),
        hx(
            h(
                "0d00 20010db8000000000000000000000001 fe800000000000000000000000000001"
                "0012 0003 696631 0087 0002 0400 0009 0012 07000001 0001 000a 0003 0001 616263646566"
            )
        ),
        "RELAY-REPL layout",
    )


# ------------------------------------------------------------------ relay chains: limits and errors


def _layer(hop, link, peer, inner, before="", after=""):
    """A relay layer laid out by hand: header, options before relay-msg, relay-msg, options after."""
    return (
        bytes((12, hop))
        + ip6(link)
        + ip6(peer)
        + h(before)
        + bytes((0, 9, len(inner) >> 8, len(inner) & 255))
        + inner
        + h(after)
    )


INNER = h("01 000001 0008 0002 0000")


def _chain(depth):
    data = INNER
    for i in range(depth):
        data = _layer(i, "2001:db8::%x" % (i + 1), "fe80::%x" % (i + 1), data)
    return data


def v_relay_depth():
    p = _round_trip(_chain(32))
    eq(len(p.relays), 32, "32 layers decode")
    eq(p.relays[0].hop_count, 31, "outermost has the highest hop count")
    eq(p.relays[-1].hop_count, 0, "nearest the client")
    e = reason("relay-too-deep", pkt6.decode6, _chain(33))
    eq("32" in e.message, True, "message names the limit")


def v_relay_loop():
    inner = _layer(0, "2001:db8::1", "fe80::1", INNER)
    middle = _layer(1, "2001:db8::2", "fe80::2", inner)
    reason("relay-loop", pkt6.decode6, _layer(2, "2001:db8::1", "fe80::1", middle))
    # the same link-address with another peer is not a loop
    eq(len(pkt6.decode6(_layer(2, "2001:db8::1", "fe80::9", middle)).relays), 3, "distinct pairs pass")


def v_relay_msg_errors():
    hdr = "0c00" + "20010db8000000000000000000000001" + "fe800000000000000000000000000001"
    reason("missing-relay-msg", pkt6.decode6, h(hdr))
    reason("missing-relay-msg", pkt6.decode6, h(hdr + "0012 0002 6162"))
    reason("missing-relay-msg", pkt6.decode6, h(hdr + "0009 0000"))
    reason("bad-relay-msg", pkt6.decode6, h(hdr + "0009 0004 01000001 0009 0004 01000002"))
    reason("truncated-header", pkt6.decode6, h(hdr + "0009 0003 010000"))
    reason("truncated-header", pkt6.decode6, h(hdr[:60]))
    reason("option-overrun", pkt6.decode6, h(hdr + "0009 0010 01000001"))
    reason("truncated-option", pkt6.decode6, h(hdr + "0009 0004 01000001 00"))
    # an error inside the inner message is the inner message's reason
    reason("option-overrun", pkt6.decode6, h(hdr + "0009 0008 01000001 0001 0005"))


def v_decode_errors():
    reason("not-bytes", pkt6.decode6, "0100")
    reason("not-bytes", pkt6.decode6, None)
    reason("truncated-header", pkt6.decode6, b"")
    reason("truncated-header", pkt6.decode6, h("010000"))
    reason("truncated-option", pkt6.decode6, h("01000001 00"))
    reason("truncated-option", pkt6.decode6, h("01000001 0001 00"))
    reason("option-overrun", pkt6.decode6, h("01000001 0001 0002 00"))
    e = reason("option-overrun", pkt6.decode6, h("01000001 0008 0002 0000 0003 ffff"))
    eq("offset 10" in e.message, True, "message says where")
    eq(pkt6.decode6(h("01000001")).options, [], "a bare header is a message")
    eq(pkt6.decode6(bytearray(h("0500002a 0008 0002 0001"))).elapsed_time(), 1, "bytearray input")
    eq(pkt6.decode6(memoryview(h("ff000000"))).name, "UNKNOWN", "unknown types decode")


def v_decode_lenient():
    # Kea 2.2's unpackOptions6 stops at the first option that does not fit and keeps the ones before
    data = h("01000001 0008 0002 0000 0003 0010 0000")
    reason("option-overrun", pkt6.decode6, data)
    p = pkt6.decode6(data, lenient=True)
    eq(p.codes(), [8], "the options before the bad one")
    eq(pkt6.decode6(h("01000001 0008 0002 0000 00"), lenient=True).codes(), [8], "stray byte dropped")
    # lenient does not excuse a missing relay-msg or a hostile chain
    reason("missing-relay-msg", pkt6.decode6, h("0c00" + "00" * 32 + "0012 0009 00"), lenient=True)
    reason("relay-too-deep", pkt6.decode6, _chain(33), lenient=True)


def v_sub_option_errors():
    reason("bad-option-data", P6.parse_ia, 3, h("00000001 00000000"))
    reason("bad-option-data", P6.parse_ia, 4, h("000001"))
    reason("suboption-overrun", P6.parse_ia, 3, h("00000001 00000000 00000000 0005 0018 2001"))
    reason("suboption-overrun", P6.parse_ia, 3, h("00000001 00000000 00000000 00"))
    reason("bad-option-data", P6.IAAddress.from_payload, h("20010db8" + "00" * 12 + "0000"))
    reason("bad-option-data", P6.IAPrefix.from_payload, h("00000000 00000000 81" + "00" * 16))
    reason("suboption-overrun", P6.IAAddress.from_payload, h("00" * 24 + "000d 0009 0000"))
    p = pkt6.decode6(h("01000001 0003 0004 00000001"))  # decodes: an IA is parsed only when asked
    reason("bad-option-data", p.ia_nas)
    reason("bad-option-data", pkt6.decode6(h("01000001 0006 0003 001700")).oro)
    reason("bad-option-data", pkt6.decode6(h("01000001 0008 0001 00")).elapsed_time)
    reason("bad-option-data", P6.parse_status, h("00"))
    reason("bad-option-data", P6.parse_status, h("0000 ff"))
    reason("bad-option-data", P6.parse_vendor_opts, h("000011"))
    reason("suboption-overrun", P6.parse_vendor_opts, h("0000118b 0001 0004 00"))


# ------------------------------------------------------------------ structured payloads


def v_vendor_opts():
    payload = P6.build_vendor_opts(4491, [(32, ip6("2001:db8::1")), (33, b"cm.cfg")])
    eq(
        hx(payload),
        "0000118b 0020 0010 20010db8000000000000000000000001 0021 0006 636d2e636667".replace(" ", ""),
        "DOCSIS vendor-opts",
    )
    ent, subs = P6.parse_vendor_opts(payload)
    eq((ent, [c for c, _ in subs]), (4491, [32, 33]), "parsed back")
    space = options6.vendor_space(ent)
    eq(space, "vendor-4491", "its space")
    eq(optiondef.wire_to_text(options6.by_code(32, space), subs[0][1]), "2001:db8::1", "tftp-servers")
    eq(optiondef.wire_to_text(options6.by_code(33, space), subs[1][1]), "cm.cfg", "config-file")
    d17 = options6.by_name("vendor-opts")
    eq(optiondef.wire_to_text(d17, payload), "4491, " + hx(payload[4:]), "text with sub-options")
    eq(optiondef.text_to_wire(d17, "4491"), h("0000118b"), "Kea's data: the enterprise number")
    eq(optiondef.text_to_wire(d17, optiondef.wire_to_text(d17, payload)), payload, "text round trip")
    eq(optiondef.wire_to_value(d17, payload), [4491, payload[4:]], "value: [number, sub-options]")


def v_opaque_lists():
    eq(hx(P6.build_opaque_list([b"ab", b""])), "00026162" + "0000", "two items")
    eq(P6.parse_opaque_list(h("0002 6162 0000")), [b"ab", b""], "back")
    reason("bad-option-data", P6.parse_opaque_list, h("0003 6162"))
    reason("bad-option-data", P6.parse_opaque_list, h("0002 6162 00"))
    eq(
        P6.parse_vendor_class(P6.build_vendor_class(4491, [b"docsis3.0"])),
        (4491, [b"docsis3.0"]),
        "vendor-class",
    )


def v_client_fqdn():
    full = h("01 04686f7374 076578616d706c65 03636f6d 00")
    eq(P6.parse_client_fqdn(full), (1, "host.example.com", True), "full name, S bit")
    eq(P6.build_client_fqdn(1, "host.example.com"), full, "built")
    eq(P6.build_client_fqdn(1, "host.example.com."), full, "trailing dot")
    partial = h("00 06636c69656e74")
    eq(P6.parse_client_fqdn(partial), (0, "client", False), "partial name (no root label)")
    eq(P6.build_client_fqdn(0, "client", full=False), partial, "partial built")
    eq(P6.parse_client_fqdn(h("04")), (4, "", False), "flags only, N bit")
    reason("bad-option-data", P6.parse_client_fqdn, b"")
    reason("bad-option-data", P6.parse_client_fqdn, h("00 c000"))
    reason("bad-option-data", P6.parse_client_fqdn, h("00 05 6162"))
    reason("bad-option-data", P6.parse_client_fqdn, h("00 0161 00 00"))
    d39 = options6.by_name("client-fqdn")
    eq(optiondef.wire_to_text(d39, full), "1, host.example.com", "Kea's record text for a full name")
    reason("bad-option-data", optiondef.wire_to_text, d39, partial)


def v_pd_exclude():
    # delegated 2001:db8:1::/48, excluded 2001:db8:1:ff::/64 -> length 64, 16 bits 00ff
    delegated = ip6("2001:db8:1::")
    eq(hx(P6.build_pd_exclude(48, ip6("2001:db8:1:ff::"), 64)), "4000ff", "RFC 6603 /48 -> /64")
    got = P6.parse_pd_exclude(h("4000ff"), delegated, 48)
    eq((A.bytes_to_ip6(got[0]), got[1]), ("2001:db8:1:ff::", 64), "back")
    # /56 -> /60: 4 bits, left-aligned in one octet
    eq(hx(P6.build_pd_exclude(56, ip6("2001:db8:0:1a0::"), 60)), "3ca0", "/56 -> /60")
    got = P6.parse_pd_exclude(h("3ca0"), ip6("2001:db8:0:100::"), 56)
    eq((A.bytes_to_ip6(got[0]), got[1]), ("2001:db8:0:1a0::", 60), "back")
    reason("bad-option-data", P6.parse_pd_exclude, h("3ca1"), ip6("2001:db8:0:100::"), 56)
    reason("bad-option-data", P6.parse_pd_exclude, h("30a0"), ip6("2001:db8:0:100::"), 56)
    reason("bad-option-data", P6.parse_pd_exclude, h("40a0"), delegated, 48)
    raises(EncodeError, P6.build_pd_exclude, 64, ip6("2001:db8::"), 64)


def v_small_payloads():
    eq(P6.parse_client_linklayer(h("0001 02005e100002")), (1, h("02005e100002")), "RFC 6939")
    eq(P6.build_client_linklayer(1, h("02005e100002")), h("000102005e100002"), "built")
    eq(P6.parse_oro(h("001700180052")), [23, 24, 82], "ORO")
    eq(P6.build_oro([23, 24]), h("00170018"), "ORO built")
    eq(P6.parse_u32(h("00000e10")), 3600, "u32")
    reason("bad-option-data", P6.parse_u32, h("0e10"))
    eq(P6.build_status(2, "no addresses"), h("0002") + b"no addresses", "status built")
    raises(EncodeError, P6.build_status, 70000)


# ------------------------------------------------------------------ DUIDs and addresses


def v_duid():
    llt = D.duid_llt(h("02005e100002"), 0x32A96C07)
    eq(hx(llt), "0001000132a96c0702005e100002", "LLT")
    eq(hx(D.duid_en(2495, h("0102"))), "00020000 09bf 0102".replace(" ", ""), "EN")
    eq(hx(D.duid_ll(h("02005e100002"))), "0003000102005e100002", "LL")
    uuid = h("0123456789abcdef0123456789abcdef")
    eq(hx(D.duid_uuid(uuid)), "0004" + hx(uuid), "UUID")
    eq(D.parse_duid(D.duid_en(2495, b"id")), (2, 2495, b"id"), "EN back")
    eq(D.parse_duid(D.duid_uuid(uuid)), (4, uuid), "UUID back")
    eq(D.parse_duid(h("0007 abcd")), (7, h("abcd")), "unknown type kept")
    reason("bad-duid", D.parse_duid, h("00"))
    reason("bad-duid", D.parse_duid, h("0001 0001 0000"))
    reason("bad-duid", D.parse_duid, h("0002 0000"))
    reason("bad-duid", D.parse_duid, h("0003 00"))
    reason("bad-duid", D.parse_duid, h("0004 00"))
    reason("bad-duid", D.parse_duid, "0001")
    eq(D.duid_lladdr(h("0002 000009bf 00")), None, "EN has no MAC")
    eq(D.duid_lladdr(h("00")), None, "never raises")
    eq(D.duid_to_text(llt), "00:01:00:01:32:a9:6c:07:02:00:5e:10:00:02", "Kea's text")
    eq(D.duid_from_text("00:01:00:01:32:A9:6C:07:02:00:5E:10:00:02"), llt, "text back")
    eq(D.duid_from_text("0x00030001"), h("00030001"), "other hex forms")
    raises(OptionTextError, D.duid_from_text, "")
    raises(OptionTextError, D.duid_from_text, "zz")
    eq(D.unix_to_duid_time(946684800 + 0x32A96C07), 0x32A96C07, "DUID epoch is 2000-01-01")
    eq(D.unix_to_duid_time(946684799), 0xFFFFFFFF, "modulo 2**32")
    eq(
        (D.duid_length_ok(b"x" * 128), D.duid_length_ok(b"x" * 129), D.duid_length_ok(b"")),
        (True, False, False),
        "Kea's limit",
    )
    raises(ValueError, D.duid_llt, b"", 1 << 32)
    raises(ValueError, D.duid_uuid, b"short")


def v_addr6():
    eq(hx(A.ip6_to_bytes("2001:DB8::1")), "20010db8000000000000000000000001", "text -> bytes")
    eq(A.bytes_to_ip6(h("fe80000000000000 5efffe1000020000")), "fe80::5eff:fe10:2:0", "RFC 5952")
    eq(A.bytes_to_ip6(h("20010db8000000010000000000000001")), "2001:db8:0:1::1", "one zero group stays")
    eq(A.ip6_to_int("::1"), 1, "int")
    eq(A.int_to_ip6(0x20010DB8 << 96), "2001:db8::", "int back")
    eq(A.ip6_to_bytes("::ffff:192.0.2.1"), h("00000000000000000000ffffc0000201"), "dotted tail")
    raises(ValueError, A.ip6_to_bytes, "2001:db8::1::2")
    raises(ValueError, A.ip6_to_bytes, "fe80::1%eth0")
    raises(ValueError, A.bytes_to_ip6, b"\x00" * 4)
    raises(ValueError, A.int_to_ip6, 1 << 128)
    eq(
        (
            A.is_link_local6(ip6("fe80::1")),
            A.is_link_local6(ip6("febf::1")),
            A.is_link_local6(ip6("fec0::1")),
        ),
        (True, True, False),
        "fe80::/10",
    )
    eq(
        (A.is_multicast6(ip6(A.ALL_DHCP_RELAY_AGENTS_AND_SERVERS)), A.is_multicast6(ip6("2001:db8::1"))),
        (True, False),
        "multicast",
    )
    eq(A.is_unspecified6(ip6("::")), True, "::")
    eq(A.ip_to_bytes("192.0.2.1"), h("c0000201"), "IPv4 helpers unchanged")


# ------------------------------------------------------------------ the option table


def v_table_shape():
    for code, name in (
        (1, "clientid"),
        (2, "serverid"),
        (3, "ia-na"),
        (5, "iaaddr"),
        (6, "oro"),
        (13, "status-code"),
        (17, "vendor-opts"),
        (23, "dns-servers"),
        (24, "domain-search"),
        (25, "ia-pd"),
        (26, "iaprefix"),
        (31, "sntp-servers"),
        (32, "information-refresh-time"),
        (37, "remote-id"),
        (38, "subscriber-id"),
        (39, "client-fqdn"),
        (67, "pd-exclude"),
        (79, "client-linklayer-addr"),
        (135, "relay-source-port"),
        (143, "ipv6-address-andsf"),
    ):
        eq(options6.by_code(code).name, name, "dhcp6 option %d" % code)
        eq(options6.by_name(name).code, code, "by name %s" % name)
    eq(len(options6.STANDARD.defs("dhcp6")), 74, "Kea 2.2's 72 dhcp6 options + v6-sztp-redirect + v6-dnr")
    eq(options6.by_code(56), None, "no NTP (56) in Kea 2.2")
    eq(options6.by_code(60000, "4o6").name, "4o6-interface", "4o6 space")
    eq(options6.by_code(89, "s46-cont-mape-options").encapsulate, "s46-rule-options", "s46-rule")
    eq(options6.by_code(93, "s46-v4v6bind-options").record_types, ("uint8", "psid"), "s46-portparams")
    eq(options6.by_code(1026, "vendor-4491").name, "cmts-cm-mac", "DOCSIS 3 v6")
    eq(options6.by_code(3).sub_space, "dhcp6", "IA_NA carries dhcp6 sub-options")
    eq(options6.by_code(17).sub_space, "vendor-", "vendor-opts: vendor-<enterprise>")
    eq([d.code for d in options6.STANDARD.defs() if d.carries], [3, 4, 5, 17, 25, 26, 44], "carriers")
    eq(options6.by_code(66).encapsulate, "rsoo-opts", "rsoo")
    eq(options6.by_code(60).types["tuple"].width, 2, "v6 tuples have 16-bit lengths")


def v_make_def6():
    raises(ValueError, options6.make_def, 0, "zero", "dhcp6", "uint8")
    raises(ValueError, options6.make_def, 65536, "big", "dhcp6", "uint8")
    d = options6.make_def(65535, "top", "dhcp6", "uint8")
    eq(d.code, 65535, "16-bit codes")
    eq(options6.make_def(0, "zero", "my-space", "uint8").code, 0, "code 0 outside dhcp6")
    t = options6.make_def(1000, "names", "dhcp6", "tuple", True)
    eq(optiondef.text_to_wire(t, "ab, c"), h("00026162 000163"), "custom tuple array: 16-bit lengths")
    reg = options6.STANDARD.copy()
    reg.add(options6.make_def(136, "my-sztp", "dhcp6", "string"))
    eq(reg.by_code(136).name, "my-sztp", "a 2.2 option-def replaces v6-sztp-redirect")
    raises(ValueError, reg.add, options6.make_def(23, "dns2", "dhcp6", "string"))
    rec = options6.make_def(1001, "rec", "dhcp6", "record", False, "uint16, ipv6-address", "my-subs")
    eq(rec.carries, True, "a record that encapsulates carries sub-options")
    eq(optiondef.text_to_wire(rec, "1, ::1"), h("0001" + "00" * 15 + "01"), "fields alone")
    eq(
        optiondef.text_to_wire(rec, "1, ::1, 00010000"),
        h("0001" + "00" * 15 + "01" + "00010000"),
        "with sub-options",
    )
    eq(optiondef.wire_to_text(rec, h("0001" + "00" * 15 + "01" + "00010000")), "1, ::1, 00010000", "text")


# (name, space, text, wire hex, canonical text or None when the text is already canonical)
TEXT_VECTORS = (
    (
        "dns-servers",
        "dhcp6",
        "2001:db8::1, 2001:DB8::2",
        "20010db8000000000000000000000001 20010db8000000000000000000000002",
        "2001:db8::1, 2001:db8::2",
    ),
    (
        "domain-search",
        "dhcp6",
        "example.com, lab.example.",
        "076578616d706c6503636f6d00 036c6162076578616d706c6500",
        "example.com, lab.example",
    ),
    ("sntp-servers", "dhcp6", "2001:db8::123", "20010db8000000000000000000000123", None),
    # RFC 9463 s4.1, worked by hand: priority, ADN length + name, address length + address, SvcParams in
    # key order (alpn=1 "dot", port=3 853); an ADN-only instance stops after the name
    (
        "v6-dnr",
        "dhcp6",
        "100, resolver.example., 2001:db8::1, alpn=dot port=853",
        "0064 0012 087265736f6c766572076578616d706c6500 0010 20010db8000000000000000000000001"
        " 0001000403646f74 000300020355",
        None,
    ),
    ("v6-dnr", "dhcp6", "200, resolver.example.", "00c8 0012 087265736f6c766572076578616d706c6500", None),
    ("information-refresh-time", "dhcp6", "3600", "00000e10", None),
    ("preference", "dhcp6", "255", "ff", None),
    ("elapsed-time", "dhcp6", "0x64", "0064", "100"),
    ("oro", "dhcp6", "23, 24", "00170018", None),
    ("status-code", "dhcp6", "2, no addresses", "0002 6e6f20616464726573736573", None),
    ("ia-na", "dhcp6", "1, 3600, 5400", "00000001 00000e10 00001518", None),
    (
        "ia-na",
        "dhcp6",
        "1, 3600, 5400, 00:0d:00:02:00:00",
        "00000001 00000e10 00001518 000d00020000",
        "1, 3600, 5400, 000d00020000",
    ),
    (
        "iaaddr",
        "dhcp6",
        "2001:db8::100, 3600, 7200",
        "20010db8000000000000000000000100 00000e10 00001c20",
        None,
    ),
    (
        "iaprefix",
        "dhcp6",
        "3600, 7200, 56, 2001:db8:8::",
        "00000e10 00001c20 38 20010db8000800000000000000000000",
        None,
    ),
    ("ia-pd", "dhcp6", "2, 0, 0", "00000002 00000000 00000000", None),
    ("ia-ta", "dhcp6", "7", "00000007", None),
    ("vendor-opts", "dhcp6", "4491", "0000118b", None),
    ("vendor-class", "dhcp6", "4491, 0006646f63736973", "0000118b 0006 646f63736973", None),
    ("user-class", "dhcp6", "0x000474657374", "000474657374", "000474657374"),
    ("remote-id", "dhcp6", "2495, 72656d6f7465", "000009bf 72656d6f7465", None),
    ("subscriber-id", "dhcp6", "73:75:62", "737562", "737562"),
    (
        "client-fqdn",
        "dhcp6",
        "1, host.example.com.",
        "01 04686f7374 076578616d706c65 03636f6d 00",
        "1, host.example.com",
    ),
    (
        "bootfile-url",
        "dhcp6",
        "tftp://[2001:db8::1]/boot.efi",
        "746674703a2f2f5b323030313a6462383a3a315d2f626f6f742e656669",
        None,
    ),
    ("bootfile-param", "dhcp6", "a b, c", "0003 612062 0001 63", None),
    ("client-arch-type", "dhcp6", "7, 9", "0007 0009", None),
    ("nii", "dhcp6", "1, 3, 16", "010310", None),
    ("aftr-name", "dhcp6", "aftr.example.net", "04616674720765 78616d706c65 036e657400", None),
    ("rapid-commit", "dhcp6", "", "", None),
    ("reconf-accept", "dhcp6", "", "", None),
    ("reconf-msg", "dhcp6", "5", "05", None),
    ("unicast", "dhcp6", "2001:db8::1", "20010db8000000000000000000000001", None),
    ("solmax-rt", "dhcp6", "120", "00000078", None),
    ("relay-source-port", "dhcp6", "1547", "060b", None),
    ("client-linklayer-addr", "dhcp6", "00:01:02:00:5e:10:00:02", "000102005e100002", "000102005e100002"),
    ("geoconf-civic", "dhcp6", "2, 21843, 0a0b", "02 5553 0a0b", None),
    ("lq-query", "dhcp6", "1, 2001:db8::1", "01 20010db8000000000000000000000001", None),
    ("lq-relay-data", "dhcp6", "2001:db8::1, 0c00", "20010db8000000000000000000000001 0c00", None),
    (
        "rdnss-selection",
        "dhcp6",
        "2001:db8::53, 1, example.com, example.net",
        "20010db8000000000000000000000053 01 076578616d706c6503636f6d00 076578616d706c65036e657400",
        None,
    ),
    (
        "new-posix-timezone",
        "dhcp6",
        "EST5EDT4\\,M3.2.0/02:00\\,M11.1.0/02:00",
        "45535435454454342c4d332e322e302f30323a30302c4d31312e312e302f30323a3030",
        None,
    ),
    (
        "v6-sztp-redirect",
        "dhcp6",
        "https://a/, https://b/",
        "000a 68747470733a2f2f612f 000a 68747470733a2f2f622f",
        None,
    ),
    ("s46-cont-mape", "dhcp6", "", "", None),
    (
        "s46-rule",
        "s46-cont-mape-options",
        "1, 0, 24, 192.0.2.0, 2001:db8::/32",
        "01 00 18 c0000200 20 20010db8",
        None,
    ),
    ("s46-br", "s46-cont-lw-options", "2001:db8::ff", "20010db80000000000000000000000ff", None),
    ("s46-v4v6bind", "s46-cont-lw-options", "192.0.2.3, 2001:db8::/64", "c0000203 40 20010db800000000", None),
    ("s46-dmr", "s46-cont-mapt-options", "2001:db8:ffff::/64", "40 20010db8ffff0000", None),
    ("s46-portparams", "s46-rule-options", "0, 6/4", "00 04 6000", None),
    ("4o6-source-port", "4o6", "547", "0223", None),
    ("tftp-servers", "vendor-4491", "2001:db8::1", "20010db8000000000000000000000001", None),
    ("time-offset", "vendor-4491", "-3600", "fffff1f0", None),
    ("cmts-cm-mac", "vendor-4491", "00:01:02:03:04:05", "000102030405", "000102030405"),
    ("oro", "vendor-4491", "32, 33", "00200021", None),
)

BAD_TEXT = (
    ("ia-na", "dhcp6", "1, 2"),
    ("ia-na", "dhcp6", "1, 2, 3, zz"),
    ("ia-na", "dhcp6", "1, 2, 3, 00, 00"),
    ("vendor-opts", "dhcp6", "4491, 01, 02"),
    ("oro", "dhcp6", "70000"),
    ("dns-servers", "dhcp6", "192.0.2.1"),
    ("preference", "dhcp6", "256"),
    ("rapid-commit", "dhcp6", "x"),
    ("status-code", "dhcp6", ""),
    ("client-fqdn", "dhcp6", "1, a..b"),
    ("s46-portparams", "s46-rule-options", "0, 16/4"),
)

BAD_WIRE = (
    ("ia-na", "dhcp6", "00000001"),
    ("iaaddr", "dhcp6", "20010db8000000000000000000000001 00000e10"),
    ("oro", "dhcp6", "001700"),
    ("elapsed-time", "dhcp6", "00"),
    ("dns-servers", "dhcp6", "20010db800000000000000000000"),
    ("status-code", "dhcp6", "00"),
    ("bootfile-param", "dhcp6", "0005 6162"),
    ("bootfile-param", "dhcp6", "00"),
    ("rapid-commit", "dhcp6", "00"),
    ("client-fqdn", "dhcp6", "01 c000"),
    ("vendor-opts", "dhcp6", "0000"),
    ("s46-rule", "s46-cont-mape-options", "01 00 18 c0000200"),
)


def _check_text(name, space, text, wire_hex, canonical):
    defn = options6.by_name(name, space)
    if defn is None:
        raise Fail("no option %s in %s" % (name, space))
    wire = h(wire_hex)
    eq(hx(optiondef.text_to_wire(defn, text)), hx(wire), "text -> wire")
    want = text if canonical is None else canonical
    eq(optiondef.wire_to_text(defn, wire), want, "wire -> text")
    eq(hx(optiondef.text_to_wire(defn, want)), hx(wire), "canonical text -> wire")


def _bad_text(name, space, text):
    raises(OptionTextError, optiondef.text_to_wire, options6.by_name(name, space), text)


def _bad_wire(name, space, wire_hex):
    e = raises(DecodeError, optiondef.wire_to_text, options6.by_name(name, space), h(wire_hex))
    eq(e.reason, "bad-option-data", "reason")


def v_long_tuple():
    d = options6.by_name("bootfile-param")
    text = "x" * 300
    wire = optiondef.text_to_wire(d, text)
    eq(hx(wire[:2]), "012c", "a 300-octet tuple: 16-bit length")
    eq(optiondef.wire_to_text(d, wire), text, "back")


# ------------------------------------------------------------------ the list


def _vectors():
    out = []
    for name, fn in (
        ("captured6/dhclient-solicit", v_dhclient_solicit),
        ("captured6/kea-advertise", v_kea_advertise),
        ("captured6/dhclient-several-ia", v_several_ia),
        ("captured6/kea-pd-advertise", v_kea_pd_advertise),
        ("captured6/rapid-commit", v_rapid_commit),
        ("captured6/inform", v_inform),
        ("captured6/dhcpcd-solicit", v_dhcpcd_solicit),
        ("captured6/dhcrelay-relay-forw", v_dhcrelay_forw),
        ("captured6/kea-relay-repl", v_kea_relay_repl),
        ("captured6/two-relays", v_two_relays),
        ("captured6/status-answers", v_status_answers),
        ("packet6/build-message", v_build_message),
        ("packet6/build-ia-pd-and-ta", v_build_ia_pd_and_ta),
        ("packet6/option-list-api", v_option_list_api),
        ("packet6/encode-errors", v_encode_errors),
        ("packet6/make-reply-direct", v_make_reply_direct),
        ("packet6/relay-source-port-echoed", v_relay_source_port_echoed),
        ("packet6/relay-depth", v_relay_depth),
        ("packet6/relay-loop", v_relay_loop),
        ("packet6/relay-msg-errors", v_relay_msg_errors),
        ("packet6/decode-errors", v_decode_errors),
        ("packet6/decode-lenient", v_decode_lenient),
        ("packet6/sub-option-errors", v_sub_option_errors),
        ("payloads6/vendor-opts", v_vendor_opts),
        ("payloads6/opaque-lists", v_opaque_lists),
        ("payloads6/client-fqdn", v_client_fqdn),
        ("payloads6/pd-exclude", v_pd_exclude),
        ("payloads6/small", v_small_payloads),
        ("duid/all-types", v_duid),
        ("addr6/helpers", v_addr6),
        ("options6/table-shape", v_table_shape),
        ("options6/make-def", v_make_def6),
        ("options6/long-tuple", v_long_tuple),
    ):
        out.append((name, fn))
    for i, row in enumerate(TEXT_VECTORS):
        out.append(("text6/%s#%d" % (row[0], i), (lambda r: lambda: _check_text(*r))(row)))
    for i, row in enumerate(BAD_TEXT):
        out.append(("bad-text6/%s#%d" % (row[0], i), (lambda r: lambda: _bad_text(*r))(row)))
    for i, row in enumerate(BAD_WIRE):
        out.append(("bad-wire6/%s#%d" % (row[0], i), (lambda r: lambda: _bad_wire(*r))(row)))
    return out


VECTORS = _vectors()


def run(report=None):
    """Run every vector; returns (passed, failed, failure_messages)."""
    passed = 0
    failed = 0
    messages = []
    for name, check in VECTORS:
        try:
            check()
            ok, msg = True, ""
        except Exception as e:  # noqa: BLE001 - any exception is that vector's failure
            ok, msg = False, "%s: %s" % (type(e).__name__, e)
        if ok:
            passed += 1
        else:
            failed += 1
            messages.append("%s: %s" % (name, msg))
        if report is not None:
            report(name, ok, msg)
    return passed, failed, messages


if __name__ == "__main__":
    p, f, msgs = run()
    for m in msgs:
        print("FAIL " + m)
    print("vectors6: %d passed, %d failed" % (p, f))
