"""ISC dhcrelay -6 in the lab's relay namespace.

Rules this module keeps:
- The relay runs in the foreground (-d) under Lab.popen, with its pid file in the lab's temp dir (never
  /run/dhcrelay6.pid), so the lab owns and kills it.
- Lower (client-facing) links are given as `-l [ADDR%]IFACE[#INDEX]` and upper (server-facing) ones as
  `-u ADDR%IFACE`: without an address dhcrelay sends to ff05::1:3, which Kea does not join, so the
  server's unicast address is always named. The lower interface needs a global address (dhcrelay puts it
  in RELAY-FORW's link-address field).
- `interface_id=True` adds -I: the interface-id option (18) is always sent, not only when there are
  several lower links.

Theory of operation:
dhcrelay joins ff02::1:2 on each lower link, wraps each client message in RELAY-FORW (link-address =
the lower link's global address, peer-address = the client's link-local one) and sends it to each upper
address; RELAY-REPL from the server is unwrapped and sent to the client at port 546. `start()` waits until
dhcrelay's output names every interface it was given.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from tests.lab.netns import Lab, LabError, Proc


class DhcpRelay6:
    def __init__(
        self,
        lab: Lab,
        ns: str,
        *,
        lower: Sequence[str],
        upper: Sequence[str],
        interface_id: bool = False,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.lab = lab
        self.ns = ns
        self.lower = list(lower)
        self.upper = list(upper)
        self.interface_id = interface_id
        self.extra_args = list(extra_args)
        self.pidfile = lab.tmp / f"dhcrelay6-{ns}.pid"
        self.proc: Proc | None = None

    @property
    def argv(self) -> list[str]:
        argv = ["dhcrelay", "-6", "-d", "-pf", str(self.pidfile)]
        if self.interface_id:
            argv.append("-I")
        for spec in self.lower:
            argv += ["-l", spec]
        for spec in self.upper:
            argv += ["-u", spec]
        return [*argv, *self.extra_args]

    @staticmethod
    def _ifname(spec: str) -> str:
        return spec.split("%")[-1].split("#")[0]

    def start(self, timeout: float = 15.0) -> DhcpRelay6:
        self.proc = self.lab.popen(self.ns, self.argv, name="dhcrelay6")
        names = [self._ifname(s) for s in self.lower + self.upper]
        deadline = time.monotonic() + timeout
        while True:
            output = self.proc.output()
            if all(f"/{name}" in output for name in names) and "Sending on" in output:
                return self
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                self.proc.stop()
                raise LabError(f"dhcrelay -6 did not start ({self.argv}); output:\n{output}")
            time.sleep(0.05)

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def __enter__(self) -> DhcpRelay6:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
