"""DHCPv6 messages: hypothesis round trips of whole messages, relay chains and IA structures."""

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.wire import payloads6 as P6
from edge.wire import pkt6
from edge.wire.errors import DecodeError

PROPS = settings(deadline=None, max_examples=300)

codes = st.integers(0, 0xFFFF)
payloads = st.binary(max_size=40)
option_lists = st.lists(
    st.tuples(st.one_of(st.sampled_from((1, 2, 3, 6, 8, 25)), codes), payloads), max_size=8
)
# relay layers carry anything but relay-msg (which decode takes out of the layer), often what relays send
relay_codes = st.one_of(
    st.sampled_from((18, 135, 37, 38, 79, 17)), codes.filter(lambda c: c != pkt6.OPT_RELAY_MSG)
)
relay_option_lists = st.lists(st.tuples(relay_codes, payloads), max_size=4)
addr16 = st.binary(min_size=16, max_size=16)
# the client/server message: any type but the two relay types
msg_types = st.integers(0, 255).filter(lambda t: t not in (pkt6.RELAY_FORW, pkt6.RELAY_REPL))


@st.composite
def relays(draw, max_layers=pkt6.HOP_COUNT_LIMIT):
    n = draw(st.integers(0, max_layers))
    pairs = draw(st.lists(st.tuples(addr16, addr16), min_size=n, max_size=n, unique=True))
    out = []
    for link, peer in pairs:
        opts = draw(relay_option_lists)
        at = draw(st.integers(0, len(opts)))
        kind = draw(st.sampled_from((pkt6.RELAY_FORW, pkt6.RELAY_REPL)))
        out.append(pkt6.Relay(kind, draw(st.integers(0, 255)), link, peer, opts, at))
    return out


@st.composite
def packets(draw, max_layers=4):
    return pkt6.Packet6(
        draw(msg_types), draw(st.integers(0, 0xFFFFFF)), draw(option_lists), draw(relays(max_layers))
    )


@PROPS
@given(p=packets())
def test_decode_encode_round_trip(p):
    wire = pkt6.encode6(p)
    back = pkt6.decode6(wire)
    assert back == p
    assert pkt6.encode6(back) == wire
    assert back.options == p.options  # order and repeats kept


@settings(deadline=None, max_examples=40)
@given(p=packets(max_layers=pkt6.HOP_COUNT_LIMIT))
def test_deep_chains_round_trip(p):
    assert pkt6.decode6(pkt6.encode6(p)) == p


@PROPS
@given(p=packets(max_layers=0), lenient=st.booleans())
def test_lenient_equals_strict_on_well_formed(p, lenient):
    wire = pkt6.encode6(p)
    assert pkt6.decode6(wire, lenient=lenient) == pkt6.decode6(wire)


@PROPS
@given(p=packets(), cut=st.integers(1, 60))
def test_a_cut_short_message_is_refused_or_reads_as_what_is_left(p, cut):
    wire = pkt6.encode6(p)
    if cut >= len(wire):
        return
    short = wire[: len(wire) - cut]
    try:
        back = pkt6.decode6(short)
    except DecodeError:
        return
    # accepted only where the cut fell between options: then it is exactly those bytes, fewer options
    assert pkt6.encode6(back) == short
    assert sum(len(r.options) for r in back.relays) + len(back.options) < sum(
        len(r.options) for r in p.relays
    ) + len(p.options)


@PROPS
@given(data=st.binary(max_size=200))
def test_whatever_decodes_encodes_back_byte_for_byte(data):
    try:
        p = pkt6.decode6(data)
    except DecodeError:
        return
    assert pkt6.encode6(p) == data


@PROPS
@given(p=packets(max_layers=6))
def test_make_reply_mirrors_the_relay_chain(p):
    r = pkt6.make_reply(p, pkt6.REPLY)
    assert (r.msg_type, r.transaction_id) == (pkt6.REPLY, p.transaction_id)
    assert len(r.relays) == len(p.relays)
    for mine, theirs in zip(r.relays, p.relays, strict=True):
        assert mine.msg_type == pkt6.RELAY_REPL
        assert (mine.hop_count, mine.link_address, mine.peer_address) == (
            theirs.hop_count,
            theirs.link_address,
            theirs.peer_address,
        )
        want = [
            (c, theirs.get(c)) for c in (pkt6.OPT_INTERFACE_ID, pkt6.OPT_RELAY_SOURCE_PORT) if c in theirs
        ]
        assert mine.options == want
    cid = p.get(pkt6.OPT_CLIENTID)
    assert r.options == ([] if cid is None else [(pkt6.OPT_CLIENTID, cid)])
    back = pkt6.decode6(pkt6.encode6(r))
    assert back == r


sub_options = st.lists(st.tuples(codes, st.binary(max_size=12)), max_size=3)
u32 = st.integers(0, 0xFFFFFFFF)


@st.composite
def ias(draw):
    code = draw(st.sampled_from((P6.OPT_IA_NA, P6.OPT_IA_TA, P6.OPT_IA_PD)))
    ia = P6.IA(code, draw(u32), *(draw(st.tuples(u32, u32)) if code != P6.OPT_IA_TA else (0, 0)))
    for _ in range(draw(st.integers(0, 3))):
        if code == P6.OPT_IA_PD:
            sub = P6.IAPrefix(
                draw(addr16), draw(st.integers(0, 128)), draw(u32), draw(u32), draw(sub_options)
            )
            ia.add(P6.OPT_IAPREFIX, sub.to_payload())
        else:
            sub = P6.IAAddress(draw(addr16), draw(u32), draw(u32), draw(sub_options))
            ia.add(P6.OPT_IAADDR, sub.to_payload())
    if draw(st.booleans()):
        ia.add(*P6.status_option(draw(st.integers(0, 0xFFFF)), draw(st.text(max_size=20))))
    return ia


@PROPS
@given(ia_list=st.lists(ias(), max_size=4), xid=st.integers(0, 0xFFFFFF))
def test_ia_structures_round_trip(ia_list, xid):
    p = pkt6.Packet6(pkt6.REPLY, xid)
    for ia in ia_list:
        p.add_ia(ia)
    back = pkt6.decode6(pkt6.encode6(p))
    got = back.ia_nas() + back.ia_tas() + back.ia_pds()
    want = [i for c in (P6.OPT_IA_NA, P6.OPT_IA_TA, P6.OPT_IA_PD) for i in ia_list if i.code == c]
    assert got == want
    for mine, theirs in zip(got, want, strict=True):
        assert mine.addresses() == theirs.addresses()
        assert mine.prefixes() == theirs.prefixes()
        assert mine.status() == theirs.status()


@PROPS
@given(
    fields=st.tuples(
        st.integers(0, 0xFF), st.lists(st.binary(min_size=1, max_size=10), max_size=4), st.booleans()
    )
)
def test_client_fqdn_round_trip(fields):
    flags, labels, full = fields
    from edge.wire.types import _labels_to_text

    name = _labels_to_text(labels) if labels else ""
    payload = P6.build_client_fqdn(flags, name, full)
    assert P6.parse_client_fqdn(payload) == (flags, name, full or False)


@PROPS
@given(
    delegated=addr16,
    dlen=st.integers(0, 127),
    extra=st.integers(1, 128),
    bits=st.integers(0, (1 << 128) - 1),
)
def test_pd_exclude_round_trip(delegated, dlen, extra, bits):
    elen = min(128, dlen + extra)
    if elen <= dlen:
        return
    mask = ((1 << dlen) - 1) << (128 - dlen) if dlen else 0
    base = int.from_bytes(delegated, "big") & mask
    sub_mask = ((1 << elen) - 1) << (128 - elen)
    excluded = (base | (bits & ~mask)) & sub_mask
    ex = excluded.to_bytes(16, "big")
    payload = P6.build_pd_exclude(dlen, ex, elen)
    assert len(payload) == 1 + (elen - dlen + 7) // 8
    assert P6.parse_pd_exclude(payload, delegated, dlen) == (ex, elen)
