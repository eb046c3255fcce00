"""Who may do what in the vendors service: role sets shared by the controllers."""

from __future__ import annotations

from shared.roles import Role

REGISTRY_READERS = (Role.BUREAU_ADMIN, Role.AUDITOR, Role.PROCUREMENT_OFFICER, Role.RATER,
                    Role.RATING_REVIEWER, Role.ORGANISER, Role.SERVICE)
REGISTRY_KEEPERS = (Role.BUREAU_ADMIN,)
# Procurement officers only for their own unit's projects (checked against the project's owner).
ENGAGEMENT_WRITERS = (Role.BUREAU_ADMIN, Role.PROCUREMENT_OFFICER, Role.SERVICE)
CHECK_READERS = (*ENGAGEMENT_WRITERS, Role.AUDITOR)
# Panel draws avoid experts working for the project's vendors: whoever asks for or runs a draw reads them.
INVOLVEMENT_READERS = (Role.BUREAU_ADMIN, Role.ORGANISER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE)
