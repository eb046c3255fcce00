"""Statuses that cross a service boundary: the experts service's panels, draws and seats, and the
vendors service's vendors and ratings, as the gateway's console reads them too.

Each is stored and sent as its value (a ``StrEnum`` compares equal to its string), so the databases
and the JSON keep the same words. The schemas' ``Literal`` types spell the same values for the
OpenAPI documents. A status only one service reads lives in that service (experts:
``services/experts/domain/statuses.py``).
"""

from __future__ import annotations

from enum import StrEnum


class PanelStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class DrawStatus(StrEnum):
    COMMITTED = "committed"  # 已承诺，待揭示: the list is fixed but unknown until the witness is typed
    REVEALED = "revealed"
    CANCELLED = "cancelled"  # before the reveal; a panel cancelled after it keeps its draws revealed


class MemberKind(StrEnum):
    PRIMARY = "primary"
    RESERVE = "reserve"  # 候补


class SeatState(StrEnum):
    """What became of a panel member (services/experts/models.py ``PanelMember``)."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    RESERVE = "reserve"  # waits in order
    DECLINED = "declined"
    UNABLE = "unable"  # seated on an overlapping panel at the reveal or after a move
    RELEASED = "released"  # the panel was cancelled
    SKIPPED = "skipped"  # a reserve passed over: seated elsewhere


# The states that hold a seat and its bookings.
HOLDING = (SeatState.INVITED, SeatState.ACCEPTED)


class NotificationStatus(StrEnum):
    """Where an SMS or voice call to an invited member stands (the experts service's notification outbox)."""

    PENDING = "pending"  # 待发送: waiting for the sender, or for its next attempt after a failure
    SENT = "sent"  # 已发送: the provider took it
    FAILED = "failed"  # 失败: given up (attempts spent, refused for good, or the meeting began)
    DELIVERED = "delivered"  # 已送达: the provider reported it delivered (the local outbox at once)


class VendorStatus(StrEnum):
    ACTIVE = "active"  # 正常
    SUSPENDED = "suspended"  # 暂停
    DEREGISTERED = "deregistered"  # 注销


class RatingStatus(StrEnum):
    OPEN_FOR_COMMENT = "open_for_comment"  # the vendor's comment window runs
    DISPUTED = "disputed"  # the vendor disputed it; a reviewer settles it
    FINAL = "final"
