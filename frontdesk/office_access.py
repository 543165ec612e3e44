"""Which offices a person manages: one rule for the pages, the API and the operations.

An admin manages every office. A chef manages their home office (`users.office_id`)
and the offices listed for them in `user_offices` (set in the admin pages, the users
API or `create-user --office K1 --office K2`). Nobody else manages an office. Managing
an office means changing its mandates and deciding its proposals; reading figures
across offices stays open to every manager.
"""

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models.user import user_offices
from frontdesk.roles import Role


class OfficeNotManaged(Exception):
    """A chef acted on an office they do not manage (403 on both edges)."""

    def __init__(self, office_name: str):
        super().__init__(
            f"Du är inte chef för {office_name}. Bara kontorets chef eller en "
            "administratör kan ändra dess mandat och besluta om dess förslag."
        )


def managed_office_ids(user) -> frozenset[int] | None:
    """The ids of the offices `user` manages; None means every office (an admin).

    `user` is a model or the token cache's value: only id, role and office_id are read.
    """
    if user.role == Role.ADMIN:
        return None
    if user.role != Role.CHEF:
        return frozenset()
    listed = db.session.scalars(
        sa.select(user_offices.c.office_id).where(user_offices.c.user_id == user.id)
    )
    home = {user.office_id} if user.office_id is not None else set()
    return frozenset(listed) | home


def manages_office(user, office_id: int) -> bool:
    ids = managed_office_ids(user)
    return ids is None or office_id in ids


def require_managed(user, office) -> None:
    """Raise OfficeNotManaged unless `user` manages `office` (a model or a cached value)."""
    if not manages_office(user, office.id):
        raise OfficeNotManaged(office.name)
