"""Reading the catalogue for pages that show one office at a time."""

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Office, User


def all_offices() -> list[Office]:
    return db.session.scalars(sa.select(Office).order_by(Office.code)).all()


def office_to_show(code: str | None, user: User) -> tuple[Office, bool]:
    """The office asked for by code, else the user's own, else the first by code.

    The flag is False when a code was given but names no office, so the page can say so.
    """
    if code:
        office = db.session.scalar(sa.select(Office).where(Office.code == code))
        if office is not None:
            return office, True
    fallback = user.office or db.session.scalar(sa.select(Office).order_by(Office.code))
    return fallback, not code
