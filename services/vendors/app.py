"""The vendors service: the vendor registry, engagements, conflict checks and ratings."""

from __future__ import annotations

from litestar import Litestar

from services.vendors.domain.demo import load_demo_data
from services.vendors.models import AUDIT, OUTBOX, Lot, Project
from services.vendors.routes.registry import RegistryController
from services.vendors.settings import VendorsSettings
from shared.project_routes import project_controller
from shared.service_app import service_app


def create_app(settings: VendorsSettings | None = None) -> Litestar:
    settings = settings or VendorsSettings.from_env()
    return service_app(
        name="vendors", title="sortes vendors", database_url=settings.database_url,
        public_keys=settings.identity_public_keys, log_level=settings.log_level,
        audit=settings.audit.recorder("vendors", AUDIT), outbox=OUTBOX,
        route_handlers=[project_controller(Project, Lot), RegistryController],
        demo_loader=load_demo_data if settings.load_demo_data else None,
    )
