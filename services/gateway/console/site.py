"""The console as the gateway's app mounts it: every page, its templates and its static assets.

The app factory is the only importer of the console, and it imports this module only (the import
contracts in .importlinter). A new page module adds its list of handlers to ``PAGES`` here.
"""

from __future__ import annotations

from pathlib import Path

from litestar.types import ControllerRouterHandler, Middleware

from services.gateway.console.pages import home
from services.gateway.console.pages.admin import ADMIN_PAGES
from services.gateway.console.pages.archive import ARCHIVE_PAGES, OPEN_PAGES
from services.gateway.console.pages.audit import AUDIT_PAGES
from services.gateway.console.pages.panels import PANEL_PAGES
from services.gateway.console.pages.procurement import PROCUREMENT_PAGES

# Template names start with "console/" (templates/console/home.html is "console/home.html").
TEMPLATES = Path(__file__).parent / "templates"
# The pages behind a session, beside the home pages in pages/home.py.
PAGES: list[ControllerRouterHandler] = [*PANEL_PAGES, *ARCHIVE_PAGES, *AUDIT_PAGES, *ADMIN_PAGES, *PROCUREMENT_PAGES]


def console_routes(sign_in_limit: Middleware) -> list[ControllerRouterHandler]:
    """The console's routers, with the sign-in form behind ``sign_in_limit`` (the API's sign-in quota), and
    the pages open to anyone beside /verify (the public bulletin)."""
    return [*home.console_routes(sign_in_limit, PAGES), *OPEN_PAGES]
