"""Who may do what: the one registry of role groups that routes, the console's navigation and the
role-matrix test (tests/e2e/test_role_matrix.py) all read.

A group is named for what its members may do. Where the console and the API need different sets, the
two names say why: the console serves people who sign in, so its group leaves out the lifecycle
system (the service role, API keys only) that the API's ``…_AND_LIFECYCLE_SYSTEM`` group lets in.
A check of one role alone (``requires_role(Role.RATER)``) names the role itself, not a group.
"""

from __future__ import annotations

from shared.roles import Role

EVERYONE = frozenset(Role)
# Every role a person signs in with: all but the lifecycle system.
PEOPLE = EVERYONE - {Role.SERVICE}
ADMIN = frozenset({Role.BUREAU_ADMIN})
# Read everything, write nothing (auditors) or everything (admins): the audit log, users and keys,
# draw statistics, exports, the reconciliation of project references.
ADMIN_AND_AUDITOR = frozenset({Role.BUREAU_ADMIN, Role.AUDITOR})
# Register projects, manage webhook subscriptions, draw the annual spot check.
LIFECYCLE_SYSTEM_AND_ADMIN = frozenset({Role.SERVICE, Role.BUREAU_ADMIN})
# Read webhook subscriptions and deliveries, and the metrics.
LIFECYCLE_SYSTEM_ADMIN_AND_AUDITOR = LIFECYCLE_SYSTEM_AND_ADMIN | {Role.AUDITOR}

# --- projects --------------------------------------------------------------------------------------

PROJECT_READERS = frozenset({Role.BUREAU_ADMIN, Role.SERVICE, Role.AUDITOR, Role.ORGANISER, Role.SUPERVISOR,
                             Role.PROCUREMENT_OFFICER, Role.RATER, Role.RATING_REVIEWER})
# Read every unit's projects; the other readers (organiser, procurement officer, rater) read their own
# unit's, unless their unit is one of the bureau's (shared.settings.bureau_units).
SEE_EVERY_PROJECT = frozenset({Role.BUREAU_ADMIN, Role.AUDITOR, Role.SERVICE, Role.RATING_REVIEWER,
                               Role.SUPERVISOR})

# --- experts: the pool, training, panels and draws -------------------------------------------------

POOL_READERS = frozenset({Role.BUREAU_ADMIN, Role.AUDITOR, Role.ORGANISER, Role.SUPERVISOR, Role.SERVICE})
TRAINING_READERS = frozenset({Role.BUREAU_ADMIN, Role.AUDITOR, Role.ORGANISER, Role.SUPERVISOR})
ELIGIBILITY_CHECKERS = frozenset({Role.ORGANISER, Role.SUPERVISOR, Role.BUREAU_ADMIN})
# Keep an expert's unavailable days and declared conflicts: the expert in person, or a bureau admin.
AVAILABILITY_KEEPERS = frozenset({Role.BUREAU_ADMIN, Role.EXPERT})
# Ask for a panel and look after it (meeting, declines, supplementary seats, cancelling, evaluations);
# an organiser on its own unit's projects only.
PANEL_ORGANISERS = frozenset({Role.ORGANISER, Role.BUREAU_ADMIN})
PANEL_ORGANISERS_AND_LIFECYCLE_SYSTEM = PANEL_ORGANISERS | {Role.SERVICE}
# Read draws, their records and exclusions, and the vendors involved in a project (for its avoidances).
DRAW_READERS = frozenset({Role.ORGANISER, Role.SUPERVISOR, Role.BUREAU_ADMIN, Role.AUDITOR})
DRAW_READERS_AND_LIFECYCLE_SYSTEM = DRAW_READERS | {Role.SERVICE}
# Record a seated expert's accept or decline: the organiser's side or the expert in person.
SEAT_ANSWERERS = PANEL_ORGANISERS | {Role.EXPERT}
# Recommend a person for the pool (单位推荐) and follow their own unit's recommendations: a signed-in
# user of a unit (a person applies for themselves through the gateway's open application page).
APPLICATION_RECOMMENDERS = frozenset({Role.BUREAU_ADMIN, Role.ORGANISER, Role.SUPERVISOR, Role.PROCUREMENT_OFFICER})

# --- vendors: the registry, engagements, conflict checks, ratings ----------------------------------

REGISTRY_READERS = frozenset({Role.BUREAU_ADMIN, Role.AUDITOR, Role.PROCUREMENT_OFFICER, Role.RATER,
                              Role.RATING_REVIEWER, Role.ORGANISER})
REGISTRY_READERS_AND_LIFECYCLE_SYSTEM = REGISTRY_READERS | {Role.SERVICE}
# Record engagements and run conflict checks; a procurement officer on its own unit's projects only.
ENGAGEMENT_RECORDERS = frozenset({Role.PROCUREMENT_OFFICER, Role.BUREAU_ADMIN})
ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM = ENGAGEMENT_RECORDERS | {Role.SERVICE}
# Read conflict checks and barred lists.
CONFLICT_CHECK_READERS = ENGAGEMENT_RECORDERS | {Role.AUDITOR}
CONFLICT_CHECK_READERS_AND_LIFECYCLE_SYSTEM = ENGAGEMENT_RECORDERS_AND_LIFECYCLE_SYSTEM | {Role.AUDITOR}
# Act on any unit's project's engagements and checks, not only their own unit's.
ANY_UNITS_PROCUREMENT = frozenset({Role.BUREAU_ADMIN, Role.AUDITOR})
ANY_UNITS_PROCUREMENT_AND_LIFECYCLE_SYSTEM = ANY_UNITS_PROCUREMENT | {Role.SERVICE}
# Read every rating whatever its visibility, and the ratings across vendors (the reviewers' queue).
SEE_EVERY_RATING = frozenset({Role.RATING_REVIEWER, Role.BUREAU_ADMIN, Role.AUDITOR})
# Government units: read the ratings whose visibility is "government units".
GOVERNMENT_READERS = frozenset({Role.RATER, Role.PROCUREMENT_OFFICER, Role.ORGANISER, Role.SUPERVISOR,
                                Role.SERVICE})
