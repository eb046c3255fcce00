"""``sortes``: the operators' command line (what lives where: :mod:`sortes_cli`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.experts import cli as experts
from sortes_cli import audit, backup, database, keys, reconcile, run, up, verify


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sortes", description="Expert pool and vendor registry.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in (database, run, up, reconcile, verify, audit, keys, experts, backup):
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
