"""The contracts: every message that crosses a service boundary, as msgspec Structs and enums.

Both sides of a call use the same types — the service that answers declares its routes with them,
the gateway's typed clients and ``shared/client.py`` decode with them — so a field renamed or a
state added is one edit, seen by every caller.

- ``projects``: a project reference with its lots (engagement roles, procurement methods), as the
  lifecycle system registers it and both services keep it.
- ``panels``: what the gateway asks the experts service (a panel with its supervisor and the units and
  experts to avoid, a supplementary draw, the spot check) and the draws and seats it reads back.
- ``vendors``: the vendors involved in a project (avoided in its panels) and the bidder conflict check.
- ``ratings``: the rating levels and factors (Art. 28), and a rating as it is read.
- ``events``: the event types of the outboxes and an event as the gateway's webhook dispatcher reads it.
"""
