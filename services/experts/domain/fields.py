"""The field taxonomy (专业领域): two levels, kept by bureau admins; retired fields are never deleted."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.experts.models import Field
from services.experts.schemas import FieldCreate, FieldPatch, FieldView
from shared.audit import AuditRecorder
from shared.clock import utc_now
from shared.errors import Conflict, InvalidInput, NotFound, field_error
from shared.identity import Identity


def field_view(field: Field) -> FieldView:
    return FieldView(code=field.code, parent_code=field.parent_code, name_zh=field.name_zh,
                     name_en=field.name_en, retired=field.retired_at is not None)


async def list_fields(session: AsyncSession) -> list[FieldView]:
    rows = await session.execute(select(Field).order_by(Field.code))
    return [field_view(field) for field in rows.scalars()]


async def create_field(session: AsyncSession, audit: AuditRecorder, actor: Identity, new: FieldCreate) -> FieldView:
    if await session.get(Field, new.code) is not None:
        raise Conflict("Field {field} already exists.", code="field_taxonomy.exists", params={"field": new.code})
    if new.parent_code is not None:
        parent = await session.get(Field, new.parent_code)
        if parent is None:
            raise InvalidInput.for_field("parent_code", "field_taxonomy.unknown", "no such field")
        if parent.parent_code is not None:
            raise InvalidInput.for_field("parent_code", "field_taxonomy.two_levels",
                                         "the taxonomy has two levels: the parent must be top-level")
        if parent.retired_at is not None:
            raise InvalidInput.for_field("parent_code", "field_taxonomy.parent_retired", "the parent field is retired")
    field = Field(code=new.code, parent_code=new.parent_code, name_zh=new.name_zh, name_en=new.name_en)
    session.add(field)
    view = field_view(field)
    await audit.record(session, actor=actor, action="field.created", object_type="field", object_id=field.code,
                       after=msgspec.to_builtins(view))
    return view


async def update_field(session: AsyncSession, audit: AuditRecorder, actor: Identity, code: str,
                       changes: FieldPatch) -> FieldView:
    field = await session.get(Field, code)
    if field is None:
        raise NotFound("No field {field}.", code="field_taxonomy.not_found", params={"field": code})
    before = field_view(field)
    if isinstance(changes.name_zh, str):
        field.name_zh = changes.name_zh
    if isinstance(changes.name_en, str):
        field.name_en = changes.name_en
    if changes.retired is True and field.retired_at is None:
        await _refuse_retiring_a_parent_in_use(session, field)
        field.retired_at = utc_now()
    elif changes.retired is False and field.retired_at is not None:
        parent = await session.get(Field, field.parent_code) if field.parent_code else None
        if parent is not None and parent.retired_at is not None:
            raise Conflict("Field {field} cannot be restored while its parent {parent} is retired.",
                           code="field_taxonomy.parent_retired_restore", params={"field": code, "parent": parent.code})
        field.retired_at = None
    after = field_view(field)
    if after != before:
        action = "field.updated" if after.retired == before.retired else (
            "field.retired" if after.retired else "field.restored")
        await audit.record(session, actor=actor, action=action, object_type="field", object_id=code,
                           before=msgspec.to_builtins(before), after=msgspec.to_builtins(after))
    return after


async def _refuse_retiring_a_parent_in_use(session: AsyncSession, field: Field) -> None:
    active_children = (await session.execute(select(Field.code).where(
        Field.parent_code == field.code, Field.retired_at.is_(None)))).scalars().all()
    if active_children:
        raise Conflict("Retire the sub-fields of {field} first: {children}.", code="field_taxonomy.has_children",
                       params={"field": field.code, "children": ", ".join(active_children)})


async def assignable_field_codes(session: AsyncSession) -> set[str]:
    """Fields an expert can be given anew: every field that is not retired."""
    return set((await session.execute(select(Field.code).where(Field.retired_at.is_(None)))).scalars())


async def field_with_sub_fields(session: AsyncSession, codes: list[str]) -> dict[str, set[str]]:
    """Each requested field with its sub-fields (a seat for NET can go to an NET.BI expert)."""
    rows = (await session.execute(select(Field.code, Field.parent_code))).all()
    known = {code for code, _ in rows}
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput("Unknown fields.", code="field_taxonomy.unknown_fields", errors=[
            field_error(f"fields[{index}]", "field_taxonomy.unknown", "no such field")
            for index, code in enumerate(codes) if code in unknown])
    return {code: {code} | {child for child, parent in rows if parent == code} for code in codes}
