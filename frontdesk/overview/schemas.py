"""The overview's figures as the API gives them."""

from typing import Annotated

from pydantic import Field

from frontdesk.api.spec import Out, PeriodQuery
from frontdesk.exports.tables import DIALECT_DESCRIPTION, CsvDialect

Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]


class OverviewQuery(PeriodQuery):
    office: str | None = Field(None, description="Office code.", examples=["K1"])
    organisation: str | None = Field(
        None, description="Owner of the case types (code).", examples=["TEK"]
    )
    case_type: str | None = Field(None, description="Case type code.", examples=["PARK"])
    channel: str | None = Field(None, description="Channel code.", examples=["telefon"])


class CsvExportQuery(OverviewQuery):
    dialect: CsvDialect | None = Field(None, description=DIALECT_DESCRIPTION)


class StatsSummary(Out):
    from_: str = Field(alias="from", json_schema_extra={"format": "date"})
    to: str = Field(json_schema_extra={"format": "date"})
    contacts: Count
    answered_at_desk_share: Share | None
    repeat_share: Share | None
    referrals: Count = Field(description="Created in the period.")
    overdue: Count = Field(description="Of those, overdue now.")
    awaiting_callback: Count
    median_hours_to_answer: Annotated[float, Field(ge=0)] | None = Field(
        description="Working hours (the office's opening hours, as SLAs are counted)."
    )
    p90_hours_to_answer: Annotated[float, Field(ge=0)] | None = Field(
        description="Working hours, 90th percentile."
    )
    by_channel: dict[str, Count] = Field(
        description="Contacts per channel code (channels with none left out)."
    )
    by_level: dict[str, Count] = Field(
        description='Contacts per ROSA level ("1" to "8"; none left out).'
    )
