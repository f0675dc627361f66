"""ISC Kea 2.2 kea-dhcp6 as the reference DHCPv6 server in a lab namespace.

Rules this module keeps:
- Kea writes only inside its own directory under the lab's temp dir: the config, the memfile lease6 CSV,
  the server-id file (`data-directory`), the control socket, and (KEA_PIDFILE_DIR / KEA_LOCKFILE_DIR)
  its pid and logger lock files. No LFC (lfc-interval 0); logging to stdout (captured by Lab.popen).
- The config is a Python dict in Kea's own Dhcp6 dialect, so a test reads like the Kea documentation;
  `extra` adds or replaces any global key.
- The control socket is used directly, one JSON command per connection (Kea answers and closes).

Theory of operation:
`Kea6Server(...).start()` writes the config, starts kea-dhcp6 in the server namespace and waits for its
DHCP6_STARTED log line (or fails with Kea's output if it exits first). Kea appends a CSV line per lease
change; `lease_rows()` returns them all, `leases()` the current state per (address, lease_type) without
released rows (valid_lifetime 0). `command()` talks to the control socket; `statistics()` flattens
statistic-get-all to {name: latest value}. `server_id()` reads the persisted DUID file.
"""

from __future__ import annotations

import csv
import itertools
import json
import shutil
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.lab.netns import Lab, LabError, Proc

KEA_DHCP6 = "kea-dhcp6"
_ids = itertools.count(1)


def available() -> bool:
    return shutil.which(KEA_DHCP6) is not None or Path("/usr/sbin/kea-dhcp6").exists()


def lease_cmds_hook() -> dict[str, Any]:
    """The hooks-libraries entry that loads Kea's lease_cmds (lease6-* commands) from Debian's package."""
    found = sorted(Path("/usr/lib").glob("*/kea/hooks/libdhcp_lease_cmds.so"))
    if not found:
        raise LabError("libdhcp_lease_cmds.so (kea-dhcp6-server's hooks) not found under /usr/lib")
    return {"library": str(found[0])}


def subnet6(
    subnet_id: int,
    prefix: str,
    pools: Sequence[str] = (),
    *,
    pd_pools: Sequence[dict[str, Any]] = (),
    dns: str | None = None,
    domain_search: str | None = None,
    interface: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One `subnet6` entry; keys with underscores in `extra` are spelt with dashes (rapid_commit ...)."""
    options = []
    for name, value in (("dns-servers", dns), ("domain-search", domain_search)):
        if value is not None:
            options.append({"name": name, "data": value})
    entry: dict[str, Any] = {"id": subnet_id, "subnet": prefix, "pools": [{"pool": p} for p in pools]}
    if pd_pools:
        entry["pd-pools"] = list(pd_pools)
    if options:
        entry["option-data"] = options
    if interface is not None:
        entry["interface"] = interface
    entry.update({k.replace("_", "-"): v for k, v in extra.items()})
    return entry


def pd_pool(prefix: str, prefix_len: int, delegated_len: int, **extra: Any) -> dict[str, Any]:
    return {
        "prefix": prefix,
        "prefix-len": prefix_len,
        "delegated-len": delegated_len,
        **{k.replace("_", "-"): v for k, v in extra.items()},
    }


def send_command(path: str | Path, command: str, arguments: dict[str, Any] | None = None) -> Any:
    """One command on a Kea unix control socket; returns the decoded answer (a dict, or a list of them)."""
    request: dict[str, Any] = {"command": command}
    if arguments is not None:
        request["arguments"] = arguments
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(15)
        sock.connect(str(path))
        sock.sendall(json.dumps(request).encode())
        chunks = []
        while True:
            try:
                data = sock.recv(1 << 16)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
            try:  # Kea 2.2 closes after answering; a complete JSON text is also the end
                return json.loads(b"".join(chunks))
            except json.JSONDecodeError:
                continue
    raise LabError(f"no complete answer to {command!r} from {path}: {b''.join(chunks)[:500]!r}")


class Kea6Server:
    def __init__(
        self,
        lab: Lab,
        ns: str,
        *,
        interfaces: Sequence[str],
        subnets: Sequence[dict[str, Any]] = (),
        preferred_lifetime: int | None = None,
        valid_lifetime: int | None = None,
        renew_timer: int | None = None,
        rebind_timer: int | None = None,
        server_id: dict[str, Any] | None = None,
        debug: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.lab = lab
        self.ns = ns
        self.dir = lab.tmp / f"kea6-{next(_ids)}"
        self.dir.mkdir()
        self.config_path = self.dir / "kea-dhcp6.json"
        self.lease_path = self.dir / "kea-leases6.csv"
        self.socket_path = self.dir / "kea6.sock"
        dhcp6: dict[str, Any] = {
            "interfaces-config": {"interfaces": list(interfaces)},
            "lease-database": {
                "type": "memfile",
                "persist": True,
                "name": str(self.lease_path),
                "lfc-interval": 0,
            },
            "data-directory": str(self.dir),
            "control-socket": {"socket-type": "unix", "socket-name": str(self.socket_path)},
            "subnet6": list(subnets),
            "loggers": [
                {
                    "name": "kea-dhcp6",
                    "output_options": [{"output": "stdout", "flush": True}],
                    "severity": "DEBUG" if debug else "INFO",
                    "debuglevel": 99 if debug else 0,
                }
            ],
        }
        for key, value in (
            ("preferred-lifetime", preferred_lifetime),
            ("valid-lifetime", valid_lifetime),
            ("renew-timer", renew_timer),
            ("rebind-timer", rebind_timer),
            ("server-id", server_id),
        ):
            if value is not None:
                dhcp6[key] = value
        dhcp6.update(extra or {})
        self.config = {"Dhcp6": dhcp6}
        self.proc: Proc | None = None

    @property
    def server_id_path(self) -> Path:
        return self.dir / "kea-dhcp6-serverid"

    def start(self, timeout: float = 20.0) -> Kea6Server:
        self.config_path.write_text(json.dumps(self.config, indent=2))
        env = {"KEA_PIDFILE_DIR": str(self.dir), "KEA_LOCKFILE_DIR": str(self.dir)}
        self.proc = self.lab.popen(
            self.ns, [KEA_DHCP6, "-c", str(self.config_path)], env=env, name="kea-dhcp6"
        )
        deadline = time.monotonic() + timeout
        while "DHCP6_STARTED" not in self.proc.output():
            if self.proc.poll() is not None or time.monotonic() >= deadline:
                self.proc.stop()
                raise LabError(f"kea-dhcp6 did not start; output:\n{self.proc.output()}")
            time.sleep(0.05)
        return self

    def check_config(self) -> tuple[int, str]:
        """`kea-dhcp6 -t` on the config (in the server namespace): (exit code, output)."""
        self.config_path.write_text(json.dumps(self.config, indent=2))
        env = {"KEA_PIDFILE_DIR": str(self.dir), "KEA_LOCKFILE_DIR": str(self.dir)}
        done = self.lab.run(self.ns, [KEA_DHCP6, "-t", str(self.config_path)], check=False, env=env)
        return done.returncode, done.stdout + done.stderr

    def output(self) -> str:
        return self.proc.output() if self.proc is not None else ""

    def command(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = send_command(self.socket_path, command, arguments)
        return answer[0] if isinstance(answer, list) else answer

    def statistics(self) -> dict[str, Any]:
        """statistic-get-all as {name: latest value}."""
        answer = self.command("statistic-get-all")
        return {name: samples[0][0] for name, samples in answer.get("arguments", {}).items() if samples}

    def server_id(self) -> str | None:
        try:
            return self.server_id_path.read_text()
        except FileNotFoundError:
            return None

    def lease_rows(self) -> list[dict[str, str]]:
        """Every line of the lease6 memfile, oldest first."""
        try:
            with open(self.lease_path, newline="") as handle:
                return list(csv.DictReader(handle))
        except FileNotFoundError:
            return []

    def lease_header(self) -> list[str]:
        try:
            with open(self.lease_path) as handle:
                return handle.readline().strip().split(",")
        except FileNotFoundError:
            return []

    def leases(self) -> dict[tuple[str, str], dict[str, str]]:
        """Current leases by (address, lease_type): the last line per key, minus released ones."""
        current: dict[tuple[str, str], dict[str, str]] = {}
        for row in self.lease_rows():
            current[(row["address"], row["lease_type"])] = row
        return {k: r for k, r in current.items() if r.get("valid_lifetime") not in ("0", None)}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()

    def __enter__(self) -> Kea6Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
