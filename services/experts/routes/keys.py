"""``GET /.well-known/sortes-keys``: the draw-signing key set, which the gateway publishes to anyone who verifies."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.datastructures import State

from services.experts.domain.draw_keys import DrawKeys


@get("/.well-known/sortes-keys", tags=["draws"], cache_control=None)
async def get_key_set(state: State) -> dict[str, Any]:
    """Every key that has signed draws here, the retired ones with their ``not_after``."""
    draw_keys: DrawKeys = state.draw_keys
    return draw_keys.key_set.to_json_dict()
