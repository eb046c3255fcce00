"""The vendors service: the vendor registry, engagements, conflict checks and ratings."""

from __future__ import annotations

from functools import partial

from litestar import Litestar
from litestar.datastructures import State

from services.vendors.demo import load_demo_data
from services.vendors.domain.personal_data import IdNumberVault
from services.vendors.domain.ratings import finalise_ratings_periodically
from services.vendors.domain.rules import policy_name
from services.vendors.models import AUDIT, AUDITED_ROWS, OUTBOX, Lot, Project
from services.vendors.routes.engagements import EngagementsController
from services.vendors.routes.exclusions import ExclusionsController
from services.vendors.routes.ratings import RatingsController
from services.vendors.routes.spreadsheets import SpreadsheetsController
from services.vendors.routes.vendors import VendorsController
from services.vendors.settings import VendorsSettings
from shared.project_routes import project_controller
from shared.service_app import service_app
from shared.settings import load_env_file


def create_app(settings: VendorsSettings | None = None) -> Litestar:
    if settings is None:
        load_env_file()  # the deployment's settings file, as the operator commands read it
        settings = VendorsSettings.from_env()
    vault = IdNumberVault.from_key_files(settings.data_key_file, settings.blind_index_key_file)
    interval = settings.rating_finaliser_interval_seconds
    return service_app(
        name="vendors", title="sortes vendors", database_url=settings.database_url,
        public_keys=settings.identity_public_keys, log_level=settings.log_level,
        audit=settings.audit.recorder("vendors", AUDIT, rows=AUDITED_ROWS, outbox=OUTBOX), outbox=OUTBOX,
        route_handlers=[project_controller(Project, Lot, settings.bureau_units), VendorsController,
                        SpreadsheetsController, EngagementsController, ExclusionsController, RatingsController],
        state={"vault": vault, "conflict_policy": policy_name(settings.strict_service_roles),
               "rating_comment_days": settings.rating_comment_days, "bureau_units": settings.bureau_units},
        demo_loader=partial(load_demo_data, vault=vault) if settings.load_demo_data else None,
        background=[partial(_finalise_ratings, interval=interval)] if interval > 0 else [],
    )


async def _finalise_ratings(state: State, interval: float) -> None:
    await finalise_ratings_periodically(state.database, state.audit, state.outbox, interval)
