"""The admin's view of the audit log: which kinds of events there are, and the filtered list.

The kinds are groups of event names (`audit_events.action`), declared once here; an event
name not in any group is still listed under *Alla*.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from frontdesk.extensions import db
from frontdesk.models import AuditEvent, User
from frontdesk.periods import FilterError
from frontdesk.timeutil import EARLIEST_YEAR, local_day_bounds, local_today

PAGE_SIZE = 50


@dataclass(frozen=True)
class Kind:
    label: str
    actions: tuple[str, ...] = ()  # exact names
    prefixes: tuple[str, ...] = ()  # "user." for every user.* event


KINDS: dict[str, Kind] = {
    "inloggningar": Kind(
        "Inloggningar och sessioner",
        actions=("auth.login", "auth.logout", "auth.login_failed", "auth.sessions_ended"),
        prefixes=("auth.password_",),
    ),
    "nekade": Kind(
        "Nekad åtkomst",
        actions=("access.refused", "auth.login_refused", "auth.oidc_refused", "auth.oidc_failed"),
    ),
    "anvandare": Kind("Användare och API-nycklar", prefixes=("user.", "api_token.", "api_tokens.")),
    "katalog": Kind("Katalogen", prefixes=("catalog.",)),
    "mandat": Kind("Mandat och processkartor", prefixes=("mandate.", "process_map.")),
    "exporter": Kind("Exporter", prefixes=("export.",)),
    "sakerhetskopior": Kind("Säkerhetskopior och gallring", prefixes=("backup.", "retention.")),
}


@dataclass(frozen=True)
class AuditFilters:
    person: User | None = None
    kind: str = ""
    first: date | None = None
    last: date | None = None
    before: int | None = None  # the page: events older than this id


def _day(text: str, field: str, errors: dict) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[field] = "Ange datumet som ÅÅÅÅ-MM-DD."
        return None
    if day.year < EARLIEST_YEAR or day > local_today():
        errors[field] = f"Ange ett datum från {EARLIEST_YEAR} till i dag."
        return None
    return day


def read_filters(args) -> AuditFilters:
    """The filters of the page's query string; FilterError naming each bad field."""
    errors: dict[str, str] = {}
    username = (args.get("person") or "").strip()
    person = None
    if username:
        person = db.session.scalar(sa.select(User).where(User.username == username[:80]))
        if person is None:
            errors["person"] = "Det finns ingen användare med det namnet."
    kind = (args.get("kind") or "").strip()
    if kind and kind not in KINDS:
        errors["kind"] = "Okänd sorts händelse."
    first = _day((args.get("from") or "").strip(), "from", errors)
    last = _day((args.get("to") or "").strip(), "to", errors)
    if first and last and first > last:
        errors["to"] = "Slutdatumet ligger före startdatumet."
    before_text = (args.get("before") or "").strip()
    before = None
    if before_text:
        if not (before_text.isascii() and before_text.isdigit() and len(before_text) <= 18):
            errors["before"] = "Ogiltig sida."
        else:
            before = int(before_text)
    if errors:
        raise FilterError(errors)
    return AuditFilters(person, kind, first, last, before)


def _kind_condition(kind: Kind):
    conditions = [AuditEvent.action.in_(kind.actions)] if kind.actions else []
    conditions += [AuditEvent.action.startswith(prefix) for prefix in kind.prefixes]
    return sa.or_(*conditions)


def events(filters: AuditFilters) -> tuple[list[AuditEvent], int | None]:
    """One page of events, newest first, and the id to ask for the next page (None: last)."""
    query = sa.select(AuditEvent).options(joinedload(AuditEvent.user))
    if filters.person is not None:
        query = query.where(AuditEvent.user_id == filters.person.id)
    if filters.kind:
        query = query.where(_kind_condition(KINDS[filters.kind]))
    if filters.first:
        query = query.where(AuditEvent.at >= local_day_bounds(filters.first)[0])
    if filters.last:
        query = query.where(AuditEvent.at < local_day_bounds(filters.last)[1])
    if filters.before is not None:
        query = query.where(AuditEvent.id < filters.before)
    rows = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1].id if more else None)


def kind_of(action: str) -> str:
    """The label of the group an event name belongs to ("" for none)."""
    for kind in KINDS.values():
        if action in kind.actions or action.startswith(kind.prefixes):
            return kind.label
    return ""
