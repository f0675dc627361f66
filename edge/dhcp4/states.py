"""Which state is a client in when it sends a DHCPREQUEST? (RFC 2131 section 4.3.2, table 4)

The answer decides everything the server does with the request, so it is a table you can read:

    state        option 54 (server id)   option 50 (requested ip)   ciaddr    sent to
    SELECTING    present                 present                    zero      broadcast
    INIT-REBOOT  absent                  present                    zero      broadcast
    RENEWING     absent                  absent                     set       unicast to us
    REBINDING    absent                  absent                     set       broadcast

What the server then does:
    SELECTING    option 54 names us: ACK the requested address if it is still free for the client, else
                 NAK. Names another server: the client chose someone else; drop our offer, stay silent.
    INIT-REBOOT  requested address not on the client's network: NAK. Leased to this client: ACK.
                 Leased to another client: NAK. Unknown to us: ACK if free and we are authoritative,
                 else stay silent (another server may know the client).
    RENEWING /   leased to this client: extend and ACK. Leased to another client or not on this network:
    REBINDING    NAK. Unknown but free: ACK it (we may have lost the lease; Kea does the same).

Clients in the wild do not always follow the table (some send option 50 while renewing, some omit it in
SELECTING). Rows are matched in order with the loosest checks last, so every REQUEST lands in one state.
"""

from __future__ import annotations

SELECTING = "SELECTING"
INIT_REBOOT = "INIT-REBOOT"
RENEWING = "RENEWING"
REBINDING = "REBINDING"
INVALID = "INVALID"

# (has server id, has requested ip, has ciaddr, broadcast) -> state; None matches anything.
_TABLE: tuple[tuple[bool | None, bool | None, bool | None, bool | None, str], ...] = (
    (True, True, False, None, SELECTING),
    (False, True, False, None, INIT_REBOOT),
    (False, None, True, False, RENEWING),
    (False, None, True, True, REBINDING),
    # Lenient rows for clients that bend the rules.
    (True, None, True, None, RENEWING),
    (True, False, False, None, INVALID),
    (None, None, None, None, INVALID),
)


def _match(facts: tuple[bool, bool, bool, bool]) -> str:
    for row in _TABLE:
        if all(want is None or want == have for want, have in zip(row[:4], facts, strict=True)):
            return row[4]
    return INVALID


# The table's answer for each of the 16 combinations, read once (every REQUEST asks).
_ANSWERS = {
    (a, b, c, d): _match((a, b, c, d))
    for a in (False, True)
    for b in (False, True)
    for c in (False, True)
    for d in (False, True)
}


def request_state(has_server_id: bool, has_requested_ip: bool, has_ciaddr: bool, broadcast: bool) -> str:
    return _ANSWERS[(bool(has_server_id), bool(has_requested_ip), bool(has_ciaddr), bool(broadcast))]
