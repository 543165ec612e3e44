"""Reading and changing mandates. Every change is kept with who, when and why."""

import sqlalchemy as sa

from frontdesk.audit import record
from frontdesk.cache import catalogue
from frontdesk.extensions import db
from frontdesk.models import (
    CaseType,
    Mandate,
    MandateChange,
    Office,
    RecommendationDecision,
    User,
)
from frontdesk.office_access import require_managed
from frontdesk.timeutil import utcnow
from kanaler import mask_personnummer
from rosa import DEFAULT_MANDATE, level_by_number


def mandate_level(office, case_type) -> int:
    """The office's mandate for the case type, DEFAULT_MANDATE when none was agreed.

    From the catalogue cache: `office` and `case_type` are models or cached values.
    """
    return catalogue().mandate_level(office.id, case_type.id)


def mandate_levels(office) -> dict[int, int]:
    """Case-type id to mandate for every agreed mandate of the office."""
    return catalogue().mandate_levels(office.id)


def set_mandate(
    office: Office,
    case_type: CaseType,
    max_level: int,
    reason: str,
    user: User | None,
    recommendation: RecommendationDecision | None = None,
) -> MandateChange | None:
    """Set the mandate; returns the change, or None when the level was already that.

    `recommendation` links the change to the approved proposal that caused it. A person
    (`user`) may change only the offices they manage (OfficeNotManaged); None is the
    system itself (the catalogue import).
    """
    if user is not None:
        require_managed(user, office)
    level_by_number(max_level)
    reason = mask_personnummer(reason)
    mandate = db.session.scalar(
        sa.select(Mandate).where(
            Mandate.office_id == office.id, Mandate.case_type_id == case_type.id
        )
    )
    old_level = mandate.max_level if mandate else None
    if old_level == max_level:
        return None
    if mandate is None:
        mandate = Mandate(office=office, case_type=case_type, max_level=max_level)
        db.session.add(mandate)
    mandate.max_level = max_level
    mandate.updated_at = utcnow()
    change = MandateChange(
        office_id=office.id,
        case_type_id=case_type.id,
        old_level=old_level if old_level is not None else None,
        new_level=max_level,
        reason=reason,
        changed_by=user,
        recommendation=recommendation,
    )
    db.session.add(change)
    db.session.flush()
    record(
        "mandate.changed",
        "mandate",
        mandate.id,
        user,
        office=office.code,
        case_type=case_type.code,
        old_level=old_level if old_level is not None else DEFAULT_MANDATE,
        new_level=max_level,
        reason=reason,
        recommendation=recommendation.id if recommendation else None,
    )
    return change
