"""The figures behind the channel pages, read for a period and handed to kanaler.analysis."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from frontdesk.backoffice.deadlines import office_hours
from frontdesk.extensions import db
from frontdesk.models import CallRecord, CaseType, Contact, InboxMessage, Office, Referral
from frontdesk.periods import Period
from kanaler.analysis import (
    ParityReport,
    ServiceLevels,
    ShiftCandidate,
    channel_shift,
    parity,
    service_levels,
)
from kanaler.calls import CallRecord as Call
from rosa.calendar import working_time_between

# The period the page and the API show when none is asked for.
DEFAULT_MONTHS = 3


@dataclass
class ChannelFigures:
    period: Period
    parity: ParityReport
    shift: list[ShiftCandidate]
    service: ServiceLevels
    # Case type name to code, for the API (the analyses work on names).
    case_type_codes: dict[str, str]


def case_type_labels() -> dict[int, tuple[str, str]]:
    """Case type id to (label, code): the name, with the code where two share a name.

    kanaler writes the label into its Swedish messages as it is.
    """
    rows = db.session.execute(sa.select(CaseType.id, CaseType.name, CaseType.code)).all()
    names = [name for _, name, _ in rows]
    return {
        id_: (name if names.count(name) == 1 else f"{name} ({code})", code)
        for id_, name, code in rows
    }


def _contact_counts(start: datetime, end: datetime, labels: dict) -> list[tuple]:
    return [
        (channel, labels[case_type_id][0], level, outcome, n)
        for channel, case_type_id, level, outcome, n in db.session.execute(
            sa.select(
                Contact.channel,
                Contact.case_type_id,
                Contact.rosa_level,
                Contact.outcome,
                sa.func.count(),
            )
            .where(Contact.occurred_at >= start, Contact.occurred_at < end)
            .group_by(Contact.channel, Contact.case_type_id, Contact.rosa_level, Contact.outcome)
        )
    ]


def _minutes_to_answer(start: datetime, end: datetime) -> dict[str, list[float]]:
    """Inbox messages: arrival to triage or reply; referrals: creation to answer."""
    minutes: dict[str, list[float]] = defaultdict(list)
    for channel, received, handled in db.session.execute(
        sa.select(InboxMessage.channel, InboxMessage.received_at, InboxMessage.handled_at).where(
            InboxMessage.status.in_(("triaged", "answered")),
            InboxMessage.received_at >= start,
            InboxMessage.received_at < end,
        )
    ):
        minutes[channel].append(max((handled - received).total_seconds(), 0) / 60)
    for channel, created, answered in db.session.execute(
        sa.select(Contact.channel, Referral.created_at, Referral.answered_at)
        .join(Contact, Contact.id == Referral.contact_id)
        .where(
            Referral.answered_at.is_not(None),
            Referral.created_at >= start,
            Referral.created_at < end,
        )
    ):
        minutes[channel].append(max((answered - created).total_seconds(), 0) / 60)
    return minutes


def _working_day(hours) -> timedelta:
    opens = timedelta(hours=hours.opens.hour, minutes=hours.opens.minute)
    closes = timedelta(hours=hours.closes.hour, minutes=hours.closes.minute)
    return closes - opens


def _emails_within_a_working_day(start: datetime, end: datetime) -> list[bool]:
    offices = {o.id: o for o in db.session.scalars(sa.select(Office))}
    answered = []
    for office_id, received, handled in db.session.execute(
        sa.select(InboxMessage.office_id, InboxMessage.received_at, InboxMessage.handled_at).where(
            InboxMessage.channel == "epost",
            InboxMessage.status.in_(("triaged", "answered")),
            InboxMessage.received_at >= start,
            InboxMessage.received_at < end,
        )
    ):
        hours = office_hours(offices[office_id])
        day = timedelta(
            hours=hours.closes.hour - hours.opens.hour,
            minutes=hours.closes.minute - hours.opens.minute,
        )
        answered.append(working_time_between(received, handled, hours) <= day)
    # Mail still waiting counts as not answered in time once a working day has passed.
    for office_id, received in db.session.execute(
        sa.select(InboxMessage.office_id, InboxMessage.received_at).where(
            InboxMessage.channel == "epost",
            InboxMessage.status == "new",
            InboxMessage.received_at >= start,
            InboxMessage.received_at < end,
        )
    ):
        hours = office_hours(offices[office_id])
        waited = working_time_between(received, min(end, datetime.now(received.tzinfo)), hours)
        if waited > _working_day(hours):
            answered.append(False)
    return answered


def _calls(start: datetime, end: datetime) -> list[Call]:
    return [
        Call(r.called_at, r.queue, r.answered, r.wait_seconds, r.talk_seconds)
        for r in db.session.scalars(
            sa.select(CallRecord).where(CallRecord.called_at >= start, CallRecord.called_at < end)
        )
    ]


def channel_figures(period: Period) -> ChannelFigures:
    start, end = period.bounds
    labels = case_type_labels()
    counts = _contact_counts(start, end, labels)
    return ChannelFigures(
        period=period,
        parity=parity(counts, _minutes_to_answer(start, end)),
        shift=channel_shift(counts),
        service=service_levels(_emails_within_a_working_day(start, end), _calls(start, end)),
        case_type_codes=dict(labels.values()),
    )
