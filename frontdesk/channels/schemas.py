"""The channel report as the API gives it: one model each, which also documents it."""

from typing import Annotated

from pydantic import ConfigDict, Field

from frontdesk.api.spec import Out, Query
from frontdesk.channels.queries import ChannelFigures
from frontdesk.counter.schemas import Channel, Code, Level

Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]


def _day(schema: dict) -> None:
    """A day as a query parameter: text in ISO form, absent rather than null."""
    for key in ("anyOf", "default"):
        schema.pop(key, None)
    schema.update(type="string", format="date")


class PeriodQuery(Query):
    """The period; read (and refused, 422) by the filters the channel page reads too."""

    model_config = ConfigDict(extra="ignore")

    first: str | None = Field(
        None,
        alias="from",
        description="First day (included). Default: a period back.",
        examples=["2026-01-01"],
        json_schema_extra=_day,
    )
    last: str | None = Field(
        None,
        alias="to",
        description="Last day (included), at most ten years after `from`.",
        examples=["2026-12-31"],
        json_schema_extra=_day,
    )


class ChannelRow(Out):
    channel: Channel
    contacts: Count
    first_contact_share: Share | None
    referral_rate: Share | None
    median_minutes_to_answer: Annotated[float, Field(ge=0)] | None


class ParityFlag(Out):
    case_type: Code
    rosa_level: Level
    channel: Channel
    contacts: Count
    referral_rate: Share
    others_rate: Share
    p_value: Share
    message: str


class ServiceLevels(Out):
    emails: Count
    emails_within_one_working_day_share: Share | None
    calls: Count
    calls_answered_share: Share | None
    median_wait_seconds: Annotated[float, Field(ge=0)] | None


class ChannelParity(Out):
    # `from` and `to` are Python keywords: the fields have other names, the answer these.
    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)

    first: str = Field(alias="from", json_schema_extra={"format": "date"})
    last: str = Field(alias="to", json_schema_extra={"format": "date"})
    channels: list[ChannelRow]
    flags: list[ParityFlag] = Field(
        description="Channels that refer noticeably more than the others."
    )
    service_levels: ServiceLevels

    @classmethod
    def of(cls, figures: ChannelFigures) -> "ChannelParity":
        service = figures.service
        return cls(
            first=figures.period.first.isoformat(),
            last=figures.period.last.isoformat(),
            channels=[
                ChannelRow(
                    channel=r.channel,
                    contacts=r.contacts,
                    first_contact_share=r.first_contact_share,
                    referral_rate=r.referral_rate,
                    median_minutes_to_answer=r.median_minutes_to_answer,
                )
                for r in figures.parity.rows
            ],
            flags=[
                ParityFlag(
                    case_type=figures.case_type_codes.get(f.case_type, f.case_type),
                    rosa_level=f.rosa_level,
                    channel=f.channel,
                    contacts=f.contacts,
                    referral_rate=f.referral_rate,
                    others_rate=f.others_rate,
                    p_value=f.p_value,
                    message=f.message,
                )
                for f in figures.parity.flags
            ],
            service_levels=ServiceLevels(
                emails=service.emails,
                emails_within_one_working_day_share=service.emails_within_one_working_day_share,
                calls=service.calls,
                calls_answered_share=service.calls_answered_share,
                median_wait_seconds=service.median_wait_seconds,
            ),
        )
