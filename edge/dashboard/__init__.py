"""The web page and the Prometheus metrics, served by the HTTP(S) control listener beside the command API.

Rules this room keeps:
- It reads and acts only through the command registry (each family service's `ControlService.execute`):
  the page's numbers are what `status-get`, `statistic-get-all`, `config-get` and `lease4-get-page` (or
  their v6 twins) answer, and its buttons run `lease4-del` / `lease6-del` and `config-reload`, so they
  obey the same argument checks and leave the same COMMAND_RECEIVED lines as any other client.
- It imports no family room: what differs between DHCPv4 and DHCPv6 (statistic names, configuration
  keys, lease fields, search commands, Prometheus names) is a row of data in families.py.
- It costs nothing until asked: importing this package loads only this docstring; web.py's handlers
  import the page builder, the metrics (and prometheus_client) and the static files on the first request
  for them; nothing runs on a timer.

Modules: web.py (the Dashboard: its routes), api.py (the page's JSON), metrics.py (/metrics),
families.py (the per-family vocabulary), reader.py (commands in, answers out), events.py (the family
services' bounded ring of recent events and its `events-get` command), static/ (HTML, CSS, JS).
"""
