"""``sortes``: the operators' command line (what lives where: :mod:`sortes_cli`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.experts import cli as experts
from shared.settings import SettingsError, load_env_file
from sortes_cli import audit, backup, database, keys, reconcile, run, up, verify, webhooks
from sortes_cli.errors import OperatorError, explain


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sortes", description="Expert pool and vendor registry.",
                                     epilog="Settings come from the environment and from the settings file "
                                            "($SORTES_ENV_FILE, else /etc/sortes/sortes.env when it exists), "
                                            "which the services read too.")
    parser.add_argument("--debug", action="store_true", help="print the traceback of a failure")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in (database, run, up, reconcile, verify, audit, keys, experts, backup, webhooks):
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command: a failure is one line on stderr and a non-zero exit (the traceback with ``--debug``)."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        load_env_file()  # before the parser: some defaults come from settings
    except SettingsError as error:
        print(f"sortes: {error}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{_name(args)}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug or args.debug:
            raise
        code = error.code if isinstance(error, OperatorError) else 1
        print(f"{_name(args)}: {explain(error)} (--debug for details)", file=sys.stderr)
        return code


def _name(args: argparse.Namespace) -> str:
    """``sortes db upgrade``: the command as typed, for the start of its error line."""
    action = getattr(args, "action", None)
    return f"sortes {args.command}{f' {action}' if isinstance(action, str) else ''}"


if __name__ == "__main__":
    sys.exit(main())
