"""Staff accounts as the users API gives and takes them (one model per shape).

Offices and organisations are named by code. `office` is the home office (the desk's
office of a vägledare, a chef or an admin); `offices` are the offices a chef manages,
the home office always among them (a chef given only `offices` gets the first as home
office). An admin manages every office, and `offices` is empty for every other role.
"""

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from frontdesk.admin.operations import (
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    USERNAME_MAX,
    describe,
)
from frontdesk.api.spec import Body, Out, Query, text
from frontdesk.models import User
from frontdesk.roles import Role

RoleName = Literal[tuple(r.value for r in Role)]
CODE_MAX = 50  # a catalogue code
OFFICES_MAX = 200
Username = text(
    USERNAME_MAX,
    required=True,
    description="Letters a–z, digits and `. _ - @`, unique in any case.",
    examples=["sara.ek"],
)
Codes = Annotated[
    list[Annotated[str, Field(max_length=CODE_MAX)]],
    Field(max_length=OFFICES_MAX, description="Office codes a chef manages."),
]


class UserOut(Out):
    username: str
    display_name: str
    role: RoleName
    office: str | None = Field(description="Home office code (vägledare, chef, admin).")
    organisation: str | None = Field(description="Organisation code (handläggare).")
    offices: list[str] = Field(description="The offices a chef manages (home office included).")
    email: str
    active: bool

    @classmethod
    def of(cls, user: User) -> "UserOut":
        return cls(**describe(user))


class UserList(Out):
    users: list[UserOut]


class UsersQuery(Query):
    q: str | None = Field(
        None,
        max_length=200,
        description="Text in the user name, name, role, office or organisation (any case).",
        examples=["K1"],
    )
    role: RoleName | None = Field(None, description="Only this role.")
    active: Literal["true", "false"] | None = Field(
        None, description="`true`: active accounts, `false`: inactive; default both."
    )


class UserInput(Body):
    username: Username
    display_name: text(DISPLAY_NAME_MAX) | None = Field(None, description="Default: the username.")
    role: RoleName
    office: text(CODE_MAX) | None = Field(None, description="Home office code.")
    organisation: text(CODE_MAX) | None = Field(None, description="Organisation code.")
    offices: Codes | None = None
    email: text(EMAIL_MAX) | None = Field(None, description="For reset links and notifications.")


class UserPatch(Body):
    """Any of the fields; the others stay. `null` clears office or organisation."""

    username: Username | None = None
    display_name: text(DISPLAY_NAME_MAX) | None = None
    role: RoleName | None = None
    office: text(CODE_MAX) | None = None
    organisation: text(CODE_MAX) | None = None
    offices: Codes | None = None
    email: text(EMAIL_MAX) | None = None
    active: StrictBool | None = Field(
        None,
        description="false: the person can no longer log in, and every API token is revoked.",
    )
