"""The staffing forecast as the API takes and gives it."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from frontdesk.api.spec import Out, Query
from frontdesk.staffing.queries import STAFFED_CHANNELS

MAX_WITHIN_SECONDS = 8 * 3600


class StaffingQuery(Query):
    office: str = Field(description="Office code.")
    channel: Literal[tuple(STAFFED_CHANNELS)] = Field(
        description="A channel where the citizen waits for someone."
    )
    date: dt.date = Field(description="The day, YYYY-MM-DD.")
    service_level: Annotated[float, Field(gt=0, lt=1)] | None = Field(
        None,
        description="The share to answer within the time, e.g. 0.8. Default: the channel's target.",
    )
    answer_within_seconds: Annotated[int, Field(ge=1, le=MAX_WITHIN_SECONDS)] | None = Field(
        None, description="Default: the channel's target."
    )


class HourOut(Out):
    hour: int = Field(description="10 is 10.00–10.59.")
    arrivals: float = Field(description="Expected contacts in the hour.")
    handling_seconds: float
    staff: int = Field(description="The fewest people that meet the target (Erlang C).")
    service_level: float = Field(description="The share answered in time with that staff.")


class StaffingOut(Out):
    office: str
    channel: str
    date: str
    service_level: float
    answer_within_seconds: int
    history_days: list[str] = Field(description="The days the arrivals are the mean of.")
    handling_from_history: bool = Field(
        description="False when the channel has no logged durations and a default is used."
    )
    hours: list[HourOut] = Field(description="One per opening hour; empty on a closed day.")
