"""Constraint names a new migration gets from the models: predictable, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from shared.db import NAMING_CONVENTION, service_metadata

DIALECTS = (postgresql.dialect(), sqlite.dialect())


def test_a_new_tables_constraints_are_named_by_the_convention() -> None:
    metadata = service_metadata()
    Table("owners", metadata, Column("id", Integer, primary_key=True))
    widgets = Table("widgets", metadata, Column("id", Integer, primary_key=True),
                    Column("owner_id", ForeignKey("owners.id")), Column("code", String(20), index=True),
                    Column("size", Integer), UniqueConstraint("owner_id", "code"),
                    CheckConstraint("size > 0", name="size_positive"))
    for dialect in DIALECTS:
        ddl = str(CreateTable(widgets).compile(dialect=dialect))
        for name in ("pk_widgets", "fk_widgets_owner_id_owners", "uq_widgets_owner_id_code",
                     "ck_widgets_size_positive"):
            assert f"CONSTRAINT {name} " in ddl, (dialect.name, ddl)
        assert [index.name for index in widgets.indexes] == ["ix_widgets_code"]


@pytest.mark.parametrize("service", ["experts", "vendors", "gateway"])
def test_every_service_names_its_constraints_by_the_convention(service: str) -> None:
    metadata = importlib.import_module(f"services.{service}.models").Base.metadata
    assert metadata.naming_convention == {**metadata.naming_convention, **NAMING_CONVENTION}
    for table in metadata.sorted_tables:  # every constraint the models declare can be named so
        for dialect in DIALECTS:
            assert f"CONSTRAINT pk_{table.name} " in str(CreateTable(table).compile(dialect=dialect))
            for index in table.indexes:
                CreateIndex(index).compile(dialect=dialect)
