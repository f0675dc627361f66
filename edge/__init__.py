"""edge-dhcp: a lean, Kea-compatible DHCPv4 server for Raspberry Pi and other small boards."""

__version__ = "0.1.0"
