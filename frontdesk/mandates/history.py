"""The mandate in force at a moment, from the history of changes.

Read by the history import (to route old contacts as the counter would have then)
and by the overview's uppdragsindex (to weigh each month by the mandates of then).
"""

from bisect import bisect_right
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa

from frontdesk.extensions import db
from frontdesk.models import Mandate, MandateChange
from rosa import DEFAULT_MANDATE


class MandateHistory:
    """Every office's mandate per case type over time, loaded once (two queries).

    Before a pair's first recorded change the level is that change's old level, or,
    when it had none, the default (2) if a person set it in the app, but the change's
    own level if it came from a catalogue import (no person): a catalogue loaded when
    the office started using the app states the mandates it already had.
    """

    def __init__(self) -> None:
        self._current = {
            (office_id, case_type_id): level
            for office_id, case_type_id, level in db.session.execute(
                sa.select(Mandate.office_id, Mandate.case_type_id, Mandate.max_level)
            )
        }
        changes: dict[tuple[int, int], list] = defaultdict(list)
        for office_id, case_type_id, old, new, at, by in db.session.execute(
            sa.select(
                MandateChange.office_id,
                MandateChange.case_type_id,
                MandateChange.old_level,
                MandateChange.new_level,
                MandateChange.changed_at,
                MandateChange.changed_by_id,
            ).order_by(MandateChange.changed_at, MandateChange.id)
        ):
            changes[(office_id, case_type_id)].append((at.replace(tzinfo=None), old, new, by))
        # Per pair: the change times (naive UTC), the level from each change on, and the
        # level before the first change.
        self._history = {
            pair: ([at for at, *_ in rows], [new for _, _, new, _ in rows], _before(rows[0]))
            for pair, rows in changes.items()
        }

    def at(self, office_id: int, case_type_id: int, moment: datetime) -> int:
        """The mandate level at `moment` (UTC: aware, or naive meaning UTC)."""
        pair = (office_id, case_type_id)
        history = self._history.get(pair)
        if history is None:
            return self._current.get(pair, DEFAULT_MANDATE)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        times, levels, before = history
        index = bisect_right(times, moment)
        return levels[index - 1] if index else before


def _before(first_change: tuple) -> int:
    _, old, new, by = first_change
    if old is not None:
        return old
    return new if by is None else DEFAULT_MANDATE
