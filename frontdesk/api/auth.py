"""Bearer-token authentication for every API request."""

from flask import g, request

from frontdesk.api import bp
from frontdesk.api.errors import ApiError, error_response
from frontdesk.audit import record_refusal
from frontdesk.cache import TokenExpired, api_user
from frontdesk.models import User
from frontdesk.timeutil import to_local


@bp.before_request
def authenticate():
    """Resolve the bearer token to its user, or answer 401."""
    if request.endpoint == "api.openapi_document":
        return None  # the API's description is public
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Ange en API-nyckel: Authorization: Bearer ...")
    try:
        user = api_user(token.strip())
    except TokenExpired as error:
        when = (
            f" {to_local(error.expired_at):%Y-%m-%d %H:%M}" if error.expired_at is not None else ""
        )
        raise ApiError(
            401, f"API-nyckeln gick ut{when}. Be en administratör om en ny nyckel."
        ) from error
    if user is None or not user.active:
        raise ApiError(401, "Okänd eller återkallad API-nyckel.")
    g.user = user


def require_role(*roles: str) -> User:
    if not g.user.has_role(*roles):
        raise ApiError(403, "Din roll får inte göra detta.")
    return g.user


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    response, status = error_response(error.status, error.message, error.fields)
    if status == 403:
        record_refusal(error.message)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response, status
