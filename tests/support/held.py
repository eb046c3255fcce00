"""A lock or row held by another transaction while a test asks the service for a change: whether the
change waited for it (PostgreSQL, where transactions run side by side)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database

T = TypeVar("T")

HELD_SECONDS = 3.0


def holding(url: str, hold_them: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """A transaction of its own thread and event loop (the test client's requests block the test's
    loop until answered) that does ``hold_them`` and commits ``HELD_SECONDS`` later. Returns once it
    holds."""
    held = threading.Event()

    async def transaction() -> None:
        database = Database.from_url(url)
        try:
            async with database.transaction() as session:
                await hold_them(session)
                held.set()
                await asyncio.sleep(HELD_SECONDS)
        finally:
            await database.dispose()

    thread = threading.Thread(target=asyncio.run, args=(transaction(),), daemon=True)
    thread.start()
    assert held.wait(timeout=30), "the holding transaction did not start"


async def waited(answer: Awaitable[T]) -> tuple[bool, T]:
    """Whether ``answer`` waited for the holder (took more than half of ``HELD_SECONDS``), and the answer."""
    started = time.monotonic()
    answered = await answer
    return time.monotonic() - started > HELD_SECONDS / 2, answered
