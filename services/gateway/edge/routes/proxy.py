"""The one door: ``/api/v1/...`` forwarded to the service that owns the path."""

from __future__ import annotations

from litestar import Request, Response, get, post, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.types import Middleware

from services.gateway.edge.metrics import count_business_event
from services.gateway.edge.routing import service_for
from services.gateway.edge.upstream import GATEWAY, Upstreams, relayed_media_type
from shared.errors import NotFound

API_PREFIX = "/api/v1"
# Request headers worth passing on; authorization and cookies stay at the gateway.
_FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "accept-language", "if-match", "if-none-match")
_FORWARDED_RESPONSE_HEADERS = ("content-disposition", "location", "etag", "retry-after", "cache-control")


# The router does not fall back from a gateway route's static segment (/projects/{code}, the composite
# /draws/{id}/supplementary) to the catch-all, so the resources beside them get paths of their own.
@route(["/{path:path}", "/projects/{project_code:str}/{rest:path}", "/draws", "/draws/{draw_id:str}",
        "/draws/{draw_id:str}/{rest:path}", "/expert-applications/{rest:path}"], include_in_schema=False,
       http_method=[HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE])
async def forward(request: Request, state: State) -> Response[bytes]:
    return await _relay(request, state)


@get("/expert-applications", include_in_schema=False)
async def application_queue(request: Request, state: State) -> Response[bytes]:
    """The review queue; the path is the public application's too (:func:`public_application`), so the
    catch-all does not reach it."""
    return await _relay(request, state)


async def _relay(request: Request, state: State) -> Response[bytes]:
    path = request.url.path.removeprefix(API_PREFIX)
    service = service_for(path)
    if service is None:
        raise NotFound("No API at {path}.", code="api.no_route", params={"path": f"/api/v1{path}"})
    upstreams: Upstreams = state.upstreams
    headers = {name: request.headers[name] for name in _FORWARDED_REQUEST_HEADERS if name in request.headers}
    upstream = await upstreams.relay(
        service, request.method, API_PREFIX + path, identity=request.user,
        params=list(request.query_params.multi_items()), content=await request.body(), headers=headers)
    count_business_event(request.method, path, upstream.status_code)
    return Response(
        content=upstream.content, status_code=upstream.status_code,
        media_type=relayed_media_type(upstream.headers.get("content-type", "application/octet-stream")),
        headers={name: upstream.headers[name] for name in _FORWARDED_RESPONSE_HEADERS
                 if name in upstream.headers},
    )


@get("/public-ratings", exclude_from_auth=True, include_in_schema=False)
async def public_ratings(request: Request, state: State) -> Response[bytes]:
    """The public listing of public ratings (Art. 28): open to anyone, as docs/architecture.md §6 lists it."""
    upstreams: Upstreams = state.upstreams
    upstream = await upstreams.relay("vendors", "GET", API_PREFIX + "/public-ratings", identity=GATEWAY,
                                     params=list(request.query_params.multi_items()))
    return Response(content=upstream.content, status_code=upstream.status_code,
                    media_type=upstream.headers.get("content-type", "application/json"))


async def _relay_public(request: Request, state: State, path: str) -> Response[bytes]:
    """A public page's call, forwarded as the gateway itself; only a JSON body (a cross-site HTML form
    cannot send one), and no cookie or key is read (edge rate limits per address)."""
    if request.content_type[0] != "application/json":
        raise HTTPException(status_code=415, detail="Send the application as application/json.")
    upstreams: Upstreams = state.upstreams
    upstream = await upstreams.relay("experts", "POST", API_PREFIX + path, identity=GATEWAY,
                                     content=await request.body(), headers={"content-type": "application/json"})
    count_business_event("POST", path, upstream.status_code)
    return Response(content=upstream.content, status_code=upstream.status_code,
                    media_type=relayed_media_type(upstream.headers.get("content-type", "application/json")))


def public_application_routes(rate_limit: Middleware) -> list[HTTPRouteHandler]:
    """A person's own application to join the pool (入库申请) and its status, open to anyone, each call
    behind ``rate_limit`` (per client address); on the API's router beside the review queue's GET."""

    @post("/expert-applications", exclude_from_auth=True, include_in_schema=False, middleware=[rate_limit])
    async def public_application(request: Request, state: State) -> Response[bytes]:
        return await _relay_public(request, state, "/expert-applications")

    @post("/expert-applications/status", exclude_from_auth=True, include_in_schema=False, middleware=[rate_limit])
    async def public_application_status(request: Request, state: State) -> Response[bytes]:
        """The applicant's status, by the application number and the receipt code given at submission."""
        return await _relay_public(request, state, "/expert-applications/status")

    return [public_application, public_application_status]


@get(["/bulletin", "/bulletin/{draw_id:str}/record"], exclude_from_auth=True, include_in_schema=False)
async def bulletin(request: Request, state: State) -> Response[bytes]:
    """The public bulletin of panel draws whose meeting has ended, and each one's record: open to anyone
    (the console's /bulletin page reads it), answered by the experts service to the gateway itself."""
    upstreams: Upstreams = state.upstreams
    upstream = await upstreams.relay("experts", "GET", request.url.path, identity=GATEWAY,
                                     params=list(request.query_params.multi_items()))
    return Response(content=upstream.content, status_code=upstream.status_code,
                    media_type=relayed_media_type(upstream.headers.get("content-type", "application/json")))
