"""Reading JSON bodies strictly: malformed JSON and unknown fields are named, not guessed at."""

from flask import request

from frontdesk.api.errors import ApiError


def parse_json():
    """The request body as JSON, or None when it is not JSON (or nested beyond reason)."""
    try:
        return request.get_json(silent=True, force=True)
    except RecursionError:
        return None


def json_object(allowed: set[str]) -> dict:
    """The request's JSON object; 400 for anything else, 422 naming unknown fields."""
    payload = parse_json()
    if payload is None:
        raise ApiError(400, "Ogiltig JSON i begäran.")
    if not isinstance(payload, dict):
        raise ApiError(400, "Begäran ska vara ett JSON-objekt.")
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise ApiError(422, "Okända fält.", {name: "Okänt fält." for name in unknown})
    with_nul = sorted(k for k, v in payload.items() if isinstance(v, str) and "\x00" in v)
    if with_nul:
        raise ApiError(
            422, "Ogiltiga tecken.", {name: "Får inte innehålla NUL." for name in with_nul}
        )
    return payload
