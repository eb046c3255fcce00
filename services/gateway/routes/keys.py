"""``GET /.well-known/sortes-keys`` at the gateway: the experts service's draw key set, passed through."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State

from services.gateway.domain.upstream import Upstreams


@get("/.well-known/sortes-keys", tags=["draws"])
async def get_key_set(state: State) -> Response[bytes]:
    """The key set that verifies draw records (sortes-draw/1); no sign-in needed."""
    upstreams: Upstreams = state.upstreams
    upstream = await upstreams.request("experts", "GET", "/.well-known/sortes-keys", identity=None)
    return Response(upstream.content, status_code=upstream.status_code,
                    media_type=upstream.headers.get("content-type", "application/json"))
