"""A tiny classic-BPF interpreter for tests: runs a FilterProgram over a frame the way the kernel would.

Covers exactly the instructions edge.netif.bpf emits (ld/ldx absolute, indirect, MSH and the packet-type
ancillary load; jeq/jset; ret). An instruction outside that set raises, so a program change that this
interpreter cannot follow fails the tests instead of passing them by accident. Out-of-bounds loads
reject the frame, as in the kernel.
"""

from __future__ import annotations

from edge.netif import bpf

PACKET_HOST, PACKET_BROADCAST, PACKET_OUTGOING = 0, 1, 4


def run(program: bpf.FilterProgram, frame: bytes, pkttype: int = PACKET_BROADCAST) -> int:
    """Bytes of the frame the filter keeps (0 = drop)."""
    a = x = 0
    pc = 0
    ancillary_pkttype = (bpf.SKF_AD_OFF + bpf.SKF_AD_PKTTYPE) & 0xFFFFFFFF
    while True:
        code, jt, jf, k = program.instructions[pc]
        pc += 1
        if code == bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS and k == ancillary_pkttype:
            a = pkttype
        elif code in (bpf.BPF_LD | bpf.BPF_H | bpf.BPF_ABS, bpf.BPF_LD | bpf.BPF_B | bpf.BPF_ABS):
            size = 2 if code & bpf.BPF_H else 1
            if k + size > len(frame):
                return 0
            a = int.from_bytes(frame[k : k + size], "big")
        elif code == bpf.BPF_LD | bpf.BPF_H | bpf.BPF_IND:
            if x + k + 2 > len(frame):
                return 0
            a = int.from_bytes(frame[x + k : x + k + 2], "big")
        elif code == bpf.BPF_LDX | bpf.BPF_B | bpf.BPF_MSH:
            if k >= len(frame):
                return 0
            x = (frame[k] & 0x0F) * 4
        elif code == bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K:
            pc += jt if a == k else jf
        elif code == bpf.BPF_JMP | bpf.BPF_JSET | bpf.BPF_K:
            pc += jt if a & k else jf
        elif code == bpf.BPF_RET | bpf.BPF_K:
            return min(k, len(frame))
        else:
            raise NotImplementedError(f"instruction {code:#x} not modelled")
