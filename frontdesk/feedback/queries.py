"""NKI (Nöjd Kund Index, as SCB computes it) from the answers, and the response rate.

Each respondent's index is the mean of the three answers (1–10) rescaled to 0–100:
(mean − 1) / 9 × 100; the NKI of a group is the mean of its respondents' indexes. The
response rate is the respondents over the contacts in the same scope and period: every
contact is offered a link (the 201 answer, the desk's QR code and tablet, the e-mail answers).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import ContactDayStat, FeedbackAnswer
from frontdesk.models.visit import NKI_HIGH, NKI_LOW

# The three questions, in the order asked (SCB's NKI).
QUESTIONS = (
    ("q1", "Hur nöjd är du sammantaget med den hjälp du fick?"),
    ("q2", "Hur väl motsvarade hjälpen dina förväntningar?"),
    ("q3", "Hur nära ett idealiskt besök kom det här?"),
)
# Fewer answers than this make an index that one citizen can swing: shown, but marked.
FEW_RESPONDENTS = 10


def nki_from_mean_sum(mean_of_sums: float | None) -> float | None:
    """The NKI given the mean, over respondents, of q1 + q2 + q3."""
    if mean_of_sums is None:
        return None
    return (float(mean_of_sums) / 3 - NKI_LOW) / (NKI_HIGH - NKI_LOW) * 100


def respondent_index(q1: int, q2: int, q3: int) -> float:
    return nki_from_mean_sum(q1 + q2 + q3)


@dataclass(frozen=True)
class NkiRow:
    key: object  # what the row is about (an office id, a channel, a level, a month ...)
    respondents: int
    contacts: int
    nki: float | None

    @property
    def response_rate(self) -> float | None:
        return self.respondents / self.contacts if self.contacts else None

    @property
    def few(self) -> bool:
        return self.respondents < FEW_RESPONDENTS


@dataclass(frozen=True)
class Scope:
    """Which contacts: a period of contact days, and optionally an office, a channel,
    case types (None: all) and a level."""

    first: date
    last: date
    office_id: int | None = None
    channel: str | None = None
    case_type_ids: list[int] | None = None
    level: int | None = None

    def conditions(self, model) -> list:
        day = model.contact_day if model is FeedbackAnswer else model.day
        found = [day >= self.first, day <= self.last]
        if self.office_id is not None:
            found.append(model.office_id == self.office_id)
        if self.channel is not None:
            found.append(model.channel == self.channel)
        if self.case_type_ids is not None:
            found.append(model.case_type_id.in_(self.case_type_ids))
        if self.level is not None:
            found.append(model.rosa_level == self.level)
        return found


# What a table can be grouped by: the column of the answers and of the contact tally.
GROUPS = {
    "office": (FeedbackAnswer.office_id, ContactDayStat.office_id),
    "channel": (FeedbackAnswer.channel, ContactDayStat.channel),
    "case_type": (FeedbackAnswer.case_type_id, ContactDayStat.case_type_id),
    "level": (FeedbackAnswer.rosa_level, ContactDayStat.rosa_level),
    "day": (FeedbackAnswer.contact_day, ContactDayStat.day),
}


def nki_rows(scope: Scope, by: str | None = None) -> list[NkiRow]:
    """NKI, respondents and contacts in the scope, overall (by=None) or per group."""
    answer_query = sa.select(
        sa.func.count(), sa.func.avg(FeedbackAnswer.q1 + FeedbackAnswer.q2 + FeedbackAnswer.q3)
    ).where(*scope.conditions(FeedbackAnswer))
    contact_query = sa.select(sa.func.sum(ContactDayStat.contacts)).where(
        *scope.conditions(ContactDayStat)
    )
    if by is None:
        respondents, mean_sum = db.session.execute(answer_query).one()
        contacts = db.session.scalar(contact_query) or 0
        return [NkiRow(None, respondents, int(contacts), nki_from_mean_sum(mean_sum))]
    answer_key, contact_key = GROUPS[by]
    answers = {
        key: (n, mean_sum)
        for n, mean_sum, key in db.session.execute(
            answer_query.add_columns(answer_key).group_by(answer_key)
        )
    }
    contacts = {
        key: int(n or 0)
        for n, key in db.session.execute(
            contact_query.add_columns(contact_key).group_by(contact_key)
        )
    }
    return [
        NkiRow(
            key,
            answers.get(key, (0, None))[0],
            contacts.get(key, 0),
            nki_from_mean_sum(answers.get(key, (0, None))[1]),
        )
        for key in sorted(set(answers) | set(contacts), key=str)
    ]


def combined(rows: list[NkiRow], key) -> list[NkiRow]:
    """Rows merged by `key(row.key)` (days into weeks or months). NKI is linear in the
    answers, so a group's NKI is its rows' NKI weighted by their respondents."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(key(row.key), []).append(row)
    merged = []
    for group_key, members in sorted(groups.items()):
        respondents = sum(r.respondents for r in members)
        weighted = sum(r.nki * r.respondents for r in members if r.nki is not None)
        merged.append(
            NkiRow(
                group_key,
                respondents,
                sum(r.contacts for r in members),
                weighted / respondents if respondents else None,
            )
        )
    return merged


def overall(scope: Scope) -> NkiRow:
    return nki_rows(scope)[0]


def comments(scope: Scope, limit: int = 50) -> Iterable[FeedbackAnswer]:
    """The latest answers with a comment, for the manager to read (masked, never named)."""
    return db.session.scalars(
        sa.select(FeedbackAnswer)
        .where(*scope.conditions(FeedbackAnswer), FeedbackAnswer.comment != "")
        .order_by(FeedbackAnswer.answered_at.desc())
        .limit(limit)
    ).all()
