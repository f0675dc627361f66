"""Board tools: `edge-dhcp board console` (a serial console client) and `edge-dhcp board flash` (SD-card writer).

Rules this package keeps:
- It runs on the operator's machine (a laptop, or the build machine in tests), never in the server's hot
  path; nothing in edge/ outside this package imports it.
- Importing the package is cheap: pyserial's URL lookup imports it to find `protocol_unix`, so this file
  defines nothing.

Modules: `console` (log in over a serial line and run one command, or an interactive session), `protocol_unix`
(pyserial URL handler for `unix:///path` serial lines, e.g. qemu's socket chardev), `flash` (write an image
to a removable device with verification), `cli` (the `board` subcommand).
"""
