"""Events a service publishes for webhooks, written to an outbox in the transaction that makes them.

The gateway reads each service's outbox (``GET /api/v1/internal/events``) and delivers to the
lifecycle system's subscriptions; an event exists exactly when the change it announces committed.
"""

from shared.outbox.events import EVENT_TYPES, OutboxTables, outbox_tables, publish

__all__ = ["EVENT_TYPES", "OutboxTables", "outbox_tables", "publish"]
