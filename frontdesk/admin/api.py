"""The users API: list, create and change staff accounts (admin only)."""

from flask import g, request, url_for

from frontdesk.admin.operations import UserError, create_user, update_user
from frontdesk.admin.queries import find_users, user_by_username
from frontdesk.admin.schemas import UserInput, UserList, UserOut, UserPatch, UsersQuery
from frontdesk.api import bp
from frontdesk.api.errors import ApiError
from frontdesk.api.spec import LOCATION, operation
from frontdesk.roles import Role

USERNAME_PATH = {
    "username": {
        "description": "The account's user name.",
        "schema": {"type": "string", "minLength": 1},
        "example": "anna",
    }
}


def _refused(error: UserError) -> ApiError:
    return ApiError(error.status, str(error), error.fields)


def _user(username: str):
    user = user_by_username(username)
    if user is None:
        raise ApiError(404, "Okänd användare.")
    return user


@bp.get("/users")
@operation(
    tag="users",
    roles=(Role.ADMIN,),
    query=UsersQuery,
    out=UserList,
    ok_description="The accounts, by user name.",
    errors=(403, 422),
    refused="Ogiltigt filter.",
)
def list_users():
    """Staff accounts, searchable"""
    query: UsersQuery = request.context.query
    active = {"true": True, "false": False, None: None}[query.active]
    users = find_users(query.q or "", query.role or "", active)
    return UserList(users=[UserOut.of(u) for u in users])


@bp.get("/users/<username>")
@operation(
    tag="users",
    roles=(Role.ADMIN,),
    out=UserOut,
    ok_description="The account.",
    errors=(403, 404),
    path=USERNAME_PATH,
)
def get_user(username: str):
    """One staff account"""
    return UserOut.of(_user(username))


@bp.post("/users")
@operation(
    tag="users",
    roles=(Role.ADMIN,),
    body=UserInput,
    out=UserOut,
    ok=201,
    ok_description="Created, without a password (SSO, or a reset link from an admin).",
    errors=(403, 409, 422),
    refused="Användaren kunde inte sparas.",
    headers=LOCATION,
    example={
        "username": "sara.ek",
        "display_name": "Sara Ek",
        "role": "chef",
        "office": "K1",
        "offices": ["K1", "K2"],
        "email": "sara.ek@example.se",
    },
)
def post_user():
    """Create a staff account"""
    body: UserInput = request.context.json
    try:
        user = create_user(body.model_dump(), g.user)
    except UserError as error:
        raise _refused(error) from error
    return UserOut.of(user), 201, {"Location": url_for("api.get_user", username=user.username)}


@bp.patch("/users/<username>")
@operation(
    tag="users",
    roles=(Role.ADMIN,),
    body=UserPatch,
    out=UserOut,
    ok_description="The account now.",
    errors=(403, 404, 409, 422),
    refused="Användaren kunde inte sparas.",
    path=USERNAME_PATH,
    example={"active": False},
)
def patch_user(username: str):
    """Change a staff account; `"active": false` switches it off"""
    user = _user(username)
    body: UserPatch = request.context.json
    try:
        update_user(user, body.model_dump(exclude_unset=True), g.user)
    except UserError as error:
        raise _refused(error) from error
    return UserOut.of(user)
