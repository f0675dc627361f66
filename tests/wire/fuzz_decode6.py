"""Volume fuzzer for edge.wire.pkt6.decode6: only DecodeError may escape.

Run:  python -m tests.wire.fuzz_decode6 --count 1000000 [--seed N]

Prints ``inputs tried: N, crashes: M`` and exits 1 when M > 0.  A crash is any exception other than
DecodeError from decode6 (strict or lenient), from looking inside what it returns (every option with a
standard definition through wire_to_text, the IAs with their addresses, prefixes and status codes,
vendor-opts, client-fqdn, the DUIDs, every relay layer's options), or a message that decodes but does
not encode back to the same bytes.  The first few crashing inputs are printed as hex.

Inputs, in turn: random bytes; random bytes behind a message header; random bytes behind a relay
header; and mutations of valid messages (the captured ones in vectors6.py plus deep and odd relay
chains): bit flips, byte overwrites, truncations, corrupted 16-bit option lengths, inserted/deleted
bytes, a relay layer wrapped around or peeled off, and option-shaped garbage.  Deterministic per seed.
"""

import argparse
import random
import sys

from edge.wire import duid, optiondef, options6, pkt6
from edge.wire import payloads6 as P6
from edge.wire.errors import DecodeError


def _length_spots(b):
    """Offsets of the 16-bit length fields of the outermost layer's options (at most 64)."""
    start = 34 if b and b[0] in (12, 13) else 4
    out = []
    i = start
    n = len(b)
    while i + 4 <= n and len(out) < 64:
        out.append(i + 2)
        i += 4 + ((b[i + 2] << 8) | b[i + 3])
    return out


def mutate(data, rnd):
    """One random structural mutation of ``data`` (bytes) -> bytes."""
    b = bytearray(data)
    n = len(b)
    if n == 0:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 80)))
    kind = rnd.randrange(9)
    if kind == 0:
        for _ in range(rnd.randrange(1, 9)):
            i = rnd.randrange(n)
            b[i] ^= 1 << rnd.randrange(8)
    elif kind == 1:
        b[rnd.randrange(n)] = rnd.getrandbits(8)
    elif kind == 2:
        del b[rnd.randrange(n) :]
    elif kind == 3:
        spots = _length_spots(b)
        if spots:
            at = rnd.choice(spots)
            v = rnd.choice((0, 1, 2, 3, 4, 11, 12, 16, 24, 25, 0x7FFF, 0xFFFF, rnd.getrandbits(16)))
            b[at : at + 2] = bytes((v >> 8, v & 255))
    elif kind == 4:
        at = rnd.randrange(min(n, 4), n + 1)
        b[at:at] = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 8)))
    elif kind == 5:
        if n > 4:
            at = rnd.randrange(4, n)
            del b[at : at + rnd.randrange(1, 8)]
    elif kind == 6:  # wrap in one more relay layer (sometimes a copy of the one below: a loop)
        if n >= 34 and b[0] in (12, 13) and rnd.randrange(3) == 0:
            head = bytes(b[:34])
        else:
            head = bytes((12, rnd.getrandbits(8))) + bytes(rnd.getrandbits(8) for _ in range(32))
        inner = bytes(b)
        b = bytearray(head + bytes((0, 9, len(inner) >> 8 & 255, len(inner) & 255)) + inner)
    elif kind == 7:  # peel off the outer layer header, leaving its options
        if n > 34:
            del b[:34]
    else:
        code = rnd.choice((1, 2, 3, 5, 6, 8, 9, 13, 16, 17, 18, 25, 26, 39, 79, rnd.getrandbits(16)))
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 30)))
        ln = rnd.choice((len(body), rnd.getrandbits(16)))
        at = rnd.randrange(min(n, 4), n + 1)
        b[at:at] = bytes((code >> 8, code & 255, ln >> 8, ln & 255)) + body
    return bytes(b)


def _deep_chain(depth, rnd):
    data = bytes((1, 0, 0, 1, 0, 8, 0, 2, 0, 0))
    for i in range(depth):
        head = bytes((12, i)) + bytes(rnd.getrandbits(8) for _ in range(32))
        data = head + bytes((0, 18, 0, 1, 7)) + bytes((0, 9, len(data) >> 8, len(data) & 255)) + data
    return data


def seed_packets():
    from tests.wire import vectors6

    seeds = [
        vectors6.h(x)
        for x in (
            vectors6.DHCLIENT_SOLICIT,
            vectors6.KEA_ADVERTISE,
            vectors6.SEVERAL_IA_SOLICIT,
            vectors6.KEA_PD_ADVERTISE,
            vectors6.RAPID_REPLY,
            vectors6.DHCPCD_SOLICIT,
            vectors6.RELAY_FORW,
            vectors6.RELAY_REPL,
            vectors6.TWO_RELAYS_FORW,
            vectors6.TWO_RELAYS_REPL,
            vectors6.NOBINDING,
        )
    ]
    rnd = random.Random(8415)
    seeds.append(_deep_chain(32, rnd))
    seeds.append(_deep_chain(5, rnd))
    p = pkt6.Packet6(pkt6.REPLY, 7)
    p.add(17, P6.build_vendor_opts(4491, [(32, bytes(16)), (1, b"\x00\x20")]))
    p.add(39, P6.build_client_fqdn(1, "host.example.com"))
    p.add(16, P6.build_vendor_class(4491, [b"docsis3.0"]))
    pd = P6.IA(25, 1, 2, 3)
    pd.add(26, P6.IAPrefix(bytes(16), 56, 1, 2, [(67, b"\x40\x01")]).to_payload())
    p.add_ia(pd)
    seeds.append(pkt6.encode6(p))
    return seeds


def look_inside(p):
    """Everything a server might parse in a decoded message; only DecodeError may come out of each."""
    for options in [r.options for r in p.relays] + [p.options]:
        for code, payload in options:
            defn = options6.by_code(code)
            if defn is not None:
                try:
                    optiondef.wire_to_text(defn, payload)
                except DecodeError:
                    pass
            try:
                if code in (3, 4, 25):
                    ia = P6.parse_ia(code, payload)
                    for a in ia.addresses():
                        a.status()
                    for x in ia.prefixes():
                        x.status()
                        for sub in x.get_all(67):
                            P6.parse_pd_exclude(sub, x.prefix, x.prefix_len)
                    ia.status()
                elif code == 17:
                    ent, subs = P6.parse_vendor_opts(payload)
                    space = options6.vendor_space(ent)
                    for c, sp in subs:
                        d = options6.by_code(c, space)
                        if d is not None:
                            optiondef.wire_to_text(d, sp)
                elif code == 16:
                    P6.parse_vendor_class(payload)
                elif code == 15:
                    P6.parse_opaque_list(payload)
                elif code == 39:
                    P6.parse_client_fqdn(payload)
                elif code in (1, 2):
                    duid.parse_duid(payload)
                elif code == 13:
                    P6.parse_status(payload)
                elif code == 79:
                    P6.parse_client_linklayer(payload)
            except DecodeError:
                pass
    for fn in (p.oro, p.elapsed_time, p.ia_nas, p.ia_pds, p.ia_tas, p.status):
        try:
            fn()
        except DecodeError:
            pass


class RoundTripError(Exception):
    pass


def check(data):
    """(exception that is not a DecodeError or None, decoded?)."""
    ok = False
    try:
        for lenient in (False, True):
            try:
                p = pkt6.decode6(data, lenient=lenient)
            except DecodeError:
                continue
            look_inside(p)
            if not lenient:
                ok = True
                if pkt6.encode6(p) != data:
                    raise RoundTripError("decoded but does not encode back")
    except Exception as e:  # noqa: BLE001 - that is what we are looking for
        return e, False
    return None, ok


def main(argv=None):
    ap = argparse.ArgumentParser(description="fuzz edge.wire.pkt6.decode6")
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=8415)
    ap.add_argument("--show", type=int, default=5, help="crashing inputs to print")
    args = ap.parse_args(argv)
    rnd = random.Random(args.seed)
    seeds = seed_packets()
    tried = crashes = decoded = 0
    for k in range(args.count):
        mode = k % 8
        if mode == 0:
            data = rnd.randbytes(rnd.randrange(0, 300))
        elif mode == 1:
            data = bytes((rnd.randrange(1, 12),)) + rnd.randbytes(3 + rnd.randrange(0, 200))
        elif mode == 2:
            data = bytes((12,)) + rnd.randbytes(33) + rnd.randbytes(rnd.randrange(0, 200))
        else:
            data = rnd.choice(seeds)
            for _ in range(rnd.randrange(1, 5)):
                data = mutate(data, rnd)
        tried += 1
        err, ok = check(data)
        decoded += ok
        if err is not None:
            crashes += 1
            if crashes <= args.show:
                print(f"crash {type(err).__name__}: {err}\n  input {data.hex()}")
    print(f"inputs tried: {tried}, crashes: {crashes}")
    print(f"(of which decoded cleanly: {decoded})")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
