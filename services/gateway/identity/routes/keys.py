"""``GET /.well-known/sortes-keys`` at the gateway: the experts service's draw key set, passed through."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec

from services.gateway.edge.upstream import GATEWAY, Upstreams


@get("/.well-known/sortes-keys", tags=["draws"],
     responses={200: ResponseSpec(data_container=dict[str, Any], description="The draw key set (sortes-draw/1)")})
async def get_key_set(state: State) -> Response[bytes]:
    """The key set that verifies draw records (sortes-draw/1); no sign-in needed."""
    upstreams: Upstreams = state.upstreams
    upstream = await upstreams.request("experts", "GET", "/.well-known/sortes-keys", identity=GATEWAY)
    # Public keys, readable from any page: the offline verification page fetches them from a file.
    return Response(upstream.content, status_code=upstream.status_code,
                    media_type=upstream.headers.get("content-type", "application/json"),
                    headers={"Access-Control-Allow-Origin": "*"})
