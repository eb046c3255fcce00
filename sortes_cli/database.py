"""``sortes db upgrade``: apply each service's migrations to its database."""

from __future__ import annotations

import argparse

from shared.migrations import SERVICES, upgrade


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="database maintenance")
    actions = db.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upgrade", help="apply migrations (SORTES_<SERVICE>_DATABASE_URL)")
    up.add_argument("--service", choices=[*SERVICES, "all"], default="all")
    up.set_defaults(func=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    services = SERVICES if args.service == "all" else (args.service,)
    for service in services:
        upgrade(service)
        print(f"{service}: database at the latest migration")
    return 0
