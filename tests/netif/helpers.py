"""Shared pieces of the netif namespace tests: sockets opened inside lab namespaces, bounded receives."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable
from typing import Any

from edge.netif import bpf
from tests.lab.netns import Lab

ETH_P_ALL = 0x0003


def packet_socket(
    lab: Lab, ns: str, ifname: str, program: bpf.FilterProgram | None = None, protocol: int = ETH_P_ALL
) -> socket.socket:
    """An AF_PACKET socket on `ifname` in `ns`, optionally filtered (attached before it is bound).

    ETH_P_ALL (the default) sees every frame, outgoing ones included, so a filter test depends on the
    filter alone; RawSocket binds ETH_P_IP, where the kernel already keeps out non-IP and outgoing frames.
    """
    with lab.inside(ns):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        if program is not None:
            bpf.attach(sock, program)
        sock.bind((ifname, protocol))
    return sock


def udp_socket(
    lab: Lab, ns: str, port: int, ifname: str | None = None, address: str = "0.0.0.0"
) -> socket.socket:
    with lab.inside(ns):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if ifname:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
        sock.bind((address, port))
    return sock


def wait_readable(fileno: Any, timeout: float = 5.0) -> bool:
    readable, _, _ = select.select([fileno], [], [], timeout)
    return bool(readable)


def collect(
    receive: Callable[[], Any], fileno: Any, until: Callable[[list[Any]], bool], timeout: float = 10.0
) -> list[Any]:
    """Call `receive()` whenever `fileno` is readable, keeping non-None results, until `until(results)`.

    Raises AssertionError if the deadline passes first (a deadline, not a timing assertion: the test only
    fails if what it waits for never comes).
    """
    results: list[Any] = []
    deadline = time.monotonic() + timeout
    while not until(results):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"gave up waiting; received so far: {results!r}")
        if wait_readable(fileno, left):
            item = receive()
            if item is not None:
                results.append(item)
    return results
