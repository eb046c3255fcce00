"""``sortes``: the operators' command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shared.cli import audit, backup, database, experts, keys, reconcile, run, up, verify


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
