"""board/bootconfig.py (the first-boot applier that runs on the Pi) against a directory tree on this machine.

Nothing here touches this machine's /etc: every path is under a temp root. The two external programs that
change accounts and keys (chpasswd, ssh-keygen) are recorded, not run, because they would act on this
machine; edge-dhcp.json is checked by the real `edge-dhcp check`. The booted image (tests/board/
test_image.py) runs the same file with the real programs.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from board.bootconfig import (
    EDGE_CONFIG6,
    ERRORS,
    NETWORK_UNIT,
    STATE,
    BootConfig,
    Refused,
    config_family,
    network_unit,
    parse_authorized_keys,
    parse_hostname,
    parse_network,
    strip_comments,
)

REPO = Path(__file__).resolve().parents[2]
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBzP0rTw0y7E2ZUeUeUOh0rAnr0bHOT4Y6bqL0oF1qQx tester@laptop"
VALID_CONFIG = """// on the boot partition
{"Dhcp4": {"interfaces-config": {"interfaces": ["eth0"]},
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.100 - 192.0.2.150"}]}]}}
"""
VALID_CONFIG6 = """// on the boot partition: "Dhcp4" is named in this comment only
{"Dhcp6": {"interfaces-config": {"interfaces": ["eth0"]}, /* the Pi's own link */
  "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64", "interface": "eth0",
               "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}]}]}}
"""
UNIT = REPO / "cross/debian/edge-dhcp.service"


class Recorder:
    """Runs `edge-dhcp check` for real; records chpasswd/ssh-keygen (they would act on this machine)."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: list[tuple[list[str], bytes | None]] = []
        self.fail = fail or set()

    def __call__(self, argv: Sequence[str], stdin: bytes | None) -> subprocess.CompletedProcess[bytes]:
        argv = list(argv)
        self.calls.append((argv, stdin))
        if argv[0] == sys.executable:
            return subprocess.run(argv, input=stdin, capture_output=True, timeout=60)
        code = 1 if argv[0] in self.fail else 0
        return subprocess.CompletedProcess(argv, code, b"", b"simulated failure" if code else b"")

    def names(self) -> list[str]:
        return [argv[0] for argv, _ in self.calls if argv[0] != sys.executable]


def make_root(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "root"
    boot = root / "boot" / "firmware"
    for d in ("etc/edge-dhcp", "etc/ssh", "etc/systemd/network", "boot/firmware", "root"):
        (root / d).mkdir(parents=True)
    (root / "etc/edge-dhcp/edge-dhcp.json").write_text('{"Dhcp4": {}}  // shipped\n')
    (root / "etc/hostname").write_text("edge-dhcp\n")
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tedge-dhcp\n")
    (root / "etc/ssh/ssh_host_ed25519_key").write_text("(a key)")
    return root, boot


def apply(root: Path, boot: Path, recorder: Recorder | None = None) -> tuple[int, Recorder]:
    recorder = recorder or Recorder()
    check = [sys.executable, "-m", "edge", "check", "-c"]
    status = BootConfig(root, boot, run=recorder, check_command=check).apply()
    return status, recorder


def test_nothing_on_the_boot_partition_means_dhcp_on_eth0(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    status, recorder = apply(root, boot)
    assert status == 0
    unit = (root / NETWORK_UNIT).read_text()
    assert "Name=eth0" in unit and "DHCP=ipv4" in unit and "Address=" not in unit
    assert recorder.names() == []  # no password set, keys exist already
    assert not (boot / ERRORS).exists()


def test_every_file_applied_once(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    (boot / "edge-dhcp.json").write_text(VALID_CONFIG)
    (boot / "network.txt").write_text(
        "# the LAN\naddress=192.0.2.1/24\ngateway=192.0.2.254\ndns=192.0.2.53, 192.0.2.54\n"
    )
    (boot / "hostname.txt").write_text("dhcp-pi.lab.example\n")
    (boot / "authorized_keys").write_text(f"# mine\n{KEY}\n")
    (boot / "password.txt").write_text("correct horse\n")
    status, recorder = apply(root, boot)
    assert status == 0, (boot / ERRORS).read_text() if (boot / ERRORS).exists() else ""
    assert (root / "etc/edge-dhcp/edge-dhcp.json").read_text() == VALID_CONFIG
    unit = (root / NETWORK_UNIT).read_text()
    assert (
        "Address=192.0.2.1/24" in unit
        and "Gateway=192.0.2.254" in unit
        and "ConfigureWithoutCarrier=yes" in unit
    )
    assert (root / "etc/resolv.conf").read_text() == "nameserver 192.0.2.53\nnameserver 192.0.2.54\n"
    assert (root / "etc/hostname").read_text() == "dhcp-pi.lab.example\n"
    assert "127.0.1.1\tdhcp-pi.lab.example\tdhcp-pi" in (root / "etc/hosts").read_text()
    keys = root / "root/.ssh/authorized_keys"
    assert keys.read_text() == KEY + "\n"
    assert oct(keys.stat().st_mode & 0o777) == "0o600" and oct(keys.parent.stat().st_mode & 0o777) == "0o700"
    chpasswd = [(argv, stdin) for argv, stdin in recorder.calls if argv[0] == "chpasswd"]
    assert chpasswd == [(["chpasswd", "-R", str(root)], b"root:correct horse\n")]
    assert not (boot / "password.txt").exists(), "the password must not stay on the FAT partition"
    applied = json.loads((root / STATE).read_text())
    assert set(applied) == {"edge-dhcp.json", "hostname.txt", "authorized_keys"}

    # Second boot, nothing changed on the boot partition: nothing re-applied, a change made on the Pi stays.
    keys.write_text(KEY + "\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAddedOnThePi other@host\n")
    status, recorder = apply(root, boot)
    assert status == 0 and recorder.names() == []
    assert "AddedOnThePi" in keys.read_text()
    # Edited on the laptop: applied again.
    (boot / "edge-dhcp.json").write_text(VALID_CONFIG.replace("192.0.2.150", "192.0.2.160"))
    assert apply(root, boot)[0] == 0
    assert "192.0.2.160" in (root / "etc/edge-dhcp/edge-dhcp.json").read_text()


def test_invalid_edge_config_is_refused_and_explained_on_the_boot_partition(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    before = (root / "etc/edge-dhcp/edge-dhcp.json").read_text()
    (boot / "edge-dhcp.json").write_text('{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/33"}]}}\n')
    status, _ = apply(root, boot)
    assert status == 1
    assert (root / "etc/edge-dhcp/edge-dhcp.json").read_text() == before
    report = (boot / ERRORS).read_text()
    assert "edge-dhcp.json is not valid; the previous configuration stays" in report
    assert "edge-dhcp.json:1:" in report  # the checker's file:line:col, named as the person knows the file
    assert "subnet4[0]" in report
    assert not list((root / "etc/edge-dhcp").glob(".*candidate"))
    # Not recorded as applied: fixing it on the laptop applies it next boot, and the error file goes away.
    (boot / "edge-dhcp.json").write_text(VALID_CONFIG)
    assert apply(root, boot)[0] == 0
    assert (root / "etc/edge-dhcp/edge-dhcp.json").read_text() == VALID_CONFIG
    assert not (boot / ERRORS).exists()


def test_bad_network_txt_keeps_the_previous_network(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    (boot / "network.txt").write_text("address=192.0.2.1/24\n")
    assert apply(root, boot)[0] == 0
    good = (root / NETWORK_UNIT).read_text()
    (boot / "network.txt").write_text("address=192.0.2.1\nspeed=fast\n")
    assert apply(root, boot)[0] == 1
    assert (root / NETWORK_UNIT).read_text() == good
    report = (boot / ERRORS).read_text()
    assert "needs a prefix length" in report and "line 2" in report


def test_failed_chpasswd_keeps_password_txt(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    (boot / "password.txt").write_text("pw\n")
    status, _ = apply(root, boot, Recorder(fail={"chpasswd"}))
    assert status == 1
    assert (boot / "password.txt").exists()
    assert "chpasswd failed" in (boot / ERRORS).read_text()


def test_crypt_hash_is_passed_as_a_hash(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    hashed = "$y$j9T$abcdefgh$0123456789012345678901234567890123456789012"
    (boot / "password.txt").write_text(hashed + "\n")
    _, recorder = apply(root, boot)
    assert (["chpasswd", "-e", "-R", str(root)], f"root:{hashed}\n".encode()) in recorder.calls


def test_host_keys_generated_when_missing(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    (root / "etc/ssh/ssh_host_ed25519_key").unlink()
    _, recorder = apply(root, boot)
    assert (["ssh-keygen", "-A", "-f", str(root)], None) in recorder.calls


def test_parsers_refuse_with_reasons() -> None:
    assert parse_network("")["address"] == "dhcp"
    assert parse_network("address = DHCP")["address"] == "DHCP"
    for bad, reason in [
        ("address=192.0.2.0/24", "not a usable host"),
        ("address=192.0.2.255/24", "not a usable host"),
        ("address=300.1.1.1/24", "neither dhcp nor"),
        ("gateway=router", "not an IPv4 address"),
        ("dns=1.1.1.1 resolver", "dns server 'resolver'"),
        ("interface=eth0; rm -rf /", "not an interface name"),
        ("hello", "line 1"),
    ]:
        with pytest.raises(Refused, match=reason):
            parse_network(bad)
    assert "DHCP=ipv4" in network_unit(parse_network("interface=end0"))
    assert parse_hostname("# name\npi-1\n") == "pi-1"
    for bad in ("-pi", "pi_1", "a" * 64, "two\nlines", ""):
        with pytest.raises(Refused):
            parse_hostname(bad)
    assert parse_authorized_keys(f'from="192.0.2.0/24" {KEY}\n').startswith("from=")
    with pytest.raises(Refused, match="PUBLIC key"):
        parse_authorized_keys(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
        )
    with pytest.raises(Refused, match="no key"):
        parse_authorized_keys("# nothing\n")


def test_edge_dhcp6_json_turns_dhcpv6_on_and_its_removal_turns_it_off(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    (boot / "network.txt").write_text("address=192.0.2.1/24\n")
    assert apply(root, boot)[0] == 0
    assert "LinkLocalAddressing=no" in (root / NETWORK_UNIT).read_text()
    assert not (root / EDGE_CONFIG6).exists()

    (boot / "edge-dhcp6.json").write_text(VALID_CONFIG6)
    status, _ = apply(root, boot)
    assert status == 0, (boot / ERRORS).read_text() if (boot / ERRORS).exists() else ""
    assert (root / EDGE_CONFIG6).read_text() == VALID_CONFIG6
    assert json.loads((root / STATE).read_text())["edge-dhcp6.json"]
    unit = (root / NETWORK_UNIT).read_text()
    assert "LinkLocalAddressing=ipv6" in unit and "Address=192.0.2.1/24" in unit
    assert "IPv6AcceptRA=no" in unit
    assert (root / "etc/edge-dhcp/edge-dhcp.json").read_text() == '{"Dhcp4": {}}  // shipped\n'

    # Next boot, unchanged: nothing re-applied, DHCPv6 still on.
    assert apply(root, boot)[0] == 0
    assert (root / EDGE_CONFIG6).read_text() == VALID_CONFIG6

    # Deleted from the boot partition: the installed copy goes, and eth0's link-local address with it.
    (boot / "edge-dhcp6.json").unlink()
    assert apply(root, boot)[0] == 0
    assert not (root / EDGE_CONFIG6).exists()
    assert "edge-dhcp6.json" not in json.loads((root / STATE).read_text())
    assert "LinkLocalAddressing=no" in (root / NETWORK_UNIT).read_text()
    assert (root / "etc/edge-dhcp/edge-dhcp.json").exists()  # the v4 one is never removed


def test_edge_dhcp6_json_refused_when_invalid_or_of_the_other_family(tmp_path: Path) -> None:
    root, boot = make_root(tmp_path)
    (boot / "edge-dhcp6.json").write_text(
        '{"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8:1::/129"}]}}\n'
    )
    assert apply(root, boot)[0] == 1
    report = (boot / ERRORS).read_text()
    assert "edge-dhcp6.json is not valid; Dhcp6 is not served" in report and "edge-dhcp6.json:1:" in report
    assert not (root / EDGE_CONFIG6).exists()
    assert "LinkLocalAddressing=no" in (root / NETWORK_UNIT).read_text()
    assert not list((root / "etc/edge-dhcp").glob(".*candidate"))

    # A valid DHCPv4 file under the v6 name: `edge-dhcp check` accepts it, the family does not fit.
    (boot / "edge-dhcp6.json").write_text(VALID_CONFIG)
    assert apply(root, boot)[0] == 1
    report = (boot / ERRORS).read_text()
    assert "edge-dhcp6.json holds no Dhcp6 configuration (found: Dhcp4)" in report
    assert "a Dhcp4 configuration goes in edge-dhcp.json" in report
    assert not (root / EDGE_CONFIG6).exists()
    # And the other way round: a Dhcp6 file as edge-dhcp.json keeps the previous v4 configuration.
    before = (root / "etc/edge-dhcp/edge-dhcp.json").read_text()
    (boot / "edge-dhcp.json").write_text(VALID_CONFIG6)
    (boot / "edge-dhcp6.json").unlink()
    assert apply(root, boot)[0] == 1
    assert "a Dhcp6 configuration goes in edge-dhcp6.json" in (boot / ERRORS).read_text()
    assert (root / "etc/edge-dhcp/edge-dhcp.json").read_text() == before

    # Fixed on the laptop: applied, and the error file goes away.
    (boot / "edge-dhcp.json").write_text(VALID_CONFIG)
    (boot / "edge-dhcp6.json").write_text(VALID_CONFIG6)
    assert apply(root, boot)[0] == 0
    assert (root / EDGE_CONFIG6).read_text() == VALID_CONFIG6 and not (boot / ERRORS).exists()


def test_config_family_reads_past_comments_and_strings() -> None:
    assert config_family(VALID_CONFIG) == "Dhcp4" and config_family(VALID_CONFIG6) == "Dhcp6"
    tricky = '# "Dhcp4": a comment\n{"Dhcp6": {"comment": "a // not a comment, \\"Dhcp4\\": nor this"}}'
    assert config_family(tricky) == "Dhcp6"
    assert json.loads(strip_comments(tricky)) == {
        "Dhcp6": {"comment": 'a // not a comment, "Dhcp4": nor this'}
    }
    assert strip_comments("{/* a\nb */}").count("\n") == 1  # line numbers kept
    assert config_family('<?include "other.json"?>\n{"Dhcp6": {}}') == "Dhcp6"
    assert config_family('{"Logging": {}}') is None


def unit_exec_start() -> list[str]:
    """edge-dhcp.service's ExecStart as systemd hands it to execve: words split as the shell quotes them
    (the line has no backslash escapes), `$$` unescaped to `$`."""
    lines = [line for line in UNIT.read_text().splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1
    value = lines[0].removeprefix("ExecStart=")
    assert "\\" not in value and not re.search(r"\$(?!\$)[{A-Za-z_]", value.replace("$$", ""))
    return shlex.split(value.replace("$$", "$"))


@pytest.mark.parametrize("with_v6", [False, True])
def test_the_unit_adds_the_v6_config_when_the_file_exists(tmp_path: Path, with_v6: bool) -> None:
    """The unit's ExecStart run by a real /bin/sh with /etc/edge-dhcp and the program moved into a temp
    dir: the program (a stand-in recording its arguments) gets the v6 file only when it exists."""
    argv = unit_exec_start()
    assert argv[:2] == ["/bin/sh", "-c"] and len(argv) == 3
    etc = tmp_path / "etc/edge-dhcp"
    etc.mkdir(parents=True)
    (etc / "edge-dhcp.json").write_text(VALID_CONFIG)
    if with_v6:
        (etc / "edge-dhcp6.json").write_text(VALID_CONFIG6)
    program = tmp_path / "edge-dhcp"
    program.write_text('#!/bin/sh\necho "pid $$"\nprintf \'%s\\n\' "$@"\n')
    program.chmod(0o755)
    script = argv[2]
    assert script.count("/opt/edge-dhcp/bin/edge-dhcp ") == 1 and script.startswith("exec ")
    script = script.replace("/opt/edge-dhcp/bin/edge-dhcp", str(program)).replace(
        "/etc/edge-dhcp/", f"{etc}/"
    )
    shell = subprocess.Popen(
        [argv[0], argv[1], script], stdout=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"}
    )
    out, _ = shell.communicate(timeout=30)
    assert shell.returncode == 0
    pid, *args = out.splitlines()
    assert pid == f"pid {shell.pid}", "sh must exec the server: its PID is the unit's main PID (SIGHUP)"
    expected = ["serve", "-c", f"{etc}/edge-dhcp.json"] + (
        ["-c", f"{etc}/edge-dhcp6.json"] if with_v6 else []
    )
    assert args == expected
