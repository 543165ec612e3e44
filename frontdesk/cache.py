"""Per-process caches of the catalogue and of API tokens that are never stale across processes.

Each app object (`app.extensions["frontdesk.cache"]`, so two app objects in one process
behave like two servers) keeps the catalogue (offices, organisations, queues, case types
with their referral queue and owner, mandates) and the users of the API tokens it has seen,
as plain frozen values. Each is labelled with a version the database holds in the one-row
table `cache_versions`. A request reads that row once (one indexed SELECT on the request's
own connection) and uses the cache when the versions agree, reloading it otherwise.

Who bumps the versions: database triggers (migration 0009), in the writer's own
transaction, on every INSERT, UPDATE or DELETE of organisations, queues, offices,
case_types and mandates (`catalogue`) and of users and api_tokens (`tokens`). Not a
SQLAlchemy flush hook, because these tables are also written by Core statements (the
catalogue import, the demo seed), by `flask` commands and by hand in psql; a trigger sees
every one of them, and the bump commits or rolls back with the change. The cost falls on
the rare writer, not on the readers.

Within a transaction the version read is remembered until the connection writes anything
(then it is read again, so a transaction sees its own changes) and forgotten at commit or
rollback. A transaction that has written builds a catalogue of its own when the versions
disagree instead of publishing it: what it reads may be its own uncommitted change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Mapped, make_transient_to_detached, mapped_column

from frontdesk.extensions import db
from frontdesk.timeutil import utcnow
from rosa import DEFAULT_MANDATE

EXTENSION = "frontdesk.cache"
# A bound on the token cache: garbage tokens are never cached, but many real ones could be.
MAX_TOKENS = 10_000


class CacheVersions(db.Model):
    """The versions of what processes cache; bumped by triggers (migration 0009)."""

    __tablename__ = "cache_versions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    catalogue: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    tokens: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")


# --- the cached values ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationInfo:
    id: int
    code: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class QueueInfo:
    id: int
    code: str
    name: str
    organisation_id: int


@dataclass(frozen=True, slots=True)
class OfficeInfo:
    id: int
    code: str
    name: str
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class LinkInfo:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class CaseTypeInfo:
    """A case type with its owner and the queue its referrals go to (None: the owner has none)."""

    id: int
    code: str
    name: str
    category: str
    sla_hours: int
    active: bool
    organisation: OrganisationInfo
    queue: QueueInfo | None
    # What the counter's guidance search reads (counter/guidance_search.py).
    guidance: str = ""
    links: tuple[LinkInfo, ...] = ()
    keywords: tuple[str, ...] = ()

    def referral_queue(self) -> QueueInfo | None:
        return self.queue


class TokenExpired(Exception):
    """A known, unrevoked API token whose expiry has passed."""

    def __init__(self, expired_at: datetime | None):
        super().__init__("expired")
        self.expired_at = expired_at


@dataclass(frozen=True, slots=True)
class CachedUser:
    """What a request needs of an API token's user, without the password hash.

    `token_expires_at` is the token's, not the user's: the entry is per token.
    """

    id: int
    username: str
    display_name: str
    role: str
    office_id: int | None
    organisation_id: int | None
    active: bool
    email: str
    notify_new_referrals: bool
    token_expires_at: datetime | None = None

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


@dataclass(frozen=True)
class Catalogue:
    """The catalogue at one version: look-ups by id, by code and by name, and the mandates."""

    version: int
    offices: dict[int, OfficeInfo]
    case_types: dict[int, CaseTypeInfo]
    queues: dict[int, QueueInfo]
    mandates: dict[tuple[int, int], int]
    _office_codes: dict[str, OfficeInfo] = field(repr=False)
    _office_codes_upper: dict[str, OfficeInfo] = field(repr=False)
    _active_codes: dict[str, CaseTypeInfo] = field(repr=False)
    _active_codes_upper: dict[str, CaseTypeInfo] = field(repr=False)
    _active_names_lower: dict[str, CaseTypeInfo] = field(repr=False)

    def office(self, office_id: int) -> OfficeInfo | None:
        return self.offices.get(office_id)

    def office_by_code(self, code: str) -> OfficeInfo | None:
        """An office by its code, exact or in another case."""
        code = (code or "").strip()
        return self._office_codes.get(code) or self._office_codes_upper.get(code.upper())

    def case_type(self, case_type_id: int) -> CaseTypeInfo | None:
        return self.case_types.get(case_type_id)

    def case_type_by_code(self, text: str) -> CaseTypeInfo | None:
        """An active case type by code, by "CODE – name" as the type-ahead shows it, or by name."""
        text = (text or "").strip()
        if not text:
            return None
        code = text.split(" – ")[0].strip()
        return (
            self._active_codes.get(code)
            or self._active_codes_upper.get(code.upper())
            or self._active_names_lower.get(text.lower())
        )

    def mandate_level(self, office_id: int, case_type_id: int) -> int:
        """The office's mandate for the case type, DEFAULT_MANDATE when none was agreed."""
        return self.mandates.get((office_id, case_type_id), DEFAULT_MANDATE)

    def mandate_levels(self, office_id: int) -> dict[int, int]:
        """Case-type id to mandate for every agreed mandate of the office."""
        return {ct: level for (o, ct), level in self.mandates.items() if o == office_id}

    def active_case_types(self) -> list[CaseTypeInfo]:
        return [c for c in self.case_types.values() if c.active]


def _load_catalogue(connection: sa.Connection, version: int) -> Catalogue:
    """Every office, organisation, queue, case type and mandate: five small reads."""
    from frontdesk.models import CaseType, Mandate, Office, Organisation, Queue

    organisations = {
        row.id: OrganisationInfo(row.id, row.code, row.name, row.kind)
        for row in connection.execute(
            sa.select(Organisation.id, Organisation.code, Organisation.name, Organisation.kind)
        )
    }
    queues = {
        row.id: QueueInfo(row.id, row.code, row.name, row.organisation_id)
        for row in connection.execute(
            sa.select(Queue.id, Queue.code, Queue.name, Queue.organisation_id).order_by(Queue.code)
        )
    }
    # The owner's default queue: the one coded like the organisation, else its first by code
    # (Organisation.default_queue).
    default_queue: dict[int, QueueInfo] = {}
    for queue in queues.values():
        organisation = organisations.get(queue.organisation_id)
        if organisation is not None and queue.code == organisation.code:
            default_queue[queue.organisation_id] = queue
        else:
            default_queue.setdefault(queue.organisation_id, queue)
    offices = {
        row.id: OfficeInfo(row.id, row.code, row.name, row.opens, row.closes)
        for row in connection.execute(
            sa.select(Office.id, Office.code, Office.name, Office.opens, Office.closes)
        )
    }
    case_types = {}
    for row in connection.execute(
        sa.select(
            CaseType.id,
            CaseType.code,
            CaseType.name,
            CaseType.category,
            CaseType.sla_hours,
            CaseType.active,
            CaseType.organisation_id,
            CaseType.queue_id,
            CaseType.guidance,
            CaseType.guidance_links,
            CaseType.guidance_keywords,
        ).order_by(CaseType.id)
    ):
        queue = queues.get(row.queue_id) if row.queue_id is not None else None
        case_types[row.id] = CaseTypeInfo(
            row.id,
            row.code,
            row.name,
            row.category,
            row.sla_hours,
            row.active,
            organisations[row.organisation_id],
            queue or default_queue.get(row.organisation_id),
            row.guidance or "",
            tuple(LinkInfo(link["title"], link["url"]) for link in row.guidance_links or ()),
            tuple(row.guidance_keywords or ()),
        )
    mandates = {
        (row.office_id, row.case_type_id): row.max_level
        for row in connection.execute(
            sa.select(Mandate.office_id, Mandate.case_type_id, Mandate.max_level)
        )
    }
    active = [c for c in case_types.values() if c.active]
    return Catalogue(
        version=version,
        offices=offices,
        case_types=case_types,
        queues=queues,
        mandates=mandates,
        _office_codes={o.code: o for o in offices.values()},
        _office_codes_upper={o.code.upper(): o for o in offices.values()},
        _active_codes={c.code: c for c in active},
        # Of two codes alike but for case, the lowest id (the first the ORM query found).
        _active_codes_upper={c.code.upper(): c for c in reversed(active)},
        _active_names_lower={c.name.lower(): c for c in reversed(active)},
    )


# --- the per-app state and the per-transaction version read ------------------------------


class _State:
    """One app's caches. Attributes are replaced whole, never changed in place."""

    def __init__(self):
        self.catalogue: Catalogue | None = None
        self.tokens_version: int = -1
        self.tokens: dict[str, CachedUser] = {}


def _state() -> _State:
    return current_app.extensions[EXTENSION]


_VERSIONS = "cache_versions"  # connection.info: the versions read in this transaction
_WROTE = "cache_wrote"  # connection.info: this transaction has written something
_LOCAL = "cache_local_catalogue"  # connection.info: a catalogue seen only by this transaction


def _forget(connection, *_args) -> None:
    """At commit or rollback: the next transaction reads the versions again."""
    info = connection.info
    info.pop(_VERSIONS, None)
    info.pop(_WROTE, None)
    info.pop(_LOCAL, None)


def _forget_at_checkin(_dbapi_connection, connection_record) -> None:
    _forget(connection_record)


def _note_write(connection, _cursor, statement, _parameters, context, _executemany) -> None:
    """Any write: read the versions again (a trigger may have bumped them in this transaction)."""
    if context is not None and context.compiled is not None:
        writes = context.isinsert or context.isupdate or context.isdelete
    else:  # text or driver SQL: anything but a plain SELECT may write
        writes = not statement.lstrip()[:6].upper().startswith("SELECT")
    if writes:
        connection.info[_WROTE] = True
        connection.info.pop(_VERSIONS, None)


def _versions() -> tuple[int, int, sa.Connection]:
    """(catalogue version, tokens version, the session's connection), read once per transaction."""
    connection = db.session.connection()
    versions = connection.info.get(_VERSIONS)
    if versions is None:
        # The DBAPI cursor directly: this runs on every request, and SQLAlchemy's execution
        # layer would cost more than the indexed one-row read itself.
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute("SELECT catalogue, tokens FROM cache_versions WHERE id = 1")
            row = cursor.fetchone()
        finally:
            cursor.close()
        versions = connection.info[_VERSIONS] = (row[0], row[1]) if row else (0, 0)
    return versions[0], versions[1], connection


def catalogue() -> Catalogue:
    """The catalogue as this transaction sees it: the process's cache when it is current."""
    version, _, connection = _versions()
    state = _state()
    shared = state.catalogue
    if shared is not None and shared.version == version:
        return shared
    info = connection.info
    if info.get(_WROTE):
        local = info.get(_LOCAL)
        if local is None or local.version != version:
            local = info[_LOCAL] = _load_catalogue(connection, version)
        return local
    state.catalogue = _load_catalogue(connection, version)
    return state.catalogue


def user_for_token(token: str) -> CachedUser | None:
    """The user of an unrevoked API token (active or not), or None for an unknown token.

    Raises TokenExpired for a token past its expiry. The expiry is checked at every use,
    cached or not: a token expires by the clock, with no write to bump the version.
    """
    from frontdesk.models import ApiToken, User
    from frontdesk.models.user import hash_token

    token_hash = hash_token(token)
    _, version, connection = _versions()
    state = _state()
    shareable = not connection.info.get(_WROTE)
    if shareable and state.tokens_version != version:
        state.tokens, state.tokens_version = {}, version
    if shareable:
        cached = state.tokens.get(token_hash)
        if cached is not None:
            return _unexpired(cached)
    row = connection.execute(
        sa.select(
            User.id,
            User.username,
            User.display_name,
            User.role,
            User.office_id,
            User.organisation_id,
            User.active,
            User.email,
            User.notify_new_referrals,
            ApiToken.expires_at,
        )
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None  # unknown tokens are not cached: guessing must not fill the memory
    user = CachedUser(*row)
    if shareable:
        if len(state.tokens) >= MAX_TOKENS:
            state.tokens = {}
        state.tokens[token_hash] = user
    return _unexpired(user)


def _unexpired(user: CachedUser) -> CachedUser:
    expires_at = user.token_expires_at
    if expires_at is None or expires_at <= utcnow():
        raise TokenExpired(expires_at)
    return user


def api_user(token: str):
    """The token's user as an ORM `User` in the session, built from the cache without a SELECT.

    Operations take the acting user as a model (and may link it to rows they write), so
    the request gets one; attaching it costs microseconds where the query cost a
    millisecond. Its password hash and creation time load only if something reads them.
    """
    from frontdesk.models import User

    cached = user_for_token(token)
    if cached is None:
        return None
    session = db.session()
    existing = session.identity_map.get(session.identity_key(User, (cached.id,)))
    if existing is not None:
        return existing
    user = User(
        id=cached.id,
        username=cached.username,
        display_name=cached.display_name,
        role=cached.role,
        office_id=cached.office_id,
        organisation_id=cached.organisation_id,
        active=cached.active,
        email=cached.email,
        notify_new_referrals=cached.notify_new_referrals,
    )
    make_transient_to_detached(user)
    session.add(user)
    return user


def init_app(app: Flask) -> None:
    """This app's empty caches, and the listeners that keep the per-transaction read right."""
    app.extensions[EXTENSION] = _State()
    with app.app_context():
        engine = db.engine
    if not sa.event.contains(engine, "before_cursor_execute", _note_write):
        sa.event.listen(engine, "before_cursor_execute", _note_write)
        sa.event.listen(engine, "commit", _forget)
        sa.event.listen(engine, "rollback", _forget)
        # And whenever the connection goes back to the pool, however its transaction ended.
        sa.event.listen(engine, "checkin", _forget_at_checkin)
