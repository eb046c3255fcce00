"""The experts service: the expert pool, training, fields and verifiable panel draws."""

from __future__ import annotations

from litestar import Litestar

from services.experts.demo import load_demo_data
from services.experts.domain.draw_keys import load_draw_keys
from services.experts.domain.draws import DrawLedger
from services.experts.domain.messaging import (
    AlibabaCloud,
    AlibabaCredentials,
    LocalOutbox,
    MessageProvider,
    NotifySettings,
)
from services.experts.domain.notices import Notices
from services.experts.domain.panel_views import redact_audit_page
from services.experts.domain.panels import PanelDesk
from services.experts.domain.personal_data import PersonalDataVault
from services.experts.domain.retirement import retire_periodically
from services.experts.domain.seats import SeatDesk
from services.experts.models import AUDIT, AUDITED_ROWS, OUTBOX, Lot, Project
from services.experts.routes.applications import (
    ApplicationsController,
    ChangeRequestsController,
    OwnChangeRequestsController,
    RecommendationsController,
)
from services.experts.routes.archive import ArchiveController
from services.experts.routes.assessments import AssessmentsController
from services.experts.routes.availability import AvailabilityController
from services.experts.routes.calendar import CalendarController
from services.experts.routes.draws import DrawsController
from services.experts.routes.eligibility import check_eligibility
from services.experts.routes.experts import ExpertsController
from services.experts.routes.fields import FieldsController
from services.experts.routes.keys import get_key_set
from services.experts.routes.notifications import InvitationLinksController, list_outbox
from services.experts.routes.panels import PanelsController
from services.experts.routes.spot_checks import post_spot_check
from services.experts.routes.spreadsheets import SpreadsheetsController
from services.experts.routes.statistics import get_draw_statistics
from services.experts.routes.trainings import TrainingsController
from services.experts.settings import ExpertsSettings, alibaba_templates_from_env
from shared.project_routes import project_controller
from shared.service_app import service_app
from shared.settings import load_env_file


def create_app(settings: ExpertsSettings | None = None) -> Litestar:
    if settings is None:
        load_env_file()  # the deployment's settings file, as the operator commands read it
        settings = ExpertsSettings.from_env()
    vault = PersonalDataVault.from_key_files(settings.data_key_file, settings.data_algorithm,
                                             settings.blind_index_key_file)
    audit = settings.audit.recorder("experts", AUDIT, rows=AUDITED_ROWS, outbox=OUTBOX)
    draw_keys = load_draw_keys(settings.draw_key_file, settings.draw_key_set_file, settings.draw_key_algorithm)
    notices = Notices(vault.keyring, audit, settings.notify, message_provider(settings.notify))
    panels = PanelDesk(ledger=DrawLedger(draw_keys, vault.keyring, audit, OUTBOX),
                       seats=SeatDesk(audit, OUTBOX, notices), rules=settings.rules,
                       panel_rules=settings.panel_rules, vault=vault)
    return service_app(
        name="experts", title="sortes experts", database_url=settings.database_url,
        public_keys=settings.identity_public_keys, log_level=settings.log_level,
        audit=audit, outbox=OUTBOX,
        route_handlers=[project_controller(Project, Lot), FieldsController, ExpertsController,
                        SpreadsheetsController, AvailabilityController, TrainingsController, check_eligibility,
                        get_key_set, ArchiveController, DrawsController, PanelsController, CalendarController,
                        post_spot_check,
                        get_draw_statistics, AssessmentsController, ApplicationsController, RecommendationsController,
                        ChangeRequestsController, OwnChangeRequestsController,
                        InvitationLinksController, list_outbox],
        background=[notices.background_task, retire_periodically],
        state={"draw_keys": draw_keys, "vault": vault, "rules": settings.rules, "panels": panels, "notices": notices,
               "panel_rules": settings.panel_rules,
               "retirement_check_seconds": settings.retirement_check_seconds,
               "audit_redaction": redact_audit_page},
        demo_loader=(lambda session, audit: load_demo_data(session, audit, vault)) if settings.load_demo_data
        else None,
    )


def message_provider(notify: NotifySettings) -> MessageProvider | None:
    """The provider the settings name; None when notifying is off."""
    if notify.provider == "off":
        return None
    if notify.provider == "alibaba":
        templates = alibaba_templates_from_env()
        if not templates.sign_name or not templates.sms_template:
            raise RuntimeError("SORTES_EXPERTS_ALIBABA_SIGN_NAME and SORTES_EXPERTS_ALIBABA_SMS_TEMPLATE are needed "
                               "for the alibaba notification provider")
        return AlibabaCloud(AlibabaCredentials.from_env(), templates)
    return LocalOutbox()
