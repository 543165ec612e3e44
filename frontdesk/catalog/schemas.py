"""Case types, offices and mandates as the API gives and takes them."""

from typing import Annotated

from pydantic import Field, StrictInt

from frontdesk.api.spec import Body, Out, Query, text
from frontdesk.models import CaseType, Office
from frontdesk.models.catalog import REASON_MAX
from rosa.levels import MAX_LEVEL, MIN_LEVEL

Level = Annotated[
    StrictInt, Field(ge=MIN_LEVEL, le=MAX_LEVEL, description=f"ROSA level {MIN_LEVEL}–{MAX_LEVEL}.")
]
Code = Annotated[str, Field(description="A catalogue code.")]
# A reason someone gives for a change: required, blanks alone are none.
Reason = text(REASON_MAX, required=True)


class GuidanceLink(Out):
    title: str
    url: str = Field(description="An http(s) address.")


class CaseTypeOut(Out):
    code: Code
    name: str
    organisation: Code
    category: str
    sla_hours: int
    queue: str | None = Field(description="The referral queue, if any.")
    guidance: str
    guidance_links: list[GuidanceLink] = Field(description="Links for further reading.")
    guidance_keywords: list[str] = Field(description="Words the guidance search finds it by.")
    max_delegable_level: Level | None = Field(
        description="The highest level the owner lets the citizen office decide; null: not "
        "set (a state agency's case types are then capped at 3)."
    )
    active: bool

    @classmethod
    def of(cls, case_type: CaseType) -> "CaseTypeOut":
        queue = case_type.referral_queue()
        return cls(
            code=case_type.code,
            name=case_type.name,
            organisation=case_type.organisation.code,
            category=case_type.category,
            sla_hours=case_type.sla_hours,
            queue=queue.code if queue else None,
            guidance=case_type.guidance,
            guidance_links=[GuidanceLink(**link) for link in case_type.guidance_links],
            guidance_keywords=case_type.guidance_keywords,
            max_delegable_level=case_type.max_delegable_level,
            active=case_type.active,
        )


class CaseTypeList(Out):
    case_types: list[CaseTypeOut]


class OfficeOut(Out):
    code: Code
    name: str

    @classmethod
    def of(cls, office: Office) -> "OfficeOut":
        return cls(code=office.code, name=office.name)


class OfficeList(Out):
    offices: list[OfficeOut]


class MandatesQuery(Query):
    office: str | None = Field(None, description="Office code; default all offices.")


class MandateOut(Out):
    office: Code
    case_type: Code
    max_level: Level
    agreed: bool = Field(description="false: no agreement, the default mandate applies.")


class MandateList(Out):
    mandates: list[MandateOut]


class MandateInput(Body):
    max_level: Level
    reason: Reason


class MandateChanged(Out):
    office: Code
    case_type: Code
    max_level: Level
    changed: bool = Field(description="false: it already was that.")
