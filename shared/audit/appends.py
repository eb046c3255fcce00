"""The audit chain's append at commit: the entries, row digests and due checkpoints inserted and the head
moved, while the head is locked.

Every other writer of the service waits from the head's lock to the commit, so what runs in between
is kept to the least: on PostgreSQL one statement (the inserts as data-modifying WITH clauses of the
head's UPDATE), whose text depends only on which tables it writes — each table's rows are bound as one
array a column and zipped back into rows by ``unnest`` — so it is built, compiled and prepared once
and not again under the lock at each write, whatever the number of rows. On SQLite, whose WITH clauses
cannot write, a statement a table (one writer at a time there anyway).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Table, Update, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


class Rows(NamedTuple):
    """Rows to insert into ``table``, each a dict with the same keys."""

    table: Table
    rows: list[dict[str, Any]]


class HeadMove(NamedTuple):
    """Where the head moves: the last entry's ``seq`` and hash, and the chain's profile (None: standard)."""

    seq: int
    entry_hash: str
    profile: str | None


class HeadAppender:
    """Writes an append for one service's head table; keeps the statements it built."""

    def __init__(self, head: Table) -> None:
        self.move = update(head).where(head.c.id == 1).values(
            seq=bindparam("head_seq"), entry_hash=bindparam("head_hash"), profile=bindparam("head_profile"))
        self._statements: dict[tuple[tuple[Table, tuple[str, ...]], ...], Update] = {}

    def write(self, session: Session, writes: list[Rows], moved: HeadMove) -> None:
        """Insert ``writes`` and move the head to ``moved``, in ``session``'s transaction."""
        head = {"head_seq": moved.seq, "head_hash": moved.entry_hash, "head_profile": moved.profile}
        if session.get_bind().dialect.name != "postgresql":
            for write in writes:
                session.execute(write.table.insert(), write.rows)
            session.execute(self.move, head)
            return
        shape = tuple((write.table, tuple(write.rows[0])) for write in writes)
        parameters = dict(head)
        for index, write in enumerate(writes):
            for name in write.rows[0]:
                parameters[f"w{index}_{name}"] = [row[name] for row in write.rows]
        session.execute(self._statement(shape), parameters)

    def _statement(self, shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> Update:
        """The head's move with an insert into each table of ``shape`` as a WITH clause, the ``index``-th
        one's columns bound as the arrays ``w{index}_{column}``. A service writes a handful of shapes."""
        statement = self._statements.get(shape)
        if statement is None:
            statement = self.move
            for index, (table, names) in enumerate(shape):
                arrays = func.unnest(*(bindparam(f"w{index}_{name}", type_=ARRAY(table.c[name].type))
                                       for name in names))
                rows = arrays.table_valued(*names).render_derived()
                statement = statement.add_cte(
                    table.insert().from_select(list(names), select(*rows.c)).cte(f"written_{index}"))
            statement = self._statements[shape] = statement
        return statement
