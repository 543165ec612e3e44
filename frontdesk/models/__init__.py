"""The database models. Import from here, not from the submodules."""

from frontdesk.models.audit import AuditEvent
from frontdesk.models.catalog import CaseType, Mandate, MandateChange, Office, Organisation, Queue
from frontdesk.models.contact import (
    Contact,
    ContactDayStat,
    ContactDayTally,
    ContactMonthTally,
    OfficeDayStat,
    OfficeHourStat,
)
from frontdesk.models.inbox import CallRecord, InboxMessage
from frontdesk.models.mail import MailKind, MailState, OutgoingMail
from frontdesk.models.process import ProcessMap, RecommendationDecision
from frontdesk.models.referral import Referral, ReferralMonthStat
from frontdesk.models.user import ApiToken, LoginThrottle, PasswordReset, User, UserSession
from frontdesk.models.visit import (
    FeedbackAnswer,
    QueueTicket,
    StaffingTarget,
    TicketStatus,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CallRecord",
    "CaseType",
    "Contact",
    "ContactDayStat",
    "ContactDayTally",
    "ContactMonthTally",
    "FeedbackAnswer",
    "Mandate",
    "InboxMessage",
    "LoginThrottle",
    "MailKind",
    "MailState",
    "MandateChange",
    "Office",
    "OfficeDayStat",
    "OfficeHourStat",
    "Organisation",
    "OutgoingMail",
    "PasswordReset",
    "ProcessMap",
    "Queue",
    "QueueTicket",
    "RecommendationDecision",
    "Referral",
    "ReferralMonthStat",
    "StaffingTarget",
    "TicketStatus",
    "User",
    "UserSession",
]
