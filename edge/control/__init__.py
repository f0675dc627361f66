"""The control channel: Kea's JSON command API, served by `edge-dhcp serve` and spoken by `edge-dhcp ctl`.

protocol.py  the message format: command framing on a stream, parsing, Kea's result codes
registry.py  Command/Arg rows and dispatch (argument validation, result 2 for unknown commands)
commands.py  THE command table and the server, configuration and statistics commands
service.py   listeners and connections in the server's event loop; the unix socket
http.py      the HTTP(S) socket, as Kea's Control Agent speaks it
client.py    `edge-dhcp ctl`
"""
