"""``sortes experts import FILE [--dry-run]``: a spreadsheet into the expert pool from the server's shell.

The experts service's own command, registered into ``sortes`` by :mod:`sortes_cli.main`.

It does what ``POST /api/v1/experts/import`` does, on the experts database and key files named by the
service's settings (``SORTES_EXPERTS_*``), with the operator as the actor of the audit entries
(``cli:<OS user>``). The count of rows checked and experts written goes to stderr; the row-by-row
report to stdout at the end, and the exit status is 1 when any row was rejected.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shared.audit import operator_actor
from shared.crypto import KeyConfigError, load_blind_index_key_file, load_key_file
from shared.db import Database
from shared.errors import InvalidInput
from shared.progress import Progress

if TYPE_CHECKING:
    from shared.spreadsheets import ImportReport

STAGES = {"checking": "检查", "writing": "导入"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("experts", help="the expert pool")
    actions = parser.add_subparsers(dest="action", required=True)
    imports = actions.add_parser("import", help="import an xlsx or csv sheet with the template's columns")
    imports.add_argument("file", type=Path, help="columns as in GET /api/v1/experts/import-template")
    imports.add_argument("--dry-run", action="store_true", help="check and report every row, write nothing")
    imports.set_defaults(func=run_import)


async def import_file(path: Path, *, dry_run: bool, progress: Progress) -> ImportReport:
    # Imported when the command runs, so that every other ``sortes`` command starts without the service's models.
    from services.experts.domain.personal_data import PersonalDataVault
    from services.experts.domain.spreadsheets import import_experts, read_rows
    from services.experts.models import AUDIT
    from services.experts.settings import ExpertsSettings

    settings = ExpertsSettings.from_env()
    # The service's own keys, never new ones: values sealed under a key it lacks would not open, and
    # a new blind index key would let a person already in the pool in again.
    vault = PersonalDataVault(load_key_file(settings.data_key_file),
                              load_blind_index_key_file(settings.blind_index_key_file))
    rows = read_rows(path.read_bytes(), path.name)
    database = Database.from_url(settings.database_url)
    try:
        async with database.transaction() as session:
            return await import_experts(session, settings.audit.recorder("experts", AUDIT), operator_actor(), vault,
                                        rows, dry_run=dry_run, rules=settings.rules,
                                        progress=lambda stage, done, total: progress.show(STAGES[stage], done, total))
    finally:
        progress.end()
        await database.dispose()


def run_import(args: argparse.Namespace) -> int:
    try:
        report = asyncio.run(import_file(args.file, dry_run=args.dry_run, progress=Progress()))
    except OSError as error:
        print(f"sortes experts import: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    except KeyConfigError as error:
        print(f"sortes experts import: {error}; start the experts service once, or point "
              "SORTES_EXPERTS_DATA_KEY_FILE and SORTES_EXPERTS_BLIND_INDEX_KEY_FILE at its keys", file=sys.stderr)
        return 2
    except InvalidInput as error:  # the file as a whole: not a sheet, or required columns missing
        problems = "; ".join(problem.message for problem in error.errors)
        print(f"sortes experts import: {args.file}: {error.detail} {problems}".rstrip(), file=sys.stderr)
        return 2
    for problem in report.errors:
        print(f"row {problem.row}, {problem.column}: {problem.message}")
    outcome = "checked, nothing written (dry run)" if report.dry_run else "imported"
    unchanged = getattr(report, "unchanged", 0)
    print(f"{args.file.name}: {report.rows} rows {outcome}: {report.created} new, {report.updated} updated, "
          f"{unchanged} unchanged, {report.rejected} rejected")
    return 1 if report.rejected else 0
