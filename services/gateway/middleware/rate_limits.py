"""Request quotas: per API key or user on the API, per client address on sign-in (429 + Retry-After).

Counted by Litestar's rate-limit middleware in each gateway process's memory: with several
gateway instances each enforces the quota on the traffic it sees.
"""

from __future__ import annotations

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.types import Middleware


def _caller(request: Request) -> str:
    # Runs after authentication on the API router, so the caller is known.
    return f"caller:{request.user.subject}" if "user" in request.scope else f"address:{get_remote_address(request)}"


def _sign_in_address(request: Request) -> str:
    return f"sign-in:{get_remote_address(request)}"


def api_rate_limit(per_minute: int) -> Middleware:
    return RateLimitConfig(rate_limit=("minute", per_minute), identifier_for_request=_caller,
                           store="api_rate_limit").middleware


def _is_attempt(request: Request) -> bool:
    # The console's sign-in form shares the route; showing it is not an attempt.
    return request.method == "POST"


def sign_in_rate_limit(per_minute: int) -> Middleware:
    """One count per address for the API's and the console's sign-in together (the same store)."""
    return RateLimitConfig(rate_limit=("minute", per_minute), identifier_for_request=_sign_in_address,
                           store="sign_in_rate_limit", check_throttle_handler=_is_attempt).middleware
