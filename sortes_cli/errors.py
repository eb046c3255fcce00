"""One clear line for every way an operator command fails, instead of a traceback.

A command raises :class:`OperatorError` with the sentence to print, or lets a database, settings or
file error rise; :func:`explain` turns each into one line naming what is wrong and where to look
(the database URL's variable, the settings file). ``sortes --debug`` prints the traceback instead.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from shared.settings import SettingsError, database_url


class OperatorError(Exception):
    """The command cannot go on; the message is the one line to print. ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _root(error: BaseException) -> BaseException:
    """The driver's own error beneath SQLAlchemy's wrapping (and beneath ``raise … from``)."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DBAPIError) and error.orig is not None:
            inner = error.orig
            error = getattr(inner, "__cause__", None) or inner  # asyncpg's error under the adapter's
            continue
        if error.__cause__ is not None and not isinstance(error, OperatorError):
            error = error.__cause__
            continue
        break
    return error


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0].strip()


def explain(error: BaseException) -> str:
    """One line for ``error``."""
    if isinstance(error, OperatorError | SettingsError):
        return str(error)
    root = _root(error)
    name = type(root).__name__
    if isinstance(root, ConnectionRefusedError) or getattr(root, "errno", None) == errno.ECONNREFUSED:
        return f"the database server refused the connection ({_first_line(str(root))}); is PostgreSQL running?"
    if isinstance(root, socket.gaierror):
        return f"the database server's host name does not resolve ({_first_line(str(root))})"
    if isinstance(root, TimeoutError):
        return "the database server did not answer in time"
    if name == "InvalidCatalogNameError":
        return f"{_first_line(str(root))}; create it first (deploy/postgres/create-databases.sql)"
    if name in {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"}:
        return f"the database refused the credentials ({_first_line(str(root))})"
    if isinstance(error, ArgumentError | NoSuchModuleError):
        return f"unusable database URL ({_first_line(str(error))})"
    if isinstance(root, FileNotFoundError | PermissionError | IsADirectoryError):
        return _first_line(str(root))
    if isinstance(error, SQLAlchemyError):
        return f"database error: {_first_line(str(root))}"
    return f"{_first_line(str(root)) or name} ({name})"


def require_database(service: str) -> str:
    """The service's database URL, refused when it is a SQLite file that does not exist: opening it
    would create an empty database and fail later on a missing table."""
    url = database_url(service)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise OperatorError(f"{service}: SORTES_{service.upper()}_DATABASE_URL is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or not path.is_file():
            raise OperatorError(
                f"{service}: no database at {path} — set SORTES_{service.upper()}_DATABASE_URL (in the settings "
                "file /etc/sortes/sortes.env or $SORTES_ENV_FILE) or run sortes db upgrade first")
    return url


@contextmanager
def about(service: str, passing: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Any failure inside (but those ``passing``, which the caller explains) becomes one line naming
    ``service`` and the database URL it used."""
    try:
        yield
    except (OperatorError, *passing):
        raise
    except Exception as error:
        variable = f"SORTES_{service.upper()}_DATABASE_URL"
        try:
            where = make_url(database_url(service)).render_as_string(hide_password=True)
        except Exception:
            where = "(not a database URL)"
        raise OperatorError(f"{service}: {explain(error)} [{variable}={where}]") from error
