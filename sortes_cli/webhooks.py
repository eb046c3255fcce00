"""``sortes webhooks resync``: the gateway's webhook cursor for a service put back to that service's
outbox, after its database was restored (``sortes restore`` does it itself).

The gateway turns each service's outbox into deliveries and keeps how far it has read
(``webhook_cursors``). A restore puts the outbox back to an earlier head; the events written after
the backup are gone, and the next events the service writes take the same sequence numbers again.
Left as it was, the cursor would skip those new events. The cursor is set to the restored head, and
the deliveries of the events that no longer exist (numbers above the head) are removed, so that the
new events under the same numbers are delivered; one audit entry in the gateway's log says so.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

from sqlalchemy import MetaData, text

from shared.audit import AuditSettings, audit_tables, operator_actor
from shared.db import Database
from sortes_cli.errors import about, require_database

OUTBOX_SERVICES = ("experts", "vendors", "gateway")


@dataclass(frozen=True)
class Resync:
    service: str
    outbox_head: int
    cursor_before: int | None
    deliveries_removed: int

    @property
    def rewound(self) -> bool:
        return self.cursor_before is not None and self.cursor_before > self.outbox_head

    def describe(self) -> str:
        if not self.rewound:
            return (f"{self.service}: webhook cursor at {self.cursor_before or 0}, outbox head {self.outbox_head}: "
                    "nothing to rewind")
        return (f"{self.service}: webhook cursor rewound from {self.cursor_before} to the restored outbox head "
                f"{self.outbox_head}; {self.deliveries_removed} deliveries of events lost with the restore removed, "
                "so the events written from now on are delivered")


async def outbox_head(service: str) -> int:
    database = Database.from_url(require_database(service))
    try:
        async with database.reading() as session:
            return int((await session.execute(text("SELECT COALESCE(MAX(seq), 0) FROM outbox_events"))).scalar_one())
    finally:
        await database.dispose()


async def resync(service: str) -> Resync:
    """Set the gateway's cursor for ``service`` back to its outbox head when it is ahead of it."""
    head = await outbox_head(service)
    recorder = AuditSettings.from_env("gateway").recorder("gateway", audit_tables(MetaData()))
    database = Database.from_url(require_database("gateway"))
    try:
        async with database.transaction() as session:
            before = (await session.execute(text("SELECT last_seq FROM webhook_cursors WHERE service = :service"),
                                            {"service": service})).scalar_one_or_none()
            if before is None or before <= head:
                return Resync(service, head, before, 0)
            removed = (await session.execute(
                text("DELETE FROM webhook_deliveries WHERE service = :service AND event_seq > :head"),
                {"service": service, "head": head})).rowcount
            await session.execute(text("UPDATE webhook_cursors SET last_seq = :head WHERE service = :service"),
                                  {"service": service, "head": head})
            await recorder.record(session, actor=operator_actor(), action="webhook.cursor_rewound",
                                  object_type="webhook_cursor", object_id=service,
                                  details={"from": int(before), "to": head, "deliveries_removed": int(removed or 0)})
            return Resync(service, head, int(before), int(removed or 0))
    finally:
        await database.dispose()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("webhooks", help="the gateway's webhook deliveries")
    actions = parser.add_subparsers(dest="action", required=True)
    again = actions.add_parser("resync", help="put the gateway's webhook cursor for a service back to that "
                                              "service's outbox (after restoring its database)")
    again.add_argument("--service", choices=[*OUTBOX_SERVICES, "all"], default="all")
    again.set_defaults(func=run_resync)


def run_resync(args: argparse.Namespace) -> int:
    for service in OUTBOX_SERVICES if args.service == "all" else (args.service,):
        with about(service):
            print(asyncio.run(resync(service)).describe())
    return 0
