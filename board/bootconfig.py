#!/usr/bin/python3.11
"""Apply the settings a person left on the Pi's FAT boot partition; runs at every boot, before the network.

Installed in the image as /usr/lib/edge-dhcp-board/bootconfig.py and run by edge-dhcp-boot-config.service
(before systemd-networkd, ssh, edge-dhcp and any login). Standard library only: it runs on the board.

Rules this module keeps:
- The boot partition is where a person edits settings from a laptop, so a file there wins when it is NEW
  OR CHANGED since it was last applied (its sha256 is recorded in /var/lib/edge-dhcp-board/applied.json);
  an unchanged file is not re-applied, so changes made on the Pi itself (say, a key added over SSH) stay.
- Nothing invalid is applied: edge-dhcp.json and edge-dhcp6.json must pass `edge-dhcp check` and hold the
  family their name says (Dhcp4, Dhcp6); network.txt, hostname.txt and
  authorized_keys are parsed and refused line by line with the reason. A refused file leaves the running
  setting as it was, and the reasons are written to `edge-dhcp-errors.txt` on the boot partition (so the
  laptop that wrote the file shows why) and to the console. That file is removed once all is well; the
  boot partition is not written otherwise (FAT and power cuts do not mix well).
- No default password: the root account stays locked (console login impossible) until password.txt
  gives one (plain text, or a crypt(3) hash starting with `$`); an authorized_keys file allows SSH with a
  key. password.txt is erased from the boot partition once applied, so the password does not stay
  readable there.
- Each file is applied by writing a temporary file and renaming it over the old one, so a power cut
  leaves the old or the new setting, never half of one.
- DHCPv6 is served only while edge-dhcp6.json is on the boot partition: once applied, it is installed as
  /etc/edge-dhcp/edge-dhcp6.json, which makes edge-dhcp.service start `serve -c <v4 file> -c <v6 file>`
  (one process, both families; see cross/debian/edge-dhcp.service) and gives eth0 its IPv6 link-local
  address (a DHCPv6 server answers from it). Deleting the file from the boot partition turns DHCPv6 off
  again at the next boot (the installed copy is removed); edge-dhcp.json has no such step, it is shipped.
- First boot only: SSH host keys are generated (the image carries none: every card gets its own), and the
  root partition and its ext4 file system are grown to fill the card.

Theory of operation: `BootConfig(root, boot).apply()` runs each `Setting` in `SETTINGS` (the table of boot
partition files: name, handler); each handler returns the messages to report, or raises `Refused`. Paths
are relative to `root`, and external commands go through `self.run`, so the host's tests can run all of
it against a directory tree (tests/board/test_bootconfig.py).

Boot-partition files:
  edge-dhcp.json    the server's DHCPv4 configuration (Kea dialect) -> /etc/edge-dhcp/edge-dhcp.json
  edge-dhcp6.json   (optional) its DHCPv6 configuration (Kea's Dhcp6 dialect) -> /etc/edge-dhcp/edge-dhcp6.json
  network.txt       the Pi's own address: `address=192.168.4.1/24` (or `dhcp`), gateway=, dns=, interface=
  hostname.txt      the host name (one line)
  authorized_keys   SSH public keys for root -> /root/.ssh/authorized_keys
  password.txt      root's password (console and SSH); erased once applied
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

STATE = "var/lib/edge-dhcp-board/applied.json"
ERRORS = "edge-dhcp-errors.txt"
NETWORK_UNIT = "etc/systemd/network/10-edge-dhcp-lan.network"
EDGE_CONFIG = "etc/edge-dhcp/edge-dhcp.json"
EDGE_CONFIG6 = "etc/edge-dhcp/edge-dhcp6.json"
HOSTNAME_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
NETWORK_KEYS = ("interface", "address", "gateway", "dns")


class Refused(Exception):
    """A boot-partition file that is not applied; the message says why (one reason per line)."""


def log(message: str) -> None:
    print(f"edge-dhcp-boot-config: {message}", flush=True)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.new")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- parsing (pure functions) ----------------------------------------------------------------------------


def parse_network(text: str) -> dict[str, str]:
    """network.txt as a dict (interface, address, gateway, dns); Refused listing every bad line."""
    values: dict[str, str] = {"interface": "eth0", "address": "dhcp"}
    problems = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        key = key.lower()
        if not sep or key not in NETWORK_KEYS:
            problems.append(
                f"network.txt line {number}: expected one of {', '.join(k + '=' for k in NETWORK_KEYS)}, got {raw.strip()!r}"
            )
            continue
        values[key] = value
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", values["interface"]):
        problems.append(f"network.txt: interface={values['interface']!r} is not an interface name")
    address = values["address"]
    if address.lower() != "dhcp":
        try:
            iface = ipaddress.IPv4Interface(address)
        except ValueError:
            problems.append(
                f"network.txt: address={address!r} is neither dhcp nor an IPv4 address with prefix (192.168.4.1/24)"
            )
        else:
            if "/" not in address:
                problems.append(f"network.txt: address={address!r} needs a prefix length, e.g. {address}/24")
            elif iface.network.prefixlen >= 31 or iface.ip in (
                iface.network.network_address,
                iface.network.broadcast_address,
            ):
                problems.append(
                    f"network.txt: address={address!r} is not a usable host address in its network"
                )
    for key in ("gateway",):
        if values.get(key):
            try:
                ipaddress.IPv4Address(values[key])
            except ValueError:
                problems.append(f"network.txt: {key}={values[key]!r} is not an IPv4 address")
    servers = re.split(r"[\s,]+", values.get("dns", "").strip()) if values.get("dns", "").strip() else []
    for server in servers:
        try:
            ipaddress.IPv4Address(server)
        except ValueError:
            problems.append(f"network.txt: dns server {server!r} is not an IPv4 address")
    if problems:
        raise Refused("\n".join(problems))
    values["dns"] = " ".join(servers)
    return values


def network_unit(values: dict[str, str], dhcp6: bool = False) -> str:
    """The systemd-networkd .network file for parsed network.txt values. With `dhcp6` (edge-dhcp serves
    DHCPv6) the interface keeps its IPv6 link-local address: DHCPv6 servers answer from it."""
    lines = [
        "# Written by edge-dhcp-boot-config from network.txt on the boot partition; edit that file instead.",
        "[Match]",
        f"Name={values['interface']}",
        "",
        "[Network]",
        "LinkLocalAddressing=ipv6" if dhcp6 else "LinkLocalAddressing=no",
        "IPv6AcceptRA=no",
    ]
    if values["address"].lower() == "dhcp":
        lines.append("DHCP=ipv4")
    else:
        # Keep the address while the cable is out: edge-dhcp picks its subnet by the interface's address.
        lines += ["ConfigureWithoutCarrier=yes", f"Address={values['address']}"]
        if values.get("gateway"):
            lines.append(f"Gateway={values['gateway']}")
    return "\n".join(lines) + "\n"


def parse_hostname(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if len(lines) != 1:
        raise Refused("hostname.txt: expected one line with the host name")
    name = lines[0]
    labels = name.split(".")
    if len(name) > 253 or not all(HOSTNAME_RE.match(label) for label in labels):
        raise Refused(
            f"hostname.txt: {name!r} is not a valid host name (letters, digits, hyphens; 63 per label)"
        )
    return name


def parse_authorized_keys(text: str) -> str:
    keep, problems = [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        # Options (from="...",no-pty ...) may precede the key type.
        if not any(field in KEY_TYPES for field in fields[:3]):
            problems.append(
                f"authorized_keys line {number}: not an SSH public key (expected ssh-ed25519 AAAA... or ssh-rsa ...)"
            )
            continue
        if "PRIVATE KEY" in line:
            problems.append(f"authorized_keys line {number}: a private key; put the PUBLIC key (.pub) here")
            continue
        keep.append(line)
    if "PRIVATE KEY" in text and not any("PRIVATE KEY" in p for p in problems):
        problems.append("authorized_keys: contains a private key; put the PUBLIC key (.pub file) here")
    if problems:
        raise Refused("\n".join(problems))
    if not keep:
        raise Refused("authorized_keys: no key in the file")
    return "\n".join(keep) + "\n"


_FAMILY_KEY_RE = re.compile(r'"(Dhcp4|Dhcp6|DhcpDdns|Control-agent)"\s*:')


def strip_comments(text: str) -> str:
    """Kea-dialect text without its comments (`#` and `//` to the end of the line, `/* ... */`); strings,
    with their escapes, are kept as they are. Line ends are kept, so positions by line still hold."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif char == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            out.append("\n" * text.count("\n", i, n if end < 0 else end))
            i = n if end < 0 else end + 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def config_family(text: str) -> str | None:
    """Which Kea daemon a configuration (already accepted by `edge-dhcp check`, so one daemon's) is for:
    "Dhcp4", "Dhcp6", ...; None when no daemon's section is found."""
    bare = strip_comments(text)
    try:
        doc = json.loads(bare)
    except ValueError:  # e.g. <?include ...?>: the first daemon key in the text
        match = _FAMILY_KEY_RE.search(bare)
        return match.group(1) if match else None
    if isinstance(doc, dict):
        for key in doc:
            if _FAMILY_KEY_RE.fullmatch(f'"{key}":'):
                return key
    return None


# -- applying --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    filename: str  # on the boot partition
    handler: str  # BootConfig method name
    track: bool = True  # applied only when new or changed (False: derived every boot)
    removed: str | None = None  # BootConfig method run once when a file applied before is gone


# network.txt comes after the edge-dhcp files: whether eth0 keeps its IPv6 link-local address depends on
# DHCPv6 being served.
SETTINGS: tuple[Setting, ...] = (
    Setting("hostname.txt", "apply_hostname"),
    Setting("authorized_keys", "apply_authorized_keys"),
    Setting("password.txt", "apply_password", track=False),  # one-shot: erased once applied
    Setting("edge-dhcp.json", "apply_edge_config"),
    Setting("edge-dhcp6.json", "apply_edge_config6", removed="remove_edge_config6"),
    Setting("network.txt", "apply_network", track=False),
)


class BootConfig:
    def __init__(
        self,
        root: Path = Path("/"),
        boot: Path | None = None,
        run: Callable[[Sequence[str], bytes | None], subprocess.CompletedProcess[bytes]] | None = None,
        check_command: Sequence[str] = ("/usr/sbin/edge-dhcp", "check", "-c"),
    ) -> None:
        self.root = root
        self.boot = boot if boot is not None else root / "boot/firmware"
        self.run = run or self._run
        self.check_command = list(check_command)
        self.state_path = root / STATE
        try:
            self.applied: dict[str, str] = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            self.applied = {}

    @staticmethod
    def _run(argv: Sequence[str], stdin: bytes | None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(list(argv), input=stdin, capture_output=True, timeout=300)

    def path(self, inside: str) -> Path:
        return self.root / inside.lstrip("/")

    # -- the table's handlers: each returns what to report, or raises Refused --

    def apply_hostname(self, data: bytes) -> list[str]:
        name = parse_hostname(data.decode("utf-8", "replace"))
        write_atomic(self.path("/etc/hostname"), (name + "\n").encode())
        hosts = self.path("/etc/hosts")
        try:
            lines = hosts.read_text().splitlines()
        except OSError:
            lines = ["127.0.0.1\tlocalhost"]
        short = name.split(".")[0]
        entry = f"127.0.1.1\t{name}" + (f"\t{short}" if short != name else "")
        lines = [line for line in lines if not line.startswith("127.0.1.1")] + [entry]
        write_atomic(hosts, ("\n".join(lines) + "\n").encode())
        if self.root == Path("/"):
            import socket

            socket.sethostname(name)
        return [f"host name set to {name}"]

    def apply_network(self, data: bytes | None) -> list[str]:
        values = parse_network(data.decode("utf-8", "replace") if data is not None else "")
        dhcp6 = self.path(EDGE_CONFIG6).is_file()
        unit = network_unit(values, dhcp6).encode()
        target = self.path(NETWORK_UNIT)
        if not target.exists() or target.read_bytes() != unit:
            write_atomic(target, unit)
        if values["dns"]:
            resolv = "".join(f"nameserver {s}\n" for s in values["dns"].split()).encode()
            path = self.path("/etc/resolv.conf")
            if path.is_symlink() or not path.exists() or path.read_bytes() != resolv:
                if path.is_symlink():
                    path.unlink()
                write_atomic(path, resolv)
        how = "DHCP client" if values["address"].lower() == "dhcp" else values["address"]
        return [
            f"{values['interface']}: {how}"
            + (f", gateway {values['gateway']}" if values.get("gateway") else "")
            + (", IPv6 link-local address (DHCPv6 is served)" if dhcp6 else "")
        ]

    def apply_authorized_keys(self, data: bytes) -> list[str]:
        keys = parse_authorized_keys(data.decode("utf-8", "replace"))
        ssh_dir = self.path("/root/.ssh")
        ssh_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(ssh_dir, 0o700)
        write_atomic(ssh_dir / "authorized_keys", keys.encode(), 0o600)
        return [f"{keys.count(chr(10))} SSH key(s) installed for root"]

    def apply_password(self, data: bytes | None) -> list[str]:
        if data is None:
            return []
        lines = data.decode("utf-8", "replace").splitlines()
        password = lines[0].rstrip("\r") if lines else ""
        if not password:
            raise Refused("password.txt: the first line is empty; put the password (or a crypt hash) there")
        if ":" in password or "\n" in password:
            raise Refused("password.txt: a password cannot contain ':'")
        hashed = password.startswith("$")
        argv = ["chpasswd"] + (["-e"] if hashed else [])
        if self.root != Path("/"):
            argv += ["-R", str(self.root)]
        result = self.run(argv, f"root:{password}\n".encode())
        if result.returncode != 0:
            raise Refused(f"password.txt: chpasswd failed: {result.stderr.decode(errors='replace').strip()}")
        return ["root password set" + (" (from a hash)" if hashed else "") + "; console login enabled"]

    def apply_edge_config(self, data: bytes) -> list[str]:
        return self._install_config(data, "edge-dhcp.json", EDGE_CONFIG, "Dhcp4")

    def apply_edge_config6(self, data: bytes) -> list[str]:
        return self._install_config(data, "edge-dhcp6.json", EDGE_CONFIG6, "Dhcp6")

    def remove_edge_config6(self) -> list[str]:
        target = self.path(EDGE_CONFIG6)
        if not target.exists():
            return []
        target.unlink()
        return [f"gone from the boot partition: /{EDGE_CONFIG6} removed, DHCPv6 is not served"]

    def _install_config(self, data: bytes, name: str, inside: str, family: str) -> list[str]:
        """`name` from the boot partition to /`inside`, once `edge-dhcp check` accepts it as `family`'s."""
        target = self.path(inside)
        stays = "the previous configuration stays" if target.exists() else f"{family} is not served"
        candidate = target.with_name(f".{target.name}.candidate")
        write_atomic(candidate, data)
        result = self.run([*self.check_command, str(candidate)], None)
        if result.returncode != 0:
            candidate.unlink(missing_ok=True)
            report = (result.stdout + result.stderr).decode(errors="replace").replace(str(candidate), name)
            raise Refused(f"{name} is not valid; {stays}:\n" + report.strip())
        found = config_family(data.decode("utf-8", "replace"))
        if found != family:
            candidate.unlink(missing_ok=True)
            other = {"Dhcp4": "edge-dhcp.json", "Dhcp6": "edge-dhcp6.json"}.get(found or "")
            where = f"; a {found} configuration goes in {other}" if other else ""
            raise Refused(
                f"{name} holds no {family} configuration (found: {found or 'none'}){where}; {stays}"
            )
        os.replace(candidate, target)
        return [f"{name} installed as /{inside}"]

    # -- first boot --

    def ssh_host_keys(self) -> list[str]:
        ssh = self.path("/etc/ssh")
        if not ssh.is_dir() or any(ssh.glob("ssh_host_*_key")):
            return []
        argv = ["ssh-keygen", "-A"] + (["-f", str(self.root)] if self.root != Path("/") else [])
        result = self.run(argv, None)
        if result.returncode != 0:
            raise Refused(f"ssh-keygen -A failed: {result.stderr.decode(errors='replace').strip()}")
        return ["SSH host keys generated"]

    def grow_root(self) -> list[str]:
        """Grow the root partition (the last one) and its ext4 file system to the end of the card, once."""
        marker = self.path("/var/lib/edge-dhcp-board/root-grown")
        if marker.exists() or self.root != Path("/"):
            return []
        source = self.run(["findmnt", "-n", "-o", "SOURCE", "/"], None).stdout.decode().strip()
        part = Path(os.path.realpath(source)).name
        sys_part = Path("/sys/class/block") / part
        if not (sys_part / "partition").exists():
            raise Refused(f"cannot grow the root file system: {source} is not a partition")
        number = int((sys_part / "partition").read_text())
        disk = sys_part.resolve().parent.name
        disk_sectors = int((Path("/sys/class/block") / disk / "size").read_text())
        start = int((sys_part / "start").read_text())
        size = int((sys_part / "size").read_text())
        free = disk_sectors - (start + size)
        messages = []
        if free > 2048 * 16:  # more than 16 MiB to gain
            table = self.run(
                ["sfdisk", "--force", "--no-reread", "--no-tell-kernel", "-N", str(number), f"/dev/{disk}"],
                b", +\n",
            )
            if table.returncode != 0:
                raise Refused(
                    f"growing partition {number} of /dev/{disk} failed: {table.stderr.decode(errors='replace').strip()}"
                )
            told = self.run(["partx", "-u", "-n", str(number), f"/dev/{disk}"], None)
            if told.returncode != 0:
                raise Refused(
                    f"the kernel did not take the new partition size: {told.stderr.decode(errors='replace').strip()}"
                )
            messages.append(f"root partition grown by {free * 512 // 2**20} MiB")
        grown = self.run(["resize2fs", f"/dev/{part}"], None)
        if grown.returncode != 0:
            raise Refused(f"resize2fs /dev/{part} failed: {grown.stderr.decode(errors='replace').strip()}")
        write_atomic(marker, b"")
        return messages + ["root file system fills its partition"]

    # -- the whole run --

    def apply(self) -> int:
        problems: list[str] = []
        changed = False
        for step in (self.ssh_host_keys, self.grow_root):
            try:
                for message in step():
                    log(message)
            except (Refused, OSError, ValueError) as exc:
                problems.append(str(exc))
        for setting in SETTINGS:
            path = self.boot / setting.filename
            try:
                data = path.read_bytes() if path.is_file() else None
            except OSError as exc:
                problems.append(f"{setting.filename}: cannot read it: {exc.strerror}")
                continue
            if setting.track:
                if data is None:
                    if setting.removed and self.applied.pop(setting.filename, None) is not None:
                        changed = True
                        try:
                            for message in getattr(self, setting.removed)():
                                log(f"{setting.filename}: {message}")
                        except OSError as exc:
                            problems.append(f"{setting.filename}: {exc.strerror or exc}")
                    continue
                digest = hashlib.sha256(data).hexdigest()
                if self.applied.get(setting.filename) == digest:
                    continue
            try:
                for message in getattr(self, setting.handler)(data):
                    log(f"{setting.filename}: {message}")
            except Refused as exc:
                problems.append(str(exc))
                continue
            except OSError as exc:
                problems.append(f"{setting.filename}: {exc.strerror or exc}")
                continue
            if setting.track:
                self.applied[setting.filename] = digest
                changed = True
            if setting.filename == "password.txt" and data is not None:
                self.erase(path)
        if changed:
            write_atomic(self.state_path, json.dumps(self.applied, indent=1, sort_keys=True).encode())
        self.report(problems)
        return 1 if problems else 0

    def erase(self, path: Path) -> None:
        try:
            size = path.stat().st_size
            with open(path, "r+b") as handle:
                handle.write(b"\0" * size)
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            log(f"{path.name}: erased from the boot partition")
        except OSError as exc:
            log(f"{path.name}: could not erase it: {exc.strerror or exc}")

    def report(self, problems: list[str]) -> None:
        errors = self.boot / ERRORS
        if problems:
            text = (
                "Settings on this boot partition that were NOT applied (see the README):\n\n"
                + "\n\n".join(problems)
                + "\n"
            )
            for problem in problems:
                for line in problem.splitlines():
                    log(f"ERROR {line}")
            try:
                if not errors.exists() or errors.read_text() != text:
                    write_atomic(errors, text.encode())
            except OSError as exc:
                log(f"cannot write {ERRORS}: {exc.strerror or exc}")
        elif errors.exists():
            try:
                errors.unlink()
            except OSError as exc:
                log(f"cannot remove {ERRORS}: {exc.strerror or exc}")


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    root = Path(args[0]) if args else Path("/")
    return BootConfig(root).apply()


if __name__ == "__main__":
    sys.exit(main())
