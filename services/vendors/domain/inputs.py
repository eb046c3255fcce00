"""Field-level input checks that msgspec's types cannot express, reported all at once."""

from __future__ import annotations

import datetime as dt

from shared.errors import FieldError, InvalidInput, field_error
from shared.identifiers import uscc_problem


def raise_if_any(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput.of(errors)


def check_uscc(errors: list[FieldError], field: str, code: str, source: str = "body") -> None:
    problem = uscc_problem(code)
    if problem:
        errors.append(problem.at(field, source))


def check_period(errors: list[FieldError], start_field: str, start: dt.date, end_field: str,
                 end: dt.date | None) -> None:
    if end is not None and end < start:
        errors.append(field_error(end_field, "period.end_before_start", "must not be before {start}",
                                  {"start": start_field}))
