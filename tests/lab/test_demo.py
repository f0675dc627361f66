"""`make demo` works: run `python -m tests.lab.demo` as make does and read what it printed.

One edge-dhcp process serves both families: a real dhclient gets a v4 lease, a real dhclient -6 an address
from the Dhcp6 pool and a delegated prefix, and each family's control socket answers.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.lab, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def test_the_demo_serves_a_v4_and_a_v6_client_from_one_process(lab_ready: None) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.lab.demo"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr

    v4 = re.search(r"^  dhclient got   (192\.0\.2\.\d+)/24$", out, re.M)
    assert v4 is not None, out
    assert 100 <= int(v4.group(1).split(".")[-1]) <= 199, out  # the built-in default's pool

    v6 = re.search(
        r"^  dhclient -6 got (\S+)   \(IA_NA [0-9a-f]{8}, preferred 3000 s, valid 4000 s\)$", out, re.M
    )
    assert v6 is not None, out
    address = ipaddress.IPv6Address(v6.group(1))
    assert ipaddress.IPv6Address("2001:db8:1::100") <= address <= ipaddress.IPv6Address("2001:db8:1::1ff")
    pd = re.search(r"^  delegated      (\S+)   \(IA_PD ", out, re.M)
    assert pd is not None, out
    prefix = ipaddress.IPv6Network(pd.group(1))
    assert prefix.prefixlen == 64 and prefix.subnet_of(ipaddress.IPv6Network("2001:db8:8::/56"))
    assert re.search(r"^  DNS servers     2001:db8:1::53$", out, re.M), out

    # one process: both families started under the same pid
    pids = {
        m.group(2): m.group(1) for m in re.finditer(r"\[edge-dhcp\.server/(\d+)\] (DHCP[46])_STARTED", out)
    }
    assert set(pids) == {"DHCP4", "DHCP6"} and pids["DHCP4"] == pids["DHCP6"], out

    # the v6 control socket's lease6-get-all lists what dhclient -6 holds
    v4_control, _, v6_control = out.partition("edge-dhcp ctl lease6-get-all --socket ")
    assert '"status": "ready"' in v4_control, out
    assert f'"ip-address": "{address}"' in v6_control and '"type": "IA_NA"' in v6_control, out
    assert f'"ip-address": "{prefix.network_address}"' in v6_control and '"type": "IA_PD"' in v6_control, out
    assert "lab torn down" in out
