"""The console as the gateway's app mounts it: every page, its templates and its static assets.

The app factory is the only importer of the console, and it imports this module only (the import
contracts in .importlinter). A new page module adds its list of handlers to ``PAGES`` here.
"""

from __future__ import annotations

from pathlib import Path

from litestar.types import ControllerRouterHandler, Middleware

from services.gateway.console.pages import home
from services.gateway.console.pages.admin import ADMIN_PAGES
from services.gateway.console.pages.answer import answer_router
from services.gateway.console.pages.applications import APPLICATION_PAGES
from services.gateway.console.pages.applications import OPEN_PAGES as OPEN_APPLICATION_PAGES
from services.gateway.console.pages.archive import ARCHIVE_PAGES
from services.gateway.console.pages.archive import OPEN_PAGES as OPEN_ARCHIVE_PAGES
from services.gateway.console.pages.audit import AUDIT_PAGES
from services.gateway.console.pages.home import unknown_address
from services.gateway.console.pages.panels import PANEL_PAGES
from services.gateway.console.pages.procurement import PROCUREMENT_PAGES

# Template names start with "console/" (templates/console/home.html is "console/home.html").
TEMPLATES = Path(__file__).parent / "templates"
# The pages behind a session, beside the home pages in pages/home.py.
PAGES: list[ControllerRouterHandler] = [*PANEL_PAGES, *ARCHIVE_PAGES, *AUDIT_PAGES, *ADMIN_PAGES, *PROCUREMENT_PAGES,
                                       *APPLICATION_PAGES]


# The app's handler for an address no route answers (a Chinese page for a browser).
__all__ = ["PAGES", "TEMPLATES", "console_routes", "unknown_address"]


def console_routes(sign_in_limit: Middleware, answer_limit: Middleware) -> list[ControllerRouterHandler]:
    """The console's routers, with the sign-in form behind ``sign_in_limit`` (the API's sign-in quota)
    the experts' one-time answer page behind ``answer_limit``, and the pages open to anyone (the
    application to join the pool, the public bulletin)."""
    return [*home.console_routes(sign_in_limit, PAGES), answer_router(answer_limit),
            *OPEN_APPLICATION_PAGES, *OPEN_ARCHIVE_PAGES]
