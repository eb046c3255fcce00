"""Database access shared by the services: one engine per service, one way to open a transaction."""

from __future__ import annotations

import asyncio
import time
from collections import namedtuple
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Executable, MetaData, Row, StaticPool, event, text
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.settings import SettingsError, env_float, env_int, env_str

# Bounds of numbers a request passes on to SQL: beyond them the driver's integer overflows (an OFFSET
# past 64 bits, a key past PostgreSQL's 32-bit integer) and the answer would be a 500, not a 422.
MAX_PAGE = 1_000_000
MAX_ROW_ID = 2**31 - 1
PING_AFTER_IDLE_SECONDS = 1.0

# Every index and constraint a migration creates from 0008 on gets a predictable name, the same on
# SQLite and PostgreSQL, so that a later migration can alter or drop it by name. Those created by
# 0001-0007 keep the names the databases gave them: the migrations made the tables, not the models.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


JIT_CHOICES = ("off", "on", "server")  # server: send nothing, the server's own setting applies


@dataclass(frozen=True)
class PoolSettings:
    """Connections one process keeps (``size``) and may open beyond them at a peak (``overflow``), and how
    long a request waits for one (``timeout``). Each process of each service has its own pool: the sum
    over processes of size + overflow, plus a few for operator commands and migrations, must stay under
    PostgreSQL's ``max_connections`` (100 by default; docs/operations.md counts it out)."""

    size: int = 10
    overflow: int = 5
    timeout: float = 30.0


def pool_settings() -> PoolSettings:
    """``SORTES_DB_POOL_SIZE`` (default 10), ``SORTES_DB_MAX_OVERFLOW`` (5), ``SORTES_DB_POOL_TIMEOUT`` (30 s)."""
    settings = PoolSettings(env_int("SORTES_DB_POOL_SIZE", PoolSettings.size),
                            env_int("SORTES_DB_MAX_OVERFLOW", PoolSettings.overflow),
                            env_float("SORTES_DB_POOL_TIMEOUT", PoolSettings.timeout))
    if settings.size < 1 or settings.overflow < 0 or settings.timeout <= 0:
        raise SettingsError("SORTES_DB_POOL_SIZE must be at least 1, SORTES_DB_MAX_OVERFLOW at least 0 and "
                            "SORTES_DB_POOL_TIMEOUT above 0")
    return settings


def jit_setting() -> str:
    """``SORTES_DB_JIT``: off (default), on, or server (nothing sent)."""
    jit = env_str("SORTES_DB_JIT", "off").lower()
    if jit not in JIT_CHOICES:
        raise SettingsError(f"SORTES_DB_JIT must be one of {', '.join(JIT_CHOICES)}")
    return jit


def service_metadata() -> MetaData:
    """The metadata of a service's models, under :data:`NAMING_CONVENTION`."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An engine that never echoes parameters into errors or logs (they may hold personal data)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, hide_parameters=True,
                                     connect_args={"timeout": 30}, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    pooled = "poolclass" not in options
    if pooled:
        pool = pool_settings()
        options.setdefault("pool_size", pool.size)
        options.setdefault("max_overflow", pool.overflow)
        options.setdefault("pool_timeout", pool.timeout)
    # PostgreSQL's JIT compiles any query its planner prices high, such as the eligibility query over
    # a whole pool, and the compiling costs more than it saves on these short queries (40 ms of 210
    # on a 100k pool): the services' sessions run without it. A PostgreSQL-compatible database that
    # refuses the setting is told nothing (SORTES_DB_JIT=server).
    connect_args = {**options.pop("connect_args", {})}
    jit = jit_setting()
    if jit != "server":
        connect_args.setdefault("server_settings", {}).setdefault("jit", jit)
    # asyncpg prepares each distinct statement once per connection and keeps 100; a service runs more
    # than that (an IN list of each length is a statement of its own), and re-preparing costs a round trip.
    connect_args.setdefault("prepared_statement_cache_size", 500)
    engine = create_async_engine(url, hide_parameters=True, connect_args=connect_args, **options)
    if pooled:
        event.listen(engine.sync_engine, "connect", _note_idle_since)
        event.listen(engine.sync_engine, "checkin", _note_idle_since)
        event.listen(engine.sync_engine, "checkout", _ping_after_idling)
    return engine


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_after_idling(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A connection that lay idle in the pool is pinged before use, and replaced if the server dropped
    it (a restart, a cut): like SQLAlchemy's ``pool_pre_ping``, which pings on every checkout, a round
    trip before each request's first statement. One handed back a moment ago is used as it is; if the
    server dropped it meanwhile, the failing statement invalidates the whole pool, so the next request
    starts on fresh connections."""
    if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        raise DisconnectionError() from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off so that _sqlite_begin decides the mode.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed during a write; busy_timeout makes writers queue instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A write transaction takes SQLite's write lock at BEGIN (IMMEDIATE): one that read first and
    # took it later could find its snapshot stale and fail instead of waiting its turn.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


async def hold_lock(session: AsyncSession, name: str) -> None:
    """Make transactions that hold the same ``name`` wait for one another, until each ends.

    On PostgreSQL a transaction-level advisory lock on the name's hash (two names sharing a hash only
    wait for each other needlessly); on SQLite a write transaction holds the database's one write lock
    from its BEGIN, so there is nothing more to take.
    """
    await hold_locks(session, [name])


async def hold_locks(session: AsyncSession, names: Iterable[str]) -> None:
    """:func:`hold_lock` for each of ``names``, taken at once: in one statement, in the order of the
    names' hashes, so two transactions taking sets that overlap never each hold what the other waits
    for. A transaction takes such a set once; any it takes later must be part of it (a lock it already
    holds is had again at once), or two could still wait for each other in a circle."""
    ordered = sorted(set(names))
    if ordered and session.bind.dialect.name == "postgresql":
        await session.execute(text(
            "SELECT pg_advisory_xact_lock(key) FROM (SELECT DISTINCT hashtext(name) AS key"
            " FROM unnest(CAST(:names AS text[])) AS name ORDER BY key) AS in_order"), {"names": ordered})


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        writer = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
        self._write_sessions = async_sessionmaker(writer, expire_on_commit=False)
        # One statement is atomic by itself: on PostgreSQL it runs without BEGIN and ROLLBACK around it,
        # two round trips fewer. (SQLite's connections keep the driver's own transaction handling off,
        # which a change of isolation level would turn back on when the connection returns to the pool.)
        self._single_statements = (engine.execution_options(isolation_level="AUTOCOMMIT")
                                   if engine.dialect.name == "postgresql" else engine)
        self._direct_reads = _DirectSqliteReads(engine) if _is_sqlite_file(engine) else None
        self._driver_reads = _AsyncpgReads(engine) if engine.dialect.driver == "asyncpg" else None
        # Single statements take at most the pool's kept connections at once. Beyond them a statement
        # waits for one to come back, which takes a fraction of a millisecond, rather than opening one
        # of the pool's overflow (a new connection to PostgreSQL, its statements prepared again: several
        # milliseconds), which the pool closes again as soon as it is handed back: under fifty callers
        # the gateway's token check spent more on that churn than on the checks.
        size = getattr(engine.pool, "size", None)
        self._single_statement_slots = _LoopSemaphore(size() if callable(size) else 0)
        # Given to every write transaction's session: the service's audit recorder, whose commit hook
        # binds the audited rows each transaction writes into the log (shared/audit/rows.py).
        self.session_info: dict[str, Any] = {}

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(create_engine(url))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed when the block ends, rolled back on error."""
        async with self._write_sessions() as session, session.begin():
            session.info.update(self.session_info)
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; nothing it does is committed."""
        async with self._sessions() as session:
            yield session

    async def read_one(self, statement: Executable, parameters: dict[str, Any]) -> Row[Any] | None:
        """The first row of one statement, run on a pooled connection without an ORM session: the
        cheapest read, for a lookup made on every request (the gateway's check of a bearer token).
        On a SQLite file it runs on a connection of its own in this thread (see _DirectSqliteReads)."""
        if self._direct_reads is not None:
            try:
                return self._direct_reads.read_one(statement, parameters)
            except OperationalError:
                pass  # the file is locked at this instant: wait for it the usual way, below
        async with self._single_statement_slots:
            if self._driver_reads is not None and self._driver_reads.takes(statement):
                async with self.engine.connect() as connection:
                    try:
                        return await self._driver_reads.read_one(connection, statement, parameters)
                    except Exception:  # a connection the server dropped, say: never handed out again
                        await connection.invalidate()
                # and the statement run the usual way, on another connection, failing as SQLAlchemy says
            async with self._single_statements.connect() as connection:
                return (await connection.execute(statement, parameters)).first()

    async def is_reachable(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        if self._direct_reads is not None:
            self._direct_reads.dispose()
        await self.engine.dispose()


class _LoopSemaphore:
    """At most ``limit`` holders at once (no limit when 0), on whichever event loop is running: a
    Database outlives a test's loop, and asyncio's semaphore belongs to the loop it first waited on."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._semaphores: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    async def __aenter__(self) -> None:
        if self._limit:
            loop = asyncio.get_running_loop()
            semaphore = self._semaphores.get(loop)
            if semaphore is None:
                self._semaphores = {known: held for known, held in self._semaphores.items() if not known.is_closed()}
                semaphore = self._semaphores[loop] = asyncio.Semaphore(self._limit)
            await semaphore.acquire()

    async def __aexit__(self, *_: object) -> None:
        if self._limit:
            self._semaphores[asyncio.get_running_loop()].release()


def _is_sqlite_file(engine: AsyncEngine) -> bool:
    url = engine.url
    return (engine.dialect.name == "sqlite" and url.database not in (None, "", ":memory:")
            and "memory" not in str(url.query.get("mode", "")))


class _DirectSqliteReads:
    """One statement read from a SQLite file on a connection of its own, in the calling thread.

    aiosqlite runs every call of a connection (cursor, execute, fetch, close, BEGIN, ROLLBACK) on its
    thread, a hop there and back each: about 0.7 ms for a one-row lookup that SQLite answers in 30 µs,
    on every request through the gateway. A lookup by an indexed key is cheaper than one hop, so it is
    made here, blocking the event loop for those microseconds: the same file, in autocommit (one SELECT
    is atomic, and WAL shows it every commit made before it began). It never waits for a lock (a busy
    timeout of 0): when the file is locked (WAL's recovery, a checkpoint that truncates), the caller
    is told at once and reads the usual way, waiting off the event loop."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._url = engine.url.set(drivername="sqlite")
        self._engine: Engine | None = None  # made on first use: a file is not created by a read

    def read_one(self, statement: Executable, parameters: dict[str, Any]) -> Row[Any] | None:
        if self._engine is None:
            self._engine = create_sync_engine(self._url, hide_parameters=True, poolclass=StaticPool,
                                              connect_args={"timeout": 0, "check_same_thread": False})
            event.listen(self._engine, "connect", _autocommit)
        with self._engine.connect() as connection:
            return connection.execute(statement, parameters).first()

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


class _AsyncpgReads:
    """One statement run by asyncpg itself on a pooled connection (in autocommit: no transaction).

    SQLAlchemy's execution path (its execution context, the adapter's cursor, the result's rows) costs
    more CPU than asyncpg's own round trip: the gateway's token check on every request took 0.2 ms where
    asyncpg alone takes 0.06. The statement is compiled once, for the driver; its rows come back as named
    tuples. Only statements whose columns SQLAlchemy would hand over as the driver gives them (text,
    numbers, timestamps) are run so; any other the usual way.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._dialect = engine.dialect
        # Keyed by the statement itself (a module's constant), which the key keeps alive.
        self._compiled: dict[Executable, tuple[str, tuple[str, ...], Any] | None] = {}

    def takes(self, statement: Executable) -> bool:
        if statement not in self._compiled:
            self._compiled[statement] = self._compile(statement)
        return self._compiled[statement] is not None

    def _compile(self, statement: Executable) -> tuple[str, tuple[str, ...], Any] | None:
        columns = getattr(statement, "selected_columns", None)
        if columns is None or any(column.type.dialect_impl(self._dialect).result_processor(self._dialect, None)
                                  is not None for column in columns):
            return None
        compiled = statement.compile(dialect=self._dialect)
        return (compiled.string, tuple(compiled.positiontup or ()),
                namedtuple("Row", list(columns.keys()), rename=True))  # type: ignore[misc]

    async def read_one(self, connection: AsyncConnection, statement: Executable,
                       parameters: dict[str, Any]) -> Any:
        found = self._compiled[statement]
        assert found is not None
        sql, order, row = found
        driver = (await connection.get_raw_connection()).driver_connection
        record = await driver.fetchrow(sql, *(parameters[name] for name in order))
        return None if record is None else row(*record.values())


def _autocommit(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
