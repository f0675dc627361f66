"""Classic BPF socket filters: let the kernel drop everything a DHCP server socket does not want.

Rules this module keeps:
- Programs are data: a readable table of (label, opcode, k, jump-if-true, jump-if-false) rows, assembled
  once into `struct sock_filter` records. Jumps name labels; the assembler turns them into the relative
  offsets classic BPF wants and refuses backward or out-of-range jumps.
- Only opcodes from the Linux classic-BPF instruction set (see the kernel's
  Documentation/networking/filter.rst); nothing eBPF, no helper programs.
- `attach` keeps the program buffer alive for the duration of setsockopt(SO_ATTACH_FILTER); the kernel copies
  it, so nothing has to outlive the call.

Theory of operation:
An AF_PACKET socket sees every frame on its interface. Copying all of them to user space and discarding
them in Python would cost a Pi dearly on a busy LAN, so the kernel runs `dhcp_server_filter(port)` on each
frame (offsets are from the start of the Ethernet header) and passes only:

    not our own outgoing frames      (ancillary load of the packet type: PACKET_OUTGOING is rejected)
    ethertype 0x0800                 (IPv4; VLAN tags are stripped into aux data before the filter runs)
    IP protocol 17                   (UDP)
    fragment offset 0 and MF clear   (we never reassemble; RFC 2131 messages fit in one datagram)
    UDP destination port == port     (67 for a server)

The UDP header offset depends on the IP header length, which `ldxb 4*([14]&0xf)` (BPF_MSH) loads into X.
The same tiny assembler also builds `REJECT_ALL`, attached to the UDP port guard socket so that it keeps
the port "open" (no ICMP port-unreachable) without ever queueing a packet.
"""

from __future__ import annotations

import ctypes
import socket
import struct
from collections.abc import Sequence

# Instruction classes, sizes, modes and sources (linux/filter.h, linux/bpf_common.h).
BPF_LD, BPF_LDX, BPF_JMP, BPF_RET = 0x00, 0x01, 0x05, 0x06
BPF_W, BPF_H, BPF_B = 0x00, 0x08, 0x10
BPF_ABS, BPF_IND, BPF_MSH = 0x20, 0x40, 0xA0
BPF_JEQ, BPF_JSET = 0x10, 0x40
BPF_K = 0x00

SKF_AD_OFF = -0x1000
SKF_AD_PKTTYPE = 4
PACKET_OUTGOING = 4

SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)
SO_DETACH_FILTER = getattr(socket, "SO_DETACH_FILTER", 27)

ACCEPT_LENGTH = 0x40000  # "keep the whole frame": larger than any frame the interface can deliver

_INSN = struct.Struct("=HBBI")

# (label, opcode, k, jt, jf): jt/jf are labels or None (fall through).
Row = tuple[str, int, int, str | None, str | None]


class FilterProgram:
    """An assembled classic-BPF program: `instructions` are (code, jt, jf, k) tuples, `code` the packed form."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = tuple(rows)
        self.instructions = _assemble(self.rows)
        self.code = b"".join(_INSN.pack(c, jt, jf, k) for c, jt, jf, k in self.instructions)

    def __len__(self) -> int:
        return len(self.instructions)


def _assemble(rows: Sequence[Row]) -> list[tuple[int, int, int, int]]:
    where = {row[0]: i for i, row in enumerate(rows)}
    if len(where) != len(rows):
        raise ValueError("duplicate label in BPF program")
    out = []
    for i, (_label, code, k, jt, jf) in enumerate(rows):
        offsets = []
        for target in (jt, jf):
            if target is None:
                offsets.append(0)
                continue
            delta = where[target] - i - 1
            if not 0 <= delta <= 255:
                raise ValueError(f"BPF jump from row {i} to {target!r} is backward or too far")
            offsets.append(delta)
        out.append((code, offsets[0], offsets[1], k & 0xFFFFFFFF))
    return out


def dhcp_server_filter(port: int = 67) -> FilterProgram:
    """Accept unfragmented IPv4/UDP frames to `port` that were not sent by this host; drop all else."""
    return FilterProgram(
        [
            ("pkttype", BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE, None, None),
            ("not_outgoing", BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, "reject", None),
            ("ethertype", BPF_LD | BPF_H | BPF_ABS, 12, None, None),
            ("is_ipv4", BPF_JMP | BPF_JEQ | BPF_K, 0x0800, None, "reject"),
            ("protocol", BPF_LD | BPF_B | BPF_ABS, 23, None, None),
            ("is_udp", BPF_JMP | BPF_JEQ | BPF_K, 17, None, "reject"),
            ("frag", BPF_LD | BPF_H | BPF_ABS, 20, None, None),
            ("not_fragment", BPF_JMP | BPF_JSET | BPF_K, 0x3FFF, "reject", None),
            ("ip_header_len", BPF_LDX | BPF_B | BPF_MSH, 14, None, None),
            ("dst_port", BPF_LD | BPF_H | BPF_IND, 14 + 2, None, None),
            ("is_port", BPF_JMP | BPF_JEQ | BPF_K, port, None, "reject"),
            ("accept", BPF_RET | BPF_K, ACCEPT_LENGTH, None, None),
            ("reject", BPF_RET | BPF_K, 0, None, None),
        ]
    )


REJECT_ALL = FilterProgram([("reject", BPF_RET | BPF_K, 0, None, None)])


def attach(sock: socket.socket, program: FilterProgram) -> None:
    """Attach `program` to `sock` with SO_ATTACH_FILTER (replaces any filter already attached)."""
    buffer = ctypes.create_string_buffer(program.code, len(program.code))
    fprog = struct.pack("@HP", len(program), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    del buffer  # the kernel has copied the program


def detach(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, SO_DETACH_FILTER, 0)
