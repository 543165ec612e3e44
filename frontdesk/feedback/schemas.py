"""The NKI answer and statistics as the API takes and gives them."""

from typing import Annotated

from pydantic import Field, StrictInt

from frontdesk.api.spec import Body, Out, PeriodQuery, text
from frontdesk.models.visit import FEEDBACK_COMMENT_MAX, NKI_HIGH, NKI_LOW

Score = Annotated[
    StrictInt, Field(ge=NKI_LOW, le=NKI_HIGH, description=f"{NKI_LOW} (not at all) – {NKI_HIGH}.")
]


class FeedbackBody(Body):
    """The three NKI questions: overall satisfaction, against expectations, against an ideal."""

    q1: Score
    q2: Score
    q3: Score
    comment: text(FEEDBACK_COMMENT_MAX) | None = None


class FeedbackStored(Out):
    stored: bool = True


class NkiQuery(PeriodQuery):
    office: str | None = Field(None, description="Office code; default every office.")


class NkiOut(Out):
    respondents: int
    contacts: int = Field(
        description="Contacts in the same scope and period (each was offered a link)."
    )
    nki: float | None = Field(description="0–100, one decimal; null without respondents.")
    response_rate: float | None = Field(description="Respondents over contacts, 0–1.")
