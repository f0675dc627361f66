"""High Availability: a partner for Kea 2.2's HA hook library (libdhcp_ha.so), and edge-dhcp pairs.

Rooms (each file one idea):
  config.py   Kea's HA block read where Kea has it (hooks-libraries -> libdhcp_ha.so -> high-availability)
  states.py   the state machine as a table: Kea 2.2's states, what each serves, the transitions
  scopes.py   the load-balancing hash (RFC 3074, as Kea's QueryFilter) and the scopes a server answers
  service.py  the partner link inside the server's loop: commands a partner sends, heartbeats, lease
              updates with the client's reply held until the partner answered, lease sync
  link.py     HTTP/1.1 with keep-alive both ways: the peer-facing listener and the client worker
"""
