"""Kea-compatible delivery: NameChangeRequests sent to a Kea D2 daemon (kea-dhcp-ddns) over UDP, as
kea-dhcp4 sends them (`dhcp-ddns` server-ip/server-port, sender-ip/sender-port; NCR format JSON).

Rules this module keeps:
- The datagram is Kea's: a 2-octet length and the JSON text (edge/ddns/ncr.py), so D2 cannot tell us from
  kea-dhcp4 (the lab tests feed D2 from both).
- D2 does not acknowledge a request. The one failure UDP reveals is "nobody listens there": the kernel
  answers the datagram with ICMP port-unreachable, which a connected socket reports as ECONNREFUSED. So a
  request counts as delivered only when, after sending it, `confirm_wait` seconds pass without that
  error; otherwise it is RETRY and stays queued (D2 restarting or not yet started loses nothing). Once
  D2 has a request, D2 owns it: D2 2.2 keeps its own queue in memory and gives a request up when the DNS
  servers do not answer.
- Runs in the DDNS service's worker thread; it blocks at most `confirm_wait` per request.
"""

from __future__ import annotations

import contextlib
import errno
import socket

from edge.config.d2 import DdnsSettings
from edge.ddns.ncr import NameChangeRequest
from edge.ddns.outcome import DONE, FAILED, RETRY, Outcome

__all__ = ["D2Sender"]


class D2Sender:
    def __init__(self, settings: DdnsSettings, confirm_wait: float = 0.1) -> None:
        self.settings = settings
        self.confirm_wait = confirm_wait
        self._sock: socket.socket | None = None

    def _socket(self) -> socket.socket:
        if self._sock is None:
            family = socket.AF_INET6 if ":" in self.settings.server_ip else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                if self.settings.sender_port or self.settings.sender_ip not in ("", "0.0.0.0", "::"):
                    sock.bind((self.settings.sender_ip or "0.0.0.0", self.settings.sender_port))
                sock.connect((self.settings.server_ip, self.settings.server_port))
            except OSError:
                sock.close()
                raise
            self._sock = sock
        return self._sock

    def deliver(self, ncr: NameChangeRequest) -> Outcome:
        where = f"{self.settings.server_ip}:{self.settings.server_port}"
        try:
            sock = self._socket()
            sock.settimeout(None)
            sock.send(ncr.to_wire())
            sock.settimeout(self.confirm_wait)
            try:
                sock.recv(64)  # D2 never answers; only an ICMP error ends this wait early
            except TimeoutError:
                return Outcome(DONE)
            return Outcome(DONE, "unexpected datagram from D2 ignored")
        except ConnectionRefusedError:
            self.close()
            return Outcome(RETRY, f"nothing listens at {where} (is kea-dhcp-ddns running?)")
        except OSError as exc:
            self.close()
            if exc.errno in (errno.EMSGSIZE,):
                return Outcome(FAILED, f"request too large for UDP: {exc}")
            return Outcome(RETRY, f"cannot send to D2 at {where}: {exc.strerror or exc}")

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
