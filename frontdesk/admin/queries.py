"""Finding accounts and their API tokens for the admin's pages and the users API."""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from frontdesk.extensions import db
from frontdesk.models import ApiToken, User
from frontdesk.roles import Role

# What the status filter takes: active accounts, inactive ones, or both.
STATUSES = {"aktiva": True, "inaktiva": False, "alla": None}


def find_users(q: str = "", role: str = "", active: bool | None = None) -> list[User]:
    """Accounts whose user name, name, role, office or organisation (code or name)
    contain `q` in any case, of `role` when given, active or not; by user name.

    The text is matched in Python: SQLite's lower() knows only ASCII, and "åberg" must
    find "Åberg" on both databases. A municipality has hundreds of staff, not millions.
    """
    query = (
        sa.select(User)
        .options(
            joinedload(User.office),
            joinedload(User.organisation),
            selectinload(User.managed_offices),
        )
        .order_by(User.username)
    )
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    users = list(db.session.scalars(query).unique())
    needle = q.casefold()
    return [u for u in users if needle in _searchable(u)] if needle else users


def _searchable(user: User) -> str:
    parts = [user.username, user.display_name, user.role, Role(user.role).label]
    for place in (user.office, user.organisation, *user.managed_offices):
        if place is not None:
            parts += [place.code, place.name]
    return "\n".join(parts).casefold()


def user_by_username(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def tokens_of(user: User) -> list[ApiToken]:
    """The account's API tokens, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )
