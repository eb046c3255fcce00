"""The experts service: the expert pool, training, fields and verifiable panel draws."""

from __future__ import annotations

from litestar import Litestar

from services.experts.domain.demo import load_demo_data
from services.experts.domain.draw_keys import load_draw_keys
from services.experts.domain.personal_data import PersonalDataVault
from services.experts.models import AUDIT, OUTBOX, Lot, Project
from services.experts.routes.availability import AvailabilityController
from services.experts.routes.eligibility import check_eligibility
from services.experts.routes.experts import ExpertsController
from services.experts.routes.fields import FieldsController
from services.experts.routes.keys import get_key_set
from services.experts.routes.spreadsheets import SpreadsheetsController
from services.experts.routes.trainings import TrainingsController
from services.experts.settings import ExpertsSettings
from shared.project_routes import project_controller
from shared.service_app import service_app


def create_app(settings: ExpertsSettings | None = None) -> Litestar:
    settings = settings or ExpertsSettings.from_env()
    vault = PersonalDataVault.from_key_files(settings.data_key_file, settings.data_algorithm,
                                             settings.blind_index_key_file)
    return service_app(
        name="experts", title="sortes experts", database_url=settings.database_url,
        public_keys=settings.identity_public_keys, log_level=settings.log_level,
        audit=settings.audit.recorder("experts", AUDIT), outbox=OUTBOX,
        route_handlers=[project_controller(Project, Lot), FieldsController, ExpertsController,
                        SpreadsheetsController, AvailabilityController, TrainingsController, check_eligibility,
                        get_key_set],
        state={"draw_keys": load_draw_keys(settings.draw_key_file, settings.draw_key_set_file),
               "vault": vault, "rules": settings.rules},
        demo_loader=(lambda session, audit: load_demo_data(session, audit, vault)) if settings.load_demo_data
        else None,
    )
