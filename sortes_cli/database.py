"""``sortes db upgrade``: apply each service's migrations to its database."""

from __future__ import annotations

import argparse
import time

from shared.migrations import SERVICES, upgrade
from shared.settings import database_url
from sortes_cli.errors import OperatorError, explain
from sortes_cli.postgres import shown

RETRY_SECONDS = 3.0


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="database maintenance")
    actions = db.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upgrade", help="apply migrations (SORTES_<SERVICE>_DATABASE_URL)")
    up.add_argument("--service", choices=[*SERVICES, "all"], default="all")
    up.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                    help="retry while the database does not answer, up to SECONDS (after a reboot the "
                         "database server may come up after sortes); default 0: one attempt")
    up.set_defaults(func=run_upgrade)


def _unreachable(error: BaseException) -> bool:
    """A failure that waiting may cure: the server not (yet) listening or answering."""
    line = explain(error)
    return any(words in line for words in ("refused the connection", "did not answer", "does not resolve",
                                           "the database system is starting up", "shutting down"))


def upgrade_with_retries(service: str, wait: float) -> None:
    url = database_url(service)
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            upgrade(service, url)
            return
        except Exception as error:
            if _unreachable(error) and time.monotonic() + RETRY_SECONDS <= deadline:
                print(f"{service}: database not answering yet ({explain(error)}); retrying", flush=True)
                time.sleep(RETRY_SECONDS)
                continue
            raise OperatorError(f"{service}: {explain(error)} [SORTES_{service.upper()}_DATABASE_URL={shown(url)}]"
                                ) from error


def run_upgrade(args: argparse.Namespace) -> int:
    services = SERVICES if args.service == "all" else (args.service,)
    for service in services:
        upgrade_with_retries(service, args.wait)
        print(f"{service}: database at the latest migration")
    return 0
