"""Process maps and discovered maps as the API gives and takes them.

The limits are rosa.processmap's; rosa.processmap.from_dict still builds the map and
checks what a schema cannot (ids unique, flows between known steps).
"""

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictInt

from frontdesk.api.spec import Body, Out, Query
from frontdesk.catalog.schemas import Code
from frontdesk.models.process import MAP_SOURCES
from rosa.levels import MAX_LEVEL, MIN_LEVEL
from rosa.processmap import ACTORS, ID_MAX, MAX_STEPS, NAME_MAX, NUMBER_MAX, STEP_KINDS

MAP_VERSION_MAX = 1_000_000
StepLevel = Annotated[StrictInt, Field(ge=MIN_LEVEL, le=MAX_LEVEL)]
Minutes = Annotated[float, Field(ge=0, le=100_000)]
Share = Annotated[float, Field(ge=0, le=1)]
Number = Annotated[StrictInt, Field(ge=0, le=NUMBER_MAX)]
StepId = Annotated[str, Field(min_length=1, max_length=ID_MAX)]
Name = Annotated[str, Field(max_length=NAME_MAX)]
Actor = Literal[ACTORS]
StepKind = Literal[STEP_KINDS]


class StepInput(Body):
    """`name` defaults to the id; `kind` to task."""

    id: StepId
    name: Name | None = None
    level: StepLevel | None = None
    actor: Actor | None = Field(None, description="front: the front desk; back: back office.")
    minutes: Minutes | None = None
    share: Share | None = None
    kind: StepKind = "task"
    lane: Name | None = None
    count: Number | None = None


class FlowInput(Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", description="A step id.")
    to: str = Field(description="A step id.")
    share: Share | None = None
    count: Number | None = None
    name: Name | None = None


class ProcessMapInput(Body):
    """Other top-level fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: Name | None = None
    steps: list[StepInput] = Field(min_length=1, max_length=MAX_STEPS)
    flows: list[FlowInput] = []


class Step(Out):
    id: StepId
    name: Name
    level: StepLevel | None
    actor: Actor | None
    minutes: Minutes | None
    share: Share | None
    kind: StepKind
    lane: Name
    count: Number | None


class Flow(Out):
    from_: str = Field(alias="from", description="A step id.")
    to: str = Field(description="A step id.")
    share: Share | None
    count: Number | None
    name: Name


class ProcessMapOut(Out):
    case_type: Code
    version: int = Field(ge=1)
    source: Literal[MAP_SOURCES]
    created_at: str = Field(description="ISO 8601 with the local UTC offset.")
    name: str
    steps: list[Step]
    flows: list[Flow]
    warnings: list[str] = Field(
        default_factory=list,
        description="What of a BPMN file the import skipped (a dangling reference, an "
        "unknown element, an empty process …), each naming the element; empty when "
        "nothing was skipped, and for every other answer.",
    )


class MapQuery(Query):
    version: int | None = Field(
        None, ge=1, le=MAP_VERSION_MAX, description="A stored version; default the newest."
    )


class ProcessQuery(Query):
    process: str | None = Field(None, description="BPMN only: the id of the process to read.")


class SkippedLine(Out):
    line: int
    reason: str


class DiscoveryOut(Out):
    cases: int = Field(ge=0)
    events: int = Field(ge=0)
    activities: int = Field(ge=0)
    skipped: int = Field(ge=0, description="Rows or events not used.")
    skipped_lines: list[SkippedLine] = Field(description="The first 100 skipped, by line.")
    warnings: list[str]
    resources: dict[str, list[str]] = Field(description="Step id → its most frequent resources.")
    median_minutes: dict[str, float | None] = Field(description="Step id → median minutes.")
    name: str
    steps: list[Step]
    flows: list[Flow]
