"""The journal's fast record encoder (`encode_put`, what every ACK writes) against the general one.

`encode_put(lease)` must write exactly the bytes `encode_record({"op": "put", "lease": lease.to_doc()})`
writes, for any lease: host names with quotes, backslashes, control characters and non-ASCII text, empty
and absent client-ids, user contexts, the largest field values, and leases whose fields have unusual
types (which take the general path). The line must also read back through `decode_line`.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.dhcp4.lease import Lease
from edge.dhcp4.lease_record import encode_put
from edge.leases.journal import decode_line, encode_record


def general(lease: Lease) -> bytes:
    return encode_record({"op": "put", "lease": lease.to_doc()})


leases = st.builds(
    Lease,
    address=st.integers(1, 2**32 - 2),
    hwaddr=st.binary(max_size=20),
    client_id=st.one_of(st.none(), st.binary(max_size=40)),
    valid_lifetime=st.integers(0, 2**32 - 1),
    cltt=st.integers(0, 2**40),
    subnet_id=st.integers(0, 2**32 - 1),
    hostname=st.text(max_size=40),
    state=st.integers(0, 2),
    fqdn_fwd=st.booleans(),
    fqdn_rev=st.booleans(),
    user_context=st.one_of(
        st.none(),
        st.just({}),
        st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    ),
)


@settings(max_examples=500, deadline=None)
@given(leases)
def test_encode_put_writes_what_the_general_encoder_writes(lease: Lease) -> None:
    line = encode_put(lease)
    assert line == general(lease)
    assert decode_line(line.rstrip(b"\n")) == {"op": "put", "lease": lease.to_doc()}


def test_awkward_host_names_and_unusual_types() -> None:
    base = dict(
        hwaddr=b"\x02\x00\x00\x00\x00\x01", client_id=b"\x01abc", valid_lifetime=3600, cltt=10, subnet_id=1
    )
    for hostname in ('say "hi"', "back\\slash", "tab\there", "new\nline", "café", "\u2028", "\x00"):
        lease = Lease(0xC0000201, hostname=hostname, **base)
        assert encode_put(lease) == general(lease)
    # Field types a caller might pass that the fast path does not take: the general path, same bytes.
    for field, value in (
        ("fqdn_fwd", 1),
        ("valid_lifetime", True),
        ("hwaddr", bytearray(b"\x02\x01")),
        ("client_id", bytearray(b"\x01")),
    ):
        lease = Lease(0xC0000201, **base)
        setattr(lease, field, value)
        assert encode_put(lease) == general(lease)
