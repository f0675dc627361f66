"""Volume fuzzer for edge.wire.pkt4.decode: only DecodeError may escape.

Run:  python -m tests.wire.fuzz_decode --count 1000000 [--seed N]

Prints ``inputs tried: N, crashes: M`` and exits 1 when M > 0.  A crash is any
exception other than DecodeError from decode, from wire_to_text on a decoded
option that has a standard definition, or from parse_suboptions on option 82.
The first few crashing inputs are printed as hex so they can become vectors.

Inputs, in turn: random bytes; random bytes behind a valid header and cookie;
and mutations of valid packets (the captured client packets in vectors.py plus
an overloaded, option-82-carrying reply): bit flips, byte overwrites,
truncations, corrupted option length bytes, inserted/deleted bytes, a forced
option 52 with any value, and garbage in sname/file.  Deterministic per seed.
"""

import argparse
import random
import sys

from edge.wire import optiondef, options4
from edge.wire import pkt4 as P
from edge.wire.errors import DecodeError


def mutate(data, rnd):
    """One random structural mutation of ``data`` (bytes) -> bytes."""
    b = bytearray(data)
    kind = rnd.randrange(9)
    n = len(b)
    if n == 0:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 300)))
    if kind == 0:  # flip a few bits
        for _ in range(rnd.randrange(1, 9)):
            i = rnd.randrange(n)
            b[i] ^= 1 << rnd.randrange(8)
    elif kind == 1:  # overwrite a byte
        b[rnd.randrange(n)] = rnd.getrandbits(8)
    elif kind == 2:  # truncate
        del b[rnd.randrange(n) :]
    elif kind == 3:  # corrupt an option length byte (walk the options to find one)
        spots = _length_bytes(b)
        if spots:
            b[rnd.choice(spots)] = rnd.choice((0, 1, 2, 4, 127, 128, 254, 255, rnd.getrandbits(8)))
    elif kind == 4:  # insert random bytes in the options area
        at = rnd.randrange(min(n, 240), n + 1)
        b[at:at] = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 8)))
    elif kind == 5:  # delete bytes from the options area
        if n > 240:
            at = rnd.randrange(240, n)
            del b[at : at + rnd.randrange(1, 8)]
    elif kind == 6:  # force option 52 with any value
        if n >= 240:
            b[240:240] = bytes((52, rnd.choice((1, 1, 1, 2)), rnd.choice((1, 2, 3, 0, 4, 255))))
    elif kind == 7:  # garbage in sname and/or file
        if n >= 236:
            lo, hi = rnd.choice(((44, 108), (108, 236), (44, 236)))
            for i in range(lo, hi):
                b[i] = rnd.getrandbits(8)
    else:  # option-shaped garbage appended before the end
        code = rnd.choice((3, 12, 52, 53, 55, 81, 82, 119, 121, 125, rnd.randrange(256)))
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 20)))
        at = rnd.randrange(min(n, 240), n + 1)
        b[at:at] = bytes((code, rnd.choice((len(body), rnd.getrandbits(8))))) + body
    return bytes(b)


def _length_bytes(b):
    out = []
    i = 240
    n = len(b)
    while i + 1 < n and len(out) < 64:
        c = b[i]
        if c == 0:
            i += 1
            continue
        if c == 255:
            break
        out.append(i + 1)
        i += 2 + b[i + 1]
    return out


def seed_packets():
    from tests.wire import vectors

    seeds = [vectors.h(v["hex"]) for v in vectors.CAPTURED]
    p = P.Packet(op=2, xid=1)
    p.set(53, b"\x05")
    p.set(82, bytes.fromhex("010400010002" + "0203616263"))
    p.set(121, bytes.fromhex("190ae500800ae5000100c0a80101"))
    p.set(224, b"x" * 250)
    p.set(225, b"y" * 100)
    p.set(119, bytes.fromhex("03656e67056170706c6503636f6d00096d61726b6574696e67c004"))
    seeds.append(P.encode(p))
    return seeds


def check(data):
    """Decode and look inside: (exception that is not a DecodeError or None, decoded?)."""
    try:
        p = P.decode(data)
        for code in p.option_order:
            defn = options4.by_code(code)
            if defn is not None:
                try:
                    optiondef.wire_to_text(defn, p.options[code])
                except DecodeError:
                    pass
        rai = p.options.get(82)
        if rai is not None:
            try:
                P.parse_suboptions(rai)
            except DecodeError:
                pass
    except DecodeError:
        return None, False
    except Exception as e:  # noqa: BLE001 - that is what we are looking for
        return e, False
    return None, True


def main(argv=None):
    ap = argparse.ArgumentParser(description="fuzz edge.wire.pkt4.decode")
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=2131)
    ap.add_argument("--show", type=int, default=5, help="crashing inputs to print")
    args = ap.parse_args(argv)
    rnd = random.Random(args.seed)
    seeds = seed_packets()
    header = seeds[0][:236]
    tried = 0
    crashes = 0
    decoded = 0
    for k in range(args.count):
        mode = k % 8
        if mode == 0:
            data = rnd.randbytes(rnd.randrange(0, 600))
        elif mode == 1:
            data = header + P.MAGIC_COOKIE + rnd.randbytes(rnd.randrange(0, 400))
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
