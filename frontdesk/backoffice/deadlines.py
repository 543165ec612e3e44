"""Due times in the office's working hours (rosa.calendar), parked time left out."""

from datetime import datetime

from frontdesk.models import CaseType, Office
from frontdesk.tallies import working_hours
from rosa.calendar import WorkingHours, add_working_hours, working_time_between


def office_hours(office: Office) -> WorkingHours:
    """Monday-Friday within the office's opening hours, Swedish public holidays closed."""
    return working_hours(office.opens, office.closes)


def due_at(created_at: datetime, case_type: CaseType, office: Office) -> datetime:
    """Creation plus the case type's SLA, counted in the office's working hours."""
    return add_working_hours(created_at, case_type.sla_hours, office_hours(office))


def extend_for_parking(due: datetime, parked_at: datetime, resumed_at: datetime, office: Office):
    """The due time moved on by the working time the referral spent parked."""
    hours = office_hours(office)
    parked = working_time_between(parked_at, resumed_at, hours)
    return add_working_hours(due, parked.total_seconds() / 3600, hours) if parked else due
