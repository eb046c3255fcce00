"""The experts service: the expert pool, training, fields and verifiable panel draws."""

from __future__ import annotations

from litestar import Litestar

from services.experts.domain.demo import load_demo_data
from services.experts.domain.draw_keys import load_draw_keys
from services.experts.models import AUDIT, OUTBOX, Lot, Project
from services.experts.routes.keys import get_key_set
from services.experts.routes.pool import PoolController
from services.experts.settings import ExpertsSettings
from shared.project_routes import project_controller
from shared.service_app import service_app


def create_app(settings: ExpertsSettings | None = None) -> Litestar:
    settings = settings or ExpertsSettings.from_env()
    return service_app(
        name="experts", title="sortes experts", database_url=settings.database_url,
        public_keys=settings.identity_public_keys, log_level=settings.log_level,
        audit=settings.audit.recorder("experts", AUDIT), outbox=OUTBOX,
        route_handlers=[project_controller(Project, Lot), PoolController, get_key_set],
        state={"draw_keys": load_draw_keys(settings.draw_key_file, settings.draw_key_set_file)},
        demo_loader=load_demo_data if settings.load_demo_data else None,
    )
