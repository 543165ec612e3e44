"""Follow-up of every mandate move of an office: equal windows before and after, a verdict.

A move is a change of a mandate made by a person in the app: an approved recommendation
(which carries its estimate) or a change by hand on the mandate page. Catalogue imports
(no person) state the mandates an office already had and are not moves. The windows and
the verdict are rosa.followup's; this module reads the figures.
"""

import statistics
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from frontdesk.extensions import db
from frontdesk.feedback import queries as feedback_queries
from frontdesk.models import CaseType, Contact, MandateChange, Office, Referral
from frontdesk.tallies import working_hours
from frontdesk.timeutil import to_local
from rosa import DEFAULT_MANDATE, Outcome
from rosa.calendar import working_time_between
from rosa.followup import Verdict, WindowFigures, Windows, verdict, windows

# The moves a page or an answer shows: the newest first, at most this many.
MOVES_SHOWN = 100


@dataclass
class MoveFollowUp:
    change: MandateChange
    case_type: CaseType
    windows: Windows
    from_level: int
    before: WindowFigures
    after: WindowFigures
    expected_referral_share: float | None
    verdict: Verdict

    @property
    def source(self) -> str:
        return "rekommendation" if self.change.recommendation_id else "manuell"


def window_figures(
    office: Office, case_type: CaseType, start: datetime, end: datetime
) -> WindowFigures:
    """The contacts of one office and case type in [start, end) and their referrals.

    The share referred, answered at the desk and repeated are of the window's contacts;
    the lead time is the median working hours (the office's hours, as SLAs are counted)
    from creation to answer of their answered referrals, and "within the SLA" is fewer
    working hours than the case type's SLA, as on the overview.
    """
    if end <= start:
        return WindowFigures()
    in_window = (
        Contact.case_type_id == case_type.id,
        Contact.occurred_at >= start,
        Contact.occurred_at < end,
        Contact.office_id == office.id,
    )
    contacts = referred = at_desk = repeats = 0
    for outcome, is_repeat, n in db.session.execute(
        sa.select(Contact.outcome, Contact.is_repeat, sa.func.count())
        .where(*in_window)
        .group_by(Contact.outcome, Contact.is_repeat)
    ):
        contacts += n
        referred += n if outcome == Outcome.ESKALERAT else 0
        at_desk += n if outcome == Outcome.INFORMERAT else 0
        repeats += n if is_repeat else 0
    hours = working_hours(office.opens, office.closes)
    lead_times = [
        working_time_between(created, answered, hours).total_seconds() / 3600
        for created, answered in db.session.execute(
            sa.select(Referral.created_at, Referral.answered_at)
            .join(Contact, Contact.id == Referral.contact_id)
            .where(*in_window, Referral.answered_at.is_not(None))
        )
    ]
    return WindowFigures(
        contacts=contacts,
        referred=referred,
        answered_at_desk=at_desk,
        repeats=repeats,
        answered_referrals=len(lead_times),
        within_sla=sum(1 for h in lead_times if h < case_type.sla_hours),
        median_working_hours=statistics.median(lead_times) if lead_times else None,
    )


def _with_nki(before: WindowFigures, after: WindowFigures, office, case_type, span: Windows):
    """The windows' NKI, by contact day: answers keep the day of their contact, not its
    time, so the day of the change belongs to neither window."""
    change_day = to_local(span.change).date()
    ranges = (
        (to_local(span.before_start).date(), change_day - timedelta(days=1)),
        (change_day + timedelta(days=1), to_local(span.after_end).date()),
    )
    result = []
    for figures, (first, last) in zip((before, after), ranges, strict=True):
        if last < first:
            result.append(figures)
            continue
        row = feedback_queries.overall(
            feedback_queries.Scope(first, last, office.id, case_type_ids=[case_type.id])
        )
        result.append(replace(figures, nki_respondents=row.respondents, nki=row.nki))
    return result


def follow_up(office: Office, now: datetime, days: int) -> list[MoveFollowUp]:
    """Every move of the office's mandates, newest first, with its windows and verdict."""
    changes = db.session.scalars(
        sa.select(MandateChange)
        .options(
            joinedload(MandateChange.recommendation),
            joinedload(MandateChange.changed_by),
        )
        .where(
            MandateChange.office_id == office.id,
            MandateChange.changed_by_id.is_not(None),
            # A first change by a person moved the default (mandates.history).
            sa.func.coalesce(MandateChange.old_level, DEFAULT_MANDATE) != MandateChange.new_level,
        )
        .order_by(MandateChange.changed_at.desc(), MandateChange.id.desc())
        .limit(MOVES_SHOWN)
    ).all()
    case_types = {
        c.id: c
        for c in db.session.scalars(
            sa.select(CaseType).where(CaseType.id.in_({c.case_type_id for c in changes}))
        )
    }
    moves = []
    for change in changes:
        case_type = case_types[change.case_type_id]
        from_level = DEFAULT_MANDATE if change.old_level is None else change.old_level
        span = windows(change.changed_at, now, days)
        before = window_figures(office, case_type, span.before_start, span.change)
        after = window_figures(office, case_type, span.change, span.after_end)
        before, after = _with_nki(before, after, office, case_type, span)
        expected = None
        if change.recommendation is not None:
            expected = (change.recommendation.figures or {}).get("share_still_referred")
        moves.append(
            MoveFollowUp(
                change,
                case_type,
                span,
                from_level,
                before,
                after,
                expected,
                verdict(before, after, span.days, from_level, change.new_level, expected),
            )
        )
    return moves
