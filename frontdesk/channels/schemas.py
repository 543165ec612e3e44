"""The channel report as the API gives it: one model each, which also documents it."""

from typing import Annotated

from pydantic import Field

from frontdesk.api.spec import Out
from frontdesk.channels.queries import ChannelFigures
from frontdesk.counter.schemas import Channel, Code, Level

Share = Annotated[float, Field(ge=0, le=1)]
Count = Annotated[int, Field(ge=0)]


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
    from_: str = Field(alias="from", json_schema_extra={"format": "date"})
    to: str = Field(json_schema_extra={"format": "date"})
    channels: list[ChannelRow]
    flags: list[ParityFlag] = Field(
        description="Channels that refer noticeably more than the others."
    )
    service_levels: ServiceLevels

    @classmethod
    def of(cls, figures: ChannelFigures) -> "ChannelParity":
        service = figures.service
        return cls(
            from_=figures.period.first.isoformat(),
            to=figures.period.last.isoformat(),
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
