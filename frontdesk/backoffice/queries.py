"""Reading referrals, always through what the user may see."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from frontdesk.backoffice.operations import reply_address_of, source_messages
from frontdesk.extensions import db
from frontdesk.models import (
    AuditEvent,
    CaseType,
    Contact,
    Office,
    Queue,
    Referral,
    User,
)
from frontdesk.models.referral import (
    OPEN_FILTER,
    OPEN_REFERRAL_STATUSES,
    ReferralStatus,
    overdue_clause,
)
from frontdesk.roles import Role
from frontdesk.timeutil import utcnow

MAX_PER_PAGE = 200
# Page numbers and sizes a client may ask for (sizes beyond MAX_PER_PAGE are cut to it).
MAX_INT_ARG = 100_000


def visible(user: User, *, with_contact: bool = False) -> sa.Select:
    """Referrals the user may read: a handler their organisation's queues, a guide their office's.

    Contacts are joined only when needed (a guide's view, filters on the contact):
    without them, listing a queue walks the open-referrals index in due order and
    stops after one page.
    """
    query = sa.select(Referral)
    if with_contact or user.role == Role.VAGLEDARE:
        query = query.join(Referral.contact)
    if user.role == Role.HANDLAGGARE:
        return query.where(
            Referral.queue_id.in_(
                sa.select(Queue.id).where(Queue.organisation_id == user.organisation_id)
            )
        )
    if user.role == Role.VAGLEDARE:
        return query.where(Contact.office_id == user.office_id)
    return query


def _with_details(query: sa.Select) -> sa.Select:
    # One query for the rows and everything the list shows: no query per row.
    return query.options(
        joinedload(Referral.contact).joinedload(Contact.case_type),
        joinedload(Referral.contact).joinedload(Contact.office),
        joinedload(Referral.queue),
        joinedload(Referral.claimed_by),
    )


def queue_by_code(code: str) -> Queue | None:
    """A queue by its code (surrounding blanks ignored)."""
    return db.session.scalar(sa.select(Queue).where(Queue.code == code.strip()))


def get_visible(user: User, referral_id: int) -> Referral | None:
    """The referral if the user may see it; None (a 404) whether it exists or not."""
    return db.session.scalar(_with_details(visible(user).where(Referral.id == referral_id)))


@dataclass
class Filters:
    queue: str = ""
    status: str = ""  # "" = the open ones, "alla" = all, or one status
    case_type: str = ""
    office: str = ""
    channel: str = ""
    overdue: bool = False
    mine: bool = False  # only the referrals the user holds (Mina remisser)
    sort: str = "due"  # "due": earliest due first; "new": newest first


@dataclass
class Page:
    rows: list[Referral]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(user: User, filters: Filters) -> sa.Select:
    query = visible(user, with_contact=bool(filters.case_type or filters.office or filters.channel))
    if filters.queue:
        query = query.where(
            Referral.queue_id.in_(sa.select(Queue.id).where(Queue.code == filters.queue))
        )
    if filters.status in list(ReferralStatus):
        query = query.where(Referral.status == filters.status)
    elif filters.status != "alla":
        query = query.where(OPEN_FILTER)
    if filters.case_type:
        query = query.where(
            Contact.case_type_id.in_(
                sa.select(CaseType.id).where(CaseType.code == filters.case_type)
            )
        )
    if filters.office:
        query = query.where(
            Contact.office_id.in_(sa.select(Office.id).where(Office.code == filters.office))
        )
    if filters.channel:
        query = query.where(Contact.channel == filters.channel)
    if filters.overdue:
        query = query.where(OPEN_FILTER, overdue_clause(utcnow()))
    if filters.mine:
        query = query.where(Referral.claimed_by_id == user.id)
    return query


def page_of(
    user: User, filters: Filters, page: int = 1, per_page: int = 50, total: int | None = None
) -> Page:
    """One page of the filtered referrals, with the total for paging (counted unless given)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    query = _filtered(user, filters)
    if total is None:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    if filters.sort == "new":
        order = (Referral.created_at.desc(), Referral.id.desc())
    else:
        order = (Referral.due_at, Referral.id)
    rows = db.session.scalars(
        _with_details(query.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    ).all()
    return Page(list(rows), total, page, per_page)


COUNTED_STATUSES = (*OPEN_REFERRAL_STATUSES, ReferralStatus.ATERFORD)


@dataclass
class Summary:
    counts: dict[str, int]
    overdue: int


def summary(user: User, filters: Filters) -> Summary:
    """Referrals per active status and how many are overdue, in one pass over an index.

    Within the user's view and the filters other than status. Closed referrals pile
    up by the hundred thousand and say nothing about today's work: not counted.
    """
    query = _filtered(user, Filters(**{**filters.__dict__, "status": "alla", "overdue": False}))
    late = sa.func.sum(
        sa.case(
            (overdue_clause(utcnow()), 1),
            else_=0,
        )
    )
    rows = db.session.execute(
        query.where(Referral.status.in_(COUNTED_STATUSES))
        .with_only_columns(Referral.status, sa.func.count(), late)
        .group_by(Referral.status)
    ).all()
    counts = dict.fromkeys(COUNTED_STATUSES, 0)
    overdue = 0
    for status, number, late_number in rows:
        counts[status] = number
        overdue += late_number or 0
    return Summary(counts, overdue)


def open_total(summary: Summary, filters: Filters) -> int | None:
    """The number of referrals the default view lists, when the summary already holds it."""
    if filters.status or filters.overdue:
        return None
    return sum(summary.counts[status] for status in OPEN_REFERRAL_STATUSES)


def history(referral: Referral) -> list[AuditEvent]:
    """Every event of the referral, from the contact that created it on."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                sa.or_(
                    sa.and_(AuditEvent.entity == "referral", AuditEvent.entity_id == referral.id),
                    sa.and_(
                        AuditEvent.entity == "contact",
                        AuditEvent.entity_id == referral.contact_id,
                        AuditEvent.action == "contact.logged",
                    ),
                )
            )
            .options(joinedload(AuditEvent.user))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def callbacks(office: Office, limit: int = 500) -> list[Referral]:
    """Answers waiting for the front desk to call the citizen back, newest first."""
    return list(
        db.session.scalars(
            _with_details(
                sa.select(Referral)
                .join(Referral.contact)
                .where(Referral.status == ReferralStatus.ATERFORD, Contact.office_id == office.id)
                .order_by(Referral.answered_at.desc(), Referral.id.desc())
                .limit(limit)
            ).options(joinedload(Referral.answered_by))
        )
    )


def reply_addresses(referrals: list[Referral]) -> dict[int, str]:
    """Referral id to the address an answer could be mailed to, for a list in two queries."""
    messages = source_messages([r.contact_id for r in referrals])
    found = {r.id: reply_address_of(r.contact, messages.get(r.contact_id)) for r in referrals}
    return {referral_id: address for referral_id, address in found.items() if address}


def overdue_by_queue(user: User) -> list[tuple[Queue, int, int]]:
    """Per queue in the user's view: open referrals and how many of them are overdue."""
    now = utcnow()
    late = sa.func.sum(sa.case((overdue_clause(now), 1), else_=0))
    query = visible(user).where(OPEN_FILTER)
    rows = db.session.execute(
        query.with_only_columns(Referral.queue_id, sa.func.count(), late).group_by(
            Referral.queue_id
        )
    ).all()
    queues = {q.id: q for q in db.session.scalars(sa.select(Queue))}
    result = [
        (queues[queue_id], number, late_number or 0) for queue_id, number, late_number in rows
    ]
    return sorted(result, key=lambda row: (-row[2], row[0].name))
