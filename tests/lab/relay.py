"""ISC dhcrelay in the lab's relay namespace.

Rules this module keeps:
- The relay runs in the foreground (-d) under `Lab.popen`, with its pid file in the lab's temp dir (never
  /run/dhcrelay.pid), so the lab owns and kills it.
- Downstream (client-facing) interfaces are given with -id and upstream (server-facing) ones with -iu, so
  the relay only accepts requests from clients on -id interfaces and replies from servers on -iu ones.
- `agent_options=True` adds -a: the relay appends option 82 with a circuit-id sub-option carrying the name
  of the interface the request came in on (ISC sends no remote-id unless told to), and strips option 82
  from the server's replies.

Theory of operation:
dhcrelay listens on each interface with a packet socket (LPF) and forwards each client broadcast as a
unicast to every server address given, setting giaddr to the address of the downstream interface. The
server answers giaddr:67, which the relay turns back into a broadcast or unicast to the client. `start()`
waits until dhcrelay has reported that it listens on every interface it was given.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from tests.lab.netns import Lab, LabError, Proc


class DhcpRelay:
    def __init__(
        self,
        lab: Lab,
        ns: str,
        *,
        downstream: Sequence[str],
        upstream: Sequence[str],
        servers: Sequence[str],
        agent_options: bool = True,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.lab = lab
        self.ns = ns
        self.downstream = list(downstream)
        self.upstream = list(upstream)
        self.servers = [str(s) for s in servers]
        self.agent_options = agent_options
        self.extra_args = list(extra_args)
        self.pidfile = lab.tmp / f"dhcrelay-{ns}.pid"
        self.proc: Proc | None = None

    @property
    def argv(self) -> list[str]:
        argv = ["dhcrelay", "-4", "-d", "-pf", str(self.pidfile)]
        if self.agent_options:
            argv.append("-a")
        for ifname in self.downstream:
            argv += ["-id", ifname]
        for ifname in self.upstream:
            argv += ["-iu", ifname]
        return [*argv, *self.extra_args, *self.servers]

    def start(self, timeout: float = 15.0) -> DhcpRelay:
        self.proc = self.lab.popen(self.ns, self.argv, name="dhcrelay")
        expected = [f"Listening on LPF/{name}/" for name in self.downstream + self.upstream]
        deadline = time.monotonic() + timeout
        while True:
            output = self.proc.output()
            if all(line in output for line in expected):
                return self
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                self.proc.stop()
                raise LabError(f"dhcrelay did not start ({self.argv}); output:\n{output}")
            time.sleep(0.05)

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def __enter__(self) -> DhcpRelay:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
