"""Which service answers which ``/api/v1`` path: the one table the proxy routes by."""

from __future__ import annotations

import re

# First match wins; patterns are matched against the path after /api/v1.
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/projects/[^/]+/(engagements|lots|barred-list|involved-vendors)(/.*)?$"), "vendors"),
    (re.compile(r"^/projects/[^/]+/panels(/.*)?$"), "experts"),
    (re.compile(r"^/(vendors|conflict-checks|exclusions|ratings|public-ratings)(/.*)?$"), "vendors"),
    (re.compile(r"^/(fields|experts|trainings|eligibility|draws|draw-statistics|spot-checks|panels|calendar"
                r"|notifications|self-evaluations|bulletin|assessments)(/.*)?$"), "experts"),
    (re.compile(r"^/(expert-applications|expert-recommendations|expert-change-requests)(/.*)?$"), "experts"),
]


def service_for(path: str) -> str | None:
    """The service behind ``/api/v1<path>``, or None when no service serves it."""
    for pattern, service in _ROUTES:
        if pattern.match(path):
            return service
    return None
